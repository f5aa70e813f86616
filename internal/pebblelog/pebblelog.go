// Package pebblelog holds the Pebble logger every Recoup database uses:
// Pebble's informational lines stay out of command output, while errors
// and fatal conditions still go to Pebble's default logger.
package pebblelog

import "github.com/cockroachdb/pebble/v2"

// Quiet drops Infof and keeps Errorf and Fatalf.
var Quiet pebble.Logger = quiet{}

type quiet struct{}

func (quiet) Infof(string, ...any)              {}
func (quiet) Errorf(format string, args ...any) { pebble.DefaultLogger.Errorf(format, args...) }
func (quiet) Fatalf(format string, args ...any) { pebble.DefaultLogger.Fatalf(format, args...) }
