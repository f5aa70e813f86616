package api

import (
	"bytes"
	"sync"
)

// bufPool recycles the buffers that request bodies are read into and
// responses encoded into, so a request costs no growing of fresh slices.
var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBuffer keeps one large body (an import, a big export) from
// pinning its memory in the pool.
const maxPooledBuffer = 64 << 10

func getBuffer() *bytes.Buffer { return bufPool.Get().(*bytes.Buffer) }

func putBuffer(b *bytes.Buffer) {
	if b.Cap() > maxPooledBuffer {
		return
	}
	b.Reset()
	bufPool.Put(b)
}
