// Package domain holds Recoup's ledger vocabulary: the event catalogue,
// the aggregates that decide (Invoice, Subscription, Preset, Product,
// Settings) and the pure dunning decisions. It does no I/O and imports
// nothing else of Recoup's.
package domain
