package pebble

import (
	"testing"

	"github.com/google/uuid"

	"github.com/recoupledger/recoup/eventstore"
	"github.com/recoupledger/recoup/eventstore/storetest"
)

// openTemp opens a store in a fresh directory, closed at the test's end.
func openTemp(t testing.TB, opts Options) (*Store, string) {
	t.Helper()
	dir := t.TempDir()
	s, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, dir
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) eventstore.Store {
		s, _ := openTemp(t, Options{})
		return s
	})
}

func TestRandomIDs(t *testing.T) {
	ids := make([]uuid.UUID, 1000)
	ptrs := make([]*uuid.UUID, len(ids))
	for i := range ids {
		ptrs[i] = &ids[i]
	}
	randomIDs(ptrs)
	seen := map[uuid.UUID]bool{}
	for _, id := range ids {
		if id.Version() != 4 || id.Variant() != uuid.RFC4122 {
			t.Fatalf("id %s: version %d variant %v, want 4 RFC4122", id, id.Version(), id.Variant())
		}
		if seen[id] {
			t.Fatalf("id %s repeated", id)
		}
		seen[id] = true
	}
}
