package main

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/recoupledger/recoup/api"
	"github.com/recoupledger/recoup/eventstore/pebble"
	"github.com/recoupledger/recoup/internal/loadgen"
)

func TestZZProfAPI(t *testing.T) {
	if os.Getenv("PERF3_PROF") == "" {
		t.Skip()
	}
	dir := t.TempDir()
	store, _ := pebble.Open(filepath.Join(dir, "ev"), pebble.Options{})
	defer store.Close()
	idem, _ := api.OpenIdempotencyStore(filepath.Join(dir, "idem"), api.DefaultIdempotencyTTL)
	defer idem.Close()
	const key = "bench_key_0123456789abcdef"
	keys, _ := api.ParseKeys(key + ":read,write")
	srv, _ := api.New(api.Config{Store: store, Keys: keys, Idempotency: idem, Recommender: benchPlanner(), Logger: slog.New(slog.DiscardHandler)})
	defer srv.Close()
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- api.Serve(ctx, ln, srv) }()
	defer func() { stop(); <-done }()
	base := "http://" + ln.Addr().String()
	hdr := http.Header{"Authorization": {"Bearer " + key}, "Content-Type": {"application/json"}}
	if os.Getenv("PERF3_PROF") == "health" {
		st, err := loadgen.Run(ctx, loadgen.Request{Method: "GET", URL: base + "/healthz", Want: 200}, 64, 6*time.Second)
		t.Log(st, err)
		return
	}
	st, err := loadgen.Run(ctx, loadgen.Request{Method: "POST", URL: base + "/v1/recommendations/retry", Header: hdr, Bodies: benchRecommendations(512), Want: 200}, 64, 6*time.Second)
	t.Log(st, err)
}
