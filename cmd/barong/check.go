package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/barong-go/barong/config"
	"github.com/barong-go/barong/internal/server"
)

// check is `barong check [--connect]`: every finding on stdout, one per
// line: "ok", "warning" or "error", what it is about, and what was found.
func check(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	connect := fs.Bool("connect", false, "also reach the database, Redis, RabbitMQ and SMTP")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("check takes no arguments, got %q", fs.Arg(0))
	}
	line := func(level, subject, msg string) { fmt.Fprintf(stdout, "%-8s %s: %s\n", level, subject, msg) }
	cfg, warnings, err := config.Check(os.Environ())
	for _, w := range warnings {
		line("warning", "environment", w)
	}
	var cerr *config.Error
	switch {
	case errors.As(err, &cerr):
		for _, p := range cerr.Problems {
			line("error", "configuration", p)
		}
		return fmt.Errorf("check: %d configuration problems", len(cerr.Problems))
	case err != nil:
		return err
	}
	line("ok", "configuration", "every variable and YAML file parsed")
	errs := 0
	for _, f := range server.Check(ctx, cfg, *connect) {
		line(f.Level, f.Subject, f.Message)
		if f.Level == "error" {
			errs++
		}
	}
	if errs > 0 {
		return fmt.Errorf("check: %d errors", errs)
	}
	return nil
}
