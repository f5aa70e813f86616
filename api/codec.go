package api

import (
	"bytes"
	"io"
	"strconv"
	"strings"

	json "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	jsonv1 "github.com/go-json-experiment/json/v1"
)

// The API reads and writes JSON with encoding/json/v2 (the
// go-json-experiment module is its reference implementation, kept by the
// Go team's JSON maintainers): it unmarshals without the reflection-
// driven scanner of v1 and the allocations of a v1 Decoder, and encodes
// times and nested values without v1's re-validation of each
// MarshalJSON result. The semantics are v1's (jsonv1.DefaultOptionsV1),
// so every response is byte for byte what encoding/json wrote and every
// request means what it meant; only the syntax of requests is stricter,
// as decodeOptions says.

// decodeOptions: v1 semantics (null leaves a value alone, a number may
// not fill a string, ...), with
//   - member names matched exactly, as openapi.json declares them and as
//     Stripe does (v1 folded case: "Amount" and "AMOUNT" were amount);
//   - unknown members refused (v1's DisallowUnknownFields);
//   - duplicate member names refused, where v1 kept the last: a body that
//     says two things about one field is malformed, not ambiguous;
//   - invalid UTF-8 refused, where v1 replaced it with U+FFFD: the ledger
//     must not store a name other than the one sent;
//   - errors reported as v2's, whose JSON pointer names the field.
var decodeOptions = json.JoinOptions(
	jsonv1.DefaultOptionsV1(),
	jsonv1.ReportErrorsWithLegacySemantics(false),
	json.RejectUnknownMembers(true),
	json.MatchCaseInsensitiveNames(false),
	jsontext.AllowDuplicateNames(false),
	jsontext.AllowInvalidUTF8(false),
)

// encodeOptions are v1's exactly: nil slices and maps as null, map keys
// sorted, omitempty as v1, and <, >, & and U+2028/U+2029 escaped, so a
// response is safe to embed in HTML and identical to what v1 wrote.
var encodeOptions = jsonv1.DefaultOptionsV1()

// encode writes v and a newline to w, as v1's Encoder.Encode did.
func encode(w io.Writer, v any) error {
	if err := json.MarshalWrite(w, v, encodeOptions); err != nil {
		return err
	}
	_, err := w.Write(newline)
	return err
}

var newline = []byte{'\n'}

// maxParamLen bounds the field path a problem names (see param).
const maxParamLen = 256

// param turns a JSON pointer into the field path problems name, read
// against the body itself (never against the Go type, which is what the
// body disagrees with when there is an error): "/context/amount" is
// "context.amount", "/candidates/2" is "candidates[2]" where candidates
// is an array in the body and "candidates.2" where it is an object with
// a member named "2"; a member name that is empty or holds any of . [ ]
// or " is written as a JSON string in brackets (context[""],
// context["a.b"], or [""] alone at the top), and the whole body is "$". Where the body
// cannot be followed to the pointer (it breaks before), the remaining
// tokens are written as members. A path longer than maxParamLen bytes
// is cut after the token that reaches it and ends in "…".
func param(body []byte, p jsontext.Pointer) string {
	if p == "" {
		return "$"
	}
	// Duplicate names and invalid UTF-8 are what some errors are about,
	// so the walk tolerates them; it reads body in place (a bytes.Buffer
	// is not copied by the decoder) and runs on the error path only.
	dec := jsontext.NewDecoder(bytes.NewBuffer(body),
		jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	var b strings.Builder
	walking := true
	for tok := range p.Tokens() {
		if b.Len() >= maxParamLen {
			// A body nested thousands deep would otherwise be named by
			// a path as long as itself, twice in the problem.
			b.WriteString("…")
			break
		}
		index := false
		if walking {
			index, walking = descend(dec, tok)
		}
		switch {
		case index:
			b.WriteString("[" + tok + "]")
		case tok == "" || strings.ContainsAny(tok, `.[]"`):
			// A name a dotted path cannot carry is quoted as a JSON
			// string in brackets; invalid UTF-8 becomes U+FFFD.
			q, _ := jsontext.AppendQuote(nil, tok)
			b.WriteString("[" + string(q) + "]")
		default:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(tok)
		}
	}
	return b.String()
}

// descend moves dec from the start of a value to the start of its child
// named by the pointer token tok. index reports whether the value is an
// array (tok an index) rather than an object (tok a member name); ok
// whether dec now stands at that child, so the walk can go on.
func descend(dec *jsontext.Decoder, tok string) (index, ok bool) {
	switch dec.PeekKind() {
	case '[':
		n, err := strconv.Atoi(tok)
		if err != nil || n < 0 {
			return true, false
		}
		if _, err := dec.ReadToken(); err != nil {
			return true, false
		}
		for range n {
			if dec.PeekKind() == ']' || dec.SkipValue() != nil {
				return true, false
			}
		}
		return true, dec.PeekKind() != 0 && dec.PeekKind() != ']'
	case '{':
		if _, err := dec.ReadToken(); err != nil {
			return false, false
		}
		for dec.PeekKind() == '"' {
			name, err := dec.ReadToken()
			if err != nil {
				return false, false
			}
			if name.String() == tok {
				return false, true
			}
			if dec.SkipValue() != nil {
				return false, false
			}
		}
	}
	return false, false
}

// kindName names a JSON kind as a client wrote it.
func kindName(k jsontext.Kind) string {
	switch k {
	case 'n':
		return "null"
	case 't', 'f':
		return "bool"
	case '"':
		return "string"
	case '0':
		return "number"
	case '{':
		return "object"
	case '[':
		return "array"
	}
	return "value"
}
