package dunning

import (
	"encoding/hex"
	"strings"

	"github.com/google/uuid"
)

// idSpace is the UUIDv5 namespace of every event ID the engine writes.
var idSpace = uuid.MustParse("5f1d3c1e-8b0a-4d6e-9c57-2a61f0b7e4d2")

// eventID derives an event's ID from what makes it unique ("in_1/attempt/3"),
// so that writing the same decision twice appends nothing new.
func eventID(parts ...string) uuid.UUID {
	return uuid.NewSHA1(idSpace, []byte(strings.Join(parts, "/")))
}

// webhookID is the stable evt_ id of a webhook; receivers drop repeats.
func webhookID(key string) string {
	u := eventID("webhook", key)
	return "evt_" + hex.EncodeToString(u[:])
}

// messageID is the stable Message-ID of an email.
func messageID(key string) string {
	return eventID("email", key).String() + "@recoup"
}
