//go:build !linux

package app

// lowerThreadPriority does nothing where priorities are per process.
func lowerThreadPriority() string { return "normal" }
