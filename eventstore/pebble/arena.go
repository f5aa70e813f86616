package pebble

// arenaChunk is the size of the blocks an arena hands out slices from.
// Reads decode many small events; carving them from shared blocks keeps
// the allocation count per read near the number of blocks, not events.
const arenaChunk = 64 << 10

// arena hands out capped byte slices from shared blocks. Unless rewound
// it never reuses memory: a block lives as long as any event that points
// into it.
type arena struct {
	buf []byte
	// kept are the blocks handed out since the last rewind, when the
	// arena keeps them for reuse (keep); next is the one to reuse next.
	keep bool
	kept [][]byte
	next int
}

func (a *arena) alloc(n int) []byte {
	if n > arenaChunk/4 {
		return make([]byte, n)
	}
	if cap(a.buf)-len(a.buf) < n {
		a.buf = a.block()
	}
	start := len(a.buf)
	a.buf = a.buf[:start+n]
	return a.buf[start : start+n : start+n]
}

// block returns an empty block: a kept one if any is left, else a new
// one (kept too when keep is set).
func (a *arena) block() []byte {
	if !a.keep {
		return make([]byte, 0, arenaChunk)
	}
	if a.next == len(a.kept) {
		a.kept = append(a.kept, make([]byte, 0, arenaChunk))
	}
	a.next++
	return a.kept[a.next-1][:0]
}

// rewind makes the kept blocks available again: every slice handed out
// before may be overwritten.
func (a *arena) rewind() {
	a.buf, a.next = nil, 0
}
