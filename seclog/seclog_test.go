package seclog

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

func TestLogAndRequestID(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(Handler(slog.NewJSONHandler(&buf, nil)))
	ctx := WithRequestID(context.Background(), "abc-123")
	Log(ctx, log, LoginFailed, slog.String("ip", "192.0.2.1"))
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	if m["msg"] != Message || m["level"] != "WARN" || m["event"] != LoginFailed || m["ip"] != "192.0.2.1" || m["request_id"] != "abc-123" {
		t.Fatalf("line %v", m)
	}
	buf.Reset()
	log.With("a", 1).WithGroup("g").InfoContext(context.Background(), "x")
	if strings.Contains(buf.String(), "request_id") {
		t.Fatalf("no request id expected: %s", buf.String())
	}
	Log(ctx, nil, LoginFailed) // nil logger: nothing, no panic
}

func TestAcceptRequestID(t *testing.T) {
	for in, keep := range map[string]bool{
		"abc":                                  true,
		"3f2a9c1e-7b4d-4e8a-9c2f-1a2b3c4d5e6f": true,
		"Root=1-67891233-abcdef012345678912345678": true,
		"":                       false,
		"a b":                    false,
		"x\r\nSet-Cookie: a":     false,
		"<script>":               false,
		strings.Repeat("a", 129): false,
		strings.Repeat("a", 128): true,
	} {
		got := AcceptRequestID(in)
		if keep != (got == in) {
			t.Errorf("AcceptRequestID(%q) = %q", in, got)
		}
		if !keep && (len(got) != 32 || !saneRequestID(got)) {
			t.Errorf("generated %q", got)
		}
	}
	if NewRequestID() == NewRequestID() {
		t.Fatal("request ids repeat")
	}
}

func FuzzAcceptRequestID(f *testing.F) {
	for _, s := range []string{"", "abc", "a\x00b", strings.Repeat("z", 200), "ä"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := AcceptRequestID(s)
		if !saneRequestID(got) || strings.ContainsAny(got, "\r\n \"") {
			t.Fatalf("unsafe request id %q from %q", got, s)
		}
	})
}

func BenchmarkAcceptRequestID(b *testing.B) {
	b.Run("incoming", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = AcceptRequestID("3f2a9c1e7b4d4e8a9c2f1a2b3c4d5e6f")
		}
	})
	b.Run("generated", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = AcceptRequestID("")
		}
	})
}
