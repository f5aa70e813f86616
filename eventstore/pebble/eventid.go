package pebble

import (
	crand "crypto/rand"
	"math/rand/v2"
	"sync"

	"github.com/google/uuid"
)

// idSources hands out ChaCha8 generators seeded from the operating
// system. Random version-4 IDs for events appended without one come from
// them: a bulk append needs thousands, and reading each from the system
// (as uuid.New does) costs a system call apiece.
var idSources = sync.Pool{New: func() any {
	var seed [32]byte
	crand.Read(seed[:])
	return rand.NewChaCha8(seed)
}}

// randomIDs fills ids with fresh version-4, variant RFC 4122 UUIDs.
func randomIDs(ids []*uuid.UUID) {
	src := idSources.Get().(*rand.ChaCha8)
	defer idSources.Put(src)
	for _, id := range ids {
		src.Read(id[:])
		id[6] = id[6]&0x0f | 0x40
		id[8] = id[8]&0x3f | 0x80
	}
}
