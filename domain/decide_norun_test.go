package domain

import (
	"testing"
	"time"
)

// TestChargeDueWithoutARun: an open invoice whose charge time has come
// but which awaits no initial charge (here: no payment method to charge)
// and has no dunning run has no retry to make; DecideDue must say so
// rather than read the run it does not have.
func TestChargeDueWithoutARun(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	next := now.Add(-time.Minute)
	inv := &Invoice{ID: "in_1", Status: InvoiceOpen, CollectionMethod: ChargeAutomatically, AutoAdvance: true,
		AmountDue: 1900, AmountRemaining: 1900, Currency: "usd", AttemptCount: 1, NextPaymentAttempt: &next}
	due, err := DecideDue(Situation{Now: now, Invoice: inv})
	if err != nil {
		t.Fatal(err)
	}
	if due.Charge != nil {
		t.Fatalf("charge %+v; want none: no run, no initial charge owed", *due.Charge)
	}
}
