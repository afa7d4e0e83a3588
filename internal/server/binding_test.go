package server_test

import (
	"net/http"
	"testing"
	"time"
)

// get sends GET path with an X-Forwarded-For from the trusted loopback peer.
func (c *client) getFrom(t *testing.T, path, ip string) *response {
	t.Helper()
	req, _ := http.NewRequest("GET", c.ts.URL+path, nil)
	req.Header.Set("User-Agent", c.ua)
	req.Header.Set("X-Forwarded-For", ip)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	r := &response{Status: resp.StatusCode, Header: resp.Header}
	r.Body = readAll(resp)
	return r
}

func TestSessionBinding(t *testing.T) {
	ts := newServer(t, nil)
	ts.signUp(t, "first@example.com")
	login := func(ip string) *client {
		c := ts.client()
		req, _ := http.NewRequest("POST", ts.URL+id+"/sessions", jsonBody(map[string]string{"email": "first@example.com", "password": strongPassword}))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", c.ua)
		req.Header.Set("X-Forwarded-For", ip)
		resp, err := c.Do(req)
		if err != nil || resp.StatusCode != 201 {
			t.Fatalf("login from %s: %v %v", ip, resp.StatusCode, err)
		}
		resp.Body.Close()
		return c
	}
	// Same /16: accepted; another /16: refused and the session destroyed.
	c := login("168.238.57.64")
	expect(t, c.getFrom(t, res+"/users/me", "168.238.1.2"), 200)
	expect(t, c.getFrom(t, res+"/users/me", "168.27.3.225"), 401, "authz.client_session_mismatch")
	expect(t, c.getFrom(t, res+"/users/me", "168.238.57.64"), 401, "authz.invalid_session")
	// IPv6 /96, and a family change.
	c6 := login("2001:db8::1")
	expect(t, c6.getFrom(t, res+"/users/me", "2001:db8::ffff:1"), 200)
	expect(t, c6.getFrom(t, res+"/users/me", "203.0.113.5"), 401, "authz.client_session_mismatch")
	// An untrusted peer cannot choose its address with X-Forwarded-For: the
	// test client is the loopback peer, which is trusted by default; with
	// no trusted proxies the header is ignored.
	strict := newServer(t, map[string]string{"BARONG_TRUSTED_PROXIES": "10.0.0.0/8"})
	strict.signUp(t, "first@example.com")
	sc := strict.client()
	req, _ := http.NewRequest("POST", strict.URL+id+"/sessions", jsonBody(map[string]string{"email": "first@example.com", "password": strongPassword}))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", sc.ua)
	req.Header.Set("X-Forwarded-For", "198.51.100.7")
	resp, _ := sc.Do(req)
	resp.Body.Close()
	ev := find(t, strict.events(t), "system.session.create").record()
	if ev["user_ip"] != "127.0.0.1" {
		t.Fatalf("spoofed client IP accepted: %v", ev["user_ip"])
	}
}

func TestSessionIdleExpiry(t *testing.T) {
	ts := newServer(t, map[string]string{"BARONG_SESSION_EXPIRE_TIME": "2"})
	c, _ := ts.signUp(t, "first@example.com")
	start := time.Now() // the session was opened before
	// Each use slides the expiry: the session lives on past the 2 s it
	// was opened for. The expiry is kept in whole seconds (a slide to
	// now + 2 s may give as little as 1 s more), so the uses are 300 ms
	// apart, leaving a loaded machine 700 ms for each (they used to be
	// 800 ms apart: 200 ms).
	for time.Since(start) < 2500*time.Millisecond {
		time.Sleep(300 * time.Millisecond)
		expect(t, c.do(t, "GET", res+"/users/me", nil), 200)
	}
	time.Sleep(2100 * time.Millisecond)
	r := c.do(t, "GET", res+"/users/me", nil)
	if r.Status != 401 {
		t.Fatalf("idle session accepted: %d", r.Status)
	}
}
