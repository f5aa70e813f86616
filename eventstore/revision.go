package eventstore

import "fmt"

type revisionKind uint8

const (
	kindAny revisionKind = iota
	kindNoStream
	kindStreamExists
	kindExact
)

// ExpectedRevision is the optimistic-concurrency condition of a write.
type ExpectedRevision struct {
	kind revisionKind
	rev  uint64
}

var (
	// Any accepts the stream in any state.
	Any = ExpectedRevision{kind: kindAny}
	// NoStream requires that the stream has no events (never written or
	// soft-deleted).
	NoStream = ExpectedRevision{kind: kindNoStream}
	// StreamExists requires that the stream has at least one event.
	StreamExists = ExpectedRevision{kind: kindStreamExists}
)

// Exact requires that the stream's last revision is n.
func Exact(n uint64) ExpectedRevision { return ExpectedRevision{kind: kindExact, rev: n} }

// IsAny, IsNoStream, IsStreamExists report the condition's kind.
func (e ExpectedRevision) IsAny() bool          { return e.kind == kindAny }
func (e ExpectedRevision) IsNoStream() bool     { return e.kind == kindNoStream }
func (e ExpectedRevision) IsStreamExists() bool { return e.kind == kindStreamExists }

// Revision returns the exact revision and true for an Exact condition.
func (e ExpectedRevision) Revision() (uint64, bool) { return e.rev, e.kind == kindExact }

// Check reports whether a stream whose last revision is current (exists
// false when it has no visible events) satisfies e.
func (e ExpectedRevision) Check(current uint64, exists bool) bool {
	switch e.kind {
	case kindAny:
		return true
	case kindNoStream:
		return !exists
	case kindStreamExists:
		return exists
	default:
		return exists && current == e.rev
	}
}

func (e ExpectedRevision) String() string {
	switch e.kind {
	case kindAny:
		return "any"
	case kindNoStream:
		return "no stream"
	case kindStreamExists:
		return "stream exists"
	default:
		return fmt.Sprintf("revision %d", e.rev)
	}
}

// CurrentRevision describes a stream's actual state in an error.
type CurrentRevision struct {
	Revision uint64
	Exists   bool
}

func (c CurrentRevision) String() string {
	if !c.Exists {
		return "no stream"
	}
	return fmt.Sprintf("revision %d", c.Revision)
}
