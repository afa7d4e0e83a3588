package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/barong-go/barong/internal/testenv"
)

// mustOpen opens a Client on the test Redis (skipping when it is absent)
// and closes it at cleanup. query is appended to the URL ("client_name=x").
func mustOpen(tb testing.TB, query string) *Client {
	tb.Helper()
	u := testenv.Redis(tb)
	if query != "" {
		sep := "?"
		if strings.Contains(u, "?") {
			sep = "&"
		}
		u += sep + query
	}
	c, err := Open(context.Background(), u, nil)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { _ = c.Close() })
	return c
}

// randHex returns n random bytes in hex.
func randHex(tb testing.TB, n int) string {
	tb.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		tb.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// testPrefix returns a fresh key prefix whose keys are deleted (with SCAN)
// at cleanup.
func testPrefix(tb testing.TB, c *Client) string {
	tb.Helper()
	p := "barongtest:" + randHex(tb, 8) + ":"
	tb.Cleanup(func() {
		ctx := context.Background()
		for _, k := range keysUnder(tb, c, p) {
			c.rdb.Del(ctx, k)
		}
	})
	return p
}

// keysUnder lists the keys starting with prefix.
func keysUnder(tb testing.TB, c *Client, prefix string) []string {
	tb.Helper()
	var keys []string
	iter := c.rdb.Scan(context.Background(), 0, prefix+"*", 100).Iterator()
	for iter.Next(context.Background()) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		tb.Fatalf("scan: %v", err)
	}
	return keys
}

// countHook counts what the client sends: commands (except the handshake
// of new connections), pipelines and dials.
type countHook struct {
	cmds, pipes, dials atomic.Int64
}

func (h *countHook) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		h.dials.Add(1)
		return next(ctx, network, addr)
	}
}

func (h *countHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if !handshake(cmd) {
			h.cmds.Add(1)
		}
		return next(ctx, cmd)
	}
}

func (h *countHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if !slices.ContainsFunc(cmds, handshake) {
			h.pipes.Add(1)
		}
		return next(ctx, cmds)
	}
}

// handshake reports whether cmd belongs to the set-up of a new connection.
func handshake(cmd redis.Cmder) bool {
	switch cmd.Name() {
	case "hello", "auth", "client", "select":
		return true
	}
	return false
}

// trips returns the round trips counted so far.
func (h *countHook) trips() int64 { return h.cmds.Load() + h.pipes.Load() }

// ctxT is a context that ends with the test or after 10 s.
func ctxT(tb testing.TB) context.Context {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	tb.Cleanup(cancel)
	return ctx
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
