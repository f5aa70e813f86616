package simulator

import (
	"testing"

	"github.com/recoupledger/recoup/datasets"
)

func BenchmarkTmpOracle(b *testing.B) {
	raw, _ := datasets.World("b2c_us")
	w, _ := DecodeWorld("x", raw)
	m, _ := Compile(w)
	pop := &Population{M: m, Seed: 1, Pop: 2}
	rp := &Replayer{M: m, Rules: CheckRules}
	or := &Oracle{M: m}
	for i := 0; b.Loop(); i++ {
		c := pop.Case(uint64(i % 5000))
		rp.Run(c, or, Budget{8, 14})
	}
}
