package redisstore

import (
	"bufio"
	"context"
	"strings"
	"testing"
	"time"
)

// recv waits for one message.
func recv(tb testing.TB, ch <-chan string) string {
	tb.Helper()
	select {
	case m, ok := <-ch:
		if !ok {
			tb.Fatal("subscription closed")
		}
		return m
	case <-time.After(3 * time.Second):
		tb.Fatal("no message within 3 s")
		return ""
	}
}

// wantClosed waits for the subscription channel to close.
func wantClosed(tb testing.TB, ch <-chan string) {
	tb.Helper()
	deadline := time.After(3 * time.Second)
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
		case <-deadline:
			tb.Fatal("subscription not closed")
		}
	}
}

func TestPubSubBetweenProcesses(t *testing.T) {
	t.Parallel()
	pub, sub := mustOpen(t, ""), mustOpen(t, "")
	channel := "barongtest:" + randHex(t, 8) + ":cache"
	ctx := ctxT(t)

	ch, stop := sub.Subscribe(ctx, channel)
	for _, msg := range []string{"permissions", "restrictions"} {
		if err := pub.Publish(ctx, channel, msg); err != nil {
			t.Fatalf("Publish: %v", err)
		}
		if got := recv(t, ch); got != msg {
			t.Fatalf("received %q, want %q", got, msg)
		}
	}
	stop()
	wantClosed(t, ch)
	stop() // idempotent
}

func TestPubSubContextEnds(t *testing.T) {
	t.Parallel()
	c := mustOpen(t, "")
	ctx, cancel := context.WithCancel(ctxT(t))
	ch, stop := c.Subscribe(ctx, "barongtest:"+randHex(t, 8))
	defer stop()
	cancel()
	wantClosed(t, ch)
}

// TestPubSubReconnect kills the subscriber's connection on the server; the
// subscription comes back, says Resync, and delivers again.
func TestPubSubReconnect(t *testing.T) {
	t.Parallel()
	name := "barongtest-" + randHex(t, 6)
	sub := mustOpen(t, "client_name="+name)
	pub := mustOpen(t, "")
	channel := "barongtest:" + randHex(t, 8)
	ctx := ctxT(t)

	ch, stop := sub.Subscribe(ctx, channel)
	defer stop()

	list, err := pub.rdb.ClientList(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	killed := 0
	sc := bufio.NewScanner(strings.NewReader(list))
	for sc.Scan() {
		f := clientFields(sc.Text())
		if f["name"] == name && f["sub"] == "1" {
			if err := pub.rdb.ClientKillByFilter(ctx, "ID", f["id"]).Err(); err != nil {
				t.Fatalf("CLIENT KILL: %v", err)
			}
			killed++
		}
	}
	if killed != 1 {
		t.Fatalf("found %d subscriber connections named %s, want 1", killed, name)
	}

	if got := recv(t, ch); got != Resync {
		t.Fatalf("after reconnect received %q, want Resync", got)
	}
	if err := pub.Publish(ctx, channel, "permissions"); err != nil {
		t.Fatal(err)
	}
	if got := recv(t, ch); got != "permissions" {
		t.Fatalf("received %q after reconnect", got)
	}
}

// clientFields parses one line of CLIENT LIST.
func clientFields(line string) map[string]string {
	f := map[string]string{}
	for _, kv := range strings.Fields(line) {
		if k, v, ok := strings.Cut(kv, "="); ok {
			f[k] = v
		}
	}
	return f
}
