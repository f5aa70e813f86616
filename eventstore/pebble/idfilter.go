package pebble

import (
	"encoding/binary"
	"hash/maphash"
	"math/bits"

	"github.com/google/uuid"
)

// idFilter spares the appender most reads of the (stream, event ID) index.
//
// Every append of caller-chosen IDs must prove that none of them is in the
// stream already (or that all are: a repeat), and a Pebble Get of a key
// that is not there costs a memtable search and a filter probe per level:
// it was the largest single cost of appending many small batches to many
// streams. The filter answers "certainly not there" for most of them from
// memory, exactly:
//
//   - A stream whose head the appender found absent (no h/ key) has no x/
//     entry on disk either: both are only ever written together. Such a
//     stream is born in this session, and its head remembers the filter
//     generation it was born in (head.born).
//   - Every x/ entry the appender writes is also added to the filter
//     (a blocked Bloom filter, in generations of genKeys entries).
//
// So for a stream born in generation g, an ID that none of generations g
// and later may hold is certainly not in its index, and the Get is
// skipped; a "maybe" falls back to the Get, as does any stream whose head
// was loaded from disk (born before this session, or its cache entry
// evicted). False positives only cost a Get; there are no false
// negatives, so the append's idempotency checks are unchanged. Entries of
// a refused batch part stay in the filter as harmless false positives.
//
// Memory is bounded: past maxGens generations the oldest is dropped, and
// streams born in it fall back to Gets.
type idFilter struct {
	seed  maphash.Seed
	gens  []*bloomGen
	first uint32 // generation number of gens[0]; generations count from 1
	// keys is the entries per generation, blocks its 512-bit blocks.
	keys, blocks int
}

const (
	genKeys     = 1 << 20            // entries per generation
	genBlocks   = genKeys * 10 / 512 // 512-bit blocks: about 10 bits per entry
	maxGens     = 16
	bloomProbes = 6
)

type bloomGen struct {
	blocks [][8]uint64
	n      int
}

func newIDFilter() *idFilter { return newIDFilterSized(genKeys) }

// newIDFilterSized makes generations of keys entries, about 10 bits each.
func newIDFilterSized(keys int) *idFilter {
	return &idFilter{seed: maphash.MakeSeed(), first: 1, keys: keys, blocks: max(keys*10/512, 1)}
}

// current is the number of the generation entries now go to (0: none yet).
func (f *idFilter) current() uint32 {
	return f.first + uint32(len(f.gens)) - 1
}

// birth is what a head found absent records: the current generation, or
// the next one when none exists yet (so it is never 0, which means "not
// born in this session").
func (f *idFilter) birth() uint32 {
	if len(f.gens) == 0 {
		return f.first
	}
	return f.current()
}

// streamHash is the stream's part of every entry's hash; computed once
// per append.
func (f *idFilter) streamHash(stream string) uint64 {
	return maphash.String(f.seed, stream)
}

func entryHash(sh uint64, id uuid.UUID) uint64 {
	a := binary.LittleEndian.Uint64(id[:8])
	b := binary.LittleEndian.Uint64(id[8:])
	h := sh ^ a*0x9e3779b97f4a7c15
	h = bits.RotateLeft64(h, 31) ^ b*0xc2b2ae3d27d4eb4f
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	return h ^ h>>31
}

// The top 24 bits of an entry's hash pick its 512-bit block (one cache
// line), the low 54 its bloomProbes bits in it.

// add records an x/ entry written to the index.
func (f *idFilter) add(sh uint64, id uuid.UUID) {
	if len(f.gens) == 0 || f.gens[len(f.gens)-1].n >= f.keys {
		f.gens = append(f.gens, &bloomGen{blocks: make([][8]uint64, f.blocks)})
		if len(f.gens) > maxGens {
			f.gens[0] = nil
			f.gens = f.gens[1:]
			f.first++
		}
	}
	g := f.gens[len(f.gens)-1]
	g.n++
	h := entryHash(sh, id)
	blk := g.block(h)
	for i := range bloomProbes {
		bit := (h >> (i * 9)) & 511
		blk[bit>>6] |= 1 << (bit & 63)
	}
}

// absent reports whether the index certainly holds no entry for id in a
// stream born in generation born (0: not born in this session: unknown).
func (f *idFilter) absent(born uint32, sh uint64, id uuid.UUID) bool {
	if born == 0 || born < f.first {
		return false
	}
	h := entryHash(sh, id)
	for _, g := range f.gens[born-f.first:] {
		if g.mayHold(h) {
			return false
		}
	}
	return true
}

func (g *bloomGen) mayHold(h uint64) bool {
	blk := g.block(h)
	for i := range bloomProbes {
		bit := (h >> (i * 9)) & 511
		if blk[bit>>6]&(1<<(bit&63)) == 0 {
			return false
		}
	}
	return true
}

func (g *bloomGen) block(h uint64) *[8]uint64 {
	return &g.blocks[(h>>40)*uint64(len(g.blocks))>>24]
}
