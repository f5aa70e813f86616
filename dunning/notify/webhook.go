package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// WebhookConfig says where webhooks go and how they are signed.
type WebhookConfig struct {
	URL    string
	Secret []byte
	// Timeout bounds one delivery (default 10 s).
	Timeout time.Duration
}

// Webhooks delivers signed events to one endpoint.
type Webhooks struct {
	cfg    WebhookConfig
	client *http.Client
	now    func() time.Time
}

// NewWebhooks checks cfg and returns a sender.
func NewWebhooks(cfg WebhookConfig) (*Webhooks, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("webhook config: url: %q is not an absolute http(s) URL", cfg.URL)
	}
	if len(cfg.Secret) < 16 {
		return nil, errors.New("webhook config: secret: must be at least 16 bytes")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Second
	}
	return &Webhooks{cfg: cfg, client: &http.Client{Timeout: cfg.Timeout}, now: time.Now}, nil
}

// URL is the endpoint events go to.
func (w *Webhooks) URL() string { return w.cfg.URL }

// DeliveryError is a failed delivery: Status is the HTTP status (0 when no
// response arrived).
type DeliveryError struct {
	Status int
	Err    error
}

func (e *DeliveryError) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("webhook delivery: status %d", e.Status)
	}
	return "webhook delivery: " + e.Err.Error()
}

func (e *DeliveryError) Unwrap() error { return e.Err }

// Send posts ev, signed with the current wall time (receivers compare
// the signature's timestamp with their own clock, so it is never virtual
// time). It returns the HTTP status; any non-2xx is a *DeliveryError.
func (w *Webhooks) Send(ctx context.Context, ev Event) (int, error) {
	body, err := json.Marshal(ev)
	if err != nil {
		return 0, fmt.Errorf("webhook %s: encode: %w", ev.ID, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("webhook %s: %w", ev.ID, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Recoup-Webhooks/1")
	req.Header.Set(SignatureHeader, Sign(w.cfg.Secret, w.now(), body))
	resp, err := w.client.Do(req)
	if err != nil {
		return 0, &DeliveryError{Err: err}
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, &DeliveryError{Status: resp.StatusCode, Err: errors.New(resp.Status)}
	}
	return resp.StatusCode, nil
}

// Backoff is the wait before the next try after attempts failed sends:
// one minute doubling per failure, capped at six hours. With MaxAttempts
// tries a send is retried for about a day and a half before it is
// recorded as given up.
func Backoff(attempts int) time.Duration {
	if attempts < 1 {
		attempts = 1
	}
	d := time.Minute
	for i := 1; i < attempts && d < 6*time.Hour; i++ {
		d *= 2
	}
	return min(d, 6*time.Hour)
}

// MaxAttempts is how many times a send is tried before it is recorded as
// given up.
const MaxAttempts = 12
