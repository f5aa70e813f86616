package dunning

import (
	"context"
	"errors"
	"time"

	"github.com/recoupledger/recoup/domain"
)

// Gateway charges a payment method: the simulator's world, or an adapter
// to a real processor.
type Gateway interface {
	// Charge attempts one payment. Implementations must honour
	// IdempotencyKey as processors do: a repeated key returns the first
	// outcome without charging again. That is what makes a re-run after
	// a crash (charged, but the attempt not yet recorded) safe.
	//
	// A key names one payment: its parameters, every field of the request
	// but At (SameParameters). At is the engine's clock, which differs
	// between a request and its repetition after a restart, and which no
	// processor compares (Stripe compares the payment's parameters:
	// amount, currency, payment method, customer, invoice). Within a run
	// the engine sends a key again only with the same parameters, even
	// when it decides that attempt again on a ledger that changed
	// meanwhile (a payment arrived, so less remains): it records what that
	// request charged, never the new decision (sent.go). So an
	// implementation may refuse a key reused with other parameters, as
	// Stripe does; it then returns an error wrapping ErrKeyReused. An
	// engine restarted after a crash has no memory of the requests it sent
	// and may meet that refusal when the ledger changed meanwhile; it
	// leaves the charge to be reconciled by its key rather than trying it
	// again.
	//
	// Any other error means the outcome is unknown; the engine tries
	// again later with the same key and the same request.
	Charge(ctx context.Context, req ChargeRequest) (ChargeResult, error)
}

// ErrKeyReused is a gateway's refusal of an idempotency key already used
// with other parameters (Stripe's idempotency_error).
var ErrKeyReused = errors.New("idempotency key reused with different parameters")

// ChargeRequest is one attempt to collect an invoice's remaining amount.
type ChargeRequest struct {
	// IdempotencyKey is "<invoice id>/<attempt number>".
	IdempotencyKey  string
	InvoiceID       string
	CustomerID      string
	PaymentMethodID string
	Amount          int64
	Currency        string
	AttemptNumber   int
	Initiator       domain.Initiator
	// At is the engine's clock time of the attempt (virtual in a
	// simulation). It is not a parameter of the payment: a key sent again
	// at another time with the same parameters is the same request.
	At time.Time
}

// SameParameters reports whether r and o are the same payment, as a
// processor compares a repeated idempotency key's request: every field
// but At.
func (r ChargeRequest) SameParameters(o ChargeRequest) bool {
	r.At, o.At = time.Time{}, time.Time{}
	return r == o
}

// ChargeResult is a processor's answer.
type ChargeResult struct {
	Outcome            domain.Outcome
	DeclineCode        string // processor code, e.g. insufficient_funds
	NetworkDeclineCode string // ISO 8583 response code, e.g. "51"
	AdviceCode         string // Mastercard merchant advice code, e.g. "24"
	ChargeID           string
}

// GatewayFunc adapts a function to Gateway.
type GatewayFunc func(ctx context.Context, req ChargeRequest) (ChargeResult, error)

// Charge implements Gateway.
func (f GatewayFunc) Charge(ctx context.Context, req ChargeRequest) (ChargeResult, error) {
	return f(ctx, req)
}
