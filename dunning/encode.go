package dunning

import (
	"encoding/json"
	"fmt"

	"github.com/recoupledger/recoup/domain"
)

// The events the engine writes are encoded as domain.Encode encodes them
// (encoding/json, HTML escaped), but by the flush that writes them, on its
// own goroutine, so that encoding overlaps the engine's next decisions
// (stage and Record keep the event; the flight encodes it before it
// appends), and into blocks of memory that the flight uses again once it
// has landed, instead of one fresh slice per event: the engine encodes
// every event it writes, and the simulator hands it its facts to encode
// too (Record), so encoding was a large share of a simulation's work on
// the engine's goroutine and of its garbage.
//
// An encoded event lives in its flight's blocks until the flight lands:
// the store has then copied it, and the batch that pointed to it is
// recycled. Events are values, and what they point to (a preset's
// schedule, a time) is never changed in place, so encoding one a little
// after it was decided gives the bytes it would have given at once.

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
// until reset.
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
// gives. The data is valid until reset.
func (e *encoder) encode(ev domain.Event) (string, []byte, error) {
	if err := e.json.Encode(ev); err != nil {
		return "", nil, fmt.Errorf("encode %s: %w", ev.EventType(), err)
	}
	data := e.w.last
	return ev.EventType(), data[: len(data)-1 : len(data)-1], nil // without Encode's newline
}

// reset makes every block the encoder filled free for reuse: the events
// encoded in them are written.
func (e *encoder) reset() {
	if len(e.w.cur) > 0 {
		e.w.used = append(e.w.used, e.w.cur)
	}
	e.w.cur = nil
	for _, b := range e.w.used {
		if len(e.free) >= maxFreeBlocks {
			break
		}
		if cap(b) == encodeBlock { // not one large event's own block
			e.free = append(e.free, b)
		}
	}
	clear(e.w.used)
	e.w.used = e.w.used[:0]
}
