package projections_test

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/recoupledger/recoup/eventstore/pebble"
	"github.com/recoupledger/recoup/internal/projbench"
)

// TestRebuildMemory rebuilds every projection from a ledger of
// RECOUP_MEMCHECK_EVENTS events (the issue states 10,000,000) in a child
// process and checks its peak resident memory stays under 1 GiB. It is
// skipped unless the variable is set: filling such a ledger takes minutes.
func TestRebuildMemory(t *testing.T) {
	if dir := os.Getenv("RECOUP_MEMCHECK_CHILD"); dir != "" {
		rebuildChild(t, dir)
		return
	}
	n, _ := strconv.Atoi(os.Getenv("RECOUP_MEMCHECK_EVENTS"))
	if n <= 0 {
		t.Skip("set RECOUP_MEMCHECK_EVENTS=10000000 to run")
	}
	dir := t.TempDir()
	s, err := pebble.Open(filepath.Join(dir, "events"), pebble.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := projbench.Fill(context.Background(), s, n, 3); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestRebuildMemory$", "-test.v")
	cmd.Env = append(os.Environ(), "RECOUP_MEMCHECK_CHILD="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	i := strings.Index(string(out), "peak_rss_kib=")
	if i < 0 {
		t.Fatalf("child did not report memory:\n%s", out)
	}
	kib, _ := strconv.Atoi(strings.Fields(string(out[i+len("peak_rss_kib="):]))[0])
	t.Logf("rebuild of %d events: peak resident %d MiB", n, kib/1024)
	if kib > 1<<20 {
		t.Fatalf("peak resident %d MiB, over 1 GiB", kib/1024)
	}
}

func rebuildChild(t *testing.T, dir string) {
	ctx := context.Background()
	s, err := pebble.Open(filepath.Join(dir, "events"), pebble.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	m, err := projbench.RebuildReadModel(ctx, s, filepath.Join(dir, "readmodel"))
	if err != nil {
		t.Fatal(err)
	}
	a, err := projbench.RebuildAnalytics(ctx, s, filepath.Join(dir, "analytics.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("read models %.0f events/s, analytics %.0f events/s", m.PerSecond(), a.PerSecond())
	t.Logf("peak_rss_kib=%d", peakRSS(t))
}

// peakRSS reads the process's high-water resident set (VmHWM) in KiB.
func peakRSS(t *testing.T) int {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status on this system")
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			n, _ := strconv.Atoi(strings.Fields(v)[0])
			return n
		}
	}
	t.Fatal("no VmHWM in /proc/self/status")
	return 0
}
