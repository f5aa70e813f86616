package pebble

import (
	"encoding/binary"
	"fmt"

	"github.com/recoupledger/recoup/eventstore"
)

// run is what one append wrote to one stream: count consecutive revisions
// from the run's first revision (in its key), at consecutive positions from
// firstPos. An append's events always get consecutive positions, so one
// s/ entry per append replaces one per event: bulk appends write a single
// index key, and stream reads walk the global log sequentially.
type run struct {
	firstPos uint64
	count    uint64
}

// Run value: firstPos u64 big-endian, count u64 big-endian.
const runSize = 16

func appendRun(dst []byte, r run) []byte {
	dst = binary.BigEndian.AppendUint64(dst, r.firstPos)
	return binary.BigEndian.AppendUint64(dst, r.count)
}

func decodeRun(stream string, key, val []byte) (firstRev uint64, r run, err error) {
	if len(val) != runSize || len(key) < 8 {
		return 0, run{}, &eventstore.Error{Op: "read", Stream: stream, Detail: fmt.Sprintf("malformed revision index entry %x", key), Err: eventstore.ErrCorruptRecord}
	}
	r = run{firstPos: binary.BigEndian.Uint64(val), count: binary.BigEndian.Uint64(val[8:])}
	if r.count == 0 || r.firstPos == 0 {
		return 0, run{}, &eventstore.Error{Op: "read", Stream: stream, Detail: fmt.Sprintf("empty revision index entry %x", key), Err: eventstore.ErrCorruptRecord}
	}
	return binary.BigEndian.Uint64(key[len(key)-8:]), r, nil
}
