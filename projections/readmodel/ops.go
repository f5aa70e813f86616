package readmodel

import (
	"bytes"
	"slices"

	"github.com/cockroachdb/pebble/v2"
)

// ops gathers a batch's writes so they reach Pebble in key order: the
// memtable's skiplist inserter reuses its search path between
// neighbouring keys, which makes sorted inserts several times cheaper
// than the order records happened to change in. Keys are unique within a
// batch (one record key per record, index keys carry the record's
// sequence), so order among equal keys never matters.
type ops struct {
	arena []byte
	list  []op
}

type op struct {
	key, val [2]int // offsets into arena
	del      bool
}

func (o *ops) reset() {
	o.arena, o.list = o.arena[:0], o.list[:0]
}

func (o *ops) add(key, val []byte, del bool) {
	k0 := len(o.arena)
	o.arena = append(o.arena, key...)
	v0 := len(o.arena)
	o.arena = append(o.arena, val...)
	o.list = append(o.list, op{key: [2]int{k0, v0}, val: [2]int{v0, len(o.arena)}, del: del})
}

func (o *ops) set(key, val []byte) { o.add(key, val, false) }
func (o *ops) delete(key []byte)   { o.add(key, nil, true) }

// apply sorts the writes and adds them to b.
func (o *ops) apply(b *pebble.Batch) error {
	a := o.arena
	slices.SortFunc(o.list, func(x, y op) int {
		return bytes.Compare(a[x.key[0]:x.key[1]], a[y.key[0]:y.key[1]])
	})
	for _, w := range o.list {
		key := a[w.key[0]:w.key[1]]
		var err error
		if w.del {
			err = b.Delete(key, nil)
		} else {
			err = b.Set(key, a[w.val[0]:w.val[1]], nil)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
