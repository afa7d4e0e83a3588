package redisstore

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/internal/testenv"
)

// collector records the changes a watcher is given.
type collector struct {
	mu  sync.Mutex
	got []barong.Change
}

func (c *collector) add(ch barong.Change) {
	c.mu.Lock()
	c.got = append(c.got, ch)
	c.mu.Unlock()
}

// take returns what was collected since the last take.
func (c *collector) take() []barong.Change {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.got
	c.got = nil
	return r
}

// waitFor waits up to 10 s for want (a resubscription, a delivery: no
// bound of the interface, a loaded machine may be slow).
func (c *collector) waitFor(tb testing.TB, want barong.Change) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c.mu.Lock()
		ok := slices.Contains(c.got, want)
		c.mu.Unlock()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%+v not delivered within 10 s (got %+v)", want, c.take())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestChangesBetweenProcesses: every deletion of a session (single, a
// user's, all), TouchSession and every reported store write reach a watcher
// in another process before the call that made them returns, and a watcher
// in the same process too.
func TestChangesBetweenProcesses(t *testing.T) {
	t.Parallel()
	a, b := mustOpen(t, ""), mustOpen(t, "")
	p := testPrefix(t, a)
	var other, same collector
	defer b.Principals(p, 0).Watch(other.add)()
	defer a.Principals(p, 0).Watch(same.add)()
	st := a.Sessions(p)
	ctx := ctxT(t)
	s := newSession(t, "IDCHANGES001")
	keep := newSession(t, s.UID)
	listed := newSession(t, s.UID)
	mustCreate(t, st, s, time.Minute)
	mustCreate(t, st, keep, time.Minute)
	mustCreate(t, st, listed, time.Minute)
	h, hk, hl := barong.SessionHash(s.ID), barong.SessionHash(keep.ID), barong.SessionHash(listed.ID)

	type change struct {
		name string
		do   func() error
		want barong.Change
	}
	cases := []change{
		{"TouchSession", func() error { return st.TouchSession(ctx, s, time.Minute) }, barong.Change{Kind: barong.ChangedSession, Key: h}},
		{"DeleteUserSession", func() error {
			ok, err := st.DeleteUserSession(ctx, s.UID, hl)
			if err == nil && !ok {
				err = errors.New("not deleted")
			}
			return err
		}, barong.Change{Kind: barong.ChangedSession, Key: hl}},
		{"DeleteUserSessions", func() error { return st.DeleteUserSessions(ctx, s.UID, keep.ID) },
			barong.Change{Kind: barong.ChangedUserSessions, Key: s.UID, Except: hk}},
		{"DeleteSession", func() error { return st.DeleteSession(ctx, keep.ID) }, barong.Change{Kind: barong.ChangedSession, Key: hk}},
		{"DeleteAllSessions", func() error {
			return st.(interface{ DeleteAllSessions(context.Context) error }).DeleteAllSessions(ctx)
		}, barong.Change{Kind: barong.ChangedSession}},
		{"StoreWrite", func() error {
			a.hub(p).notify(ctx, []barong.Change{{Kind: barong.ChangedUser, Key: "IDCHANGES001"}})
			return nil
		}, barong.Change{Kind: barong.ChangedUser, Key: "IDCHANGES001"}},
	}
	// Every method of the session store that deletes or slides a session
	// is one of the cases: a new one must report its change too.
	typ := reflect.TypeFor[*sessionStore]()
	for i := range typ.NumMethod() {
		name := typ.Method(i).Name
		if (strings.HasPrefix(name, "Delete") || strings.HasPrefix(name, "Touch")) &&
			!slices.ContainsFunc(cases, func(c change) bool { return c.name == name }) {
			t.Errorf("sessionStore.%s deletes or slides sessions: report it (hub.notify) and add it here", name)
		}
	}
	for _, c := range cases {
		other.take()
		same.take()
		if err := c.do(); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		// No waiting: the acknowledgement is part of the call.
		if got := other.take(); !slices.Contains(got, c.want) {
			t.Errorf("%s: other process got %+v when the call returned, want %+v", c.name, got, c.want)
		}
		if got := same.take(); !slices.Contains(got, c.want) {
			t.Errorf("%s: same process got %+v, want %+v", c.name, got, c.want)
		}
	}
	// Deleting a session that does not exist reports nothing.
	if err := st.DeleteSession(ctx, "nope"); err != nil {
		t.Fatal(err)
	}
	if got := same.take(); len(got) != 0 {
		t.Errorf("deleting an unknown session reported %+v", got)
	}
}

// TestChangesResubscribe: after the subscription's connection is killed,
// the feed comes back, reports ChangedAll, and delivers again.
func TestChangesResubscribe(t *testing.T) {
	t.Parallel()
	name := "barongtest-" + randHex(t, 6)
	sub, pub := mustOpen(t, "client_name="+name), mustOpen(t, "")
	p := testPrefix(t, pub)
	var got collector
	pr := sub.Principals(p, 0)
	defer pr.Watch(got.add)()
	if !pr.Live() {
		t.Fatal("feed not live after Watch")
	}
	ctx := ctxT(t)
	list, err := pub.rdb.ClientList(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	killed := 0
	sc := bufio.NewScanner(strings.NewReader(list))
	for sc.Scan() {
		if f := clientFields(sc.Text()); f["name"] == name && f["sub"] != "0" {
			if err := pub.rdb.ClientKillByFilter(ctx, "ID", f["id"]).Err(); err != nil {
				t.Fatal(err)
			}
			killed++
		}
	}
	if killed != 1 {
		t.Fatalf("killed %d subscriber connections, want 1", killed)
	}
	got.waitFor(t, barong.Change{Kind: barong.ChangedAll})
	want := barong.Change{Kind: barong.ChangedAPIKey, Key: "kid0"}
	pub.hub(p).notify(ctx, []barong.Change{want})
	got.waitFor(t, want)
	if !pr.Live() {
		t.Fatal("feed not live after the resubscription")
	}
}

// TestChangesNotLiveWhenCut: while Redis is out of reach the feed is not
// Live (within a second), and it is again once Redis is back, after
// reporting ChangedAll.
func TestChangesNotLiveWhenCut(t *testing.T) {
	t.Parallel()
	u, err := url.Parse(testenv.Redis(t))
	if err != nil {
		t.Fatal(err)
	}
	px := newRedisProxy(t, u.Host)
	px.start()
	u.Host = px.addr
	c, err := Open(ctxT(t), u.String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	p := testPrefix(t, mustOpen(t, ""))
	pr := c.Principals(p, 0)
	var got collector
	defer pr.Watch(got.add)()
	if !pr.Live() {
		t.Fatal("feed not live after Watch")
	}
	px.stop()
	cut := time.Now()
	for pr.Live() {
		if time.Since(cut) > 5*time.Second {
			t.Fatal("feed still live 5 s after Redis went out of reach")
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("not live %v after the cut", time.Since(cut).Round(time.Millisecond))
	got.take()
	px.start()
	got.waitFor(t, barong.Change{Kind: barong.ChangedAll})
	deadline := time.Now().Add(5 * time.Second)
	for !pr.Live() {
		if time.Now().After(deadline) {
			t.Fatal("feed not live again 5 s after Redis came back")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// redisProxy is a TCP relay to Redis that a test stops and starts.
type redisProxy struct {
	t      *testing.T
	addr   string
	target string
	mu     sync.Mutex
	ln     net.Listener
	conns  map[net.Conn]bool
}

func newRedisProxy(t *testing.T, target string) *redisProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	px := &redisProxy{t: t, addr: ln.Addr().String(), target: target, conns: map[net.Conn]bool{}}
	_ = ln.Close()
	t.Cleanup(px.stop)
	return px
}

func (px *redisProxy) start() {
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
			up, err := net.Dial("tcp", px.target)
			if err != nil {
				_ = c.Close()
				continue
			}
			px.mu.Lock()
			px.conns[c], px.conns[up] = true, true
			px.mu.Unlock()
			go relay(c, up)
			go relay(up, c)
		}
	}()
}

func relay(dst, src net.Conn) {
	_, _ = io.Copy(dst, src)
	_ = dst.Close()
	_ = src.Close()
}

// stop closes the listener and every relayed connection.
func (px *redisProxy) stop() {
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
