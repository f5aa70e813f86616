package readmodel

// interner shares the strings of values that repeat across records
// (currencies, products, decline codes, card networks ...): a rebuild
// then allocates a string per distinct value instead of one per record,
// and the records it caches hold fewer objects for the garbage collector
// to trace. It is bounded: past maxInterned distinct values, new ones are
// allocated as they would be without it. IDs of customers, cards and
// subscriptions, unbounded in number, are not interned.
type interner map[string]string

const maxInterned = 4096

func (in interner) str(b []byte) string {
	if s, ok := in[string(b)]; ok { // the lookup does not allocate
		return s
	}
	s := string(b)
	if len(in) < maxInterned {
		in[s] = s
	}
	return s
}

// set assigns b to *s, interned, unless *s already holds it.
func (in interner) set(s *string, b []byte) {
	if *s != string(b) {
		*s = in.str(b)
	}
}
