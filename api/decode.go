package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
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
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonProblem(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return badRequest(CodeTrailingData, "", fmt.Sprintf("unexpected data after the JSON object at byte %d", dec.InputOffset()))
	}
	if v, ok := dst.(validator); ok {
		if errs := v.validate(); len(errs) > 0 {
			return validationProblem(errs)
		}
	}
	return nil
}

// jsonProblem names the field behind an encoding/json error.
func jsonProblem(err error) *Problem {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var p *Problem
	switch {
	case errors.As(err, &p):
		// A field's own UnmarshalJSON refused its value.
		return p
	case errors.As(err, &syn):
		return badRequest(CodeInvalidJSON, "", fmt.Sprintf("malformed JSON at byte %d: %s", syn.Offset, syn.Error()))
	case errors.As(err, &typ):
		// Embedded Go structs show up in the path; the client never saw them.
		param := strings.ReplaceAll(typ.Field, "commandBase.", "")
		if param == "" {
			param = "$"
		}
		return badRequest(CodeInvalidType, param, fmt.Sprintf("expected %s, got JSON %s", typeName(typ.Type.String()), typ.Value))
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return badRequest(CodeInvalidJSON, "", "the JSON body ends before the object is complete")
	}
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		name = strings.Trim(name, `"`)
		return badRequest(CodeUnknownField, name, fmt.Sprintf("unknown field %q", name))
	}
	return badRequest(CodeInvalidJSON, "", msg)
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
