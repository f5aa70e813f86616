package analytics

import "context"

// A rebuild from zero (Apply after Reset) keeps one DuckDB transaction
// open across the Runner's batches: appenders stay open, rows stream into
// the transaction, and the checkpoint row is written and the transaction
// committed every defaultBulkCommit events and at Sync. A commit per
// batch of a few thousand events would cost more than the rows
// themselves. Invariants:
//
//   - Rows and checkpoint still commit together, so a crash (or an error,
//     which rolls the transaction back) leaves the tables at the last
//     commit and the projection resumes from its checkpoint into the
//     same state as a clean run.
//   - Bulk mode ends at the first Sync (the Runner syncs at the head of
//     $all): live batches commit one by one.
//   - Memory stays bounded: DuckDB writes large transactions' row groups
//     to the database file as they fill, within its memory_limit.

// defaultBulkCommit is how many events a bulk transaction holds at most.
const defaultBulkCommit = 1 << 18

// Sync implements projections.Syncer: it commits the open bulk
// transaction, if any, and ends bulk mode.
func (p *Projection) Sync(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p.bulk = false
	if !p.inTx {
		return nil
	}
	if err := p.commit(ctx); err != nil {
		p.abort()
		return err
	}
	return nil
}
