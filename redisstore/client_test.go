package redisstore

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestOpen(t *testing.T) {
	t.Parallel()
	c := mustOpen(t, "")
	if err := c.Ping(ctxT(t)); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	opts := c.rdb.Options()
	if opts.MinIdleConns <= 0 || opts.MinIdleConns > opts.PoolSize {
		t.Fatalf("pool: size %d, min idle %d", opts.PoolSize, opts.MinIdleConns)
	}
	var hashes []string
	for _, src := range luaSources {
		hashes = append(hashes, redis.NewScript(src).Hash())
	}
	if len(hashes) != 10 {
		t.Fatalf("%d scripts registered, want 10", len(hashes))
	}
	loaded, err := c.rdb.ScriptExists(ctxT(t), hashes...).Result()
	if err != nil {
		t.Fatal(err)
	}
	for i, ok := range loaded {
		if !ok {
			t.Errorf("script %d not loaded by Open", i)
		}
	}
}

func TestOpenKeepsURLPoolOptions(t *testing.T) {
	t.Parallel()
	c := mustOpen(t, "pool_size=3&min_idle_conns=1")
	if o := c.rdb.Options(); o.PoolSize != 3 || o.MinIdleConns != 1 {
		t.Fatalf("pool: size %d, min idle %d; want 3, 1", o.PoolSize, o.MinIdleConns)
	}
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	for name, u := range map[string]string{
		"BadPort":   "redis://:s3cr3tpw@127.0.0.1:notaport/0",
		"BadScheme": "http://:s3cr3tpw@127.0.0.1:6379/0",
		"BadDB":     "redis://:s3cr3tpw@127.0.0.1:6379/x",
	} {
		_, err := Open(context.Background(), u, nil)
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		if strings.Contains(err.Error(), "s3cr3tpw") {
			t.Errorf("%s: error shows the password: %v", name, err)
		}
	}
}

func TestOpenUnreachable(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err := Open(ctx, "redis://:s3cr3tpw@127.0.0.1:1/0", nil)
	if err == nil {
		t.Fatal("Open of a closed port: no error")
	}
	if strings.Contains(err.Error(), "s3cr3tpw") {
		t.Fatalf("error shows the password: %v", err)
	}
}

func TestSizePool(t *testing.T) {
	o := &redis.Options{}
	sizePool(o)
	if o.PoolSize <= 0 || o.MinIdleConns < 4 || o.MinIdleConns > o.PoolSize {
		t.Fatalf("sizePool: size %d, min idle %d", o.PoolSize, o.MinIdleConns)
	}
	o = &redis.Options{PoolSize: 2}
	sizePool(o)
	if o.MinIdleConns != 2 {
		t.Fatalf("min idle %d exceeds pool of 2", o.MinIdleConns)
	}
}

func TestGlobEscape(t *testing.T) {
	if got, want := globEscape(`a*b?c[d]e\f`), `a\*b\?c\[d\]e\\f`; got != want {
		t.Fatalf("globEscape = %q, want %q", got, want)
	}
}
