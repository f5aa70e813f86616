package smartretry

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math"
	"sort"
	"time"
)

// Mixture is the latent-class family of the hazard model. A failed
// invoice belongs to one of a few hidden classes that the ledger never
// names: a funds shortfall whose customer is paid on one of the common
// pay schedules (one class per schedule), a cure that comes within
// hours, a day or two, or several days (three classes), or a card that will not be paid
// (one class). A class fixes how the chance of an attempt depends on its
// time and on the previous attempt:
//
//   - funds, schedule s: after a pay deposit of s that came since the
//     previous attempt, a chance that depends on the hours since that
//     deposit; with no deposit since the previous attempt, one small
//     chance (the balance has not changed, so retrying rarely helps);
//   - cure c (fast, medium, slow): a chance by hours since the first failure and the local
//     hour (issuers approve more by day; sparse hours borrow from the day), separately
//     for an attempt in the same day-long block as the previous one (an
//     issuer's decision is sticky within a day) and in a later one;
//   - dead: one small chance.
//
// The class prior depends on what the ledger tells of the invoice (the
// first decline's category, the card's funding and the customer's
// country), smoothed towards the category and funding, then the whole
// population. Tables and priors are fitted by EM over invoice-level
// attempt sequences (mixture_fit.go). At decision time the posterior over
// classes follows from the invoice's failed retries, and the planner
// (mixture_plan.go) chooses a set of retries maximising the chance of
// recovery under that posterior, each planned failure updating it: that
// is what spreads retries over candidate paydays and days instead of
// bunching them in one deposit period or one day.
type Mixture struct {
	// DepositHour is the local hour at which pay lands on a pay day,
	// chosen by likelihood.
	DepositHour int
	// Hazard is the table of per-cell chances (see the cell constants).
	Hazard []float64
	// Prior maps a prior key (category|funding|country) to class
	// probabilities; keys unseen in training fall back to FallbackPrior
	// (by category|funding) and then GlobalPrior.
	Prior         map[string][]float64
	FallbackPrior map[string][]float64
	GlobalPrior   []float64
	// LogLik is the fitted log-likelihood per sequence (training).
	LogLik float64
	// Test scores a fit on the other sequences on held-out ones
	// (MixtureOptions.HoldOut); zero when none were held out.
	Test    Metrics
	version string
}

// Pay schedules of the funds classes.
const (
	schedWeekly = iota
	schedBiweekly0
	schedBiweekly1
	schedSemimonthly // the 15th and the last business day
	schedLastBD
	schedFirst
	sched25th
	schedFifthBD
	numSched
)

var schedNames = [numSched]string{"weekly_friday", "biweekly_friday_a", "biweekly_friday_b", "15th_and_last_bd", "last_bd", "1st", "25th", "5th_bd"}

// Classes: the funds schedules, then the fast and slow cures, then dead.
const (
	classCureFast = numSched
	classCureMid  = numSched + 1
	classCureSlow = numSched + 2
	classDead     = numSched + 3
	numCures      = 3
	NumClasses    = numSched + 4
)

// ClassName names class k.
func ClassName(k int) string {
	switch {
	case k < numSched:
		return "funds_" + schedNames[k]
	case k == classCureFast:
		return "cure_fast"
	case k == classCureMid:
		return "cure_medium"
	case k == classCureSlow:
		return "cure_slow"
	}
	return "dead"
}

// Hour buckets: ageEdges since a deposit, cureEdges since the first
// failure (upper bounds, hours).
var (
	ageEdges  = []float64{1, 2, 3, 4, 6, 9, 12, 18, 24, 36, 48, 72, 120}
	cureEdges = []float64{2, 4, 8, 12, 18, 24, 36, 48, 72, 96, 144, 216}
)

// Cells of the hazard table.
var (
	numAge        = len(ageEdges) + 1
	numCure       = len(cureEdges) + 1
	cellFundsOld  = 0
	cellFundsNew  = 1
	numBands      = 24                    // local hours of the day
	cellCure      = cellFundsNew + numAge // [numCures][numCure][numBands][same block 0/1]
	cellDead      = cellCure + numCures*numCure*numBands*2
	numCells      = cellDead + 1
	blockHours    = 24.0
	lookbackDays  = 40
	minHazard     = 1e-4
	maxHazard     = 0.98
	initialHazard = func(cell int) float64 {
		switch {
		case cell == cellFundsOld:
			return 0.01
		case cell < cellCure:
			return 0.5 * math.Exp(-float64(cell-cellFundsNew)/8)
		case cell < cellDead:
			i := cell - cellCure
			c, b := i/(2*numCure*numBands), (i/(2*numBands))%numCure
			switch c {
			case 0:
				return 0.3 * math.Exp(-float64(b)/4)
			case 1:
				return 0.05 + 0.3*math.Exp(-math.Abs(float64(b)-6)/3)
			}
			return 0.05 + 0.25*float64(b)/float64(numCure)
		}
		return 0.002
	}
)

func bucket(edges []float64, h float64) int {
	return sort.SearchFloat64s(edges, math.Nextafter(h, math.Inf(1)))
}

// point is an attempt time as the hazards see it.
type point struct {
	unix  int64
	h     float64          // hours since the first failure
	idx   [numSched]int32  // deposits of each schedule at or before the time
	fcell [numSched]uint16 // funds cell if a deposit came since the previous attempt
	ccell uint16           // cure cell offset (hours since first bucket)
	block int32
}

// deposits lists, per schedule, the pay deposits (Unix seconds) around an
// invoice's run, from lookbackDays before from to a day after to.
type deposits struct {
	pay [numSched][]int64
	loc *time.Location
}

func payDeposits(loc *time.Location, from, to time.Time, hour int) *deposits {
	var d deposits
	d.fill(loc, from, to, hour)
	return &d
}

func (d *deposits) fill(loc *time.Location, from, to time.Time, hour int) {
	d.loc = loc
	for s := range d.pay {
		d.pay[s] = d.pay[s][:0]
	}
	c0, c1 := toCivil(from, loc), toCivil(to, loc)
	var am [5]int // the month's anchors, computed once per month
	amY, amM := 0, 0
	for day := c0.day - lookbackDays; day <= c1.day+1; day++ {
		y, m, dd := civilFromDays(day)
		if y != amY || m != amM {
			amY, amM = y, m
			for i, kind := range [5]int{anchorLastBD, anchorMid, anchorFirst, anchor25th, anchorFifthBD} {
				am[i] = monthlyAnchor(kind, y, m)
			}
		}
		wd := weekdayOf(day)
		var mask uint16
		if wd == 5 {
			mask |= 1 << schedWeekly
			if ((day-1)/7)%2 == 0 {
				mask |= 1 << schedBiweekly0
			} else {
				mask |= 1 << schedBiweekly1
			}
		}
		if wd != 0 && wd != 6 {
			if day == am[0] {
				mask |= 1<<schedLastBD | 1<<schedSemimonthly
			}
			if day == am[1] {
				mask |= 1 << schedSemimonthly
			}
			if day == am[2] {
				mask |= 1 << schedFirst
			}
			if day == am[3] {
				mask |= 1 << sched25th
			}
			if day == am[4] {
				mask |= 1 << schedFifthBD
			}
		}
		if mask == 0 {
			continue
		}
		at := time.Date(y, time.Month(m), dd, hour, 0, 0, 0, loc).Unix()
		for s := 0; s < numSched; s++ {
			if mask&(1<<s) != 0 {
				d.pay[s] = append(d.pay[s], at)
			}
		}
	}
}

// at describes time t of a run whose first failure was at first.
func (d *deposits) at(t, first time.Time) point {
	p := point{unix: t.Unix(), h: t.Sub(first).Hours()}
	for s := range d.pay {
		list := d.pay[s]
		i := sort.Search(len(list), func(k int) bool { return list[k] > p.unix })
		p.idx[s] = int32(i)
		p.fcell[s] = uint16(cellFundsOld)
		if i > 0 {
			p.fcell[s] = uint16(cellFundsNew + bucket(ageEdges, float64(p.unix-list[i-1])/3600))
		}
	}
	band := int(toCivil(t, d.loc).hour / float64(24/numBands))
	p.ccell = uint16(2 * (bucket(cureEdges, p.h)*numBands + min(band, numBands-1)))
	p.block = int32(math.Floor(p.h / blockHours))
	return p
}

// cell is the hazard cell of class k for an attempt at b after one at a.
func cell(k int, a, b *point) int {
	switch {
	case k < numSched:
		if b.idx[k] > a.idx[k] {
			return int(b.fcell[k])
		}
		return cellFundsOld
	case k == classDead:
		return cellDead
	}
	same := 0
	if a.block == b.block {
		same = 1
	}
	return cellCure + (k-classCureFast)*2*numCure*numBands + int(b.ccell) + same
}

// PriorKey is the class prior's key of an invoice.
func PriorKey(category, funding, country string) string {
	return category + "|" + funding + "|" + country
}

func fallbackKey(category, funding string) string { return category + "|" + funding }

// prior returns the class prior for an invoice.
func (m *Mixture) prior(category, funding, country string) []float64 {
	if p, ok := m.Prior[PriorKey(category, funding, country)]; ok {
		return p
	}
	if p, ok := m.FallbackPrior[fallbackKey(category, funding)]; ok {
		return p
	}
	return m.GlobalPrior
}

// Version names the fitted mixture.
func (m *Mixture) Version() string { return m.version }

func (m *Mixture) setVersion() {
	h := fnv.New64a()
	var b [8]byte
	for _, v := range m.Hazard {
		binary.LittleEndian.PutUint64(b[:], math.Float64bits(v))
		h.Write(b[:])
	}
	for _, v := range m.GlobalPrior {
		binary.LittleEndian.PutUint64(b[:], math.Float64bits(v))
		h.Write(b[:])
	}
	m.version = fmt.Sprintf("mixture-%016x", h.Sum64())
}

// grid describes the hourly times start + j h, j in [from, n), into
// pts: as at does for each, walking the deposits, buckets and zone
// periods forward instead of searching them per slot.
func (d *deposits) grid(pts []point, start, first time.Time, from int) {
	n := len(pts)
	if from >= n {
		return
	}
	z := zoneCursor{loc: d.loc}
	t0 := start.Add(time.Duration(from) * time.Hour)
	p := d.at(t0, first)
	pts[from] = p
	var ab [numSched]int     // age bucket of each schedule
	var next [numSched]int64 // no earlier time changes the schedule's cell
	for s := range d.pay {
		if p.idx[s] > 0 {
			ab[s] = bucket(ageEdges, float64(p.unix-d.pay[s][p.idx[s]-1])/3600)
		}
		next[s] = d.nextChange(s, int(p.idx[s]), ab[s], p.unix)
	}
	cb := bucket(cureEdges, p.h)
	frac := float64(t0.Unix()-first.Unix())/3600 - p.h // 0 up to rounding
	for j := from + 1; j < n; j++ {
		p.unix += 3600
		p.h = float64(j-from) + pts[from].h + frac
		for s := range d.pay {
			if p.unix < next[s] {
				continue
			}
			list := d.pay[s]
			i := int(p.idx[s])
			moved := false
			for i < len(list) && list[i] <= p.unix {
				i++
				moved = true
			}
			if moved {
				p.idx[s] = int32(i)
				ab[s] = 0
			}
			if i > 0 {
				age := float64(p.unix-list[i-1]) / 3600
				for ab[s] < len(ageEdges) && ageEdges[ab[s]] <= age {
					ab[s]++
				}
				p.fcell[s] = uint16(cellFundsNew + ab[s])
			}
			next[s] = d.nextChange(s, i, ab[s], p.unix)
		}
		for cb < len(cureEdges) && cureEdges[cb] <= p.h {
			cb++
		}
		off := z.offsetAt(p.unix)
		band := int(((p.unix+int64(off))%86400+86400)%86400) / (24 / numBands * 3600)
		p.ccell = uint16(2 * (cb*numBands + min(band, numBands-1)))
		p.block = int32(math.Floor(p.h / blockHours))
		pts[j] = p
	}
}

// nextChange is a time after now before which the cell of schedule s
// cannot change, for a time with i deposits of s at or before it and age
// bucket ab: the next deposit, or the deposit's age reaching the bucket's
// upper edge (rounded down to whole seconds, so no earlier time reaches
// it), or now+1 when that has passed.
func (d *deposits) nextChange(s, i, ab int, now int64) int64 {
	list := d.pay[s]
	t := int64(math.MaxInt64)
	if i < len(list) {
		t = list[i]
	}
	if i > 0 && ab < len(ageEdges) {
		t = min(t, list[i-1]+int64(math.Floor(ageEdges[ab]*3600)))
	}
	return max(t, now+1)
}
