package amqp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"
)

// Message properties Barong's client (Bunny 2.x) sets on every publish.
const (
	contentType  = "application/octet-stream"
	deliveryMode = amqp091.Persistent
)

const (
	defaultDialTimeout    = 3 * time.Second
	defaultConfirmTimeout = 10 * time.Second
	closeTimeout          = 2 * time.Second
	connectionName        = "barong"
)

var (
	// ErrClosed is returned by Publish and Ping after Close.
	ErrClosed = errors.New("amqp: publisher closed")
	// ErrNacked is returned (wrapped) when the broker refuses a message with
	// a negative publisher confirm.
	ErrNacked = errors.New("amqp: message refused by the broker (nack)")
)

// Publisher publishes Event API messages to RabbitMQ over one lazily opened
// connection with one confirm-mode channel. It is safe for concurrent use;
// operations are serialised.
type Publisher struct {
	url      string
	redacted string // url with the password hidden, for logs and errors
	urlErr   error  // set by New when url does not parse
	logger   *slog.Logger

	dialTimeout    time.Duration
	confirmTimeout time.Duration

	life      context.Context // cancelled by Close
	closeLife context.CancelFunc

	sem  chan struct{} // held by the one operation in progress
	conn *connection   // nil while disconnected; guarded by sem
}

// New returns a Publisher for the AMQP URL rawURL. It does not connect:
// the first Publish or Ping does, so the server can start while RabbitMQ is
// down. A URL that does not parse makes every Publish and Ping fail (the
// error never contains the password). logger may be nil.
func New(rawURL string, logger *slog.Logger) *Publisher {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	life, cancel := context.WithCancel(context.Background())
	p := &Publisher{
		url:            rawURL,
		redacted:       RedactURL(rawURL),
		logger:         logger,
		dialTimeout:    defaultDialTimeout,
		confirmTimeout: defaultConfirmTimeout,
		life:           life,
		closeLife:      cancel,
		sem:            make(chan struct{}, 1),
	}
	if _, err := amqp091.ParseURI(rawURL); err != nil {
		p.urlErr = fmt.Errorf("amqp: invalid RabbitMQ URL %s: %w", p.redacted, sanitizeURLError(err))
		logger.Error("invalid RabbitMQ URL; events will not be published", "url", p.redacted, "error", p.urlErr)
	}
	return p
}

// Publish sends body unchanged to the exchange and routing key derived from
// eventName by Route, and returns nil only once the broker has confirmed the
// message. It connects (or reconnects) first if needed and declares the
// exchange once per connection. On a connection or channel failure the
// connection is dropped and the error returned; the next call dials again.
// Errors: a wrapped ErrInvalidEventName, ErrClosed, ErrNacked, ctx's error,
// or the wrapped client/broker error (an *amqp091.Error for broker refusals).
// An error after the message was sent (ctx ended or the connection died
// before the confirm) does not prove the broker lacks it: delivery is at
// least once, as an outbox relay that retries implies.
func (p *Publisher) Publish(ctx context.Context, eventName string, body []byte) error {
	if _, _, err := Route(eventName); err != nil {
		return err
	}
	_, err := p.PublishBatch(ctx, []Message{{Name: eventName, Body: body}})
	return err
}

// Message is one event of PublishBatch: its full name (routed by Route)
// and the body sent unchanged.
type Message struct {
	Name string
	Body []byte
}

// PublishBatch sends msgs in order on the publisher's channel without
// waiting between them, then waits for their confirms (all in flight at
// once: one round trip for the batch, not one per message). It returns
// how many messages, from the first, the broker confirmed, and the error
// that stopped the rest (as Publish's): the broker keeps the order of one
// channel, so a consumer sees the confirmed prefix in order. Messages after
// the prefix may have reached the broker too (at least once).
func (p *Publisher) PublishBatch(ctx context.Context, msgs []Message) (int, error) {
	if len(msgs) == 0 {
		return 0, nil
	}
	ctx, done, err := p.begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("amqp: publish %s: %w", msgs[0].Name, err)
	}
	defer done()

	c, err := p.connected(ctx)
	if err != nil {
		return 0, fmt.Errorf("amqp: publish %s: %w", msgs[0].Name, err)
	}
	confirms := make([]*amqp091.DeferredConfirmation, 0, len(msgs))
	var sendErr error
	for _, m := range msgs {
		dc, err := p.send(ctx, c, m)
		if err != nil {
			sendErr = err
			break
		}
		confirms = append(confirms, dc)
	}

	wait, cancel := context.WithTimeout(ctx, p.confirmTimeout)
	defer cancel()
	for i, dc := range confirms {
		name := msgs[i].Name
		select {
		case <-dc.Done():
			if dc.Acked() {
				continue
			}
			if c.broken() {
				// Pending confirms are nacked when the channel dies.
				reason := c.closeReason()
				p.drop(reason)
				return i, fmt.Errorf("amqp: publish %s: connection lost before confirm: %w", name, reason)
			}
			return i, fmt.Errorf("amqp: publish %s: %w", name, ErrNacked)
		case <-wait.Done():
			if ctx.Err() != nil {
				return i, fmt.Errorf("amqp: publish %s: waiting for confirm: %w", name, p.opErr(ctx))
			}
			// The broker went silent: the channel's state is unknown.
			err := fmt.Errorf("no confirm within %s: %w", p.confirmTimeout, context.DeadlineExceeded)
			p.drop(err)
			return i, fmt.Errorf("amqp: publish %s: %w", name, err)
		}
	}
	return len(confirms), sendErr
}

// send publishes one message of a batch on c (the caller holds sem),
// declaring its exchange first when needed.
func (p *Publisher) send(ctx context.Context, c *connection, m Message) (*amqp091.DeferredConfirmation, error) {
	exchange, key, err := Route(m.Name)
	if err != nil {
		return nil, err
	}
	if err := c.declare(exchange); err != nil {
		p.drop(err)
		return nil, fmt.Errorf("amqp: publish %s: declare exchange %s: %w", m.Name, exchange, err)
	}
	dc, err := c.ch.PublishWithDeferredConfirmWithContext(ctx, exchange, key, false, false, amqp091.Publishing{
		ContentType:  contentType,
		DeliveryMode: deliveryMode,
		Body:         m.Body,
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("amqp: publish %s: %w", m.Name, p.opErr(ctx))
		}
		p.drop(err)
		return nil, fmt.Errorf("amqp: publish %s: %w", m.Name, err)
	}
	return dc, nil
}

// Ping connects if needed and reports whether the publisher has a usable
// connection to RabbitMQ, for health and readiness checks.
func (p *Publisher) Ping(ctx context.Context) error {
	ctx, done, err := p.begin(ctx)
	if err != nil {
		return fmt.Errorf("amqp: ping: %w", err)
	}
	defer done()
	if _, err := p.connected(ctx); err != nil {
		return fmt.Errorf("amqp: ping: %w", err)
	}
	return nil
}

// Close stops the publisher: an operation in progress returns ErrClosed as
// soon as it can, and the connection is closed. Later calls return
// ErrClosed. Close is idempotent.
func (p *Publisher) Close() error {
	p.closeLife()
	p.sem <- struct{}{}
	defer func() { <-p.sem }()
	if p.conn == nil {
		return nil
	}
	c := p.conn
	p.conn = nil
	if err := c.close(); err != nil && !errors.Is(err, amqp091.ErrClosed) {
		return fmt.Errorf("amqp: close connection: %w", err)
	}
	return nil
}

// begin waits for the publisher to be free and returns a context that ends
// with ctx or with Close, and the function that releases the publisher.
func (p *Publisher) begin(ctx context.Context) (context.Context, func(), error) {
	if p.life.Err() != nil {
		return nil, nil, ErrClosed
	}
	opCtx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(p.life, cancel)
	select {
	case p.sem <- struct{}{}:
	case <-opCtx.Done():
		stop()
		cancel()
		return nil, nil, p.opErr(ctx)
	}
	if p.life.Err() != nil {
		<-p.sem
		stop()
		cancel()
		return nil, nil, ErrClosed
	}
	return opCtx, func() { <-p.sem; stop(); cancel() }, nil
}

// opErr explains why an operation's context ended: Close or the caller.
func (p *Publisher) opErr(ctx context.Context) error {
	if p.life.Err() != nil {
		return ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return context.Canceled
}

// connected returns the live connection, dialling a new one if there is
// none or the current one has died. The caller holds sem.
func (p *Publisher) connected(ctx context.Context) (*connection, error) {
	if c := p.conn; c != nil {
		if !c.broken() {
			return c, nil
		}
		p.drop(c.closeReason())
	}
	if p.urlErr != nil {
		return nil, p.urlErr
	}
	c, err := dial(ctx, p.url, p.dialTimeout)
	if err != nil {
		if p.life.Err() != nil {
			return nil, ErrClosed
		}
		return nil, fmt.Errorf("connect to %s: %w", p.redacted, err)
	}
	p.conn = c
	p.logger.Info("connected to RabbitMQ", "url", p.redacted)
	return c, nil
}

// drop closes and forgets the current connection after a failure. The
// caller holds sem.
func (p *Publisher) drop(reason error) {
	c := p.conn
	if c == nil {
		return
	}
	p.conn = nil
	p.logger.Warn("dropping RabbitMQ connection; the next publish reconnects", "url", p.redacted, "error", reason)
	_ = c.close()
}
