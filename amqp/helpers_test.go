package amqp

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/barong-go/barong/internal/testenv"
)

const rabbitAddr = "127.0.0.1:5672"

// randomID returns a short random hex string for unique names.
func randomID(t testing.TB) string {
	t.Helper()
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// newPublisher returns a Publisher on url, logging into the returned buffer,
// closed when the test ends.
func newPublisher(t *testing.T, url string) (*Publisher, *syncBuffer) {
	t.Helper()
	var logs syncBuffer
	p := New(url, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	t.Cleanup(func() { _ = p.Close() })
	return p, &logs
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// adminChannel opens a test-side connection and channel to RabbitMQ.
func adminChannel(t *testing.T) (*amqp091.Connection, *amqp091.Channel) {
	t.Helper()
	conn, err := amqp091.Dial(testenv.RabbitMQ(t))
	if err != nil {
		testenv.Unavailable(t, "RabbitMQ", err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	ch, err := conn.Channel()
	if err != nil {
		t.Fatalf("open channel: %v", err)
	}
	return conn, ch
}

// bindQueue declares exchange as Barong's consumers do (direct,
// non-durable), binds a temporary exclusive queue to it with key, and
// returns its deliveries.
func bindQueue(t *testing.T, exchange, key string) <-chan amqp091.Delivery {
	t.Helper()
	_, ch := adminChannel(t)
	if err := ch.ExchangeDeclare(exchange, "direct", false, false, false, false, nil); err != nil {
		t.Fatalf("declare %s: %v", exchange, err)
	}
	q, err := ch.QueueDeclare("", false, true, true, false, nil)
	if err != nil {
		t.Fatalf("declare queue: %v", err)
	}
	if err := ch.QueueBind(q.Name, key, exchange, false, nil); err != nil {
		t.Fatalf("bind queue: %v", err)
	}
	d, err := ch.Consume(q.Name, "", true, true, false, false, nil)
	if err != nil {
		t.Fatalf("consume: %v", err)
	}
	return d
}

// receive returns the next delivery or fails the test after 5 s (the
// interface's delivery bound).
func receive(t *testing.T, d <-chan amqp091.Delivery) amqp091.Delivery {
	t.Helper()
	select {
	case m, ok := <-d:
		if !ok {
			t.Fatal("delivery channel closed")
		}
		return m
	case <-time.After(5 * time.Second):
		t.Fatal("no message within 5 s")
	}
	return amqp091.Delivery{}
}

// killSocket closes the publisher's TCP socket under the AMQP client's feet,
// as a network failure would.
func killSocket(t *testing.T, p *Publisher) {
	t.Helper()
	p.sem <- struct{}{}
	defer func() { <-p.sem }()
	if p.conn == nil {
		t.Fatal("publisher is not connected")
	}
	_ = p.conn.raw.Close()
}

// proxy is a TCP relay to RabbitMQ that a test can stop and start, standing
// in for a broker that goes down and comes back.
type proxy struct {
	t     *testing.T
	addr  string
	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]bool
}

// newProxy reserves a local port and returns a stopped proxy for it.
func newProxy(t *testing.T) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	px := &proxy{t: t, addr: ln.Addr().String(), conns: map[net.Conn]bool{}}
	_ = ln.Close()
	t.Cleanup(px.stop)
	return px
}

func (px *proxy) start() {
	px.t.Helper()
	ln, err := net.Listen("tcp", px.addr)
	if err != nil {
		px.t.Fatalf("proxy listen %s: %v", px.addr, err)
	}
	px.mu.Lock()
	px.ln = ln
	px.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", rabbitAddr)
			if err != nil {
				_ = c.Close()
				continue
			}
			px.mu.Lock()
			px.conns[c], px.conns[up] = true, true
			px.mu.Unlock()
			go pipe(c, up)
			go pipe(up, c)
		}
	}()
}

func pipe(dst, src net.Conn) {
	_, _ = io.Copy(dst, src)
	_ = dst.Close()
	_ = src.Close()
}

// stop closes the listener and every relayed connection.
func (px *proxy) stop() {
	px.mu.Lock()
	defer px.mu.Unlock()
	if px.ln != nil {
		_ = px.ln.Close()
		px.ln = nil
	}
	for c := range px.conns {
		_ = c.Close()
		delete(px.conns, c)
	}
}
