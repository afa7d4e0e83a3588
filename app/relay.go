package app

import (
	"context"
	"log/slog"
	"sync"
	"time"

	barong "github.com/barong-go/barong"
)

// Outbox is the store side of the outbox (sqlstore.DB).
type Outbox interface {
	DeliverOutboxBatch(ctx context.Context, limit int, deliver func(context.Context, []barong.OutboxEvent) (int, error)) (int, error)
	OutboxSignal() <-chan struct{}
}

// Sink receives delivered events: the RabbitMQ publisher, the mailer.
type Sink interface {
	Deliver(ctx context.Context, ev barong.OutboxEvent) error
}

// BatchSink is a Sink that takes several events at once, in order, and
// reports how many of them, from the first, it took (the RabbitMQ
// publisher: one round trip of publisher confirms per batch).
type BatchSink interface {
	Sink
	DeliverBatch(ctx context.Context, evs []barong.OutboxEvent) (int, error)
}

// relayBatch is the most events the relay reads and publishes at once.
const relayBatch = 100

// Relay moves committed events from the outbox to the sinks in id order.
// An event leaves the outbox only when every required sink took it, so a
// RabbitMQ outage delays events but loses none and keeps their order.
type Relay struct {
	Outbox Outbox
	// Required sinks must accept an event before it is removed (RabbitMQ).
	Required []Sink
	// BestEffort sinks are tried once per event, after the required ones
	// took it, each by a goroutine of its own (a slow SMTP server never
	// delays the broker); failures are logged (mail).
	BestEffort []Sink
	Logger     *slog.Logger
	// Poll is the interval between attempts when idle; failures back off
	// up to 4 s, so an event reaches the broker within 5 s of its return.
	Poll time.Duration

	queues []chan barong.OutboxEvent // of the BestEffort sinks, while Run runs
}

// bestEffortQueue is how many events a best-effort sink may lag behind
// before the relay waits for it.
const bestEffortQueue = 1024

// Run delivers until ctx ends.
func (r *Relay) Run(ctx context.Context) {
	poll := r.Poll
	if poll == 0 {
		poll = time.Second
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	r.queues = make([]chan barong.OutboxEvent, len(r.BestEffort))
	for i, s := range r.BestEffort {
		q := make(chan barong.OutboxEvent, bestEffortQueue)
		r.queues[i] = q
		wg.Go(func() { r.drain(ctx, s, q) })
	}
	backoff := poll
	for {
		n, err := r.Outbox.DeliverOutboxBatch(ctx, relayBatch, r.deliver)
		if err != nil && ctx.Err() == nil {
			r.Logger.WarnContext(ctx, "event delivery failed; will retry", slog.Any("error", err), slog.Duration("retry_in", backoff))
		}
		wait := poll
		switch {
		case err != nil:
			wait = backoff
			backoff = min(backoff*2, 4*time.Second)
		case n == relayBatch:
			wait = 0
			backoff = poll
		default:
			backoff = poll
		}
		if ctx.Err() != nil {
			return
		}
		if wait == 0 {
			continue
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-r.Outbox.OutboxSignal():
			t.Stop()
		case <-t.C:
		}
	}
}

// deliver hands a batch to the required sinks (each gets what the one
// before took), then queues what they all took for the best-effort ones.
func (r *Relay) deliver(ctx context.Context, evs []barong.OutboxEvent) (int, error) {
	n := len(evs)
	var err error
	for _, s := range r.Required {
		if n, err = deliverTo(ctx, s, evs[:n]); err != nil {
			break
		}
	}
	for _, ev := range evs[:n] {
		for _, q := range r.queues {
			select {
			case q <- ev:
			case <-ctx.Done():
				return n, err
			}
		}
	}
	return n, err
}

// deliverTo hands evs to s, as a batch when it takes batches.
func deliverTo(ctx context.Context, s Sink, evs []barong.OutboxEvent) (int, error) {
	if b, ok := s.(BatchSink); ok {
		return b.DeliverBatch(ctx, evs)
	}
	for i, ev := range evs {
		if err := s.Deliver(ctx, ev); err != nil {
			return i, err
		}
	}
	return len(evs), nil
}

// drain hands the queued events to a best-effort sink until ctx ends.
func (r *Relay) drain(ctx context.Context, s Sink, q <-chan barong.OutboxEvent) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-q:
			if err := s.Deliver(ctx, ev); err != nil && ctx.Err() == nil {
				r.Logger.ErrorContext(ctx, "event sink failed", slog.String("event", ev.Name), slog.Any("error", err))
			}
		}
	}
}
