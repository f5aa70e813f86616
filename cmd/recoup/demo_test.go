package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/recoupledger/recoup/api"
)

// TestDemo runs `recoup demo` on a small world, reads the URL and key it
// prints, waits for readiness and asks for a recommendation over HTTP.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates, trains and evaluates a small world")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	rootCmd.SetArgs([]string{"demo", "--data", filepath.Join(t.TempDir(), "demo"), "--customers", "300", "--days", "60",
		"--eval-invoices", "300", "--listen", "127.0.0.1:0"})
	rootCmd.SetOut(pw)
	// rootCmd is shared with the other tests of the package: leave it as
	// found (cobra keeps the last context and arguments).
	defer func() {
		rootCmd.SetOut(nil)
		rootCmd.SetArgs(nil)
		rootCmd.SetContext(context.Background())
	}()
	go func() {
		err := rootCmd.ExecuteContext(ctx)
		pw.Close()
		done <- err
	}()
	var url, key, printed string
	sc := bufio.NewScanner(pr)
	for sc.Scan() && (url == "" || key == "") {
		line := sc.Text()
		printed += line + "\n"
		if v, ok := strings.CutPrefix(line, "export RECOUP_URL="); ok {
			url = v
		}
		if v, ok := strings.CutPrefix(line, "export RECOUP_KEY="); ok {
			key = v
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	if url == "" || key == "" {
		t.Fatalf("demo printed no URL and key:\n%s\nerr: %v", printed, <-done)
	}
	for _, want := range []string{"[1/4] simulating", "[2/4] training", "mixture model", "held-out AUC", "[3/4] evaluating", "oracle", "[4/4] serving", "served a recommendation"} {
		if !strings.Contains(printed, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	res, err := http.Get(url + "/readyz")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("readyz: %v %v", err, res)
	}
	res.Body.Close()
	body := `{"context":{"decline_code":"insufficient_funds","network":"mastercard","funding":"credit","time_zone":"Europe/Paris",` +
		`"amount":1999,"currency":"eur","failed_at":"2026-02-02T09:00:00Z"},"as_of":"2026-02-02T10:00:00Z","max_retries":4,"window_days":10}`
	req, _ := http.NewRequest("POST", url+"/v1/recommendations/retry", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var rec api.Recommendation
	if res.StatusCode != 200 || json.NewDecoder(res.Body).Decode(&rec) != nil {
		t.Fatalf("recommendation: %d", res.StatusCode)
	}
	// The demo trains and serves the default family, the mixture.
	if !strings.HasPrefix(rec.ModelVersion, "mixture-") || rec.TimeZone != "Europe/Paris" || rec.RetriesLeft != 4 || len(rec.Schedule) > 4 {
		t.Fatalf("recommendation %+v", rec)
	}
	cancel()
	if err := <-done; err != nil && ctx.Err() == nil {
		t.Fatalf("demo: %v", err)
	}
}
