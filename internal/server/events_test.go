package server_test

import (
	"context"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/barong-go/barong/internal/testenv"
	"github.com/barong-go/barong/token"
	amqp091 "github.com/rabbitmq/amqp091-go"
)

// switchProxy forwards TCP to target while up; while down it refuses
// connections and cuts the open ones, like a broker outage.
type switchProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	up     bool
	conns  []net.Conn
}

func newSwitchProxy(t *testing.T, target string) *switchProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &switchProxy{ln: ln, target: target}
	go p.serve()
	t.Cleanup(func() { ln.Close(); p.set(false) })
	return p
}

func (p *switchProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		up := p.up
		p.mu.Unlock()
		if !up {
			c.Close()
			continue
		}
		b, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, b)
		p.mu.Unlock()
		go func() { _, _ = io.Copy(b, c); b.Close() }()
		go func() { _, _ = io.Copy(c, b); c.Close() }()
	}
}

func (p *switchProxy) set(up bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.up = up
	if !up {
		for _, c := range p.conns {
			c.Close()
		}
		p.conns = nil
	}
}

func (p *switchProxy) url() string { return "amqp://guest:guest@" + p.ln.Addr().String() + "/" }

// consumer binds a private queue to Barong's exchanges for routing keys.
func consumer(t *testing.T, keys map[string][]string) <-chan amqp091.Delivery {
	t.Helper()
	conn, err := amqp091.Dial(testenv.RabbitMQ(t))
	if err != nil {
		testenv.Unavailable(t, "RabbitMQ", err)
	}
	t.Cleanup(func() { conn.Close() })
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	q, err := ch.QueueDeclare("", false, true, true, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	for cat, rks := range keys {
		ex := "barong.events." + cat
		if err := ch.ExchangeDeclare(ex, "direct", false, false, false, false, nil); err != nil {
			t.Fatal(err)
		}
		for _, rk := range rks {
			if err := ch.QueueBind(q.Name, rk, ex, false, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	d, err := ch.Consume(q.Name, "", true, true, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// own passes on the deliveries of d signed with pub, the key of the test's
// own server: the broker is shared, and other processes' events (other
// tests, other helpers' suites) must not count.
func own(t *testing.T, d <-chan amqp091.Delivery, pub crypto.PublicKey) <-chan amqp091.Delivery {
	t.Helper()
	out := make(chan amqp091.Delivery, 64)
	go func() {
		defer close(out)
		for m := range d {
			if _, err := token.VerifyEvent(m.Body, pub, time.Now()); err == nil {
				out <- m
			}
		}
	}()
	return out
}

// receive reads n messages or fails after timeout.
func receive(t *testing.T, d <-chan amqp091.Delivery, n int, timeout time.Duration) []amqp091.Delivery {
	t.Helper()
	var out []amqp091.Delivery
	deadline := time.After(timeout)
	for len(out) < n {
		select {
		case m := <-d:
			out = append(out, m)
		case <-deadline:
			t.Fatalf("received %d of %d messages", len(out), n)
		}
	}
	return out
}

func TestEventsThroughRabbitMQ(t *testing.T) {
	d := consumer(t, map[string][]string{"model": {"user.created"}, "system": {"user.email.confirmation.token", "session.create"}})
	ts := newServer(t, map[string]string{"EVENT_API_RABBITMQ_URL": testenv.RabbitURL})
	d = own(t, d, ts.Keys.Signing().Public())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ts.Start(ctx)
	ts.signUp(t, "first@example.com")
	ts.signUp(t, "second@example.com")
	start := time.Now()
	msgs := receive(t, d, 3, 10*time.Second)
	t.Logf("3 events in %v", time.Since(start))
	want := []string{"user.created", "user.created", "user.email.confirmation.token"}
	for i, m := range msgs {
		if m.RoutingKey != want[i] {
			t.Fatalf("message %d routing key %s, want %s", i, m.RoutingKey, want[i])
		}
		claims, err := token.VerifyEvent(m.Body, ts.Keys.Signing().Public(), time.Now())
		if err != nil {
			t.Fatalf("event signature: %v", err)
		}
		var env struct {
			Payload    string
			Signatures []struct {
				Header    map[string]string
				Protected string
			}
		}
		if err := json.Unmarshal(m.Body, &env); err != nil || env.Signatures[0].Header["kid"] != "barong" {
			t.Fatalf("envelope %s", m.Body)
		}
		prot, _ := base64.RawURLEncoding.DecodeString(env.Signatures[0].Protected)
		if string(prot) != `{"alg":"RS256"}` {
			t.Fatalf("protected %s", prot)
		}
		raw, _ := base64.RawURLEncoding.DecodeString(env.Payload)
		var c map[string]any
		_ = json.Unmarshal(raw, &c)
		if c["iss"] != "barong" || c["jti"] == "" || c["exp"].(float64)-c["iat"].(float64) != 3600 {
			t.Fatalf("claims %v", c)
		}
		var ev map[string]any
		_ = json.Unmarshal(claims.Event, &ev)
		if ev["name"] == nil || !strings.HasSuffix(ev["name"].(string), m.RoutingKey) {
			t.Fatalf("event name %v for %s", ev["name"], m.RoutingKey)
		}
	}
}

func TestOutboxSurvivesBrokerOutage(t *testing.T) {
	d := consumer(t, map[string][]string{"model": {"user.created"}})
	proxy := newSwitchProxy(t, "127.0.0.1:5672")
	ts := newServer(t, map[string]string{"EVENT_API_RABBITMQ_URL": proxy.url()})
	d = own(t, d, ts.Keys.Signing().Public())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ts.Start(ctx)
	// Broker unreachable: sign-ups succeed, events wait in the outbox.
	var emails []string
	for i := 0; i < 5; i++ {
		e := fmt.Sprintf("user%d@example.com", i)
		emails = append(emails, e)
		ts.signUp(t, e)
	}
	select {
	case m := <-d:
		t.Fatalf("event delivered while the broker was down: %s", m.Body)
	case <-time.After(500 * time.Millisecond):
	}
	proxy.set(true)
	msgs := receive(t, d, 5, 40*time.Second)
	for i, m := range msgs {
		claims, err := token.VerifyEvent(m.Body, ts.Keys.Signing().Public(), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		var ev struct{ Record struct{ Email string } }
		_ = json.Unmarshal(claims.Event, &ev)
		if ev.Record.Email != emails[i] {
			t.Fatalf("event %d is for %s, want %s (order)", i, ev.Record.Email, emails[i])
		}
	}
	select {
	case m := <-d:
		t.Fatalf("duplicate delivery: %s", m.Body)
	case <-time.After(time.Second):
	}
}

// TestRelayKeepsOrderAcrossOutages publishes hundreds of events in
// batches while the broker goes away twice mid-stream: every event arrives,
// and the events of each client arrive in the order of their commits
// (duplicates of a batch cut before its confirms may arrive again: delivery
// is at least once).
func TestRelayKeepsOrderAcrossOutages(t *testing.T) {
	t.Parallel()
	d := consumer(t, map[string][]string{"model": {"user.created"}})
	proxy := newSwitchProxy(t, "127.0.0.1:5672")
	proxy.set(true)
	ts := newServer(t, map[string]string{"EVENT_API_RABBITMQ_URL": proxy.url()})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ts.Start(ctx)
	const workers, each = 8, 40
	tag := fmt.Sprint(time.Now().UnixNano())
	var wg sync.WaitGroup
	errs := make(chan string, workers)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				email := fmt.Sprintf("w%d-%03d-%s@example.com", w, i, tag)
				r, err := ts.client().sendJSON("POST", "/api/v2/identity/users", map[string]string{"email": email, "password": strongPassword})
				if err != nil || r.Status != 201 {
					errs <- fmt.Sprintf("sign-up %s: %v %v", email, err, r)
					return
				}
			}
		})
	}
	go func() {
		for range 2 {
			time.Sleep(150 * time.Millisecond)
			proxy.set(false)
			time.Sleep(300 * time.Millisecond)
			proxy.set(true)
		}
	}()
	wg.Wait()
	failOn(t, errs)
	next := make([]int, workers) // per client: the next e-mail expected
	seen := map[string]bool{}
	dups := 0
	deadline := time.After(60 * time.Second)
	for len(seen) < workers*each {
		select {
		case m := <-d:
			claims, err := token.VerifyEvent(m.Body, ts.Keys.Signing().Public(), time.Now())
			if err != nil {
				continue
			}
			var ev struct{ Record struct{ Email string } }
			_ = json.Unmarshal(claims.Event, &ev)
			var w, i int
			if _, err := fmt.Sscanf(ev.Record.Email, "w%d-%03d-"+tag+"@example.com", &w, &i); err != nil {
				continue
			}
			if seen[ev.Record.Email] {
				dups++
				continue
			}
			if i != next[w] {
				t.Fatalf("client %d: event of sign-up %d before %d", w, i, next[w])
			}
			next[w]++
			seen[ev.Record.Email] = true
		case <-deadline:
			t.Fatalf("%d of %d events after 60 s", len(seen), workers*each)
		}
	}
	t.Logf("%d events, %d delivered again after a cut", len(seen), dups)
}
