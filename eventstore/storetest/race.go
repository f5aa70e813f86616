package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/recoupledger/recoup/eventstore"
)

// testRacing runs appenders that race on one stream with the same
// expected revision: exactly one wins each round, the rest get a wrong
// expected version, and the stream ends with one event per round.
func testRacing(t *testing.T, newStore NewStore) {
	s := newStore(t)
	n := newNames()
	typ := n.typ("Race")
	const racers, rounds = 8, 20
	stream := n.stream("race")
	for round := range rounds {
		exp := eventstore.Exact(uint64(round - 1))
		if round == 0 {
			exp = eventstore.NoStream
		}
		wins := raceRound(t, s, stream, exp, typ, racers)
		if wins != 1 {
			t.Fatalf("round %d (expected %s): %d winners, want exactly 1", round, exp, wins)
		}
	}
	got := readAllForward(t, s, stream)
	if !equalRevs(got, seq(0, rounds-1)...) {
		t.Fatalf("raced stream holds %v, want 0..%d", revisions(got), rounds-1)
	}
	t.Run("many streams at once", func(t *testing.T) {
		const streams, per = 16, 10
		var wg sync.WaitGroup
		errs := make(chan error, streams)
		for i := range streams {
			wg.Go(func() {
				stream := n.stream(fmt.Sprintf("par-%d", i))
				for j := range per {
					exp := eventstore.Exact(uint64(j - 1))
					if j == 0 {
						exp = eventstore.NoStream
					}
					if _, err := s.Append(context.Background(), stream, exp, event(typ, j)); err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		all := allOf(t, s, n, eventstore.Start)
		seen := map[eventstore.Position]bool{}
		for _, e := range all {
			if seen[e.Position] {
				t.Fatalf("position %v used twice", e.Position)
			}
			seen[e.Position] = true
		}
		for i := range streams {
			if got := readAllForward(t, s, n.stream(fmt.Sprintf("par-%d", i))); !equalRevs(got, seq(0, per-1)...) {
				t.Fatalf("stream %d holds %v", i, revisions(got))
			}
		}
	})
}

func raceRound(t *testing.T, s eventstore.Store, stream string, exp eventstore.ExpectedRevision, typ string, racers int) int {
	t.Helper()
	var wg sync.WaitGroup
	start := make(chan struct{})
	results := make(chan error, racers)
	for i := range racers {
		wg.Go(func() {
			<-start
			_, err := s.Append(context.Background(), stream, exp, event(typ, i))
			results <- err
		})
	}
	close(start)
	wg.Wait()
	close(results)
	wins := 0
	for err := range results {
		switch {
		case err == nil:
			wins++
		case errors.Is(err, eventstore.ErrWrongExpectedVersion):
		default:
			t.Fatalf("racing append: %v", err)
		}
	}
	return wins
}
