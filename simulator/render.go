package simulator

import (
	"fmt"
	"io"
	"math"
	"text/tabwriter"
)

// WriteText prints the report as aligned tables, one per budget.
func (r *EvalReport) WriteText(out io.Writer) error {
	fmt.Fprintf(out, "world %s, seed %d: %d held-out failed invoices (search trained on %d)\n", r.World, r.Seed, r.Invoices, r.Training)
	for _, b := range r.Budgets {
		fmt.Fprintf(out, "\nbudget: %s (95%% intervals)\n", b.Budget)
		tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "policy\trecovered %\tamount %\tretries/recovered\tdays to recovery\tchurned\tviolations\t")
		for _, s := range b.Policies {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", s.Policy,
				fm(s.Recovered, 1), fm(s.Amount, 1), fm(s.RetriesPerRecovery, 2), fm(s.DaysToRecovery, 2), fm(s.Churned, 0), fm(s.Violations, 0))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(out, "share of oracle uplift over fixed-even, (policy − fixed)/(oracle − fixed):\n")
		tw = tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "policy\tby count %\tby amount %\t")
		for _, u := range b.Uplift {
			fmt.Fprintf(tw, "%s\t%s\t%s\t\n", u.Policy, fm(u.ByCount, 1), fm(u.ByAmount, 1))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		for _, name := range sortedKeys(b.Schedules) {
			fmt.Fprintf(out, "schedule %s: hours %v\n", name, b.Schedules[name])
		}
	}
	return nil
}

func fm(m Metric, prec int) string {
	if math.IsNaN(m.Value) {
		return "n/a"
	}
	return fmt.Sprintf("%.*f [%.*f, %.*f]", prec, m.Value, prec, m.Lo, prec, m.Hi)
}
