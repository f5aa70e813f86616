package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/recoupledger/recoup/eventstore"
	"github.com/recoupledger/recoup/eventstore/pebble"
	"github.com/recoupledger/recoup/internal/datadir"
)

// runRoot runs the root command with args and leaves it as found.
func runRoot(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	rootCmd.SetArgs(args)
	rootCmd.SetOut(&out)
	rootCmd.SetErr(&out)
	defer func() {
		rootCmd.SetArgs(nil)
		rootCmd.SetOut(nil)
		rootCmd.SetErr(nil)
		rootCmd.SetContext(context.Background())
	}()
	err := rootCmd.ExecuteContext(t.Context())
	return out.String(), err
}

func TestImportCommand(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "history.ndjson")
	lines := `{"type":"customer_registered","data":{"customer_id":"cus_1","country":"US","time_zone":"America/Denver","occurred_at":"2025-01-01T00:00:00Z","backfill":true}}
{"type":"invoice_finalized","data":{"invoice_id":"in_1","customer_id":"cus_1","payment_method_id":"pm_1","amount":900,"currency":"usd","occurred_at":"2025-01-02T00:00:00Z","backfill":true}}
{"type":"payment_attempted","data":{"invoice_id":"in_1","payment_method_id":"pm_1","attempt_number":1,"amount":900,"currency":"usd","outcome":"failed","decline_code":"do_not_honor","occurred_at":"2025-01-02T00:01:00Z","backfill":true}}
`
	if err := os.WriteFile(file, []byte(lines+`{"type":"card_activity","data":{"payment_method_id":"pm_1"}}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	out, err := runRoot(t, "import", "--data", data, file)
	if err == nil || !strings.Contains(err.Error(), "lines[4].data.device_id") {
		t.Fatalf("a bad line: err %v, output %s", err, out)
	}
	if err := os.WriteFile(file, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	for range 2 { // a second import appends nothing
		out, err = runRoot(t, "import", "--data", data, file)
		if err != nil || !strings.Contains(out, "imported 3 commands (3 events, 3 backfilled)") {
			t.Fatalf("import: %v\n%s", err, out)
		}
	}
	st, err := pebble.Open(datadir.New(data).Events(), pebble.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	recs, err := st.ReadAll(t.Context(), eventstore.ReadAllOptions{})
	if err != nil || len(recs) != 3 {
		t.Fatalf("events %d, %v; want 3 (the refused import wrote nothing, the repeat appended nothing)", len(recs), err)
	}
}
