package pebble

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"time"
	"unsafe"

	"github.com/google/uuid"

	"github.com/recoupledger/recoup/eventstore"
)

// Record layout (little-endian integers), stored under g/<pos>:
//
//	0  crc32c   uint32  over the 8-byte big-endian position, then bytes 4..end
//	4  version  uint8   recordVersion
//	5  content  uint8   contentJSON | contentBinary
//	6  revision uint64
//	14 created  int64   unix nanoseconds
//	22 id       [16]byte
//	38 stream, type, data, metadata: each a uvarint length then the bytes
//
// The checksum covers the position too, so a record found under the wrong
// key is as corrupt as one with a flipped bit.
const (
	recordVersion = 1
	offVersion    = 4
	offContent    = 5
	offRevision   = 6
	offCreated    = 14
	offID         = 22
	recordHeader  = 38
)

const (
	contentJSON   = 0
	contentBinary = 1
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// encodeRecord appends an unsealed record to dst: revision, created time
// and checksum are left zero for sealRecord, which the appender calls once
// it has assigned them. Encoding happens in the caller's goroutine so the
// appender only patches fixed offsets.
func encodeRecord(dst []byte, stream string, id uuid.UUID, e *eventstore.EventData) []byte {
	var hdr [recordHeader]byte
	hdr[offVersion] = recordVersion
	if e.ContentType == eventstore.ContentTypeBinary {
		hdr[offContent] = contentBinary
	}
	copy(hdr[offID:], id[:])
	dst = append(dst, hdr[:]...)
	dst = appendBytes(dst, stream)
	dst = appendBytes(dst, e.Type)
	dst = appendBytes(dst, e.Data)
	return appendBytes(dst, e.Metadata)
}

func appendBytes[T string | []byte](dst []byte, b T) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(b)))
	return append(dst, b...)
}

// encodedSize is the length encodeRecord will produce.
func encodedSize(stream string, e *eventstore.EventData) int {
	n := recordHeader
	for _, l := range [...]int{len(stream), len(e.Type), len(e.Data), len(e.Metadata)} {
		n += uvarintLen(uint64(l)) + l
	}
	return n
}

func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// sealRecord sets the revision and created time and computes the checksum.
func sealRecord(rec []byte, pos, rev uint64, created int64) {
	binary.LittleEndian.PutUint64(rec[offRevision:], rev)
	binary.LittleEndian.PutUint64(rec[offCreated:], uint64(created))
	binary.LittleEndian.PutUint32(rec, recordChecksum(pos, rec))
}

func recordChecksum(pos uint64, rec []byte) uint32 {
	var p [8]byte
	binary.BigEndian.PutUint64(p[:], pos)
	return crc32.Update(crc32.Update(0, castagnoli, p[:]), castagnoli, rec[offVersion:])
}

// recordView is a parsed record whose slices alias the stored bytes.
type recordView struct {
	revision uint64
	created  int64
	id       uuid.UUID
	content  byte
	stream   []byte
	typ      []byte
	data     []byte
	metadata []byte
	// tail is everything after the fixed header, and off the offsets of
	// stream, type, data and metadata within it: materialize copies tail
	// in one move and slices the fields out of the copy.
	tail []byte
	off  [4]int
}

// parseRecord verifies and parses the record stored at pos. Any mismatch
// (checksum, version, lengths, trailing bytes) is ErrCorruptRecord.
func parseRecord(pos uint64, b []byte) (recordView, error) {
	var v recordView
	if len(b) < recordHeader {
		return v, corrupt(pos, "record shorter than its header")
	}
	if binary.LittleEndian.Uint32(b) != recordChecksum(pos, b) {
		return v, corrupt(pos, "checksum mismatch")
	}
	if b[offVersion] != recordVersion {
		return v, corrupt(pos, fmt.Sprintf("unknown record version %d", b[offVersion]))
	}
	v.content = b[offContent]
	if v.content > contentBinary {
		return v, corrupt(pos, fmt.Sprintf("unknown content type %d", v.content))
	}
	v.revision = binary.LittleEndian.Uint64(b[offRevision:])
	v.created = int64(binary.LittleEndian.Uint64(b[offCreated:]))
	copy(v.id[:], b[offID:])
	v.tail = b[recordHeader:]
	rest := v.tail
	var ok bool
	for i, f := range [...]*[]byte{&v.stream, &v.typ, &v.data, &v.metadata} {
		if *f, rest, ok = readBytes(rest); !ok {
			return v, corrupt(pos, "field length out of range")
		}
		v.off[i] = len(v.tail) - len(rest) - len(*f)
	}
	if len(rest) != 0 {
		return v, corrupt(pos, "trailing bytes")
	}
	return v, nil
}

func readBytes(b []byte) (field, rest []byte, ok bool) {
	n, w := binary.Uvarint(b)
	if w <= 0 || n > uint64(len(b)-w) {
		return nil, nil, false
	}
	end := w + int(n)
	return b[w:end:end], b[end:], true
}

func corrupt(pos uint64, detail string) error {
	return &eventstore.Error{Op: "read", Detail: fmt.Sprintf("record at position %d: %s", pos, detail), Err: eventstore.ErrCorruptRecord}
}

// materialize copies the view into e, with one allocation from a and one
// copy for the variable-length fields. The strings alias that allocation,
// which nothing writes to again (the byte slices are capped so appends
// reallocate).
func (v *recordView) materialize(a *arena, pos uint64, e *eventstore.RecordedEvent) {
	buf := a.alloc(len(v.tail))
	copy(buf, v.tail)
	field := func(i, n int) []byte { return buf[v.off[i] : v.off[i]+n : v.off[i]+n] }
	*e = eventstore.RecordedEvent{
		ID:          v.id,
		Stream:      bytesString(field(0, len(v.stream))),
		Revision:    v.revision,
		Position:    eventstore.Position{Commit: pos, Prepare: pos},
		Type:        bytesString(field(1, len(v.typ))),
		ContentType: eventstore.ContentTypeJSON,
		Created:     time.Unix(0, v.created).UTC(),
	}
	if v.content == contentBinary {
		e.ContentType = eventstore.ContentTypeBinary
	}
	if len(v.data) > 0 {
		e.Data = field(2, len(v.data))
	}
	if len(v.metadata) > 0 {
		e.Metadata = field(3, len(v.metadata))
	}
}

func bytesString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
