package dunning_test

import (
	"context"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/dunning"
	"github.com/recoupledger/recoup/dunning/notify"
	"github.com/recoupledger/recoup/dunning/notify/notifytest"
	"github.com/recoupledger/recoup/eventstore"
	"github.com/recoupledger/recoup/eventstore/pebble"
)

// t0 is the business time every scenario starts at (a Monday).
var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

const day = 24 * time.Hour

var hookSecret = []byte("whsec_scenario_0123456789")

// harness is one scenario's world: a Pebble store on disk, a virtual
// clock, a scripted gateway, an SMTP server and a webhook receiver on
// loopback, and the engine.
type harness struct {
	t      *testing.T
	dir    string
	store  *pebble.Store
	clock  *dunning.VirtualClock
	gw     *scriptedGateway
	smtp   *notifytest.SMTPServer
	hooks  *notifytest.Receiver
	opts   []dunning.Option
	engine *dunning.Engine
}

func newHarness(t *testing.T, opts ...dunning.Option) *harness {
	t.Helper()
	h := &harness{t: t, dir: t.TempDir(), clock: dunning.NewVirtualClock(t0), gw: newGateway()}
	h.smtp = notifytest.NewSMTPServer(t)
	h.hooks = notifytest.NewReceiver(t, hookSecret)
	mailer, err := notify.NewMailer(notify.SMTPConfig{Host: h.smtp.Host, Port: h.smtp.Port, From: "billing@recoup.test"})
	if err != nil {
		t.Fatal(err)
	}
	webhooks, err := notify.NewWebhooks(notify.WebhookConfig{URL: h.hooks.URL, Secret: hookSecret})
	if err != nil {
		t.Fatal(err)
	}
	h.opts = append([]dunning.Option{dunning.WithNotifier(&notify.Notifier{Mail: mailer, Hooks: webhooks}),
		dunning.WithExploreRate(0), dunning.WithLinkBase("https://pay.recoup.test")}, opts...)
	h.open()
	t.Cleanup(h.close)
	return h
}

func (h *harness) open() {
	h.t.Helper()
	s, err := pebble.Open(h.dir, pebble.Options{})
	if err != nil {
		h.t.Fatal(err)
	}
	h.store = s
	e, err := dunning.New(s, h.clock, h.gw, h.opts...)
	if err != nil {
		h.t.Fatal(err)
	}
	h.engine = e
}

func (h *harness) close() {
	if h.engine != nil {
		_ = h.engine.Close()
		h.engine = nil
	}
	if h.store != nil {
		_ = h.store.Close()
		h.store = nil
	}
}

// restart closes the engine and the store and opens both again, as a
// process restart would; the virtual clock keeps its time.
func (h *harness) restart() {
	h.close()
	h.clock = dunning.NewVirtualClock(h.clock.Now())
	h.open()
}

// record appends events as the billing system or the API would.
func (h *harness) record(evs ...domain.Event) {
	h.t.Helper()
	for _, ev := range evs {
		typ, data, err := domain.Encode(ev)
		if err != nil {
			h.t.Fatal(err)
		}
		_, err = h.store.Append(context.Background(), ev.StreamName(), eventstore.Any,
			eventstore.EventData{Type: typ, Data: data, Metadata: domain.EncodeMetadata(domain.Metadata{})})
		if err != nil {
			h.t.Fatalf("append %s: %v", typ, err)
		}
	}
}

func (h *harness) advance(to time.Time) {
	h.t.Helper()
	if err := h.engine.AdvanceTo(context.Background(), to); err != nil {
		h.t.Fatalf("AdvanceTo(%s): %v", to, err)
	}
}

// events reads a stream back, decoded.
func (h *harness) events(stream string) []domain.Event {
	h.t.Helper()
	recs, err := h.store.ReadStream(context.Background(), stream, eventstore.ReadStreamOptions{})
	if err != nil {
		h.t.Fatalf("read %s: %v", stream, err)
	}
	out := make([]domain.Event, 0, len(recs))
	for _, r := range recs {
		ev, err := domain.Decode(r.Type, r.Data)
		if err != nil {
			h.t.Fatalf("decode %s@%d: %v", stream, r.Revision, err)
		}
		out = append(out, ev)
	}
	return out
}

// types lists the event types of a stream.
func (h *harness) types(stream string) []string {
	var out []string
	for _, ev := range h.events(stream) {
		out = append(out, ev.EventType())
	}
	return out
}

func ofType[T domain.Event](evs []domain.Event) []T {
	var out []T
	for _, ev := range evs {
		if v, ok := ev.(T); ok {
			out = append(out, v)
		}
	}
	return out
}

// customer records a customer with a Visa card and a monthly subscription
// on product prod; ids derive from n.
func (h *harness) customer(n string, network domain.Network) (cus, pm, sub string) {
	cus, pm, sub = "cus_"+n, "pm_"+n, "sub_"+n
	b := domain.Base{OccurredAt: h.clock.Now()}
	h.record(
		domain.CustomerRegistered{Base: b, CustomerID: cus, Email: n + "@example.com", Name: "Customer " + n, Country: "US", TimeZone: "America/New_York"},
		domain.PaymentMethodAttached{Base: b, PaymentMethodID: pm, CustomerID: cus, Network: network, Funding: domain.Debit, Country: "US", ExpMonth: 12, ExpYear: 2030, Default: true},
		domain.SubscriptionStarted{Base: b, SubscriptionID: sub, CustomerID: cus, ProductID: "prod_" + n, PaymentMethodID: pm, Amount: 2500, Currency: "usd", Interval: domain.Month, IntervalCount: 1},
	)
	return cus, pm, sub
}

// failedRenewal records a finalized renewal invoice whose first charge
// (made by the billing system) failed with code.
func (h *harness) failedRenewal(n, code string) string {
	inv := "in_" + n
	b := domain.Base{OccurredAt: h.clock.Now()}
	info, _ := domain.Decline(code)
	h.record(
		domain.InvoiceFinalized{Base: b, InvoiceID: inv, CustomerID: "cus_" + n, SubscriptionID: "sub_" + n, ProductID: "prod_" + n,
			PaymentMethodID: "pm_" + n, Amount: 2500, Currency: "usd", CollectionMethod: domain.ChargeAutomatically, AutoAdvance: true, BillingReason: "subscription_cycle"},
		domain.PaymentAttempted{Base: b, InvoiceID: inv, PaymentMethodID: "pm_" + n, AttemptNumber: 1, Amount: 2500, Currency: "usd",
			Outcome: domain.Failed, DeclineCode: code, NetworkDeclineCode: info.NetworkCode, Initiator: domain.InitiatorInitial},
	)
	return inv
}

// scriptedGateway answers charges from a per-invoice script (default:
// decline with insufficient funds) and records every call. Like a real
// processor it honours idempotency keys.
type scriptedGateway struct {
	mu     sync.Mutex
	calls  []dunning.ChargeRequest
	byKey  map[string]dunning.ChargeResult
	script func(req dunning.ChargeRequest) dunning.ChargeResult
}

func newGateway() *scriptedGateway {
	return &scriptedGateway{byKey: map[string]dunning.ChargeResult{}, script: func(dunning.ChargeRequest) dunning.ChargeResult {
		return decline("insufficient_funds")
	}}
}

func decline(code string) dunning.ChargeResult {
	info, _ := domain.Decline(code)
	return dunning.ChargeResult{Outcome: domain.Failed, DeclineCode: code, NetworkDeclineCode: info.NetworkCode}
}

func (g *scriptedGateway) Charge(_ context.Context, req dunning.ChargeRequest) (dunning.ChargeResult, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if r, ok := g.byKey[req.IdempotencyKey]; ok {
		return r, nil
	}
	g.calls = append(g.calls, req)
	r := g.script(req)
	if r.Outcome == domain.Succeeded {
		r.ChargeID = "ch_" + req.IdempotencyKey
	}
	g.byKey[req.IdempotencyKey] = r
	return r, nil
}

func (g *scriptedGateway) set(f func(req dunning.ChargeRequest) dunning.ChargeResult) {
	g.mu.Lock()
	g.script = f
	g.mu.Unlock()
}

// attemptTimes returns the times of the gateway's calls for an invoice.
func (g *scriptedGateway) attemptTimes(invoice string) []time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []time.Time
	for _, c := range g.calls {
		if c.InvoiceID == invoice {
			out = append(out, c.At)
		}
	}
	return out
}

func (g *scriptedGateway) keys() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []string
	for _, c := range g.calls {
		out = append(out, c.IdempotencyKey)
	}
	sort.Strings(out)
	return out
}

// webhooksOf returns the receiver's deliveries of one type for an object.
func (h *harness) webhooksOf(typ string) []notify.Event {
	var out []notify.Event
	for _, d := range h.hooks.Deliveries() {
		if d.Event.Type == typ {
			out = append(out, d.Event)
		}
	}
	return out
}

func at(d time.Duration) time.Time { return t0.Add(d) }
