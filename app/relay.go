package app

import (
	"context"
	"log/slog"
	"time"

	barong "github.com/barong-go/barong"
)

// Outbox is the store side of the outbox (sqlstore.DB).
type Outbox interface {
	DeliverOutbox(ctx context.Context, limit int, deliver func(context.Context, barong.OutboxEvent) error) (int, error)
	OutboxSignal() <-chan struct{}
}

// Sink receives delivered events: the RabbitMQ publisher, the mailer.
type Sink interface {
	Deliver(ctx context.Context, ev barong.OutboxEvent) error
}

// Relay moves committed events from the outbox to the sinks in id order.
// An event leaves the outbox only when every required sink took it, so a
// RabbitMQ outage delays events but loses none and keeps their order.
type Relay struct {
	Outbox Outbox
	// Required sinks must accept an event before it is removed (RabbitMQ).
	Required []Sink
	// BestEffort sinks are tried once per event; failures are logged (mail).
	BestEffort []Sink
	Logger     *slog.Logger
	// Poll is the interval between attempts when idle; failures back off
	// up to 4 s, so an event reaches the broker within 5 s of its return.
	Poll time.Duration
}

// Run delivers until ctx ends.
func (r *Relay) Run(ctx context.Context) {
	poll := r.Poll
	if poll == 0 {
		poll = time.Second
	}
	backoff := poll
	for {
		n, err := r.Outbox.DeliverOutbox(ctx, 100, r.deliver)
		if err != nil && ctx.Err() == nil {
			r.Logger.WarnContext(ctx, "event delivery failed; will retry", slog.Any("error", err), slog.Duration("retry_in", backoff))
		}
		wait := poll
		switch {
		case err != nil:
			wait = backoff
			backoff = min(backoff*2, 4*time.Second)
		case n == 100:
			wait = 0
			backoff = poll
		default:
			backoff = poll
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

// deliver hands one event to the sinks.
func (r *Relay) deliver(ctx context.Context, ev barong.OutboxEvent) error {
	for _, s := range r.Required {
		if err := s.Deliver(ctx, ev); err != nil {
			return err
		}
	}
	for _, s := range r.BestEffort {
		if err := s.Deliver(ctx, ev); err != nil {
			r.Logger.ErrorContext(ctx, "event sink failed", slog.String("event", ev.Name), slog.Any("error", err))
		}
	}
	return nil
}
