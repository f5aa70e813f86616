package readmodel

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// Records are stored in a compact binary form (a version byte, then
// varints and length-prefixed strings in a fixed order): encoding/json is
// far too slow for rebuilds. The JSON shape is for the API only.

// Version 2 added the invoice's pending reminders; version 1 records
// (without them) still decode.
const recordVersion = 2

var errCorrupt = errors.New("readmodel: corrupt record")

type enc struct{ b []byte }

func (e *enc) reset()          { e.b = append(e.b[:0], recordVersion) }
func (e *enc) u(v uint64)      { e.b = binary.AppendUvarint(e.b, v) }
func (e *enc) i(v int64)       { e.b = binary.AppendVarint(e.b, v) }
func (e *enc) n(v int)         { e.i(int64(v)) }
func (e *enc) s(v string)      { e.u(uint64(len(v))); e.b = append(e.b, v...) }
func (e *enc) bytes(v []byte)  { e.u(uint64(len(v))); e.b = append(e.b, v...) }
func (e *enc) f(v bool)        { e.b = append(e.b, boolByte(v)) }
func (e *enc) tp(v *time.Time) { e.t(deref(v)) }

// t writes a time as Unix nanoseconds, with 0 for the zero time.
func (e *enc) t(v time.Time) {
	if v.IsZero() {
		e.u(0)
		return
	}
	e.u(1)
	e.i(v.UnixNano())
}

func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}

func deref(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

type dec struct {
	b       []byte
	err     error
	version byte
}

func newDec(b []byte) *dec {
	d := &dec{b: b}
	if len(b) == 0 || b[0] < 1 || b[0] > recordVersion {
		d.err = fmt.Errorf("%w: version byte", errCorrupt)
		return d
	}
	d.b, d.version = b[1:], b[0]
	return d
}

func (d *dec) fail() {
	if d.err == nil {
		d.err = errCorrupt
	}
	d.b = nil
}

func (d *dec) u() uint64 {
	if d.err != nil {
		return 0
	}
	v, k := binary.Uvarint(d.b)
	if k <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[k:]
	return v
}

func (d *dec) i() int64 {
	if d.err != nil {
		return 0
	}
	v, k := binary.Varint(d.b)
	if k <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[k:]
	return v
}

func (d *dec) n() int { return int(d.i()) }

func (d *dec) raw() []byte {
	l := d.u()
	if d.err != nil || l > uint64(len(d.b)) {
		d.fail()
		return nil
	}
	v := d.b[:l]
	d.b = d.b[l:]
	return v
}

func (d *dec) s() string { return string(d.raw()) }

func (d *dec) f() bool {
	if d.err != nil || len(d.b) == 0 || d.b[0] > 1 {
		d.fail()
		return false
	}
	v := d.b[0] == 1
	d.b = d.b[1:]
	return v
}

func (d *dec) t() time.Time {
	switch d.u() {
	case 0:
		return time.Time{}
	case 1:
		return time.Unix(0, d.i()).UTC()
	}
	d.fail()
	return time.Time{}
}

func (d *dec) tp() *time.Time {
	t := d.t()
	if t.IsZero() {
		return nil
	}
	return &t
}

// done reports the first error, or trailing bytes as corruption.
func (d *dec) done() error {
	if d.err == nil && len(d.b) != 0 {
		d.err = fmt.Errorf("%w: %d trailing bytes", errCorrupt, len(d.b))
	}
	return d.err
}
