package main

import (
	"io"
	"os"
	"sync"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// simProgress draws progress bars on stderr for the simulator's long jobs
// (eval, simulate), and only when stderr is a terminal, so that piped
// output and logs stay clean.
type simProgress struct {
	p    *mpb.Progress
	mu   sync.Mutex
	bars map[string]*mpb.Bar
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// newSimProgress returns nil (no bars) when out is not a terminal.
func newSimProgress(out io.Writer) *simProgress {
	f, ok := out.(*os.File)
	if !ok || !isTerminal(f) {
		return nil
	}
	return &simProgress{p: mpb.New(mpb.WithOutput(out), mpb.WithWidth(40)), bars: map[string]*mpb.Bar{}}
}

// set moves the named bar to done of total, creating it on first use.
func (s *simProgress) set(name string, done, total int64) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.bars[name]
	if !ok {
		b = s.p.AddBar(total,
			mpb.PrependDecorators(decor.Name(name, decor.WCSyncSpaceR), decor.CountersNoUnit("%d / %d", decor.WCSyncSpace)),
			mpb.AppendDecorators(decor.Percentage(decor.WCSyncSpace), decor.Elapsed(decor.ET_STYLE_GO, decor.WCSyncSpace)))
		s.bars[name] = b
	}
	b.SetCurrent(done)
	if done >= total {
		b.SetTotal(total, true)
	}
}

// wait finishes every bar and waits for the last render.
func (s *simProgress) wait() {
	if s == nil {
		return
	}
	s.mu.Lock()
	for _, b := range s.bars {
		if !b.Completed() {
			b.Abort(false)
		}
	}
	s.mu.Unlock()
	s.p.Wait()
}
