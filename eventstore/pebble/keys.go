package pebble

import (
	"encoding/binary"

	"github.com/google/uuid"
)

// Key prefixes; see doc.go for the layout. Stream names never contain
// control characters, so the 0x00 separator after a stream name keeps the
// keys of one stream contiguous and apart from every other stream's.
var (
	prefixGlobal = []byte("g/")
	prefixStream = []byte("s/")
	prefixIndex  = []byte("x/")
	prefixHead   = []byte("h/")
	prefixMeta   = []byte("m/")
)

const sep = 0x00

// globalKey is g/<pos as 8 bytes big-endian>.
func globalKey(dst []byte, pos uint64) []byte {
	dst = append(dst, prefixGlobal...)
	return binary.BigEndian.AppendUint64(dst, pos)
}

// globalPos parses a global key; ok is false for a malformed one.
func globalPos(key []byte) (uint64, bool) {
	if len(key) != len(prefixGlobal)+8 || key[0] != 'g' || key[1] != '/' {
		return 0, false
	}
	return binary.BigEndian.Uint64(key[len(prefixGlobal):]), true
}

// streamPrefix is s/<stream>0x00, the prefix of all revision keys of stream.
func streamPrefix(dst []byte, stream string) []byte {
	dst = append(dst, prefixStream...)
	dst = append(dst, stream...)
	return append(dst, sep)
}

// revisionKey is s/<stream>0x00<first rev as 8 bytes big-endian> → a run
// (see run.go): the positions of the revisions one append wrote.
func revisionKey(dst []byte, stream string, rev uint64) []byte {
	return binary.BigEndian.AppendUint64(streamPrefix(dst, stream), rev)
}

// indexKey is x/<stream>0x00<event ID> → revision and position.
func indexKey(dst []byte, stream string, id uuid.UUID) []byte {
	dst = append(dst, prefixIndex...)
	dst = append(dst, stream...)
	dst = append(dst, sep)
	return append(dst, id[:]...)
}

// headKey is h/<stream> → the stream's head state.
func headKey(dst []byte, stream string) []byte {
	dst = append(dst, prefixHead...)
	return append(dst, stream...)
}

// metaKey is m/<stream> → the stream's metadata.
func metaKey(dst []byte, stream string) []byte {
	dst = append(dst, prefixMeta...)
	return append(dst, stream...)
}

// upperBound returns the smallest key greater than every key with prefix p.
func upperBound(p []byte) []byte {
	b := append([]byte(nil), p...)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return b[:i+1]
		}
	}
	return nil
}
