package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/recoupledger/recoup/api"
	"github.com/recoupledger/recoup/datasets"
	"github.com/recoupledger/recoup/domain"
	"github.com/recoupledger/recoup/internal/smartsim"
	"github.com/recoupledger/recoup/simulator"
	"github.com/recoupledger/recoup/smartretry"
)

var demoFlags struct {
	data, listen, world string
	customers, days     int
	evalInvoices        int
	seed                uint64
	exitAfter           bool
}

var demoCmd = &cobra.Command{
	Use:   "demo",
	Short: "Simulate a history, train the model, evaluate it and serve the API on localhost",
	Long: `demo takes a newcomer from nothing to a served retry recommendation:

  1. simulate   the default world's subscribers into a fresh data directory
                (the real dunning engine on a virtual clock writes the ledger)
  2. train      the smart-retry model on that ledger's payment attempts
  3. evaluate   retry policies, the trained model among them, on a held-out
                population of the same world against the Bayes oracle
  4. serve      the HTTP API on localhost with a fresh admin API key, ask it
                for one recommendation, and print curl commands to paste

It serves until interrupted (Ctrl-C). The data directory is kept, so the
same history can be served again with recoup serve --data DIR.`,
	Example: `  go run ./cmd/recoup demo
  recoup demo --customers 500 --days 60 --listen 127.0.0.1:0   # a small, quick world`,
	Args: cobra.NoArgs,
	RunE: func(cmd *cobra.Command, _ []string) error {
		ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		return runDemo(ctx, cmd.OutOrStdout())
	},
}

func init() {
	f := demoCmd.Flags()
	f.StringVar(&demoFlags.data, "data", "", "fresh data directory to create (default: a new temporary directory)")
	f.StringVar(&demoFlags.listen, "listen", "127.0.0.1:8080", "address to serve on (port 0 picks a free one)")
	f.StringVar(&demoFlags.world, "world", "b2c_us", "world file, or the name of a default world ("+strings.Join(datasets.WorldNames(), ", ")+")")
	f.IntVar(&demoFlags.customers, "customers", 20000, "subscribers to simulate (the world's size; the model trains on their ledger)")
	f.IntVar(&demoFlags.days, "days", 120, "virtual days to simulate")
	f.IntVar(&demoFlags.evalInvoices, "eval-invoices", 5000, "held-out failed invoices in the evaluation")
	f.Uint64Var(&demoFlags.seed, "seed", 1, "seed of the world (same seed, same history)")
	f.BoolVar(&demoFlags.exitAfter, "exit-after-recommendation", false, "stop once the first recommendation is served (for scripts)")
	rootCmd.AddCommand(demoCmd)
}

func runDemo(ctx context.Context, out io.Writer) error {
	start := time.Now()
	dir, err := demoDir(demoFlags.data)
	if err != nil {
		return err
	}
	step := func(n int, what string) {
		fmt.Fprintf(out, "\n[%d/4] %s  (%.0fs)\n", n, what, time.Since(start).Seconds())
	}
	m, err := simulator.OpenWorld(demoFlags.world, datasets.World)
	if err != nil {
		return fmt.Errorf("--world: %w", err)
	}

	step(1, fmt.Sprintf("simulating %d customers over %d days of world %s into %s", demoFlags.customers, demoFlags.days, m.W.Name, dir))
	bars := newSimProgress(os.Stderr)
	stats, err := simulator.Simulate(ctx, m, dir, simulator.SimOptions{Seed: demoFlags.seed, Customers: demoFlags.customers,
		Days: demoFlags.days, Step: time.Hour,
		Progress: func(day, total int) { bars.set("simulate days", int64(day), int64(total)) }})
	bars.wait()
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "renewals %d, first-attempt declines %d, charges %d, card updates %d\n",
		stats.Renewals, stats.Declines, stats.Charges, stats.CardUpdates)

	step(2, "training the smart-retry model on the ledger")
	ledger, err := openLedger(ctx, nil, dir)
	if err != nil {
		return err
	}
	lm, err := smartretry.TrainFamily(ctx, ledger, smartretry.FamilyMixture, smartretry.TrainOptions{}, dir)
	if err != nil {
		return err
	}
	if err := lm.Write(defaultModelPath(dir)); err != nil {
		return err
	}
	mt := lm.Mixture.Test
	fmt.Fprintf(out, "mixture model %s: %d failed invoices, held-out AUC %.3f, log-loss %.4f, Brier %.4f, %s\n",
		lm.Version, lm.MixtureFile.Training.Sequences, mt.AUC, mt.LogLoss, mt.Brier, calibrationSummary(mt))
	sum := lm.LogisticFile.Summary
	fmt.Fprintf(out, "its logistic fallback %s: %d rows, held-out AUC %.3f, log-loss %.4f, Brier %.4f, %s\n",
		lm.Logistic.Version(), sum.Rows, sum.Test.AUC, sum.Test.LogLoss, sum.Test.Brier, calibrationSummary(sum.Test))

	step(3, fmt.Sprintf("evaluating retry policies on %d held-out failed invoices", demoFlags.evalInvoices))
	if err := demoEval(ctx, out, m, lm); err != nil {
		return err
	}

	step(4, "serving the API")
	return demoServe(ctx, out, dir, ledger, start)
}

// demoDir returns a fresh data directory: a new temporary one, or the
// given path, which must not exist yet or be empty.
func demoDir(path string) (string, error) {
	if path == "" {
		return os.MkdirTemp("", "recoup-demo-")
	}
	entries, err := os.ReadDir(path)
	if errors.Is(err, os.ErrNotExist) {
		return path, os.MkdirAll(path, 0o755)
	}
	if err != nil {
		return "", fmt.Errorf("--data: %w", err)
	}
	if len(entries) > 0 {
		return "", fmt.Errorf("--data: %s is not empty; the demo needs a fresh directory (serve an existing one with recoup serve --data %s)", path, path)
	}
	return path, nil
}

// demoEval replays the policies, with the model just trained (the file
// the server loads) as "smart", on a held-out population of the same
// world and prints the report.
func demoEval(ctx context.Context, out io.Writer, m *simulator.Model, lm *smartretry.Loaded) error {
	obj := smartsim.EvalObjective()
	obj.ReminderValue = lm.Objective().ReminderValue
	planner := lm.PlannerWith(obj, nil)
	smart := simulator.NamedPlanner{Name: "smart", New: func(simulator.Budget) (simulator.PlannerFunc, error) {
		return smartsim.PlannerFunc(planner), nil
	}}
	bars := newSimProgress(os.Stderr)
	rep, err := simulator.Eval(ctx, m, simulator.EvalOptions{Seed: demoFlags.seed + 1, Invoices: demoFlags.evalInvoices,
		Training: max(demoFlags.evalInvoices/2, 200), Planners: []simulator.NamedPlanner{smart},
		Progress: func(b simulator.Budget, done, total int) { bars.set("eval "+b.String(), int64(done), int64(total)) }})
	bars.wait()
	if err != nil {
		return err
	}
	return rep.WriteText(out)
}

// demoServe opens the data directory as `recoup serve` does, with a fresh
// admin key, asks itself for one recommendation over HTTP, prints what to
// paste, and serves until ctx ends.
func demoServe(ctx context.Context, out io.Writer, dir string, ledger *smartretry.Ledger, start time.Time) error {
	var raw [16]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return err
	}
	key := "demo_" + hex.EncodeToString(raw[:])
	keys, err := api.ParseKeys(key + ":admin")
	if err != nil {
		return err
	}
	a, err := openApp(ctx, appOptions{data: dir, keys: keys, rateLimit: api.DefaultRateLimit, log: slog.Default()})
	if err != nil {
		return err
	}
	defer a.close()
	ln, err := net.Listen("tcp", demoFlags.listen)
	if err != nil {
		return fmt.Errorf("--listen: %w", err)
	}
	served := make(chan error, 1)
	sctx, stopServe := context.WithCancel(ctx)
	defer stopServe()
	go func() { served <- api.Serve(sctx, ln, a.server) }()
	base := "http://" + ln.Addr().String()
	if err := waitReady(ctx, base); err != nil {
		return err
	}
	// Show an invoice the model would retry: ask for a few candidates'
	// recommendations and keep the first that plans a retry.
	var inv, rec string
	var asOf time.Time
	for _, c := range demoInvoices(ledger, 8) {
		body := fmt.Sprintf(`{"invoice_id":%q,"as_of":%q}`, c.id, c.asOf.Format(time.RFC3339))
		r, retry, err := askRecommendation(ctx, base, key, body)
		if err != nil {
			return err
		}
		inv, asOf, rec = c.id, c.asOf, r
		if retry {
			break
		}
	}
	if inv == "" {
		return errors.New("demo: the simulated ledger has no failed invoice to recommend for; simulate more customers or days")
	}
	fmt.Fprintf(out, "served a recommendation %.1fs after the demo started: invoice %s -> %s\n", time.Since(start).Seconds(), inv, rec)
	fmt.Fprintf(out, "\nRecoup is serving %s with data in %s. Paste these (Ctrl-C to stop):\n\n", base, dir)
	fmt.Fprintf(out, "export RECOUP_URL=%s\nexport RECOUP_KEY=%s\n\n", base, key)
	for _, c := range demoCurls(inv, asOf) {
		fmt.Fprintln(out, c)
	}
	if demoFlags.exitAfter {
		stopServe()
	}
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
		stopServe()
		return <-served
	}
}

// waitReady polls /readyz until the read models have caught up.
func waitReady(ctx context.Context, base string) error {
	for {
		res, err := http.Get(base + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

type demoCase struct {
	id   string
	asOf time.Time
}

// demoInvoices picks up to n invoices whose first charge failed for lack
// of funds (a decline the networks allow retrying), each with the time an
// hour after that failure to plan from (the history is in virtual time).
func demoInvoices(l *smartretry.Ledger, n int) []demoCase {
	ids := make([]string, 0, len(l.Invoices))
	for id, h := range l.Invoices {
		if !h.Failed() {
			continue
		}
		if d, ok := domain.Decline(h.Attempts[0].DeclineCode); ok && d.Retryable && d.Category == domain.CategoryFunds {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	var out []demoCase
	for i := 0; i < len(ids) && len(out) < n; i += max(1, len(ids)/n) {
		h := l.Invoices[ids[i]]
		out = append(out, demoCase{ids[i], h.Attempts[0].OccurredAt.Add(time.Hour).UTC().Truncate(time.Second)})
	}
	return out
}

// askRecommendation asks the server over HTTP and summarises the answer.
func askRecommendation(ctx context.Context, base, key, body string) (summary string, retry bool, err error) {
	req, err := http.NewRequestWithContext(ctx, "POST", base+"/v1/recommendations/retry", strings.NewReader(body))
	if err != nil {
		return "", false, err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", false, err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		return "", false, fmt.Errorf("demo recommendation: %d %s", res.StatusCode, b)
	}
	var rec api.Recommendation
	if err := json.Unmarshal(b, &rec); err != nil {
		return "", false, err
	}
	var s bytes.Buffer
	if !rec.Retry {
		fmt.Fprintf(&s, "no retry (%s)", rec.Explanation)
		return s.String(), false, nil
	}
	fmt.Fprintf(&s, "%d retries:", len(rec.Schedule))
	for _, sl := range rec.Schedule {
		fmt.Fprintf(&s, " %s (%.0f%%)", sl.At.Format("Jan 2 15:04Z"), 100*sl.Probability)
	}
	fmt.Fprintf(&s, ", model %s", rec.ModelVersion)
	return s.String(), true, nil
}

func demoCurls(inv string, asOf time.Time) []string {
	auth := `-H "Authorization: Bearer $RECOUP_KEY"`
	return []string{
		"# a retry schedule for a failed invoice of the simulated ledger",
		fmt.Sprintf(`curl -s %s --json '{"invoice_id":"%s","as_of":"%s"}' $RECOUP_URL/v1/recommendations/retry`, auth, inv, asOf.Format(time.RFC3339)),
		"# ... or for a failed payment described inline, scoring two candidate times",
		fmt.Sprintf(`curl -s %s --json '{"context":{"decline_code":"insufficient_funds","network":"visa","funding":"debit","time_zone":"America/Chicago","amount":4900,"currency":"usd","failed_at":"%s"},"as_of":"%s","candidates":["%s","%s"]}' $RECOUP_URL/v1/recommendations/retry`,
			auth, asOf.Add(-time.Hour).Format(time.RFC3339), asOf.Format(time.RFC3339), asOf.Add(30*time.Hour).Format(time.RFC3339), asOf.Add(3*24*time.Hour).Format(time.RFC3339)),
		"# the invoice, its events, and invoices still being retried",
		fmt.Sprintf(`curl -s %s $RECOUP_URL/v1/invoices/%s`, auth, inv),
		fmt.Sprintf(`curl -s %s "$RECOUP_URL/v1/invoices/%s/events?limit=20"`, auth, inv),
		fmt.Sprintf(`curl -s %s "$RECOUP_URL/v1/invoices?status=open&limit=5"`, auth),
		"# recovery analytics, and read-only SQL (admin keys)",
		fmt.Sprintf(`curl -s %s "$RECOUP_URL/v1/analytics/queries/recovery?by=decline_code"`, auth),
		fmt.Sprintf(`curl -s %s --json '{"sql":"SELECT funding, count(*) AS attempts FROM payment_attempts GROUP BY funding"}' $RECOUP_URL/v1/analytics/sql`, auth),
		"# a smart dunning preset, then a backtest of it on this history",
		fmt.Sprintf(`curl -s %s --json '{"id":"dp_smart","name":"Smart 4 in 10 days","smart_retries":true,"smart_max_retries":4,"smart_window_days":10,"during_recovery":"pause","after_failure_subscription":"cancel","after_failure_invoice":"leave_overdue"}' $RECOUP_URL/v1/dunning_presets`, auth),
		fmt.Sprintf(`curl -s %s --json '{"candidate_preset_id":"dp_smart","bootstrap":200}' $RECOUP_URL/v1/backtests   # then GET $RECOUP_URL/v1/backtests/<id>`, auth),
		"# the whole API",
		`curl -s $RECOUP_URL/openapi.json | head -c 400; echo`,
	}
}

// calibrationSummary states the largest decile gap, or that no decile is
// large enough for the gap to mean anything (a small demo world).
func calibrationSummary(m smartretry.Metrics) string {
	for _, d := range m.Calibration {
		if d.Rows >= smartretry.CalibrationMinRows {
			return fmt.Sprintf("largest calibration gap %.1f pp", 100*m.MaxGap)
		}
	}
	return fmt.Sprintf("calibration not judged (no held-out decile has %d rows)", smartretry.CalibrationMinRows)
}
