// Package bench runs Recoup's benchmark suites for `recoup bench`.
//
// A suite is registered by name (bench.Register, usually from an init
// function in cmd/recoup/bench_<area>.go) and returns rows: a figure, its
// unit, and the baseline measured beside it in the same run on the same
// disk, with their ratio. Figures are named "<suite>.<figure>"; a suite can
// read a figure measured earlier in the run with Env.Figure, and if that
// figure's suite has not run yet it runs first, so suites can build on each
// other whatever their registration order.
package bench
