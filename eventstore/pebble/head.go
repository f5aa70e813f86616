package pebble

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"time"
	"unsafe"

	"github.com/cockroachdb/pebble/v2"

	"github.com/recoupledger/recoup/eventstore"
)

// streamState is what delete operations did to a stream.
type streamState uint8

const (
	stateLive       streamState = iota // normal; may have no events yet
	stateDeleted                       // soft-deleted; the next append revives it
	stateTombstoned                    // hard-deleted forever
)

// head is the state of one stream, stored under h/<stream>.
type head struct {
	// next is the revision the next appended event gets: the number of
	// revisions ever assigned in the stream, deleted ones included.
	next  uint64
	state streamState
	// floor hides revisions below it: set to next by a soft delete, so a
	// revived stream shows only what was appended after the delete.
	floor uint64
	// born is in memory only, in the appender's cache: the idFilter
	// generation the stream was created in during this session, or 0 when
	// its head was read from disk (see idfilter.go).
	born uint32
	// known is in memory only: the head is in the appender's filter of
	// written heads already (see appender.written).
	known bool
}

// exists reports whether the stream has visible events for expected
// revision checks: written and not deleted.
func (h head) exists() bool { return h.state == stateLive && h.next > 0 }

func (h head) current() eventstore.CurrentRevision {
	if !h.exists() {
		return eventstore.CurrentRevision{}
	}
	return eventstore.CurrentRevision{Revision: h.next - 1, Exists: true}
}

// Head value: crc32c(stream ‖ bytes 4..) u32, version u8, state u8,
// next u64, floor u64.
const headSize = 22

func encodeHead(stream string, h head) []byte {
	return appendHead(make([]byte, 0, headSize), stream, h)
}

// appendHead appends the encoded head to dst.
func appendHead(dst []byte, stream string, h head) []byte {
	dst = append(dst, make([]byte, headSize)...)
	b := dst[len(dst)-headSize:]
	b[4] = recordVersion
	b[5] = byte(h.state)
	binary.LittleEndian.PutUint64(b[6:], h.next)
	binary.LittleEndian.PutUint64(b[14:], h.floor)
	binary.LittleEndian.PutUint32(b, valueChecksum(stream, b))
	return dst
}

func decodeHead(stream string, b []byte) (head, error) {
	if len(b) != headSize || binary.LittleEndian.Uint32(b) != valueChecksum(stream, b) || b[4] != recordVersion || b[5] > byte(stateTombstoned) {
		return head{}, corruptValue("head", stream)
	}
	return head{next: binary.LittleEndian.Uint64(b[6:]), state: streamState(b[5]), floor: binary.LittleEndian.Uint64(b[14:])}, nil
}

// streamMeta is a stream's metadata plus the number of times it was
// written, which SetStreamMetadata's expected revision is checked against
// (as KurrentDB checks it against the metadata stream).
type streamMeta struct {
	writes         uint64
	hasMaxCount    bool
	maxCount       uint64
	hasMaxAge      bool
	maxAgeNanos    int64
	hasTruncate    bool
	truncateBefore uint64
}

func (m streamMeta) current() eventstore.CurrentRevision {
	if m.writes == 0 {
		return eventstore.CurrentRevision{}
	}
	return eventstore.CurrentRevision{Revision: m.writes - 1, Exists: true}
}

func (m streamMeta) public() eventstore.StreamMetadata {
	var out eventstore.StreamMetadata
	if m.hasMaxCount {
		v := m.maxCount
		out.MaxCount = &v
	}
	if m.hasMaxAge {
		v := time.Duration(m.maxAgeNanos)
		out.MaxAge = &v
	}
	if m.hasTruncate {
		v := m.truncateBefore
		out.TruncateBefore = &v
	}
	return out
}

// Metadata value: crc32c(stream ‖ bytes 4..) u32, version u8, flags u8,
// writes u64, maxCount u64, maxAge i64 ns, truncateBefore u64.
const metaSize = 38

const (
	flagMaxCount = 1 << iota
	flagMaxAge
	flagTruncate
)

func encodeMeta(stream string, m streamMeta) []byte {
	b := make([]byte, metaSize)
	b[4] = recordVersion
	if m.hasMaxCount {
		b[5] |= flagMaxCount
	}
	if m.hasMaxAge {
		b[5] |= flagMaxAge
	}
	if m.hasTruncate {
		b[5] |= flagTruncate
	}
	binary.LittleEndian.PutUint64(b[6:], m.writes)
	binary.LittleEndian.PutUint64(b[14:], m.maxCount)
	binary.LittleEndian.PutUint64(b[22:], uint64(m.maxAgeNanos))
	binary.LittleEndian.PutUint64(b[30:], m.truncateBefore)
	binary.LittleEndian.PutUint32(b, valueChecksum(stream, b))
	return b
}

func decodeMeta(stream string, b []byte) (streamMeta, error) {
	if len(b) != metaSize || binary.LittleEndian.Uint32(b) != valueChecksum(stream, b) || b[4] != recordVersion || b[5] >= flagTruncate<<1 {
		return streamMeta{}, corruptValue("metadata", stream)
	}
	return streamMeta{
		writes:         binary.LittleEndian.Uint64(b[6:]),
		hasMaxCount:    b[5]&flagMaxCount != 0,
		maxCount:       binary.LittleEndian.Uint64(b[14:]),
		hasMaxAge:      b[5]&flagMaxAge != 0,
		maxAgeNanos:    int64(binary.LittleEndian.Uint64(b[22:])),
		hasTruncate:    b[5]&flagTruncate != 0,
		truncateBefore: binary.LittleEndian.Uint64(b[30:]),
	}, nil
}

func valueChecksum(stream string, b []byte) uint32 {
	// The stream's bytes are read in place: a head is checksummed on every
	// append, and a copy would cost an allocation each time.
	return crc32.Update(crc32.Update(0, castagnoli, unsafe.Slice(unsafe.StringData(stream), len(stream))), castagnoli, b[4:])
}

func corruptValue(what, stream string) error {
	return &eventstore.Error{Op: "read", Stream: stream, Detail: fmt.Sprintf("%s value fails its checksum or layout", what), Err: eventstore.ErrCorruptRecord}
}

// indexValue is x/<stream>/<id> → revision u64, position u64.
func appendIndex(dst []byte, rev, pos uint64) []byte {
	dst = binary.LittleEndian.AppendUint64(dst, rev)
	return binary.LittleEndian.AppendUint64(dst, pos)
}

func decodeIndex(stream string, b []byte) (rev, pos uint64, err error) {
	if len(b) != 16 {
		return 0, 0, corruptValue("event ID index", stream)
	}
	return binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[8:]), nil
}

// getter is what heads and metadata are read through: the database (by the
// appender, which sees every committed write) or a snapshot (by readers,
// which need one consistent view).
type getter interface {
	Get(key []byte) ([]byte, io.Closer, error)
}

func getHead(g getter, stream string) (head, error) {
	h, _, err := lookupHead(g, stream)
	return h, err
}

// lookupHead is getHead also saying whether the stream has a stored head
// at all: a stream without one has never been written.
func lookupHead(g getter, stream string) (h head, found bool, err error) {
	v, closer, err := g.Get(headKey(nil, stream))
	if errors.Is(err, pebble.ErrNotFound) {
		return head{}, false, nil
	}
	if err != nil {
		return head{}, false, storageError("read head", stream, err)
	}
	defer closer.Close()
	h, err = decodeHead(stream, v)
	return h, err == nil, err
}

func getMeta(g getter, stream string) (streamMeta, error) {
	v, closer, err := g.Get(metaKey(nil, stream))
	if errors.Is(err, pebble.ErrNotFound) {
		return streamMeta{}, nil
	}
	if err != nil {
		return streamMeta{}, storageError("read metadata", stream, err)
	}
	defer closer.Close()
	return decodeMeta(stream, v)
}
