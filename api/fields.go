package api

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/recoupledger/recoup/domain"
)

// fields collects every failing field of a request, in order.
type fields []FieldError

func (f *fields) add(param, code, detail string) {
	*f = append(*f, FieldError{Param: param, Code: code, Detail: detail})
}

func (f *fields) required(param, v string) bool {
	if v == "" {
		f.add(param, CodeRequired, "is required")
		return false
	}
	return true
}

// maxIDLength bounds client-supplied IDs, which become stream names.
const maxIDLength = 255

// id checks a client-supplied identifier: required, printable, no spaces.
func (f *fields) id(param, v string) {
	if !f.required(param, v) {
		return
	}
	f.optionalID(param, v)
}

func (f *fields) optionalID(param, v string) {
	if v == "" {
		return
	}
	if len(v) > maxIDLength {
		f.add(param, CodeInvalidValue, fmt.Sprintf("must be at most %d characters", maxIDLength))
		return
	}
	for _, r := range v {
		if unicode.IsSpace(r) || !unicode.IsPrint(r) {
			f.add(param, CodeInvalidValue, "must not contain spaces or control characters")
			return
		}
	}
}

// timestamp parses an RFC 3339 time; an empty optional value is zero.
func (f *fields) timestamp(param, v string, required bool) time.Time {
	if v == "" {
		if required {
			f.add(param, CodeRequired, "is required (RFC 3339, e.g. 2026-03-01T12:00:00Z)")
		}
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		f.add(param, CodeInvalidValue, fmt.Sprintf("must be an RFC 3339 timestamp such as 2026-03-01T12:00:00Z, got %q", v))
		return time.Time{}
	}
	return t.UTC()
}

var currencyRE = regexp.MustCompile(`^[a-z]{3}$`)

func (f *fields) currency(param, v string) {
	if f.required(param, v) && !currencyRE.MatchString(v) {
		f.add(param, CodeInvalidValue, "must be a lower-case ISO 4217 code such as usd")
	}
}

var countryRE = regexp.MustCompile(`^[A-Z]{2}$`)

func (f *fields) country(param, v string, required bool) {
	if v == "" {
		if required {
			f.add(param, CodeRequired, "is required (ISO 3166-1 alpha-2, e.g. US)")
		}
		return
	}
	if !countryRE.MatchString(v) {
		f.add(param, CodeInvalidValue, "must be an upper-case ISO 3166-1 alpha-2 code such as US")
	}
}

func (f *fields) timeZone(param, v string, required bool) {
	if v == "" {
		if required {
			f.add(param, CodeRequired, "is required (IANA name, e.g. America/New_York)")
		}
		return
	}
	if !knownZone(v) {
		f.add(param, CodeInvalidValue, fmt.Sprintf("must be an IANA time zone such as America/New_York, got %q", v))
	}
}

func (f *fields) positive(param string, v int64) {
	if v <= 0 {
		f.add(param, CodeOutOfRange, "must be a positive integer in the currency's minor unit")
	}
}

func (f *fields) between(param string, v, lo, hi int) {
	if v < lo || v > hi {
		f.add(param, CodeOutOfRange, fmt.Sprintf("must be between %d and %d, got %d", lo, hi, v))
	}
}

func (f *fields) oneOf(param, v string, required bool, allowed ...string) {
	if v == "" {
		if required {
			f.add(param, CodeRequired, "is required (one of "+strings.Join(allowed, ", ")+")")
		}
		return
	}
	for _, a := range allowed {
		if v == a {
			return
		}
	}
	f.add(param, CodeInvalidValue, fmt.Sprintf("must be one of %s, got %q", strings.Join(allowed, ", "), v))
}

func (f *fields) network(param string, v domain.Network, required bool) {
	f.oneOf(param, string(v), required, string(domain.Visa), string(domain.Mastercard), string(domain.Amex), string(domain.Discover))
}

func (f *fields) funding(param string, v domain.Funding, required bool) {
	f.oneOf(param, string(v), required, string(domain.Credit), string(domain.Debit), string(domain.Prepaid))
}

// declineCode accepts only codes of the decline table, so a typo is
// refused instead of silently treated as an unknown category.
func (f *fields) declineCode(param, v string, required bool) {
	if v == "" {
		if required {
			f.add(param, CodeRequired, "is required for a failed attempt")
		}
		return
	}
	if _, ok := domain.Decline(v); !ok {
		f.add(param, "unknown_decline_code", fmt.Sprintf("%q is not a known decline code (the enum of decline_code in /openapi.json lists them)", v))
	}
}

var adviceRE = regexp.MustCompile(`^[0-9]{2}$`)

func (f *fields) adviceCode(param, v string) {
	if v != "" && !adviceRE.MatchString(v) {
		f.add(param, CodeInvalidValue, "must be a two-digit Mastercard merchant advice code such as 24")
	}
}

// occurredAt checks business time: optional, not in the future (beyond a
// clock-skew allowance), and required when backfill is set.
func (f *fields) occurredAt(v string, backfill bool, now time.Time) time.Time {
	t := f.timestamp("occurred_at", v, backfill)
	if !t.IsZero() && t.After(now.Add(clockSkew)) {
		f.add("occurred_at", CodeOutOfRange, "must not be in the future")
	}
	return t
}

// clockSkew tolerates clients whose clocks run slightly ahead.
const clockSkew = 5 * time.Minute

var last4RE = regexp.MustCompile(`^[0-9]{4}$`)

func (f *fields) last4(v string) {
	if v != "" && !last4RE.MatchString(v) {
		f.add("last4", CodeInvalidValue, "must be the card number's last four digits")
	}
}

// zones caches valid time zone names: loading zone data reads the
// system's database, which costs more than the rest of a request. Only
// valid names are kept, so the cache is bounded by the zone database.
var zones sync.Map // name -> struct{}

func knownZone(name string) bool {
	if _, hit := zones.Load(name); hit {
		return true
	}
	if _, err := time.LoadLocation(name); err != nil || strings.EqualFold(name, "local") {
		return false
	}
	zones.Store(name, struct{}{})
	return true
}
