package eventjson

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"
	"unsafe"
)

// ErrSyntax marks malformed JSON.
var ErrSyntax = errors.New("eventjson: malformed JSON")

// Object iterates the top-level members of a JSON object. The zero value
// is ready for Reset.
type Object struct {
	data []byte
	i    int
	key  []byte
	val  []byte // the raw value of the current member
	err  error
	buf  []byte // scratch for unescaped strings
	kbuf []byte // scratch for unescaped keys

	valPlain bool // the current value is a string without escapes or non-ASCII
	ok       bool // the last scanString succeeded
}

// Reset starts iterating data, which must hold one JSON object.
func (o *Object) Reset(data []byte) {
	o.data, o.i, o.key, o.val, o.err = data, 0, nil, nil, nil
	o.skipSpace()
	if o.i >= len(o.data) || o.data[o.i] != '{' {
		o.fail("expected '{'")
		return
	}
	o.i++
}

// Err returns the first error met while iterating.
func (o *Object) Err() error { return o.err }

func (o *Object) fail(msg string) {
	if o.err == nil {
		o.err = fmt.Errorf("%w at offset %d: %s", ErrSyntax, o.i, msg)
	}
	o.i = len(o.data)
}

func (o *Object) skipSpace() {
	for o.i < len(o.data) {
		switch o.data[o.i] {
		case ' ', '\t', '\n', '\r':
			o.i++
		default:
			return
		}
	}
}

// Next advances to the next member; it returns false at the end of the
// object or on error (see Err).
func (o *Object) Next() bool {
	if o.err != nil || o.data == nil {
		return false
	}
	o.skipSpace()
	if o.i >= len(o.data) {
		o.fail("unterminated object")
		return false
	}
	switch o.data[o.i] {
	case '}':
		o.i++
		o.skipSpace()
		if o.i != len(o.data) {
			o.fail("trailing data after the object")
		}
		o.data = nil
		return false
	case ',':
		if o.key == nil {
			o.fail("unexpected ','")
			return false
		}
		o.i++
		o.skipSpace()
	default:
		if o.key != nil {
			o.fail("expected ',' or '}'")
			return false
		}
	}
	o.ok = false
	raw, plain := o.scanString()
	if !o.ok {
		return false
	}
	key, escaped, ok := unquote(raw, plain, o.kbuf[:0])
	if !ok {
		o.fail("bad key string")
		return false
	}
	if escaped {
		o.kbuf = key[:0]
	}
	o.key = key
	o.skipSpace()
	if o.i >= len(o.data) || o.data[o.i] != ':' {
		o.fail("expected ':'")
		return false
	}
	o.i++
	o.skipSpace()
	start := o.i
	o.valPlain = false
	if o.i < len(o.data) && o.data[o.i] == '"' {
		o.ok = false
		_, o.valPlain = o.scanString()
		if !o.ok {
			return false
		}
	} else if !o.skipValue(0) {
		return false
	}
	o.val = o.data[start:o.i]
	return true
}

// Key returns the current member's name.
func (o *Object) Key() []byte { return o.key }

// Raw returns the current member's value as written.
func (o *Object) Raw() []byte { return o.val }

// IsNull reports whether the current value is null.
func (o *Object) IsNull() bool { return len(o.val) == 4 && string(o.val) == "null" }

// Str returns the current value, a string, unescaped. The bytes are valid
// until the next call.
func (o *Object) Str() ([]byte, error) {
	v := o.val
	if len(v) < 2 || v[0] != '"' {
		return nil, o.typeErr("string")
	}
	out, escaped, ok := unquote(v, o.valPlain, o.buf[:0])
	if !ok {
		return nil, o.typeErr("string")
	}
	if escaped {
		o.buf = out[:0]
	}
	return out, nil
}

// String returns the current value, a string, as a new Go string.
func (o *Object) String() (string, error) {
	b, err := o.Str()
	return string(b), err
}

// Int returns the current value, an integer.
func (o *Object) Int() (int64, error) {
	v := o.val
	if len(v) == 0 {
		return 0, o.typeErr("integer")
	}
	// Fast path: plain decimal digits fit in int64 up to 18 of them.
	neg := v[0] == '-'
	d := v
	if neg {
		d = v[1:]
	}
	if n := len(d); n > 0 && n <= 18 && (n == 1 || d[0] != '0') {
		var x int64
		for _, c := range d {
			if c < '0' || c > '9' {
				return o.slowInt()
			}
			x = x*10 + int64(c-'0')
		}
		if neg {
			x = -x
		}
		return x, nil
	}
	return o.slowInt()
}

func (o *Object) slowInt() (int64, error) {
	x, err := strconv.ParseInt(unsafeString(o.val), 10, 64)
	if err != nil {
		return 0, o.typeErr("integer")
	}
	return x, nil
}

// Float returns the current value, a number.
func (o *Object) Float() (float64, error) {
	if len(o.val) == 0 || !isNumberStart(o.val[0]) {
		return 0, o.typeErr("number")
	}
	x, err := strconv.ParseFloat(unsafeString(o.val), 64)
	if err != nil {
		return 0, o.typeErr("number")
	}
	return x, nil
}

// Bool returns the current value, true or false.
func (o *Object) Bool() (bool, error) {
	switch string(o.val) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, o.typeErr("boolean")
}

// Time returns the current value, an RFC 3339 string as encoding/json
// writes time.Time.
func (o *Object) Time() (time.Time, error) {
	b, err := o.Str()
	if err != nil {
		return time.Time{}, o.typeErr("RFC 3339 time")
	}
	if t, ok := parseRFC3339UTC(b); ok {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339Nano, string(b))
	if err != nil {
		return time.Time{}, o.typeErr("RFC 3339 time")
	}
	return t, nil
}

// OptTime returns the current value as a time, or the zero time for null.
func (o *Object) OptTime() (time.Time, error) {
	if o.IsNull() {
		return time.Time{}, nil
	}
	return o.Time()
}

func (o *Object) typeErr(want string) error {
	return fmt.Errorf("eventjson: field %q: want %s, got %.40s", o.key, want, o.val)
}

func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

func isNumberStart(c byte) bool { return c == '-' || (c >= '0' && c <= '9') }

// strSpecial marks the bytes that end the fast path of scanString.
var strSpecial = func() (t [256]uint8) {
	for c := 0; c < 0x20; c++ {
		t[c] = 1
	}
	t['"'], t['\\'] = 1, 1
	for c := 0x80; c < 0x100; c++ {
		t[c] = 2
	}
	return t
}()

// scanString moves past a string starting at o.i and returns it quoted;
// plain reports that it holds neither escapes nor non-ASCII bytes.
func (o *Object) scanString() (raw []byte, plain bool) {
	if o.i >= len(o.data) || o.data[o.i] != '"' {
		o.fail("expected string")
		return nil, false
	}
	start := o.i
	plain = true
	d := o.data
	for j := o.i + 1; j < len(d); j++ {
		c := d[j]
		switch strSpecial[c] {
		case 0:
			continue
		case 2:
			plain = false
			continue
		}
		switch {
		case c == '\\':
			plain = false
			j++
		case c == '"':
			o.i = j + 1
			o.ok = true
			return d[start:o.i], plain
		default:
			o.i = j
			o.fail("control character in string")
			return nil, false
		}
	}
	o.fail("unterminated string")
	return nil, false
}

// maxDepth bounds nesting so hostile input cannot exhaust the stack.
const maxDepth = 512

// skipValue moves past one value starting at o.i.
func (o *Object) skipValue(depth int) bool {
	if depth > maxDepth {
		o.fail("nesting too deep")
		return false
	}
	if o.i >= len(o.data) {
		o.fail("expected a value")
		return false
	}
	switch c := o.data[o.i]; {
	case c == '"':
		o.ok = false
		o.scanString()
		return o.ok
	case c == '{' || c == '[':
		return o.skipContainer(c, depth)
	case c == 't':
		return o.literal("true")
	case c == 'f':
		return o.literal("false")
	case c == 'n':
		return o.literal("null")
	case isNumberStart(c):
		j := o.i
		for j < len(o.data) && isNumberByte(o.data[j]) {
			j++
		}
		if !validNumber(o.data[o.i:j]) {
			o.fail("bad number")
			return false
		}
		o.i = j
		return true
	}
	o.fail("unexpected character")
	return false
}

func isNumberByte(c byte) bool {
	return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}

// validNumber checks the JSON number grammar.
func validNumber(b []byte) bool {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return false
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return false
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	return i == len(b)
}

func (o *Object) literal(lit string) bool {
	if len(o.data)-o.i < len(lit) || string(o.data[o.i:o.i+len(lit)]) != lit {
		o.fail("bad literal")
		return false
	}
	o.i += len(lit)
	return true
}

func (o *Object) skipContainer(open byte, depth int) bool {
	closer := byte('}')
	if open == '[' {
		closer = ']'
	}
	o.i++
	o.skipSpace()
	if o.i < len(o.data) && o.data[o.i] == closer {
		o.i++
		return true
	}
	for {
		o.skipSpace()
		if open == '{' {
			o.ok = false
			if o.scanString(); !o.ok {
				return false
			}
			o.skipSpace()
			if o.i >= len(o.data) || o.data[o.i] != ':' {
				o.fail("expected ':'")
				return false
			}
			o.i++
			o.skipSpace()
		}
		if !o.skipValue(depth + 1) {
			return false
		}
		o.skipSpace()
		if o.i >= len(o.data) {
			o.fail("unterminated container")
			return false
		}
		switch o.data[o.i] {
		case ',':
			o.i++
		case closer:
			o.i++
			return true
		default:
			o.fail("expected ',' or closing bracket")
			return false
		}
	}
}

// unquote returns the content of the quoted string q. Strings without
// escapes are returned as views of q (escaped false); escaped ones are
// decoded into dst, which must not alias q.
func unquote(q []byte, plain bool, dst []byte) (out []byte, escaped, ok bool) {
	inner := q[1 : len(q)-1]
	if plain {
		return inner, false, true
	}
	high := false
	for _, c := range inner {
		high = high || c >= 0x80
		if c == '\\' {
			var s string
			if err := json.Unmarshal(q, &s); err != nil {
				return nil, false, false
			}
			return append(dst, s...), true, true
		}
	}
	if high && !utf8.Valid(inner) {
		// encoding/json replaces invalid UTF-8 with U+FFFD; do the same.
		for len(inner) > 0 {
			r, n := utf8.DecodeRune(inner)
			dst = utf8.AppendRune(dst, r) // RuneError for each bad byte
			inner = inner[n:]
		}
		return dst, true, true
	}
	return inner, false, true
}
