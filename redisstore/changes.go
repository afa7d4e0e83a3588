package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	barong "github.com/barong-go/barong"
)

// The feed of changes between the processes sharing a prefix (barong.Change:
// sessions revoked, users, service accounts and API keys written). A change
// is applied in the process that made it before the write returns, then
// published on <prefix>changes; every subscribed process applies it and
// acknowledges on <prefix>changes:ack:<origin>, and the writer waits for
// those acknowledgements (at most ackTimeout): when a logout, a ban or a key
// deletion returns, every live process has dropped what it cached of it.
//
// A process cannot know what it missed while its subscription was down, so
// its feed is Live only while the heartbeat it publishes every
// heartbeatEvery on its own acknowledgement channel keeps coming back
// through Redis (within liveWindow); authz uses nothing cached while it is
// not. A subscription re-established after a reconnection reports
// barong.ChangedAll.
const (
	heartbeatEvery = 200 * time.Millisecond
	liveWindow     = 800 * time.Millisecond
	ackTimeout     = time.Second
	// subscribeBuffer is the number of messages a slow receiver may lag
	// behind.
	subscribeBuffer = 256
	heartbeat       = "beat"
	// sweepEvery is how many beats apart the API-key nonces kept in
	// memory are pruned (5 s).
	sweepEvery = 25
)

// hub is the feed of one prefix in this process; Client.hub makes one per
// prefix, shared by the stores of the prefix.
type hub struct {
	rdb       *redis.Client
	log       *slog.Logger
	channel   string // <prefix>changes
	ackPrefix string // <prefix>changes:ack:
	origin    string // this hub, in messages

	startOnce sync.Once
	cancel    context.CancelFunc
	done      chan struct{}
	lastBeat  atomic.Int64 // unix ns of the latest heartbeat seen back

	watchers barong.ChangeWatchers

	mu    sync.Mutex
	seq   uint64
	waits map[uint64]*ackWait

	nonces *nonceOwner // API-key nonces checked in this process (nonces.go)
}

// ackWait counts the acknowledgements of one published message; need is
// -1 until PUBLISH told how many subscribers received it.
type ackWait struct {
	got, need int
	done      chan struct{}
}

// message is what a hub publishes.
type message struct {
	Origin  string          `json:"o"`
	Seq     uint64          `json:"s"`
	Changes []barong.Change `json:"c"`
}

func newHub(rdb *redis.Client, log *slog.Logger, prefix string) *hub {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	h := &hub{rdb: rdb, log: log, channel: prefix + "changes", ackPrefix: prefix + "changes:ack:",
		origin: hex.EncodeToString(b), waits: map[uint64]*ackWait{}}
	h.nonces = newNonceOwner(h, prefix)
	return h
}

// start subscribes, once: to the changes and to this hub's
// acknowledgements, on one connection, and starts the heartbeat.
func (h *hub) start() {
	h.startOnce.Do(func() {
		ctx, cancel := context.WithCancel(context.Background())
		h.cancel, h.done = cancel, make(chan struct{})
		ps := h.rdb.Subscribe(ctx, h.channel, h.ackPrefix+h.origin)
		confirmed := true
		for range 2 {
			if _, err := ps.ReceiveTimeout(ctx, pingTimeout); err != nil {
				h.log.Warn("redis change feed not subscribed yet, retrying in the background", "err", err)
				confirmed = false
				break
			}
		}
		if confirmed {
			h.lastBeat.Store(time.Now().UnixNano())
		}
		in := ps.ChannelWithSubscriptions(redis.WithChannelSize(subscribeBuffer))
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); h.receive(ctx, in) }()
		go func() { defer wg.Done(); h.beat(ctx) }()
		go func() {
			<-ctx.Done()
			_ = ps.Close()
			wg.Wait()
			close(h.done)
		}()
	})
}

// close stops the subscription and waits for its goroutines.
func (h *hub) close() {
	h.startOnce.Do(func() {}) // a hub never started stays so
	if h.cancel != nil {
		h.cancel()
		<-h.done
	}
}

func (h *hub) beat(ctx context.Context) {
	t := time.NewTicker(heartbeatEvery)
	defer t.Stop()
	beats := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			_ = h.rdb.Publish(ctx, h.ackPrefix+h.origin, heartbeat).Err() // a failure shows as a missing beat
			if h.live() && h.nonces.active.Load() {
				h.nonces.renewAlive(ctx)
			}
			if beats++; beats%sweepEvery == 0 && h.nonces.active.Load() {
				h.nonces.sweep()
			}
		}
	}
}

func (h *hub) receive(ctx context.Context, in <-chan any) {
	for m := range in {
		switch m := m.(type) {
		case *redis.Subscription:
			if m.Kind == "subscribe" { // again, after a reconnection: changes may have been missed
				h.log.Info("redis change feed re-subscribed", "channel", m.Channel)
				h.watchers.Deliver([]barong.Change{{Kind: barong.ChangedAll}})
			}
		case *redis.Message:
			if m.Channel == h.channel {
				h.received(ctx, m.Payload)
			} else {
				h.acked(m.Payload)
			}
		}
	}
}

// received applies a message of another process and acknowledges it (a
// message of this hub was applied when it was sent).
func (h *hub) received(ctx context.Context, payload string) {
	msg, err := decodeMessage(payload)
	if err != nil {
		h.log.Warn("redis change feed: unreadable message", "err", err)
		h.watchers.Deliver([]barong.Change{{Kind: barong.ChangedAll}})
		return
	}
	if msg.Origin != h.origin {
		h.watchers.Deliver(msg.Changes)
	}
	ctx, cancel := context.WithTimeout(ctx, ackTimeout)
	defer cancel()
	if err := h.rdb.Publish(ctx, h.ackPrefix+msg.Origin, strconv.FormatUint(msg.Seq, 10)).Err(); err != nil {
		h.log.Warn("redis change feed: acknowledge", "err", err)
	}
}

// decodeMessage parses a published message: an origin of 16 hex digits
// (a hub's), and changes of known kinds.
func decodeMessage(payload string) (message, error) {
	var msg message
	if err := json.Unmarshal([]byte(payload), &msg); err != nil {
		return msg, fmt.Errorf("decode change message: %w", err)
	}
	if b, err := hex.DecodeString(msg.Origin); err != nil || len(b) != 8 {
		return msg, errors.New("decode change message: bad origin")
	}
	for _, c := range msg.Changes {
		if c.Kind > barong.ChangedUserSessions {
			return msg, fmt.Errorf("decode change message: unknown kind %d", c.Kind)
		}
	}
	return msg, nil
}

// acked counts an acknowledgement, notes a heartbeat, or hands an API
// key's nonces over to the process that asked for them.
func (h *hub) acked(payload string) {
	if payload == heartbeat {
		h.lastBeat.Store(time.Now().UnixNano())
		return
	}
	if kid, ok := strings.CutPrefix(payload, releaseTag); ok {
		h.nonces.requested(kid)
		return
	}
	seq, err := strconv.ParseUint(payload, 10, 64)
	if err != nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if w := h.waits[seq]; w != nil {
		w.got++
		if w.need >= 0 && w.got == w.need {
			close(w.done)
		}
	}
}

// notify applies cs in this process, publishes them and waits until every
// subscribed process acknowledged them (at most ackTimeout). It runs after
// a committed write, so it ignores ctx's end; failures are logged.
func (h *hub) notify(ctx context.Context, cs []barong.Change) {
	h.watchers.Deliver(cs)
	h.start()
	h.mu.Lock()
	h.seq++
	seq, w := h.seq, &ackWait{need: -1, done: make(chan struct{})}
	h.waits[seq] = w
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		delete(h.waits, seq)
		h.mu.Unlock()
	}()
	body, err := json.Marshal(message{Origin: h.origin, Seq: seq, Changes: cs})
	if err != nil {
		h.log.Error("redis change feed: encode", "err", err)
		return
	}

	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ackTimeout)
	defer cancel()
	n, err := h.rdb.Publish(ctx, h.channel, body).Result()
	if err != nil { // once more: a process that does not hear of it keeps a stale record
		n, err = h.rdb.Publish(ctx, h.channel, body).Result()
	}
	if err != nil {
		h.log.Error("redis change feed: publish", "err", err)
		return
	}
	h.mu.Lock()
	w.need = int(n)
	if w.got >= w.need {
		h.mu.Unlock()
		return
	}
	h.mu.Unlock()
	select {
	case <-w.done:
	case <-ctx.Done():
		h.mu.Lock()
		got := w.got
		h.mu.Unlock()
		h.log.Warn("redis change feed: not acknowledged by every process in time",
			"acknowledged", got, "subscribers", n, "timeout", ackTimeout)
	}
}

// watch registers fn for the changes delivered from now on.
func (h *hub) watch(fn func(barong.Change)) (stop func()) {
	h.start()
	return h.watchers.Watch(fn)
}

// live reports whether a heartbeat came back within liveWindow.
func (h *hub) live() bool {
	return time.Now().UnixNano()-h.lastBeat.Load() < int64(liveWindow)
}
