package redisstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	barong "github.com/barong-go/barong"
)

// DefaultPrefix namespaces every key when Sessions or KV get an empty prefix.
const DefaultPrefix = "barong:"

// pingTimeout bounds the connectivity check of Open and Ping.
const pingTimeout = 5 * time.Second

// Client is a pooled connection to one Redis server (or Sentinel group)
// shared by the session store, the KV store and the pub/sub channel. It is
// safe for concurrent use.
type Client struct {
	rdb *redis.Client
	log *slog.Logger
	// ap batches the commands of concurrent callers (the API-key nonces):
	// go-redis' autopipeliner, one pipeline in flight on a connection of
	// its pipeline pool.
	ap *redis.AutoPipeliner

	mu   sync.Mutex
	hubs map[string]*hub // the change feed of each prefix (changes.go)
}

// Open connects to the Redis server at rawURL, which is
// redis://[[user]:pass@]host:port/db or rediss:// for TLS (go-redis query
// options such as pool_size and min_idle_conns are honoured), and checks it
// with a PING. The error never repeats the URL, which may hold a password.
// A nil logger discards logs.
func Open(ctx context.Context, rawURL string, logger *slog.Logger) (*Client, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	opts, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("redisstore: parse Redis URL: %w", redactURLError(err))
	}
	sizePool(opts)
	if !strings.Contains(rawURL, "protocol=") {
		// RESP2 unless the URL asks otherwise: nothing here uses RESP3,
		// and on RESP3 go-redis looks for server push notifications
		// before every command, a few per cent of authz's CPU.
		opts.Protocol = 2
	}

	// A lone connection checks the server first: the pool keeps
	// MinIdleConns connections open from the start, and each of them
	// would report a refused dial on its own before Open could fail.
	probe := *opts
	probe.PoolSize, probe.MinIdleConns, probe.MaxRetries = 1, 0, -1
	pc := &Client{rdb: redis.NewClient(&probe), log: logger}
	err = pc.Ping(ctx)
	_ = pc.rdb.Close()
	if err != nil {
		return nil, fmt.Errorf("redisstore: connect to %s: %w", opts.Addr, err)
	}
	c := &Client{rdb: redis.NewClient(opts), log: logger}
	if err := c.warm(ctx, opts.MinIdleConns); err != nil {
		_ = c.rdb.Close()
		return nil, fmt.Errorf("redisstore: connect to %s: %w", opts.Addr, err)
	}
	if err := c.loadScripts(ctx); err != nil {
		_ = c.rdb.Close()
		return nil, err
	}
	if c.ap, err = c.rdb.AutoPipeline(); err != nil {
		_ = c.rdb.Close()
		return nil, fmt.Errorf("redisstore: autopipeline: %w", err)
	}
	logger.Info("redis connected", "addr", opts.Addr, "db", opts.DB,
		"tls", opts.TLSConfig != nil, "pool_size", opts.PoolSize, "min_idle_conns", opts.MinIdleConns)
	return c, nil
}

// warm opens n connections of the pool before Open returns (go-redis
// opens the idle ones in the background), so that the first requests
// never wait for a dial.
func (c *Client) warm(ctx context.Context, n int) error {
	ctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	conns := make([]*redis.Conn, 0, n)
	defer func() {
		for _, cn := range conns {
			_ = cn.Close() // back to the pool, idle
		}
	}()
	for range n {
		cn := c.rdb.Conn()
		conns = append(conns, cn)
		if err := cn.Ping(ctx).Err(); err != nil {
			return fmt.Errorf("redisstore: ping: %w", err)
		}
	}
	return nil
}

// sizePool fills in pool sizes the URL left unset: go-redis' default pool
// of 10 connections per CPU, of which a few per CPU stay open while idle
// so that a request after a quiet period does not wait for a dial.
func sizePool(opts *redis.Options) {
	procs := runtime.GOMAXPROCS(0)
	if opts.PoolSize <= 0 {
		opts.PoolSize = 10 * procs
	}
	if opts.MinIdleConns <= 0 {
		opts.MinIdleConns = min(max(4, 2*procs), opts.PoolSize)
	}
}

// redactURLError drops the URL from a *url.Error, whose message would
// otherwise print the password.
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// loadScripts loads the Lua scripts into the server's script cache, so
// that their first runs are single EVALSHA round trips too. (A script the
// server forgot, after a restart or SCRIPT FLUSH, is sent again by go-redis.)
func (c *Client) loadScripts(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	_, err := c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, src := range luaSources {
			p.ScriptLoad(ctx, src)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("redisstore: load scripts: %w", err)
	}
	return nil
}

// Ping checks that Redis answers within a few seconds.
func (c *Client) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	if err := c.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redisstore: ping: %w", err)
	}
	return nil
}

// Close stops the change feeds and closes the pool. Stores made from c
// stop working.
func (c *Client) Close() error {
	c.mu.Lock()
	hubs := c.hubs
	c.hubs = nil
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), ackTimeout)
	defer cancel()
	for _, h := range hubs {
		h.close() // first: no heartbeat renews the liveness key after its deletion
		h.nonces.close(ctx)
	}
	if err := c.rdb.Close(); err != nil {
		return fmt.Errorf("redisstore: close: %w", err)
	}
	return nil
}

// Sessions returns the session store whose keys start with prefix
// (DefaultPrefix when empty).
func (c *Client) Sessions(prefix string) barong.SessionStore {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	return c.sessions(prefix)
}

func (c *Client) sessions(prefix string) *sessionStore {
	return &sessionStore{
		rdb:          c.rdb,
		hub:          c.hub(prefix),
		recordPrefix: prefix + "session:",
		indexPrefix:  prefix + "user_sessions:",
	}
}

// hub returns the change feed of prefix, shared by the stores of c.
func (c *Client) hub(prefix string) *hub {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.hubs == nil {
		c.hubs = map[string]*hub{}
	}
	h := c.hubs[prefix]
	if h == nil {
		h = newHub(c.rdb, c.log, prefix)
		h.nonces.ap = c.ap
		c.hubs[prefix] = h
	}
	return h
}

// KV returns the key-value store whose keys are <prefix>kv:<key>
// (DefaultPrefix when prefix is empty).
func (c *Client) KV(prefix string) barong.KV {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	return &kvStore{rdb: c.rdb, prefix: prefix + "kv:"}
}
