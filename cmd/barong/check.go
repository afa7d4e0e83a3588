package main

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

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

// healthcheck is `barong healthcheck [URL]`.
func healthcheck(ctx context.Context, args []string, stdout, _ io.Writer) error {
	if len(args) > 1 {
		return fmt.Errorf("healthcheck: one URL at most")
	}
	target := ""
	if len(args) == 1 {
		target = args[0]
	} else {
		addr := os.Getenv("BARONG_HTTP_ADDR")
		if addr == "" {
			addr = ":" + cmp.Or(os.Getenv("PORT"), "8000")
		}
		_, port, err := net.SplitHostPort(addr)
		if err != nil {
			return fmt.Errorf("healthcheck: BARONG_HTTP_ADDR %q: %w", addr, err)
		}
		target = "http://127.0.0.1:" + port + "/readyz"
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	fmt.Fprintf(stdout, "%d %s\n", resp.StatusCode, bytes.TrimSpace(body))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %d", target, resp.StatusCode)
	}
	return nil
}
