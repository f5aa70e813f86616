package eventstore

import (
	"errors"
	"sync"
	"testing"
	"time"
)

// TestQueueChainBreak: the first refusal is kept, a nil one is ignored,
// and Broken may be read while the store breaks the chain (run with -race).
func TestQueueChainBreak(t *testing.T) {
	var c QueueChain
	if c.Broken() != nil {
		t.Fatal("a new chain is broken")
	}
	c.Break(nil)
	if c.Broken() != nil {
		t.Fatal("Break(nil) broke the chain")
	}
	first, second := errors.New("first refusal"), errors.New("second refusal")
	var wg sync.WaitGroup
	seen := make(chan error, 1)
	wg.Go(func() { // a writer looking while the store breaks the chain
		deadline := time.Now().Add(10 * time.Second)
		for c.Broken() == nil {
			if time.Now().After(deadline) {
				seen <- errors.New("the chain never broke")
				return
			}
		}
		seen <- c.Broken()
	})
	c.Break(first)
	c.Break(second)
	wg.Wait()
	if got := <-seen; got != first {
		t.Fatalf("a reader saw %v, want the first refusal", got)
	}
	if got := c.Broken(); got != first {
		t.Fatalf("Broken() = %v, want the first refusal", got)
	}
}
