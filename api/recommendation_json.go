package api

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/recoupledger/recoup/domain"
)

// A recommendation is the API's most frequent response, and encoding/json
// spends on it, by reflection, about as much as the router and the
// request's decoding together. appendJSON writes the same bytes directly:
// the bytes json.Encoder.Encode writes for the view (HTML escaped, a
// newline at the end), which TestRecommendationJSONMatchesEncoding and
// FuzzRecommendationJSON hold it to. Where encoding/json would fail (a
// number that is not finite, a time that RFC 3339 cannot write) it
// reports false and the handler lets encoding/json answer, error and all.

// writeRecommendation sends v as writeJSON would.
func writeRecommendation(w http.ResponseWriter, v *Recommendation) error {
	bp := jsonBufs.Get().(*[]byte)
	b, ok := v.appendJSON((*bp)[:0])
	if !ok {
		jsonBufs.Put(bp)
		return writeJSON(w, http.StatusOK, v)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
	if cap(b) <= maxPooledBuffer {
		*bp = b
		jsonBufs.Put(bp)
	}
	return nil
}

// jsonBufs recycles the slices responses are appended into.
var jsonBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// appendJSON appends v as json.Encoder.Encode writes it; false when
// encoding/json would refuse it.
func (v *Recommendation) appendJSON(b []byte) ([]byte, bool) {
	ok := true
	b = append(b, `{"object":`...)
	b = appendJSONString(b, v.Object)
	b = append(b, `,"invoice_id":`...)
	if v.InvoiceID == nil {
		b = append(b, "null"...)
	} else {
		b = appendJSONString(b, *v.InvoiceID)
	}
	b = append(b, `,"model_version":`...)
	b = appendJSONString(b, v.ModelVersion)
	b = append(b, `,"retry":`...)
	b = strconv.AppendBool(b, v.Retry)
	b = append(b, `,"next_attempt_at":`...)
	b = appendJSONTimePtr(b, v.NextAttemptAt, &ok)
	b = append(b, `,"schedule":`...)
	if v.Schedule == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, s := range v.Schedule {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendPlannedSlot(b, &s, &ok)
		}
		b = append(b, ']')
	}
	b = append(b, `,"candidates":`...)
	if v.Candidates == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range v.Candidates {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendScoredCandidate(b, &v.Candidates[i], &ok)
		}
		b = append(b, ']')
	}
	b = append(b, `,"explanation":`...)
	b = appendJSONString(b, v.Explanation)
	b = append(b, `,"contributions":`...)
	if v.Contributions == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range v.Contributions {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendContribution(b, &v.Contributions[i], &ok)
		}
		b = append(b, ']')
	}
	b = append(b, `,"window":{"start":`...)
	b = appendJSONTimePtr(b, v.Window.Start, &ok)
	b = append(b, `,"end":`...)
	b = appendJSONTimePtr(b, v.Window.End, &ok)
	b = append(b, `},"time_zone":`...)
	b = appendJSONString(b, v.TimeZone)
	b = append(b, `,"as_of":`...)
	b = appendJSONTime(b, v.AsOf, &ok)
	b = append(b, `,"retries_left":`...)
	b = strconv.AppendInt(b, int64(v.RetriesLeft), 10)
	b = append(b, "}\n"...)
	return b, ok
}

func appendPlannedSlot(b []byte, s *domain.PlannedSlot, ok *bool) []byte {
	b = append(b, `{"at":`...)
	b = appendJSONTime(b, s.At, ok)
	b = append(b, `,"probability":`...)
	b = appendJSONFloat(b, s.Probability, ok)
	return append(b, '}')
}

func appendScoredCandidate(b []byte, c *ScoredCandidate, ok *bool) []byte {
	b = append(b, `{"at":`...)
	b = appendJSONTime(b, c.At, ok)
	b = append(b, `,"allowed":`...)
	b = strconv.AppendBool(b, c.Allowed)
	b = append(b, `,"probability":`...)
	if c.Probability == nil {
		b = append(b, "null"...)
	} else {
		b = appendJSONFloat(b, *c.Probability, ok)
	}
	if c.Reason != "" {
		b = append(b, `,"reason":`...)
		b = appendJSONString(b, c.Reason)
	}
	return append(b, '}')
}

func appendContribution(b []byte, c *domain.Contribution, ok *bool) []byte {
	b = append(b, `{"feature":`...)
	b = appendJSONString(b, c.Feature)
	b = append(b, `,"value":`...)
	b = appendJSONFloat(b, c.Value, ok)
	b = append(b, `,"effect":`...)
	b = appendJSONFloat(b, c.Effect, ok)
	return append(b, '}')
}

// appendJSONFloat writes f as encoding/json writes a float64: the
// shortest decimal that reads back as f, in exponent form below 1e-6 and
// from 1e21 up, its exponent unpadded.
func appendJSONFloat(b []byte, f float64, ok *bool) []byte {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		*ok = false
		return b
	}
	abs, format := math.Abs(f), byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// e-07 becomes e-7.
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

func appendJSONTimePtr(b []byte, t *time.Time, ok *bool) []byte {
	if t == nil {
		return append(b, "null"...)
	}
	return appendJSONTime(b, *t, ok)
}

// appendJSONTime writes t as time.Time's MarshalJSON does (RFC 3339 with
// nanoseconds, quoted); ok turns false for the times it refuses (a year
// that is not four digits, an offset of 24 hours or more).
func appendJSONTime(b []byte, t time.Time, ok *bool) []byte {
	if y := t.Year(); y < 0 || y > 9999 {
		*ok = false
		return b
	}
	if _, off := t.Zone(); off <= -24*3600 || off >= 24*3600 {
		*ok = false
		return b
	}
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

// jsonSafe marks the ASCII bytes encoding/json writes as they are when it
// escapes HTML (its htmlSafeSet): from the space up, DEL included, less
// the quote, the backslash, <, > and &.
var jsonSafe = func() (t [utf8.RuneSelf]bool) {
	for c := ' '; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

const jsonHex = "0123456789abcdef"

// load8 is the eight bytes of s (len(s) ≥ 8), little-endian: loads the
// compiler combines into one.
func load8(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// plain8 reports whether none of the eight bytes of x needs a look from
// appendJSONString: each is ASCII, from the space up, and none is a
// quote, a backslash, <, > or &. (A byte is zero after the xor with a
// character's repetition exactly when it is that character; the tests
// are exact for any byte once the top bits are known clear.)
func plain8(x uint64) bool {
	const ones, tops = 0x0101010101010101, 0x8080808080808080
	// zero(v) = (v − ones) &^ v & tops, written out so that plain8 is
	// inlined.
	q, bs, lt, gt, amp := x^('"'*ones), x^('\\'*ones), x^('<'*ones), x^('>'*ones), x^('&'*ones)
	return (x|(x-0x20*ones)&^x|(q-ones)&^q|(bs-ones)&^bs|(lt-ones)&^lt|(gt-ones)&^gt|(amp-ones)&^amp)&tops == 0
}

// appendJSONString writes s quoted as encoding/json does with HTML
// escaping: the escapes \\ \" \b \f \n \r \t, \u00XX for the other
// control bytes and < > &, \ufffd for each byte of invalid UTF-8, and
// U+2028 and U+2029 escaped.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		// Eight bytes at a time while none needs a look: the text of an
		// explanation is mostly plain ASCII.
		for i+8 <= len(s) && plain8(load8(s[i:i+8])) {
			i += 8
		}
		if i >= len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if jsonSafe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', jsonHex[c>>4], jsonHex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', jsonHex[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
