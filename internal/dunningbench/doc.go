// Package dunningbench measures the dunning engine for `recoup bench` and
// `go test -bench`: invoices taken through a full dunning cycle per second
// on a virtual clock, with a gateway that always declines and the Pebble
// store on disk.
package dunningbench
