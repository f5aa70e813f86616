package pebble

// arenaChunk is the size of the blocks an arena hands out slices from.
// Reads decode many small events; carving them from shared blocks keeps
// the allocation count per read near the number of blocks, not events.
const arenaChunk = 64 << 10

// arena hands out capped byte slices from shared blocks. It never reuses
// memory: a block lives as long as any event that points into it.
type arena struct {
	buf []byte
}

func (a *arena) alloc(n int) []byte {
	if n > arenaChunk/4 {
		return make([]byte, n)
	}
	if cap(a.buf)-len(a.buf) < n {
		a.buf = make([]byte, 0, arenaChunk)
	}
	start := len(a.buf)
	a.buf = a.buf[:start+n]
	return a.buf[start : start+n : start+n]
}
