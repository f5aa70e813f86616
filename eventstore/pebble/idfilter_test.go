package pebble

import (
	"fmt"
	"testing"

	"github.com/google/uuid"
)

// TestIDFilterNoFalseNegatives: every added (stream, ID) is a "maybe" for
// a stream born before it, in every generation kept; IDs never added are
// mostly proven absent; a stream born in a dropped generation, or not in
// this session, is never proven anything.
func TestIDFilterNoFalseNegatives(t *testing.T) {
	f := newIDFilterSized(1000)
	type entry struct {
		stream string
		born   uint32
		id     uuid.UUID
	}
	var added []entry
	borns := map[string]uint32{}
	for i := range 5000 {
		stream := fmt.Sprintf("invoice-%d", i%700)
		if _, ok := borns[stream]; !ok {
			borns[stream] = f.birth()
		}
		id := uuid.New()
		f.add(f.streamHash(stream), id)
		added = append(added, entry{stream, borns[stream], id})
	}
	if f.first != 1 || len(f.gens) != 5 {
		t.Fatalf("5,000 entries in generations of 1,000: first %d, %d generations", f.first, len(f.gens))
	}
	for _, e := range added {
		if f.absent(e.born, f.streamHash(e.stream), e.id) {
			t.Fatalf("%s %s was added but is reported absent", e.stream, e.id)
		}
		if f.absent(0, f.streamHash(e.stream), uuid.New()) {
			t.Fatal("a stream not born in this session was proven something")
		}
	}
	fp := 0
	for i := range 10000 {
		stream := fmt.Sprintf("invoice-%d", i%700)
		if !f.absent(borns[stream], f.streamHash(stream), uuid.New()) {
			fp++
		}
	}
	// Each check spans the generations since the stream's birth (up to 5).
	if fp > 1500 {
		t.Fatalf("%d of 10,000 new IDs not proven absent", fp)
	}
	// Past maxGens generations the oldest go, and with them what streams
	// born in them could be proven.
	for range (maxGens + 2) * 1000 {
		f.add(f.streamHash("other"), uuid.New())
	}
	if len(f.gens) != maxGens || f.first == 1 {
		t.Fatalf("after many entries: %d generations, first %d", len(f.gens), f.first)
	}
	if f.absent(1, f.streamHash("invoice-1"), uuid.New()) {
		t.Fatal("a stream born in a dropped generation was proven something")
	}
}
