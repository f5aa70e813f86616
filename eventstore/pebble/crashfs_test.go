package pebble

import (
	"errors"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/recoupledger/recoup/eventstore"
)

// TestCrashableFS appends from many goroutines on Pebble's crashable
// in-memory file system, takes a crash image at a random moment (keeping
// a random share of the unsynced writes), and opens the store on the
// image: every append acknowledged before the image is there whole, no
// append is partly visible, and appends continue. Each round crashes the
// image of the previous round again.
func TestCrashableFS(t *testing.T) {
	rounds := envInt(t, "RECOUP_CRASH_ROUNDS", 20) / 2
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 11))
	fs := vfs.NewCrashableMem()
	for round := range max(rounds, 1) {
		s, err := Open("/store", Options{FS: fs})
		if err != nil {
			t.Fatalf("round %d: open: %v", round, err)
		}
		var mu sync.Mutex
		var acks []ack
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for g := range 8 {
			seed := rng.Uint64() // drawn here: rng is not for concurrent use
			wg.Go(func() {
				grng := rand.New(rand.NewPCG(seed, uint64(g)))
				for {
					select {
					case <-stop:
						return
					default:
					}
					line, err := crashAppend(s, g, grng)
					if errors.Is(err, eventstore.ErrClosed) {
						return
					}
					if err != nil {
						t.Errorf("append: %v", err)
						return
					}
					mu.Lock()
					acks = append(acks, parseAck(t, line))
					mu.Unlock()
				}
			})
		}
		time.Sleep(time.Duration(5+rng.IntN(60)) * time.Millisecond)
		// Acknowledged before the image: synced before it.
		mu.Lock()
		acked := append([]ack(nil), acks...)
		mu.Unlock()
		crashed := fs.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: rng.IntN(101), RNG: rand.New(rand.NewPCG(rng.Uint64(), 1))})
		close(stop)
		wg.Wait()
		s.Close()
		if len(acked) == 0 {
			t.Logf("round %d: no append acknowledged before the image", round)
		}
		fs = crashed
		s, err = Open("/store", Options{FS: fs})
		if err != nil {
			t.Fatalf("round %d: open crash image: %v", round, err)
		}
		verifyRecovered(t, s, round, acked)
		s.Close()
	}
}
