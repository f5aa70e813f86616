package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/recoupledger/recoup/eventstore"
)

// TestGracefulShutdownFinishesAppends stops the server while appends are
// in flight: every request that was answered 200 has its event in the
// store, and Serve returns only after answering them.
func TestGracefulShutdownFinishesAppends(t *testing.T) {
	h := newHarness(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(t.Context())
	served := make(chan error, 1)
	go func() { served <- Serve(ctx, ln, h.api) }()
	url := "http://" + ln.Addr().String() + "/v1/ledger/card_activity"
	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 32}}

	var ok atomic.Int64
	var mu sync.Mutex
	var ids []string
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body, _ := json.Marshal(map[string]any{"payment_method_id": "pm_1", "device_id": fmt.Sprintf("dev_%d", i)})
			req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+writeKey)
			res, err := client.Do(req)
			if err != nil {
				return // refused after shutdown began: never accepted
			}
			defer res.Body.Close()
			var rc Receipt
			if res.StatusCode == 200 && json.NewDecoder(res.Body).Decode(&rc) == nil {
				mu.Lock()
				ids = append(ids, rc.Events[0].ID)
				mu.Unlock()
				if ok.Add(1) == 20 {
					stop()
				}
			}
		}()
	}
	wg.Wait()
	stop()
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(ShutdownGrace):
		t.Fatal("Serve did not return")
	}
	recs, err := h.store.ReadAll(t.Context(), eventstore.ReadAllOptions{})
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]bool{}
	for _, r := range recs {
		stored["evt_"+r.ID.String()] = true
	}
	for _, id := range ids {
		if !stored[id] {
			t.Fatalf("answered %s but it is not in the store", id)
		}
	}
	if len(ids) < 20 {
		t.Fatalf("only %d answered", len(ids))
	}
}
