package api

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	json "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// MaxBodyBytes limits every request body except bulk import.
const MaxBodyBytes = 1 << 20

// MaxImportBytes limits a bulk import body.
const MaxImportBytes = 256 << 20

// validator is implemented by request bodies that check their own fields;
// it returns every failing field, not only the first.
type validator interface {
	validate() []FieldError
}

// decodeJSON reads r's body strictly into dst: the body must be one JSON
// object whose fields are all known and well typed, with nothing after it.
// Then, when dst is a validator, every field rule is checked. Errors are
// problems naming the field.
func decodeJSON(r *http.Request, dst any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && ct != "application/json" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return newProblem(http.StatusUnsupportedMediaType, CodeUnsupportedMedia, "Content-Type",
				fmt.Sprintf("the body must be JSON with Content-Type: application/json, not %q (with curl, use --json or -H 'Content-Type: application/json')", ct))
		}
	}
	// The body is read into a pooled buffer: decoding copies every value
	// it keeps, so nothing refers to the buffer once decodeBytes returns.
	buf := getBuffer()
	defer putBuffer(buf)
	if r.ContentLength > 0 && r.ContentLength <= MaxBodyBytes {
		buf.Grow(int(r.ContentLength) + 1) // +1: ReadFrom needs room to see EOF
	}
	if _, err := buf.ReadFrom(r.Body); err != nil {
		return asBodyProblem(err)
	}
	return decodeBytes(buf.Bytes(), dst)
}

// decodeBytes is decodeJSON on a body already read; the fuzz test and the
// NDJSON importer call it directly.
func decodeBytes(body []byte, dst any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return badRequest(CodeBodyRequired, "", "a JSON object body is required")
	}
	if err := json.Unmarshal(body, dst, decodeOptions); err != nil {
		return jsonProblem(body, err)
	}
	if v, ok := dst.(validator); ok {
		if errs := v.validate(); len(errs) > 0 {
			return validationProblem(errs)
		}
	}
	return nil
}

// jsonProblem names the field behind an error decoding body.
// Broken syntax is reported as such even where the decoder met an
// unknown or mistyped field before it: the syntax is checked again, on
// this error path only.
func jsonProblem(body []byte, err error) *Problem {
	var p *Problem
	var syn *jsontext.SyntacticError
	var sem *json.SemanticError
	if !errors.As(err, &syn) && !errors.Is(err, io.ErrUnexpectedEOF) {
		if serr := checkSyntax(body); serr != nil {
			err = serr
		}
	}
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return badRequest(CodeInvalidJSON, "", "the JSON body ends before the object is complete")
	case errors.As(err, &syn):
		return syntaxProblem(body, syn)
	case errors.As(err, &p):
		// A field's own UnmarshalJSON refused its value.
		return p
	case errors.As(err, &sem) && errors.Is(sem.Err, json.ErrUnknownName):
		name := param(body, sem.JSONPointer)
		return badRequest(CodeUnknownField, name, fmt.Sprintf("unknown field %q", name))
	case errors.As(err, &sem):
		want := "a value of another type"
		if sem.GoType != nil {
			want = typeName(sem.GoType.String())
		}
		got := kindName(sem.JSONKind)
		if sem.JSONKind == '0' && len(sem.JSONValue) > 0 {
			got += " " + string(sem.JSONValue)
		}
		return badRequest(CodeInvalidType, param(body, sem.JSONPointer), fmt.Sprintf("expected %s, got JSON %s", want, got))
	}
	return badRequest(CodeInvalidJSON, "", err.Error())
}

// checkSyntax reports the first syntax error in body as Unmarshal would
// (with the same options and the same messages), or nil. It scans body
// in place: the decoder reads a bytes.Buffer without a copy and
// ReadValue returns a view of it, so an error costs a pass over the body
// and no memory of its size.
func checkSyntax(body []byte) error {
	dec := jsontext.NewDecoder(bytes.NewBuffer(body), decodeOptions)
	if _, err := dec.ReadValue(); err != nil {
		return err
	}
	off := int(dec.InputOffset())
	rest := body[off:]
	if trimmed := bytes.TrimLeft(rest, " \t\r\n"); len(trimmed) > 0 {
		return &jsontext.SyntacticError{ByteOffset: int64(off + len(rest) - len(trimmed)), Err: errTrailingData}
	}
	return nil
}

var errTrailingData = errors.New("data after the top-level value")

// syntaxProblem explains malformed JSON: data after a complete value,
// a member named twice, invalid UTF-8, or a character out of place,
// naming the member it is in when there is one.
func syntaxProblem(body []byte, syn *jsontext.SyntacticError) *Problem {
	off := syn.ByteOffset
	if off > 0 && off <= int64(len(body)) && jsontext.Value(body[:off]).IsValid() {
		return badRequest(CodeTrailingData, "", fmt.Sprintf("unexpected data after the JSON object at byte %d", off))
	}
	field := ""
	if syn.JSONPointer != "" {
		field = param(body, syn.JSONPointer)
	}
	if errors.Is(syn.Err, jsontext.ErrDuplicateName) {
		return badRequest(CodeInvalidJSON, field, fmt.Sprintf("field %q appears more than once", field))
	}
	detail := fmt.Sprintf("malformed JSON at byte %d", off)
	if syn.Err != nil {
		detail += ": " + syn.Err.Error()
	}
	if field != "" {
		detail += " (in " + field + ")"
	}
	return badRequest(CodeInvalidJSON, field, detail)
}

// typeName speaks JSON, not Go, to the client.
func typeName(goType string) string {
	switch {
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "uint"):
		return "an integer"
	case strings.HasPrefix(goType, "float"):
		return "a number"
	case goType == "string", strings.HasSuffix(goType, "Network"), strings.HasSuffix(goType, "Funding"):
		return "a string"
	case goType == "bool":
		return "a boolean"
	case strings.HasPrefix(goType, "[]"):
		return "an array"
	case goType == "time.Time":
		return "an RFC 3339 timestamp string"
	}
	return "an object"
}
