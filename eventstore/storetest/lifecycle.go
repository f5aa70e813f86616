package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/recoupledger/recoup/eventstore"
)

func testContext(t *testing.T, newStore NewStore) {
	s := newStore(t)
	n := newNames()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	stream := n.stream("ctx")
	_, err := s.Append(ctx, stream, eventstore.Any, event(n.typ("Ctx"), 0))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("append with a canceled context: %v, want context.Canceled", err)
	}
	_, err = s.ReadStream(ctxT(t), stream, eventstore.ReadStreamOptions{})
	expectErr(t, "read after canceled append", err, eventstore.ErrStreamNotFound)
}

func testClose(t *testing.T, newStore NewStore) {
	s := newStore(t)
	n := newNames()
	mustAppend(t, s, n.stream("c"), eventstore.NoStream, event(n.typ("Close"), 0))
	if err := s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	_, err := s.Append(context.Background(), n.stream("c"), eventstore.Any, event(n.typ("Close"), 1))
	expectErr(t, "append after close", err, eventstore.ErrClosed)
	_, err = s.ReadStream(context.Background(), n.stream("c"), eventstore.ReadStreamOptions{})
	expectErr(t, "read after close", err, eventstore.ErrClosed)
	_, err = s.ReadAll(context.Background(), eventstore.ReadAllOptions{})
	expectErr(t, "read $all after close", err, eventstore.ErrClosed)
	_, err = s.SubscribeToAll(context.Background(), eventstore.SubscribeOptions{})
	expectErr(t, "subscribe after close", err, eventstore.ErrClosed)
}
