package readmodel

import "hash/maphash"

// absent remembers, after a Reset, which record IDs were ever written, as
// a Bloom filter: an ID it has never seen cannot be in the database, so a
// rebuild creating millions of records skips a Pebble read for each.
// Past its capacity (set per table) it switches itself off (answers are then always
// "maybe": still exact, no longer a shortcut). Without a Reset in this
// process it is off and every cache miss reads Pebble.
type absent struct {
	on       bool
	bits     []uint64
	n        int
	capacity int
	seed     maphash.Seed
}

// bloomBits per expected entry and probes: about 1% false positives.
const (
	bloomBitsPerEntry = 10
	bloomProbes       = 7
)

// reset empties the filter, sized for capacity entries.
func (a *absent) reset(capacity int) {
	a.on, a.n, a.capacity, a.seed = true, 0, capacity, maphash.MakeSeed()
	a.bits = make([]uint64, max(1, capacity*bloomBitsPerEntry/64))
}

func (a *absent) hashes(id []byte) (uint64, uint64) {
	h := maphash.Bytes(a.seed, id)
	return h, h>>33 | h<<31
}

// add records that id may exist.
func (a *absent) add(id string) {
	if !a.on {
		return
	}
	if a.n++; a.n > a.capacity {
		a.on = false // saturated: fall back to reading
		return
	}
	h1, h2 := a.hashes([]byte(id))
	m := uint64(len(a.bits) * 64)
	for i := range uint64(bloomProbes) {
		b := (h1 + i*h2) % m
		a.bits[b/64] |= 1 << (b % 64)
	}
}

// surely reports that id was never added, so it is not in the database.
func (a *absent) surely(id []byte) bool {
	if !a.on {
		return false
	}
	h1, h2 := a.hashes(id)
	m := uint64(len(a.bits) * 64)
	for i := range uint64(bloomProbes) {
		b := (h1 + i*h2) % m
		if a.bits[b/64]&(1<<(b%64)) == 0 {
			return true
		}
	}
	return false
}
