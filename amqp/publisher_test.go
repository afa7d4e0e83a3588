package amqp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/barong-go/barong/internal/testenv"
)

// receiveBody waits for the delivery carrying body, skipping messages that
// other tests on the same exchange and key may have published.
func receiveBody(t *testing.T, d <-chan amqp091.Delivery, body []byte) amqp091.Delivery {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case m, ok := <-d:
			if !ok {
				t.Fatal("delivery channel closed")
			}
			if bytes.Equal(m.Body, body) {
				return m
			}
		case <-deadline:
			t.Fatalf("message %q not delivered within 5 s", body)
		}
	}
}

func TestPublishDeliversBodyAsIs(t *testing.T) {
	t.Parallel()
	url := testenv.RabbitMQ(t)
	for _, tc := range []struct{ name, exchange, key string }{
		{"model.user.created", "barong.events.model", "user.created"},
		{"system.user.email.confirmation.token", "barong.events.system", "user.email.confirmation.token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := bindQueue(t, tc.exchange, tc.key)
			p, _ := newPublisher(t, url)
			// A JWS-like JSON text plus bytes that are not UTF-8: nothing may be re-encoded.
			body := fmt.Appendf(nil, `{"payload":"%s","signatures":[{"header":{"kid":"barong"}}]}`, randomID(t))
			body = append(body, 0x00, 0xff, '<', '&')
			if err := p.Publish(t.Context(), tc.name, body); err != nil {
				t.Fatalf("Publish: %v", err)
			}
			m := receiveBody(t, d, body)
			if m.Exchange != tc.exchange || m.RoutingKey != tc.key {
				t.Errorf("delivered via %q/%q; want %q/%q", m.Exchange, m.RoutingKey, tc.exchange, tc.key)
			}
			// Bunny's defaults, which Barong's messages carry.
			if m.ContentType != "application/octet-stream" || m.DeliveryMode != 2 || m.Priority != 0 || len(m.Headers) != 0 {
				t.Errorf("properties: content type %q, delivery mode %d, priority %d, headers %v",
					m.ContentType, m.DeliveryMode, m.Priority, m.Headers)
			}
		})
	}
}

func TestExchangeIsDirectNonDurable(t *testing.T) {
	t.Parallel()
	p, _ := newPublisher(t, testenv.RabbitMQ(t))
	category := "t" + randomID(t)
	exchange := ExchangePrefix + category
	conn, ch := adminChannel(t)
	t.Cleanup(func() {
		if c, err := conn.Channel(); err == nil {
			_ = c.ExchangeDelete(exchange, false, false)
		}
	})

	if err := p.Publish(t.Context(), category+".user.created", []byte("{}")); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if err := ch.ExchangeDeclarePassive(exchange, "direct", false, false, false, false, nil); err != nil {
		t.Fatalf("exchange %s was not declared: %v", exchange, err)
	}
	if err := ch.ExchangeDeclare(exchange, "direct", false, false, false, false, nil); err != nil {
		t.Fatalf("declaring %s as Barong's consumers do (direct, non-durable) failed: %v", exchange, err)
	}
	for _, c := range []struct {
		what                        string
		kind                        string
		durable, autoDelete, intern bool
	}{
		{"durable", "direct", true, false, false},
		{"auto-delete", "direct", false, true, false},
		{"internal", "direct", false, false, true},
		{"fanout", "fanout", false, false, false},
		{"topic", "topic", false, false, false},
	} {
		fresh, err := conn.Channel()
		if err != nil {
			t.Fatal(err)
		}
		err = fresh.ExchangeDeclare(exchange, c.kind, c.durable, c.autoDelete, c.intern, false, nil)
		var ae *amqp091.Error
		if !errors.As(err, &ae) || ae.Code != amqp091.PreconditionFailed {
			t.Errorf("declaring the exchange %s: got %v; want PRECONDITION_FAILED", c.what, err)
		}
	}
}

func TestRefusedDeclarationDropsConnection(t *testing.T) {
	t.Parallel()
	p, logs := newPublisher(t, testenv.RabbitMQ(t))
	category := "d" + randomID(t)
	exchange := ExchangePrefix + category
	conn, ch := adminChannel(t)
	if err := ch.ExchangeDeclare(exchange, "direct", true, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if c, err := conn.Channel(); err == nil {
			_ = c.ExchangeDelete(exchange, false, false)
		}
	})

	err := p.Publish(t.Context(), category+".x", []byte("{}"))
	var ae *amqp091.Error
	if !errors.As(err, &ae) || ae.Code != amqp091.PreconditionFailed {
		t.Fatalf("Publish to a durable exchange: got %v; want PRECONDITION_FAILED", err)
	}
	if p.conn != nil {
		t.Error("connection kept after a channel error")
	}
	if !strings.Contains(logs.String(), "dropping RabbitMQ connection") {
		t.Errorf("drop not logged: %s", logs)
	}
	key := "ok." + randomID(t)
	d := bindQueue(t, "barong.events.model", key)
	if err := p.Publish(t.Context(), "model."+key, []byte("after")); err != nil {
		t.Fatalf("Publish after the channel error: %v", err)
	}
	receiveBody(t, d, []byte("after"))
}

func TestExchangeDeletedUnderThePublisher(t *testing.T) {
	t.Parallel()
	p, _ := newPublisher(t, testenv.RabbitMQ(t))
	category := "e" + randomID(t)
	exchange := ExchangePrefix + category
	conn, ch := adminChannel(t)
	t.Cleanup(func() {
		if c, err := conn.Channel(); err == nil {
			_ = c.ExchangeDelete(exchange, false, false)
		}
	})
	if err := p.Publish(t.Context(), category+".k", []byte("1")); err != nil {
		t.Fatalf("first Publish: %v", err)
	}
	if err := ch.ExchangeDelete(exchange, false, false); err != nil {
		t.Fatal(err)
	}
	// The broker closes the channel (NOT_FOUND): not confirmed, so an error.
	err := p.Publish(t.Context(), category+".k", []byte("2"))
	var ae *amqp091.Error
	if !errors.As(err, &ae) || ae.Code != amqp091.NotFound {
		t.Fatalf("Publish to a deleted exchange: got %v; want NOT_FOUND", err)
	}
	d := bindQueue(t, exchange, "k")
	if err := p.Publish(t.Context(), category+".k", []byte("3")); err != nil {
		t.Fatalf("Publish after reconnect: %v", err)
	}
	if m := receive(t, d); string(m.Body) != "3" {
		t.Fatalf("received %q; want %q", m.Body, "3")
	}
}

func TestReconnectAfterSocketLoss(t *testing.T) {
	t.Parallel()
	p, _ := newPublisher(t, testenv.RabbitMQ(t))
	key := "loss." + randomID(t)
	d := bindQueue(t, "barong.events.model", key)
	if err := p.Publish(t.Context(), "model."+key, []byte("before")); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	receiveBody(t, d, []byte("before"))
	old := p.conn
	killSocket(t, p)

	// The loss may surface on the next call or be noticed before it; either
	// way the call after that must go through on a new connection.
	var err error
	for range 2 {
		if err = p.Publish(t.Context(), "model."+key, []byte("after")); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("Publish did not reconnect: %v", err)
	}
	if p.conn == old {
		t.Error("the dead connection was reused")
	}
	receiveBody(t, d, []byte("after"))
}

func TestBrokerDownThenUp(t *testing.T) {
	t.Parallel()
	testenv.RabbitMQ(t)
	px := newProxy(t)
	p, _ := newPublisher(t, "amqp://guest:guest@"+px.addr+"/")
	key := "updown." + randomID(t)
	d := bindQueue(t, "barong.events.model", key)

	start := time.Now()
	if err := p.Publish(t.Context(), "model."+key, []byte("0")); err == nil {
		t.Fatal("Publish succeeded while the broker is down")
	}
	if err := p.Ping(t.Context()); err == nil {
		t.Fatal("Ping succeeded while the broker is down")
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("failing while down took %s", el)
	}

	px.start()
	if err := p.Ping(t.Context()); err != nil {
		t.Fatalf("Ping once up: %v", err)
	}
	if err := p.Publish(t.Context(), "model."+key, []byte("1")); err != nil {
		t.Fatalf("Publish once up: %v", err)
	}
	receiveBody(t, d, []byte("1"))

	px.stop()
	if err := p.Publish(t.Context(), "model."+key, []byte("2")); err == nil {
		// The client may not yet have seen the socket close; the next call must fail.
		if err := p.Publish(t.Context(), "model."+key, []byte("2")); err == nil {
			t.Fatal("Publish succeeded after the broker went down")
		}
	}
	px.start()
	if err := p.Publish(t.Context(), "model."+key, []byte("3")); err != nil {
		t.Fatalf("Publish once back up: %v", err)
	}
	receiveBody(t, d, []byte("3"))
}

// blackHole accepts TCP connections and never answers, like a broker that
// hangs during the handshake.
func blackHole(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var held []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			_ = c.Close()
		}
	})
	return "amqp://guest:guest@" + ln.Addr().String() + "/"
}

func TestHangingBrokerIsBounded(t *testing.T) {
	t.Parallel()
	url := blackHole(t)

	t.Run("dial timeout", func(t *testing.T) {
		t.Parallel()
		p, _ := newPublisher(t, url)
		p.dialTimeout = 300 * time.Millisecond
		start := time.Now()
		if err := p.Publish(t.Context(), "model.user.created", nil); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("got %v; want a deadline error", err)
		}
		if el := time.Since(start); el > 2*time.Second {
			t.Errorf("took %s", el)
		}
	})
	t.Run("caller context", func(t *testing.T) {
		t.Parallel()
		p, _ := newPublisher(t, url)
		ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
		defer cancel()
		start := time.Now()
		if err := p.Publish(ctx, "model.user.created", nil); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("got %v; want a deadline error", err)
		}
		if el := time.Since(start); el > 2*time.Second {
			t.Errorf("took %s", el)
		}
	})
	t.Run("close", func(t *testing.T) {
		t.Parallel()
		p, _ := newPublisher(t, url)
		errc := make(chan error, 1)
		go func() { errc <- p.Publish(context.Background(), "model.user.created", nil) }()
		time.Sleep(200 * time.Millisecond)
		if err := p.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		select {
		case err := <-errc:
			if !errors.Is(err, ErrClosed) {
				t.Errorf("Publish interrupted by Close: got %v; want ErrClosed", err)
			}
		case <-time.After(2 * time.Second):
			t.Fatal("Close did not interrupt Publish")
		}
	})
}

func TestCredentialsNeverShown(t *testing.T) {
	t.Parallel()
	testenv.RabbitMQ(t)
	const secret = "s3cr3t-PW"
	closed := newProxy(t) // never started: a closed port
	for _, tc := range []struct{ name, url string }{
		{"closed port", "amqp://guest:" + secret + "@" + closed.addr + "/"},
		// RabbitMQ answers a bad password after about 3 s: one call only.
		{"wrong password", "amqp://guest:" + secret + "@" + rabbitAddr + "/"},
		{"invalid URL", "amqp://guest:" + secret + "@127.0.0.1:notaport/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, logs := newPublisher(t, tc.url)
			shown := []string{logs.String()}
			if tc.name == "wrong password" {
				err := p.Ping(t.Context())
				if err == nil {
					t.Fatal("Ping with a wrong password succeeded")
				}
				shown = append(shown, err.Error())
			} else {
				for _, err := range []error{p.Publish(t.Context(), "model.user.created", []byte("{}")), p.Ping(t.Context())} {
					if err == nil {
						t.Fatalf("%s: call succeeded", RedactURL(tc.url))
					}
					shown = append(shown, err.Error())
				}
			}
			shown = append(shown, logs.String())
			for _, s := range shown {
				if strings.Contains(s, secret) {
					t.Errorf("password shown: %s", s)
				}
			}
		})
	}
}

func TestLazyConnectAndPing(t *testing.T) {
	t.Parallel()
	p, logs := newPublisher(t, testenv.RabbitMQ(t))
	if p.conn != nil || logs.String() != "" {
		t.Fatal("New connected or logged")
	}
	if err := p.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	if p.conn == nil {
		t.Fatal("Ping did not connect")
	}
	if !strings.Contains(logs.String(), "guest:xxxxx@") {
		t.Errorf("connect log lacks the redacted URL: %s", logs)
	}
}

func TestPublishErrors(t *testing.T) {
	t.Parallel()
	p, _ := newPublisher(t, testenv.RabbitMQ(t))
	if err := p.Publish(t.Context(), "nodot", []byte("{}")); !errors.Is(err, ErrInvalidEventName) {
		t.Errorf("name without a dot: got %v", err)
	}
	if p.conn != nil {
		t.Error("an invalid name made the publisher connect")
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := p.Publish(ctx, "model.user.created", []byte("{}")); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: got %v", err)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := p.Publish(t.Context(), "model.user.created", []byte("{}")); !errors.Is(err, ErrClosed) {
		t.Errorf("Publish after Close: got %v", err)
	}
	if err := p.Ping(t.Context()); !errors.Is(err, ErrClosed) {
		t.Errorf("Ping after Close: got %v", err)
	}
}

func TestConcurrentPublish(t *testing.T) {
	t.Parallel()
	p, _ := newPublisher(t, testenv.RabbitMQ(t))
	key := "conc." + randomID(t)
	d := bindQueue(t, "barong.events.model", key)
	const workers, each = 8, 25
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				if err := p.Publish(t.Context(), "model."+key, fmt.Appendf(nil, "%d-%d", w, i)); err != nil {
					t.Errorf("Publish %d-%d: %v", w, i, err)
				}
			}
		})
	}
	wg.Wait()
	got := map[string]bool{}
	for range workers * each {
		got[string(receive(t, d).Body)] = true
	}
	for w := range workers {
		for i := range each {
			if !got[fmt.Sprintf("%d-%d", w, i)] {
				t.Errorf("message %d-%d missing", w, i)
			}
		}
	}
}
