package pebble

import (
	"testing"

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
