package api

import (
	"io"
	"reflect"
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

// param turns a JSON pointer into the field path problems name, read
// against dst's Go type: "/context/amount" is "context.amount",
// "/candidates/2" "candidates[2]" (an index only where the Go value is a
// slice or an array; the path stops at the first member no Go value
// has), and the whole body "$".
func param(dst any, p jsontext.Pointer) string {
	if p == "" {
		return "$"
	}
	t := reflect.TypeOf(dst)
	var b strings.Builder
	for tok := range p.Tokens() {
		for t != nil && t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) && t.Elem().Kind() != reflect.Uint8 {
			b.WriteString("[" + tok + "]")
			t = t.Elem()
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(tok)
		if t = memberType(t, tok); t == nil {
			// An unknown member, or free-form JSON below it: the path
			// stops at the first name no Go value has.
			break
		}
	}
	return b.String()
}

// memberType is the Go type that the JSON member name decodes into
// within t (a struct's field, with embedded structs' fields inlined as
// the codec does, or a map's values); nil when there is none.
func memberType(t reflect.Type, name string) reflect.Type {
	if t == nil {
		return nil
	}
	switch t.Kind() {
	case reflect.Map:
		return t.Elem()
	case reflect.Struct:
		for i := range t.NumField() {
			f := t.Field(i)
			tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if tag == "-" || !f.IsExported() && !f.Anonymous {
				continue
			}
			if tag == "" && f.Anonymous {
				ft := f.Type
				if ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if ft.Kind() == reflect.Struct {
					if m := memberType(ft, name); m != nil {
						return m
					}
					continue
				}
			}
			if tag == "" {
				tag = f.Name
			}
			if tag == name {
				return f.Type
			}
		}
	}
	return nil
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
