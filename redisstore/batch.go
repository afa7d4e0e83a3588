package redisstore

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
)

// batchMax bounds the script runs one pipeline carries.
const batchMax = 128

// batchTimeout bounds one pipeline round trip.
const batchTimeout = 2 * pingTimeout

// batcher sends the script runs of concurrent requests to Redis together:
// a run that finds fewer than max pipelines in flight sends every queued
// run in one pipeline, and the runs arriving meanwhile wait and leave
// together in the next. Nothing waits for company: a lone run leaves at
// once, so latency is one round trip, while under load a round trip (and
// the system calls and wake-ups on both sides) is shared by many requests.
// No goroutine outlives the queue: the run that starts a pipeline sends
// it, and a goroutine sends the following ones until the queue is empty.
type batcher struct {
	rdb *redis.Client
	max int

	mu       sync.Mutex
	queue    []*batchCall
	inFlight int
}

type batchCall struct {
	script *redis.Script
	keys   []string
	args   []any
	cmd    *redis.Cmd
	done   chan struct{}
}

// run runs the script like Script.Run, batched with concurrent runs. ctx
// bounds the wait; the pipeline has its own timeout.
func (b *batcher) run(ctx context.Context, s *redis.Script, keys []string, args ...any) *redis.Cmd {
	c := &batchCall{script: s, keys: keys, args: args, done: make(chan struct{})}
	b.mu.Lock()
	b.queue = append(b.queue, c)
	lead := b.inFlight < b.max
	if lead {
		b.inFlight++
	}
	b.mu.Unlock()
	if lead && b.send() {
		go func() {
			for b.send() {
			}
		}()
	}
	select {
	case <-c.done:
		return c.cmd
	case <-ctx.Done():
		cmd := redis.NewCmd(ctx)
		cmd.SetErr(fmt.Errorf("wait for redis: %w", ctx.Err()))
		return cmd
	}
}

// send sends the queued runs (up to batchMax) in one pipeline. It reports
// whether runs are left, in which case its caller keeps the in-flight slot
// and must send again; else the slot is released.
func (b *batcher) send() (more bool) {
	b.mu.Lock()
	n := min(len(b.queue), batchMax)
	if n == 0 {
		b.inFlight--
		b.mu.Unlock()
		return false
	}
	calls := make([]*batchCall, n)
	copy(calls, b.queue)
	b.queue = append(b.queue[:0], b.queue[n:]...)
	b.mu.Unlock()

	ZZBatches.Add(1)
	ZZCalls.Add(int64(len(calls)))
	ctx, cancel := context.WithTimeout(context.Background(), batchTimeout)
	defer cancel()
	if len(calls) == 1 {
		c := calls[0]
		c.cmd = c.script.Run(ctx, b.rdb, c.keys, c.args...)
		close(c.done)
	} else {
		pipe := b.rdb.Pipeline()
		for _, c := range calls {
			c.cmd = c.script.EvalSha(ctx, pipe, c.keys, c.args...)
		}
		_, _ = pipe.Exec(ctx) // errors are in each command
		for _, c := range calls {
			if redis.HasErrorPrefix(c.cmd.Err(), "NOSCRIPT") { // Redis restarted or flushed its scripts
				c.cmd = c.script.Run(ctx, b.rdb, c.keys, c.args...)
			}
			close(c.done)
		}
	}
	b.mu.Lock()
	more = len(b.queue) > 0
	if !more {
		b.inFlight--
	}
	b.mu.Unlock()
	return more
}

var ZZBatches, ZZCalls atomic.Int64
