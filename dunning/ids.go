package dunning

import (
	"crypto/sha1"
	"encoding/hex"
	"hash"
	"strconv"
	"strings"
	"sync"

	"github.com/google/uuid"
)

// idSpace is the UUIDv5 namespace of every event ID the engine writes.
var idSpace = uuid.MustParse("5f1d3c1e-8b0a-4d6e-9c57-2a61f0b7e4d2")

// eventID derives an event's ID from what makes it unique ("in_1/attempt/3"),
// so that writing the same decision twice appends nothing new.
func eventID(parts ...string) uuid.UUID {
	h := sha1s.Get().(hash.Hash)
	defer sha1s.Put(h)
	return uuid.NewHash(h, idSpace, []byte(strings.Join(parts, "/")), 5) // = uuid.NewSHA1
}

// nameID is eventID of a name already joined, as bytes.
func nameID(name []byte) uuid.UUID {
	h := sha1s.Get().(hash.Hash)
	defer sha1s.Put(h)
	return uuid.NewHash(h, idSpace, name, 5)
}

// decisionID is the ID of a decided event (see emit): "<stream>@<revision>",
// or "<stream>/attempt/<n>" for an attempt (attempt >= 0). It is built in
// the engine's scratch buffer: one is derived for every event the engine
// writes.
func (e *Engine) decisionID(stream string, version, attempt int) uuid.UUID {
	b := append(e.idBuf[:0], stream...)
	if attempt >= 0 {
		b = append(b, "/attempt/"...)
		b = strconv.AppendInt(b, int64(attempt), 10)
	} else {
		b = append(b, '@')
		b = strconv.AppendInt(b, int64(version), 10)
	}
	e.idBuf = b
	return nameID(b)
}

// sha1s recycles the hashes of eventID: one is derived for every event
// the engine writes.
var sha1s = sync.Pool{New: func() any { return sha1.New() }}

// webhookID is the stable evt_ id of a webhook; receivers drop repeats.
func webhookID(key string) string {
	u := eventID("webhook", key)
	return "evt_" + hex.EncodeToString(u[:])
}

// messageID is the stable Message-ID of an email.
func messageID(key string) string {
	return eventID("email", key).String() + "@recoup"
}
