package projections

import (
	"strings"
	"unsafe"

	"github.com/recoupledger/recoup/eventstore"
)

// eventBuf is one of the Runner's batch buffers: the events of a batch
// and a copy of their bytes. The Runner subscribes with
// SubscribeOptions.Reuse, so the store may overwrite an event once the
// next is received; a batch, applied while the next one is read, must
// own its events. Copying them into blocks the buffer keeps between
// batches costs a memmove per event, where the store's fresh memory per
// event cost a catch-up an allocation of the whole log and the garbage
// collection that followed it.
type eventBuf struct {
	events []eventstore.RecordedEvent
	blocks [][]byte
	next   int    // blocks[:next] hold this batch's bytes
	cur    []byte // the block being filled
	// types interns event types: a log has few, so they are kept as
	// ordinary strings rather than copied into the blocks.
	types map[string]string
}

// eventBlock is the size of a block of event bytes.
const eventBlock = 1 << 20

// maxTypes bounds the interned event types (past it, types are copied).
const maxTypes = 4096

func newEventBuf(size int) *eventBuf {
	return &eventBuf{events: make([]eventstore.RecordedEvent, 0, size), types: map[string]string{}}
}

// reset empties the buffer: the events and bytes of the previous batch
// may be overwritten.
func (b *eventBuf) reset() {
	clear(b.events) // drop what the events point to outside the blocks
	b.events, b.next, b.cur = b.events[:0], 0, nil
	if len(b.blocks) > keptBlocks { // a burst of large events is not kept for good
		clear(b.blocks[keptBlocks:])
		b.blocks = b.blocks[:keptBlocks]
	}
}

// keptBlocks bounds the blocks a buffer keeps between batches (16 MiB).
const keptBlocks = 16

// add appends a copy of ev that owns its memory.
func (b *eventBuf) add(ev *eventstore.RecordedEvent) {
	e := *ev
	e.Type = b.intern(ev.Type)
	stream := b.copy(unsafe.Slice(unsafe.StringData(ev.Stream), len(ev.Stream)))
	e.Stream = unsafe.String(unsafe.SliceData(stream), len(stream))
	e.Data = b.copy(ev.Data)
	e.Metadata = b.copy(ev.Metadata)
	b.events = append(b.events, e)
}

func (b *eventBuf) intern(typ string) string {
	if t, ok := b.types[typ]; ok {
		return t
	}
	t := strings.Clone(typ)
	if len(b.types) < maxTypes {
		b.types[t] = t
	}
	return t
}

// copy returns a copy of p carved from the blocks (capped, so an append
// to it reallocates); nil stays nil.
func (b *eventBuf) copy(p []byte) []byte {
	if p == nil {
		return nil
	}
	if len(p) > eventBlock/4 {
		return append([]byte(nil), p...)
	}
	if cap(b.cur)-len(b.cur) < len(p) {
		if b.next == len(b.blocks) {
			b.blocks = append(b.blocks, make([]byte, 0, eventBlock))
		}
		b.cur = b.blocks[b.next][:0]
		b.next++
	}
	start := len(b.cur)
	b.cur = append(b.cur, p...)
	return b.cur[start:len(b.cur):len(b.cur)]
}
