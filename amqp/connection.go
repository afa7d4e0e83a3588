package amqp

import (
	"context"
	"fmt"
	"net"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"
)

// connection is one AMQP connection with its confirm-mode channel and the
// exchanges already declared on it. A Publisher replaces it as a whole.
type connection struct {
	conn     *amqp091.Connection
	ch       *amqp091.Channel
	raw      net.Conn // the socket under conn
	connErr  chan *amqp091.Error
	chErr    chan *amqp091.Error
	declared map[string]bool
}

// dial opens a connection and a channel in confirm mode. The TCP connect
// and the AMQP handshake together take at most timeout and stop when ctx
// ends.
func dial(ctx context.Context, rawURL string, timeout time.Duration) (*connection, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	var (
		raw  net.Conn
		stop func() bool
	)
	props := amqp091.NewConnectionProperties()
	props.SetClientConnectionName(connectionName)
	cfg := amqp091.Config{
		Properties: props,
		Dial: func(network, addr string) (net.Conn, error) {
			var d net.Dialer
			c, err := d.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			// Bound the handshake; the client clears the deadline once open.
			if dl, ok := ctx.Deadline(); ok {
				_ = c.SetDeadline(dl)
			}
			stop = context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Now()) })
			raw = c
			return c, nil
		},
	}
	conn, err := amqp091.DialConfig(rawURL, cfg)
	// If the AfterFunc ran, the socket may hold a past deadline even though
	// the handshake finished: such a connection is unusable.
	fired := stop != nil && !stop()
	if err != nil {
		if raw != nil {
			_ = raw.Close()
		}
		if ctxErr := expired(ctx); ctxErr != nil {
			return nil, fmt.Errorf("%w (%w)", err, ctxErr)
		}
		return nil, err
	}
	if fired {
		_ = conn.CloseDeadline(time.Now())
		_ = raw.Close()
		return nil, fmt.Errorf("handshake: %w", ctx.Err())
	}

	c := &connection{conn: conn, raw: raw, declared: make(map[string]bool)}
	c.connErr = conn.NotifyClose(make(chan *amqp091.Error, 1))
	if c.ch, err = conn.Channel(); err != nil {
		_ = c.close()
		return nil, fmt.Errorf("open channel: %w", err)
	}
	c.chErr = c.ch.NotifyClose(make(chan *amqp091.Error, 1))
	if err := c.ch.Confirm(false); err != nil {
		_ = c.close()
		return nil, fmt.Errorf("enable publisher confirms: %w", err)
	}
	return c, nil
}

// expired returns ctx's error, or context.DeadlineExceeded when its
// deadline has passed but its timer has not fired yet (the socket deadline,
// set to the same instant, can fire first).
func expired(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) {
		return context.DeadlineExceeded
	}
	return nil
}

// declare declares exchange once per connection as Barong does: direct,
// non-durable, not auto-delete, not internal, no arguments.
func (c *connection) declare(exchange string) error {
	if c.declared[exchange] {
		return nil
	}
	const durable, autoDelete, internal, noWait = false, false, false, false
	if err := c.ch.ExchangeDeclare(exchange, ExchangeKind, durable, autoDelete, internal, noWait, nil); err != nil {
		return err
	}
	c.declared[exchange] = true
	return nil
}

// broken reports whether the connection or its channel has closed.
func (c *connection) broken() bool {
	return c.conn.IsClosed() || c.ch == nil || c.ch.IsClosed()
}

// closeReason returns the error that closed the channel or the connection,
// if the client has reported one, else amqp091.ErrClosed.
func (c *connection) closeReason() error {
	for _, ch := range []chan *amqp091.Error{c.chErr, c.connErr} {
		select {
		case e, ok := <-ch:
			if ok && e != nil {
				return e
			}
		default:
		}
	}
	return amqp091.ErrClosed
}

// close closes the connection, waiting at most closeTimeout for the broker.
func (c *connection) close() error {
	return c.conn.CloseDeadline(time.Now().Add(closeTimeout))
}
