package pebble

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/recoupledger/recoup/eventstore"
)

// gatedFS holds every WAL sync while closed, so a test can look at the
// store while a batch is applied but not yet durable.
type gatedFS struct {
	vfs.FS
	mu   sync.Mutex
	gate chan struct{} // nil: syncs pass
}

func (fs *gatedFS) hold() {
	fs.mu.Lock()
	fs.gate = make(chan struct{})
	fs.mu.Unlock()
}

func (fs *gatedFS) release() {
	fs.mu.Lock()
	if fs.gate != nil {
		close(fs.gate)
		fs.gate = nil
	}
	fs.mu.Unlock()
}

func (fs *gatedFS) wait(name string) {
	if !strings.HasSuffix(name, ".log") {
		return
	}
	fs.mu.Lock()
	g := fs.gate
	fs.mu.Unlock()
	if g != nil {
		<-g
	}
}

func (fs *gatedFS) Create(name string, c vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.FS.Create(name, c)
	return &gatedFile{File: f, fs: fs, name: name}, err
}

func (fs *gatedFS) ReuseForWrite(oldname, newname string, c vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.FS.ReuseForWrite(oldname, newname, c)
	return &gatedFile{File: f, fs: fs, name: newname}, err
}

type gatedFile struct {
	vfs.File
	fs   *gatedFS
	name string
}

func (f *gatedFile) Sync() error     { f.fs.wait(f.name); return f.File.Sync() }
func (f *gatedFile) SyncData() error { f.fs.wait(f.name); return f.File.SyncData() }
func (f *gatedFile) SyncTo(n int64) (bool, error) {
	f.fs.wait(f.name)
	return f.File.SyncTo(n)
}

// TestUnsyncedEventsAreInvisible holds the WAL sync of an append and
// checks that no read or subscription shows its event before the append
// is acknowledged: Pebble makes an applied batch visible before its sync,
// and an event a crash could still take away must not reach a reader.
func TestUnsyncedEventsAreInvisible(t *testing.T) {
	fs := &gatedFS{FS: vfs.NewMem()}
	s, err := Open("/store", Options{FS: fs})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	defer fs.release() // before Close, which waits for the held append
	ctx := context.Background()
	if _, err := s.Append(ctx, "a", eventstore.NoStream, jsonEvent(0)); err != nil {
		t.Fatal(err)
	}
	sub, err := s.SubscribeToAll(ctx, eventstore.SubscribeOptions{FromStart: true})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	if m, err := sub.Recv(ctx); err != nil || m.Event == nil || m.Event.Stream != "a" {
		t.Fatalf("first event: %+v, %v", m, err)
	}
	fs.hold()
	done := make(chan error, 1)
	go func() {
		_, err := s.Append(ctx, "b", eventstore.NoStream, jsonEvent(1))
		done <- err
	}()
	time.Sleep(100 * time.Millisecond) // the batch is applied by now, its sync held
	select {
	case err := <-done:
		t.Fatalf("append acknowledged while its sync was held: %v", err)
	default:
	}
	all, err := s.ReadAll(ctx, eventstore.ReadAllOptions{})
	if err != nil || len(all) != 1 {
		t.Fatalf("$all while the sync is held: %d events, %v; want only the synced one", len(all), err)
	}
	if evs, err := s.ReadStream(ctx, "b", eventstore.ReadStreamOptions{}); len(evs) != 0 {
		t.Fatalf("stream read while the sync is held: %d events, %v", len(evs), err)
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if m, err := sub.Recv(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("subscription while the sync is held: %+v, %v; want nothing", m, err)
	}
	fs.release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if m, err := sub.Recv(ctx); err != nil || m.Event == nil || m.Event.Stream != "b" {
		t.Fatalf("after the sync: %+v, %v", m, err)
	}
}
