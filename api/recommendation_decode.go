package api

import (
	"net/http"
)

// Recommendation requests are the API's most frequent body, and
// encoding/json decodes one by reflection at a cost near the router's and
// the response's together. decodeFast reads the plain form integrators
// send (the request's own keys as the document spells them, once each;
// strings of printable ASCII without escapes; integers without fraction
// or exponent) into the same struct encoding/json fills, and declines
// anything else (a null, an escape, a float, an unknown or repeated key,
// other letter case), which decodeJSON then reads with its checks and
// errors as before. FuzzRecommendationDecodeFast holds every body it
// accepts to encoding/json's result.

// decodeRecommendation reads a request's body into q as decodeJSON does.
func decodeRecommendation(r *http.Request, q *recommendRequest) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && ct != "application/json" {
		return decodeJSON(r, q) // decodeJSON judges the media type
	}
	buf := getBuffer()
	defer putBuffer(buf)
	if r.ContentLength > 0 && r.ContentLength <= MaxBodyBytes {
		buf.Grow(int(r.ContentLength) + 1)
	}
	if _, err := buf.ReadFrom(r.Body); err != nil {
		return asBodyProblem(err)
	}
	if !q.decodeFast(buf.Bytes()) {
		*q = recommendRequest{now: q.now}
		return decodeBytes(buf.Bytes(), q)
	}
	if errs := q.validate(); len(errs) > 0 {
		return validationProblem(errs)
	}
	return nil
}

// jsonScan reads the restricted grammar of decodeFast.
type jsonScan struct {
	b  []byte
	i  int
	ok bool
}

func (s *jsonScan) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// eat consumes c after white space.
func (s *jsonScan) eat(c byte) bool {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// str reads a string of printable ASCII without escapes.
func (s *jsonScan) str() string {
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		s.ok = false
		return ""
	}
	start := s.i + 1
	for j := start; j < len(s.b); j++ {
		c := s.b[j]
		if c == '"' {
			s.i = j + 1
			return string(s.b[start:j])
		}
		if c < 0x20 || c >= 0x7f || c == '\\' {
			break
		}
	}
	s.ok = false
	return ""
}

// integer reads an integer as JSON writes one (no leading zeros), of at
// most 15 digits.
func (s *jsonScan) integer() int64 {
	s.ws()
	neg := s.i < len(s.b) && s.b[s.i] == '-'
	if neg {
		s.i++
	}
	start := s.i
	var v int64
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		v = 10*v + int64(s.b[s.i]-'0')
		s.i++
	}
	n := s.i - start
	if n == 0 || n > 15 || (n > 1 && s.b[start] == '0') {
		s.ok = false
		return 0
	}
	// A fraction or an exponent: encoding/json's to judge.
	if s.i < len(s.b) && (s.b[s.i] == '.' || s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.ok = false
	}
	if neg {
		v = -v
	}
	return v
}

// object reads {"key": value, ...}, calling field for each key, which
// reads the value; false for a repeated key (seen holds a bit per key
// index that field returns, -1 for an unknown key).
func (s *jsonScan) object(field func(key string) int) {
	if !s.eat('{') {
		s.ok = false
		return
	}
	if s.eat('}') {
		return
	}
	var seen uint64
	for s.ok {
		k := s.str()
		if !s.ok || !s.eat(':') {
			s.ok = false
			return
		}
		idx := field(k)
		if idx < 0 || seen&(1<<idx) != 0 {
			s.ok = false
			return
		}
		seen |= 1 << idx
		if s.eat(',') {
			continue
		}
		if !s.eat('}') {
			s.ok = false
		}
		return
	}
}

// decodeFast reads body into q (fresh but for now) when it is of the
// plain form; false leaves q to be reset and read by encoding/json.
func (q *recommendRequest) decodeFast(body []byte) bool {
	s := jsonScan{b: body, ok: true}
	s.object(func(key string) int {
		switch key {
		case "invoice_id":
			q.InvoiceID = s.str()
			return 0
		case "context":
			q.Context = new(inlineContext)
			q.Context.decodeFast(&s)
			return 1
		case "max_retries":
			v := int(s.integer())
			q.MaxRetries = &v
			return 2
		case "window_days":
			v := int(s.integer())
			q.WindowDays = &v
			return 3
		case "as_of":
			q.AsOf = s.str()
			return 4
		case "candidates":
			if !s.eat('[') {
				s.ok = false
				return 5
			}
			q.Candidates = []string{}
			if s.eat(']') {
				return 5
			}
			for s.ok {
				q.Candidates = append(q.Candidates, s.str())
				if s.eat(',') {
					continue
				}
				if !s.eat(']') {
					s.ok = false
				}
				break
			}
			return 5
		}
		return -1
	})
	s.ws()
	return s.ok && s.i == len(s.b)
}

func (c *inlineContext) decodeFast(s *jsonScan) {
	s.object(func(key string) int {
		var p *string
		idx := 0
		switch key {
		case "decline_code":
			p, idx = &c.DeclineCode, 0
		case "advice_code":
			p, idx = &c.AdviceCode, 1
		case "network":
			p, idx = &c.Network, 2
		case "funding":
			p, idx = &c.Funding, 3
		case "country":
			p, idx = &c.Country, 4
		case "card_country":
			p, idx = &c.CardCountry, 5
		case "time_zone":
			p, idx = &c.TimeZone, 6
		case "currency":
			p, idx = &c.Currency, 7
		case "failed_at":
			p, idx = &c.FailedAt, 8
		case "first_failed_at":
			p, idx = &c.FirstFailedAt, 9
		case "payment_method_updated_at":
			p, idx = &c.PaymentMethodUpdatedAt, 10
		case "amount":
			c.Amount = s.integer()
			return 11
		case "attempts":
			c.Attempts = int(s.integer())
			return 12
		default:
			return -1
		}
		*p = s.str()
		return idx
	})
}
