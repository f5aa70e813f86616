package storetest

import (
	"testing"

	"github.com/recoupledger/recoup/eventstore"
)

// NewStore returns a fresh store for one test and registers its cleanup.
type NewStore func(t *testing.T) eventstore.Store

// Run runs the whole contract suite.
func Run(t *testing.T, newStore NewStore) {
	t.Helper()
	groups := []struct {
		name string
		run  func(*testing.T, NewStore)
	}{
		{"ExpectedRevision", testExpectedRevision},
		{"AtomicAppend", testAtomicAppend},
		{"EventIDs", testEventIDs},
		{"IdempotentAppend", testIdempotentAppend},
		{"AppendBatch", testAppendBatch},
		{"RecordedFields", testRecordedFields},
		{"ReadStream", testReadStream},
		{"ReadAll", testReadAll},
		{"Subscribe", testSubscribe},
		{"Metadata", testMetadata},
		{"SoftDelete", testSoftDelete},
		{"Tombstone", testTombstone},
		{"BadInput", testBadInput},
		{"Racing", testRacing},
		{"Context", testContext},
		{"Close", testClose},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) { g.run(t, newStore) })
	}
}
