package kurrenttest

import (
	"fmt"
	"testing"
	"time"
)

func TestDecodeMetadata(t *testing.T) {
	cases := []struct {
		in   string
		want string // fmt of the three fields, or "error"
	}{
		{`{"$maxCount":7,"$maxAge":3600}`, "7 1h0m0s -"},
		{`{"$tb":3,"$acl":{"$r":"$all"},"custom":"x"}`, "- - 3"},
		{`{}`, "- - -"},
		{`{"$maxCount":-1}`, "error"},
		{`{"$maxCount":1.5}`, "error"},
		{`{"$maxAge":"1h"}`, "error"},
		{`[1]`, "error"},
		{`{"$maxAge":9223372036854775807}`, "error"},
	}
	for _, c := range cases {
		m, err := decodeMetadata([]byte(c.in))
		got := "error"
		if err == nil {
			got = show(m.MaxCount) + " " + showD(m.MaxAge) + " " + show(m.TruncateBefore)
		}
		if got != c.want {
			t.Errorf("decodeMetadata(%s) = %s (%v), want %s", c.in, got, err, c.want)
		}
	}
}

func show(p *uint64) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprint(*p)
}

func showD(p *time.Duration) string {
	if p == nil {
		return "-"
	}
	return p.String()
}

// FuzzDecodeMetadata checks that any accepted metadata survives an encode
// and decode unchanged, and that nothing makes the decoder panic.
func FuzzDecodeMetadata(f *testing.F) {
	f.Add([]byte(`{"$maxCount":7,"$maxAge":3600,"$tb":2}`))
	f.Add([]byte(`{"$maxAge":0}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := decodeMetadata(data)
		if err != nil {
			return
		}
		again, err := decodeMetadata(encodeMetadata(m))
		if err != nil {
			t.Fatalf("re-decode of %s: %v", encodeMetadata(m), err)
		}
		if show(m.MaxCount) != show(again.MaxCount) || showD(m.MaxAge) != showD(again.MaxAge) || show(m.TruncateBefore) != show(again.TruncateBefore) {
			t.Fatalf("round trip changed %s", data)
		}
	})
}
