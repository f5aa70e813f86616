package readmodel

import "encoding/binary"

// Key layout (all in the read-model database):
//
//	cp/<projection>                          checkpoint: commit, prepare (16 bytes)
//	<kind>/r/<id>                            record
//	<kind>/i/<index>\x00<value>\x00<seq:8>   → id, for listing newest first
//
// seq is the $all position (commit) of the event that created the
// record: unique, and increasing with creation. Index values are IDs and
// enum values, which never contain NUL.

func checkpointKey(name string) []byte { return []byte("cp/" + name) }

func recordKey(dst []byte, kind, id string) []byte {
	dst = append(dst[:0], kind...)
	dst = append(dst, "/r/"...)
	return append(dst, id...)
}

func indexPrefix(dst []byte, kind, index, value string) []byte {
	dst = append(dst[:0], kind...)
	dst = append(dst, "/i/"...)
	dst = append(dst, index...)
	dst = append(dst, 0)
	dst = append(dst, value...)
	return append(dst, 0)
}

func indexKey(dst []byte, kind string, ix ixEntry, seq uint64) []byte {
	dst = indexPrefix(dst, kind, ix.name, ix.value)
	return binary.BigEndian.AppendUint64(dst, seq)
}

// prefixEnd returns the smallest key after every key with prefix p.
func prefixEnd(p []byte) []byte {
	end := append([]byte(nil), p...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

// ixEntry is one index a record appears in.
type ixEntry struct{ name, value string }
