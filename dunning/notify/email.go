package notify

import (
	"fmt"
	"time"

	"github.com/recoupledger/recoup/domain"
)

// Email is one customer email to send.
type Email struct {
	To   string
	Kind domain.ReminderKind
	// MessageID is the stable RFC 5322 Message-ID (without angle brackets);
	// the engine derives it from the invoice and the reason, so a resend
	// after a crash carries the same identity.
	MessageID string
	Data      EmailData
}

// EmailData is what the templates can show.
type EmailData struct {
	CustomerName string
	InvoiceID    string
	// Amount is the amount remaining in minor units.
	Amount   int64
	Currency string
	DueDate  *time.Time
	// AttemptCount is the number of payment attempts so far.
	AttemptCount int
	// NextPaymentAttempt is the next automatic retry, nil when none remains.
	NextPaymentAttempt *time.Time
	DeclineCode        string
	// PayURL and UpdateCardURL are links for the customer; the engine
	// builds them from the configured base URL and the invoice id.
	PayURL        string
	UpdateCardURL string
}

// FormatAmount renders minor units with the currency, e.g. "USD 12.34".
// Zero-decimal currencies are not special-cased; Recoup's supported
// currencies all use two decimals.
func FormatAmount(amount int64, currency string) string {
	sign := ""
	if amount < 0 {
		sign, amount = "-", -amount
	}
	return fmt.Sprintf("%s%s %d.%02d", sign, upper(currency), amount/100, amount%100)
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// validKinds are the email kinds that have templates.
var validKinds = map[domain.ReminderKind]bool{
	domain.ReminderPaymentFailed:    true,
	domain.ReminderBeforeDue:        true,
	domain.ReminderOnDue:            true,
	domain.ReminderAfterDue:         true,
	domain.ReminderInvoiceFinalized: true,
}
