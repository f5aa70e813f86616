package dunning

import (
	"context"
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
	// An error means the outcome is unknown; the engine tries again later
	// with the same key.
	Charge(ctx context.Context, req ChargeRequest) (ChargeResult, error)
}

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
	// At is the engine's clock time of the attempt (virtual in a simulation).
	At time.Time
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
