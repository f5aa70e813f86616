package api

import (
	"runtime"
	"strings"
	"testing"
	"time"
)

// A malformed body's detail names the byte once and the fault in plain
// words, without the codec's package prefix.
func TestMalformedJSONDetail(t *testing.T) {
	for body, want := range map[string]string{
		`{"colour":1,]`:        `malformed JSON at byte 12: invalid character ']' at start of string (expecting '"')`,
		`{"context":{"a":1,]}`: `malformed JSON at byte 18: invalid character ']' at start of string (expecting '"') (in context)`,
	} {
		p := asProblem(decodeBytes([]byte(body), &recommendRequest{now: time.Now()}))
		if p.Detail != want {
			t.Errorf("%s: detail %q, want %q", body, p.Detail, want)
		}
	}
}

// An import line's data is free-form JSON to the envelope: its param
// follows the body (an array's element is an index), and an empty member
// name is kept as [""].
func TestImportParamFollowsBody(t *testing.T) {
	for line, want := range map[string]string{
		`{"type":"card_activity","data":["` + "\xff" + `"]}`: `lines[1].data[0]`,
		`{"type":"card_activity","data":{"":1}}`:             `lines[1].data[""]`,
	} {
		_, err := parseImport(strings.NewReader(line+"\n"), time.Now())
		p := asProblem(err)
		if len(p.Errors) != 1 || p.Errors[0].Param != want {
			t.Errorf("%s: errors %+v, want one with param %q", line, p.Errors, want)
		}
	}
}

// The syntax re-check on the error path reads the body in place: a
// 1 MiB body refused for its first field allocates far less than itself.
func TestDecodeErrorDoesNotCopyBody(t *testing.T) {
	body := []byte(`{"colour":1,"context":{"pad":"` + strings.Repeat("x", 1<<20-64) + `"}}`)
	dst := &recommendRequest{now: time.Now()}
	if p := asProblem(decodeBytes(body, dst)); p.Code != CodeUnknownField {
		t.Fatalf("code %s, want %s", p.Code, CodeUnknownField)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range 4 {
		_ = decodeBytes(body, &recommendRequest{now: time.Now()})
	}
	runtime.ReadMemStats(&after)
	if per := (after.TotalAlloc - before.TotalAlloc) / 4; per > uint64(len(body))/8 {
		t.Errorf("a refused 1 MiB body allocates %d bytes, want under %d", per, len(body)/8)
	}
}
