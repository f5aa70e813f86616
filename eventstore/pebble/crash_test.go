package pebble

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/recoupledger/recoup/eventstore"
)

// crashChildEnv makes the test binary act as the crash test's child: it
// appends to the store in the named directory until killed.
const crashChildEnv = "RECOUP_CRASH_CHILD_DIR"

// crashPayload is the data of every event the child appends: which append
// it belongs to and where in it, so the parent can tell a partial append.
type crashPayload struct {
	Append string `json:"append"`
	I      int    `json:"i"`
	N      int    `json:"n"`
}

// ack is one acknowledged append as the child reports it.
type ack struct {
	stream   string
	firstRev uint64
	lastRev  uint64
	lastPos  uint64
	ids      []uuid.UUID
}

// TestCrashChild is the child's body; it is skipped unless re-executed by
// TestCrash.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashChildEnv)
	if dir == "" {
		t.Skip("runs only as TestCrash's child process")
	}
	s, err := Open(dir, Options{})
	if err != nil {
		fmt.Printf("error %v\n", err)
		os.Exit(2)
	}
	var out sync.Mutex
	report := func(line string) {
		out.Lock()
		os.Stdout.WriteString(line + "\n") // one write per line: a kill never splits it
		out.Unlock()
	}
	report("ready")
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() { crashAppender(s, g, report) })
	}
	wg.Wait() // never returns: the parent kills the process
}

func crashAppender(s *Store, g int, report func(string)) {
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(g)))
	for {
		line, err := crashAppend(s, g, rng)
		if err != nil {
			report("error " + err.Error())
			return
		}
		report(line)
	}
}

// crashAppend makes one append of 1 to 5 events (now and then 50 to 250)
// and returns its ack line.
func crashAppend(s *Store, g int, rng *rand.Rand) (string, error) {
	{
		stream := fmt.Sprintf("crash-%d-%d", g, rng.IntN(4))
		n := 1 + rng.IntN(5)
		if rng.IntN(10) == 0 {
			n = 50 + rng.IntN(200) // now and then a large append
		}
		appendID := uuid.NewString()
		evs := make([]eventstore.EventData, n)
		ids := make([]string, n)
		for i := range evs {
			data, _ := json.Marshal(crashPayload{Append: appendID, I: i, N: n})
			evs[i] = eventstore.EventData{ID: uuid.New(), Type: "CrashTested", Data: data}
			ids[i] = evs[i].ID.String()
		}
		res, err := s.Append(context.Background(), stream, eventstore.Any, evs...)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("ack %s %d %d %d %s", stream, res.NextExpectedRevision+1-uint64(n), res.NextExpectedRevision, res.Position.Commit, strings.Join(ids, ",")), nil
	}
}

// TestCrash kills a child process that appends from 16 goroutines at a
// random moment, RECOUP_CRASH_ROUNDS times (default 20), and checks after
// each kill that every acknowledged append is there whole, at its
// revisions and position, that no append is partly visible, and that the
// store takes appends again.
func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns child processes")
	}
	rounds := envInt(t, "RECOUP_CRASH_ROUNDS", 20)
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	start := time.Now()
	total := 0
	for round := range rounds {
		acks := runCrashChild(t, dir, time.Duration(10+rng.IntN(150))*time.Millisecond)
		total += len(acks)
		verifyAfterCrash(t, dir, round, acks)
	}
	t.Logf("%d rounds, %d acknowledged appends checked, in %v", rounds, total, time.Since(start).Round(time.Millisecond))
}

// runCrashChild starts the child, lets it append for about d after it is
// ready, kills it with SIGKILL and returns the appends it acknowledged.
func runCrashChild(t *testing.T, dir string, d time.Duration) []ack {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1024)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	var acks []ack
	killAt := time.After(30 * time.Second) // only if the child never gets ready
	killed := false
	for line := range lines {
		switch {
		case line == "ready":
			killAt = time.After(d)
		case strings.HasPrefix(line, "ack "):
			acks = append(acks, parseAck(t, line))
		case strings.HasPrefix(line, "error "):
			cmd.Process.Kill()
			t.Fatalf("child: %s", line)
		}
		if !killed {
			select {
			case <-killAt:
				cmd.Process.Signal(syscall.SIGKILL)
				killed = true
			default:
			}
		}
	}
	if !killed {
		cmd.Process.Signal(syscall.SIGKILL)
	}
	cmd.Wait()
	if len(acks) == 0 {
		t.Fatal("the child acknowledged no append before it was killed")
	}
	return acks
}

func parseAck(t *testing.T, line string) ack {
	f := strings.Fields(line)
	if len(f) != 6 {
		t.Fatalf("malformed ack %q", line)
	}
	var a ack
	var err error
	a.stream = f[1]
	nums := []*uint64{&a.firstRev, &a.lastRev, &a.lastPos}
	for i, p := range nums {
		if *p, err = strconv.ParseUint(f[2+i], 10, 64); err != nil {
			t.Fatalf("ack %q: %v", line, err)
		}
	}
	for _, s := range strings.Split(f[5], ",") {
		a.ids = append(a.ids, uuid.MustParse(s))
	}
	return a
}

func verifyAfterCrash(t *testing.T, dir string, round int, acks []ack) {
	t.Helper()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatalf("round %d: reopen after kill: %v", round, err)
	}
	defer s.Close()
	verifyRecovered(t, s, round, acks)
}

// verifyRecovered checks a store reopened after a crash against the
// appends acknowledged before it.
func verifyRecovered(t *testing.T, s *Store, round int, acks []ack) {
	t.Helper()
	ctx := context.Background()
	for _, a := range acks {
		evs, err := s.ReadStream(ctx, a.stream, eventstore.ReadStreamOptions{From: a.firstRev, Count: a.lastRev - a.firstRev + 1})
		if err != nil {
			t.Fatalf("round %d: acknowledged append to %s lost: %v", round, a.stream, err)
		}
		if len(evs) != len(a.ids) {
			t.Fatalf("round %d: acknowledged append of %d events to %s@%d has %d", round, len(a.ids), a.stream, a.firstRev, len(evs))
		}
		for i, e := range evs {
			if e.ID != a.ids[i] || e.Revision != a.firstRev+uint64(i) {
				t.Fatalf("round %d: %s@%d is %s, acknowledged %s", round, a.stream, a.firstRev+uint64(i), e.ID, a.ids[i])
			}
		}
		if last := evs[len(evs)-1].Position.Commit; last != a.lastPos {
			t.Fatalf("round %d: %s@%d at position %d, acknowledged at %d", round, a.stream, a.lastRev, last, a.lastPos)
		}
	}
	checkWholeAppends(t, s, round)
	// Appends continue where the log ends.
	res, err := s.Append(ctx, "crash-parent", eventstore.Any, eventstore.EventData{Type: "Recovered", Data: []byte(`{}`)})
	if err != nil {
		t.Fatalf("round %d: append after recovery: %v", round, err)
	}
	if last := s.lastPos.Load(); res.Position.Commit != last {
		t.Fatalf("round %d: append after recovery at %d, log ends at %d", round, res.Position.Commit, last)
	}
}

// checkWholeAppends reads $all and checks every append of the child is
// complete and contiguous: no append is partly visible.
func checkWholeAppends(t *testing.T, s *Store, round int) {
	t.Helper()
	all, err := s.ReadAll(context.Background(), eventstore.ReadAllOptions{})
	if err != nil {
		t.Fatalf("round %d: read $all: %v", round, err)
	}
	for i := 0; i < len(all); {
		if all[i].Type != "CrashTested" {
			i++
			continue
		}
		var p crashPayload
		if err := json.Unmarshal(all[i].Data, &p); err != nil {
			t.Fatalf("round %d: payload at %d: %v", round, all[i].Position.Commit, err)
		}
		if p.I != 0 || i+p.N > len(all) {
			t.Fatalf("round %d: append %s starts at its event %d of %d (position %d)", round, p.Append, p.I, p.N, all[i].Position.Commit)
		}
		for k := range p.N {
			var q crashPayload
			e := all[i+k]
			if json.Unmarshal(e.Data, &q) != nil || q.Append != p.Append || q.I != k || e.Stream != all[i].Stream || e.Revision != all[i].Revision+uint64(k) {
				t.Fatalf("round %d: append %s of %d events is not whole in $all at position %d", round, p.Append, p.N, e.Position.Commit)
			}
		}
		i += p.N
	}
}
