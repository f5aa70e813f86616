package simulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// MaxWorldFileSize bounds a world file; worlds are small documents.
const MaxWorldFileSize = 1 << 20

// Problem is one refused field of a world file.
type Problem struct {
	Path   string `json:"path"`   // JSON path, e.g. $.countries[1].share
	Reason string `json:"reason"` // the rule it breaks
}

func (p Problem) String() string { return p.Path + ": " + p.Reason }

// WorldError lists every problem found in a world file at once.
type WorldError struct {
	Source   string
	Problems []Problem
}

func (e *WorldError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "world %s: %d problem(s)", e.Source, len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

// LoadWorld reads and validates a world file.
func LoadWorld(path string) (*World, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load world: %w", err)
	}
	return DecodeWorld(path, data)
}

// DecodeWorld parses and validates a world document. It refuses unknown
// fields, wrong types and broken rules, naming every failing field's JSON
// path with its reason in one *WorldError.
func DecodeWorld(source string, data []byte) (*World, error) {
	if len(data) > MaxWorldFileSize {
		return nil, &WorldError{source, []Problem{{"$", fmt.Sprintf("file is %d bytes; the limit is %d", len(data), MaxWorldFileSize)}}}
	}
	var raw any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return nil, &WorldError{source, []Problem{{"$", "not valid JSON: " + syntaxWhere(data, err)}}}
	}
	if dec.More() {
		return nil, &WorldError{source, []Problem{{"$", "trailing data after the JSON value"}}}
	}
	var probs []Problem
	checkShape(reflect.TypeFor[World](), raw, "$", &probs)
	if len(probs) > 0 {
		return nil, &WorldError{source, probs}
	}
	var w World
	if err := json.Unmarshal(data, &w); err != nil {
		// checkShape accepts only what Unmarshal accepts; this is a guard.
		return nil, &WorldError{source, []Problem{{"$", err.Error()}}}
	}
	if probs := w.Validate(); len(probs) > 0 {
		return nil, &WorldError{source, probs}
	}
	return &w, nil
}

func syntaxWhere(data []byte, err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line := 1 + bytes.Count(data[:min(int(se.Offset), len(data))], []byte("\n"))
		return fmt.Sprintf("%v (line %d, byte %d)", se, line, se.Offset)
	}
	return err.Error()
}

// checkShape walks a generic JSON value against the Go type it will be
// decoded into, reporting unknown fields, nulls and wrong types with
// their paths, so that all of them are reported at once.
func checkShape(t reflect.Type, v any, path string, probs *[]Problem) {
	add := func(reason string) { *probs = append(*probs, Problem{path, reason}) }
	if v == nil {
		add("must not be null")
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			add("must be an object, got " + jsonKind(v))
			return
		}
		fields := map[string]reflect.StructField{}
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			fields[name] = f
		}
		for _, k := range sortedKeys(m) {
			f, ok := fields[k]
			if !ok {
				*probs = append(*probs, Problem{path + "." + k, "unknown field"})
				continue
			}
			checkShape(f.Type, m[k], path+"."+k, probs)
		}
	case reflect.Map:
		m, ok := v.(map[string]any)
		if !ok {
			add("must be an object, got " + jsonKind(v))
			return
		}
		for _, k := range sortedKeys(m) {
			checkShape(t.Elem(), m[k], path+"."+k, probs)
		}
	case reflect.Slice:
		a, ok := v.([]any)
		if !ok {
			add("must be an array, got " + jsonKind(v))
			return
		}
		for i, e := range a {
			checkShape(t.Elem(), e, path+"["+strconv.Itoa(i)+"]", probs)
		}
	case reflect.String:
		if _, ok := v.(string); !ok {
			add("must be a string, got " + jsonKind(v))
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			add("must be a boolean, got " + jsonKind(v))
		}
	case reflect.Int, reflect.Int64:
		n, ok := v.(json.Number)
		if !ok {
			add("must be an integer, got " + jsonKind(v))
			return
		}
		if _, err := strconv.ParseInt(string(n), 10, 64); err != nil {
			add("must be an integer, got " + string(n))
		}
	case reflect.Float64:
		n, ok := v.(json.Number)
		if !ok {
			add("must be a number, got " + jsonKind(v))
			return
		}
		if f, err := n.Float64(); err != nil || math.IsInf(f, 0) {
			add("must be a finite number, got " + string(n))
		}
	default:
		add("unsupported field type " + t.String())
	}
}

func jsonKind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	}
	return "null"
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
