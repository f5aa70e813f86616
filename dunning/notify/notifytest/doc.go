// Package notifytest runs real receivers on loopback for tests: an SMTP
// server (github.com/emersion/go-smtp) that keeps every message it
// accepts, and an HTTP webhook receiver that verifies each signature and
// can be told to fail the first deliveries.
package notifytest
