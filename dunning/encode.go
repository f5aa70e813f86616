package dunning

import (
	"encoding/json"
	"fmt"

	"github.com/recoupledger/recoup/domain"
)

// The events the engine writes are encoded as domain.Encode encodes them
// (encoding/json, HTML escaped), but into blocks of memory that are used
// again once the flush that wrote them has landed, instead of one fresh
// slice per event: the engine encodes every event it writes, and the
// simulator hands it its facts to encode too (Record), so the garbage of
// encoding was a large share of what a simulation's collector worked on.
//
// An encoded event lives in the block until its flush lands: the store
// has then copied it, and the batch that pointed to it is recycled.

// encodeBlock is the size of the blocks events are encoded into.
const encodeBlock = 64 << 10

// maxFreeBlocks bounds the blocks kept for reuse.
const maxFreeBlocks = 256

// encoder is the engine's event encoder.
type encoder struct {
	json *json.Encoder
	w    blockWriter
	free [][]byte
}

// blockWriter collects what the JSON encoder writes in the current block,
// starting a new one when an event does not fit; full blocks wait in used
// until the flush that carries their events takes them.
type blockWriter struct {
	enc  *encoder
	cur  []byte
	used [][]byte
	last []byte // what the last Write wrote
}

func (w *blockWriter) Write(p []byte) (int, error) {
	if cap(w.cur)-len(w.cur) < len(p) {
		if len(w.cur) > 0 {
			w.used = append(w.used, w.cur)
		}
		w.cur = w.enc.block(len(p))
	}
	start := len(w.cur)
	w.cur = append(w.cur, p...)
	w.last = w.cur[start:len(w.cur):len(w.cur)]
	return len(p), nil
}

func newEncoder() *encoder {
	e := &encoder{}
	e.w.enc = e
	e.json = json.NewEncoder(&e.w)
	return e
}

// block returns an empty block with room for n bytes.
func (e *encoder) block(n int) []byte {
	if n <= encodeBlock {
		if k := len(e.free); k > 0 {
			b := e.free[k-1]
			e.free[k-1] = nil
			e.free = e.free[:k-1]
			return b[:0]
		}
		n = encodeBlock
	}
	return make([]byte, 0, n)
}

// encode returns ev's stored type and JSON data, the bytes domain.Encode
// gives. The data is valid until the blocks are handed to a flight (take)
// and that flight lands (reuse).
func (e *encoder) encode(ev domain.Event) (string, []byte, error) {
	if err := e.json.Encode(ev); err != nil {
		return "", nil, fmt.Errorf("encode %s: %w", ev.EventType(), err)
	}
	data := e.w.last
	return ev.EventType(), data[: len(data)-1 : len(data)-1], nil // without Encode's newline
}

// take hands over every block holding encoded events (for the flush that
// writes them); encoding goes on in fresh blocks.
func (e *encoder) take() [][]byte {
	bs := e.w.used
	if len(e.w.cur) > 0 {
		bs = append(bs, e.w.cur)
		e.w.cur = nil
	}
	e.w.used = nil
	return bs
}

// reuse takes back blocks whose events are written.
func (e *encoder) reuse(bs [][]byte) {
	for _, b := range bs {
		if len(e.free) >= maxFreeBlocks {
			return
		}
		if cap(b) != encodeBlock {
			continue // one large event's own block
		}
		e.free = append(e.free, b)
	}
}
