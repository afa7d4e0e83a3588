package server_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/api"
)

// throttleStores runs f with the throttle's counters in the database and
// in Redis.
func throttleStores(t *testing.T, f func(t *testing.T, env map[string]string)) {
	for _, store := range []string{"sql", "redis"} {
		t.Run(store, func(t *testing.T) {
			env := map[string]string{"BARONG_LOGIN_THROTTLE_DELAY": "60"}
			if store == "redis" {
				for k, v := range redisEnv(t) {
					env[k] = v
				}
			}
			f(t, env)
		})
	}
}

// login posts a sign-in from c.
func login(t *testing.T, c *client, email, password string) *response {
	t.Helper()
	return c.do(t, "POST", id+"/sessions", map[string]string{"email": email, "password": password})
}

// TestThrottleNoLockout: an attacker guessing from many IPs exhausts every
// limit other clients share, yet the owner signs in from the browser that
// signed in before (its device cookie), from its usual IP and from a new
// one. A new browser of the owner's waits like the attacker (the
// per-account limit of unknown devices). Every decision is an activity
// and a log line without the e-mail.
func TestThrottleNoLockout(t *testing.T) {
	throttleStores(t, func(t *testing.T, env map[string]string) {
		ts := newServerTB(t, env)
		const owner = "owner@example.com"
		ts.signUp(t, owner)
		laptop := ts.restrictClient("203.0.113.10")
		r := login(t, laptop, owner, strongPassword)
		if expect(t, r, 201); cookieValue(r, api.DeviceCookieName) == "" {
			t.Fatalf("no device cookie: %v", r.Header.Values("Set-Cookie"))
		}

		// The attacker: 3 guesses from each of 10 IPs, until refused everywhere.
		refused := 0
		for i := range 10 {
			bot := ts.restrictClient(fmt.Sprintf("198.51.100.%d", i+1))
			for range 3 {
				switch r := login(t, bot, owner, "guess-"+strconv.Itoa(i)); r.Status {
				case 401:
				case 429:
					refused++
					if r.Header.Get("Retry-After") == "" {
						t.Fatal("429 without Retry-After")
					}
				default:
					t.Fatalf("attacker got %d %s", r.Status, r.Body)
				}
			}
		}
		if refused == 0 {
			t.Fatal("the attacker was never refused")
		}
		// The attacker now waits even with the right password: no oracle.
		expect(t, login(t, ts.restrictClient("198.51.100.200"), owner, strongPassword), 429, "identity.session.too_many_attempts")

		// The owner's known browser signs in, from home and from a new IP.
		expect(t, login(t, laptop, owner, strongPassword), 201)
		laptop.Transport = ts.restrictClient("192.0.2.77").Transport
		expect(t, login(t, laptop, owner, strongPassword), 201)
		// A new browser of the owner's waits with the other unknown clients.
		expect(t, login(t, ts.restrictClient("192.0.2.78"), owner, strongPassword), 429, "identity.session.too_many_attempts")

		u, _ := ts.DB.UserByEmail(context.Background(), owner)
		acts, _, _ := ts.DB.ListActivities(context.Background(), barong.ActivityFilter{UserID: u.ID, Topic: "session",
			Page: barong.Page{Page: 1, Limit: 100}})
		var delays, refusals, succeeded int
		for _, a := range acts {
			switch {
			case strings.Contains(a.Data, "next attempt in"):
				delays++
			case strings.Contains(a.Data, "refused, retry in"):
				refusals++
			case a.Result == "succeed":
				succeeded++
			}
		}
		if delays == 0 || refusals < refused || succeeded != 3 {
			t.Fatalf("activities: %d delays, %d refusals (%d refused), %d sign-ins", delays, refusals, refused, succeeded)
		}
		// One security line per decision: each activity of a decision has
		// its line, and a refused sign-in writes no login_failed line.
		lines := ts.logs.lines("security", map[string]any{"event": "login_throttled"})
		var refusedLines, delayedLines int
		for _, l := range lines {
			switch l["decision"] {
			case "refused":
				refusedLines++
			case "delayed":
				delayedLines++
			}
			if l["retry_after_s"] == nil || l["scope"] == nil || l["request_id"] == nil {
				t.Fatalf("throttle line %v", l)
			}
		}
		if len(ts.logs.lines("security", map[string]any{"event": "login_throttled", "decision": "refused", "scope": "account_unknown"})) == 0 ||
			refusedLines < refusals || delayedLines < delays || refusedLines+delayedLines != len(lines) {
			t.Fatalf("%d refused and %d delayed lines for %d refusals and %d delays:\n%s", refusedLines, delayedLines, refusals, delays, ts.logs.text())
		}
		if l := ts.logs.lines("security", map[string]any{"event": "login_failed", "errors": "[identity.session.too_many_attempts]"}); len(l) != 0 {
			t.Fatalf("a throttle refusal also written as login_failed: %v", l)
		}
		for _, line := range lines {
			if text := fmt.Sprint(line); strings.Contains(text, owner) || strings.Contains(text, strongPassword) {
				t.Fatalf("throttle log line shows the account or password: %s", text)
			}
		}
	})
}

// TestThrottleDistributedGuess: one guess from each of many IPs meets the
// per-account limit of unknown devices (BARONG_LOGIN_THROTTLE_ACCOUNT_MAX_ATTEMPTS),
// and guesses in parallel from one IP meet the per-(account, IP) limit as
// sequential ones do.
func TestThrottleDistributedGuess(t *testing.T) {
	throttleStores(t, func(t *testing.T, env map[string]string) {
		env["BARONG_LOGIN_THROTTLE_ACCOUNT_MAX_ATTEMPTS"] = "6"
		ts := newServer(t, env)
		ts.signUp(t, "owner@example.com")
		guessed := 0
		for i := range 20 {
			r := login(t, ts.restrictClient(fmt.Sprintf("198.51.100.%d", i+1)), "owner@example.com", "guess")
			switch r.Status {
			case 401:
				guessed++
			case 429:
				if ra, _ := strconv.Atoi(r.Header.Get("Retry-After")); ra < 50 || ra > 60 {
					t.Fatalf("Retry-After %q", r.Header.Get("Retry-After"))
				}
			default:
				t.Fatalf("status %d", r.Status)
			}
		}
		if guessed != 6 {
			t.Fatalf("%d guesses from 20 IPs, want the limit of 6", guessed)
		}
		// An unknown account is throttled the same way (no enumeration).
		for i := range 7 {
			r := login(t, ts.restrictClient(fmt.Sprintf("198.51.100.%d", 100+i)), "nobody@example.com", "guess")
			if want := map[bool]int{true: 401, false: 429}[i < 6]; r.Status != want {
				t.Fatalf("unknown account, guess %d: %d", i, r.Status)
			}
		}

		// 20 parallel guesses from one IP at another account: 5 go through.
		ts.signUp(t, "second@example.com")
		bot := ts.restrictClient("198.51.100.250")
		statuses := make([]int, 20)
		var wg sync.WaitGroup
		for i := range statuses {
			wg.Add(1)
			go func() {
				defer wg.Done()
				statuses[i] = bot.do(t, "POST", id+"/sessions", map[string]string{"email": "second@example.com", "password": "guess"}).Status
			}()
		}
		wg.Wait()
		counts := map[int]int{}
		for _, s := range statuses {
			counts[s]++
		}
		if counts[401] != 5 || counts[429] != 15 {
			t.Fatalf("parallel guesses: %v", counts)
		}
	})
}

// TestThrottleDeviceCookie: the device cookie is HttpOnly, renewed at
// each sign-in with the same device, refused for another account and when
// altered; a failed guess from a known device counts for that device only.
func TestThrottleDeviceCookie(t *testing.T) {
	ts := newServer(t, map[string]string{"BARONG_LOGIN_THROTTLE_DELAY": "60", "BARONG_LOGIN_THROTTLE_MAX_ATTEMPTS": "2"})
	ts.signUp(t, "a@example.com")
	ts.signUp(t, "b@example.com")
	c := ts.client()
	r := login(t, c, "a@example.com", strongPassword)
	expect(t, r, 201)
	dev := cookieValue(r, api.DeviceCookieName)
	var set string
	for _, h := range r.Header.Values("Set-Cookie") {
		if strings.HasPrefix(h, api.DeviceCookieName+"=") {
			set = h
		}
	}
	if dev == "" || !strings.Contains(set, "HttpOnly") || !strings.Contains(set, "SameSite=Lax") || !strings.Contains(set, "Max-Age=15552000") {
		t.Fatalf("device cookie %q", set)
	}
	withDevice := func(email, password, cookie string) *response {
		req, _ := http.NewRequest("POST", ts.URL+id+"/sessions", strings.NewReader(`{"email":"`+email+`","password":"`+password+`"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "test")
		req.AddCookie(&http.Cookie{Name: api.DeviceCookieName, Value: cookie})
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return &response{Status: resp.StatusCode, Header: resp.Header}
	}
	// Two guesses from this IP without a cookie: the IP waits for a...
	expect(t, withDevice("a@example.com", "x", ""), 401)
	expect(t, withDevice("a@example.com", "x", ""), 401)
	expect(t, withDevice("a@example.com", strongPassword, ""), 429)
	// ...but the device of a signs in, and keeps its id.
	r = withDevice("a@example.com", strongPassword, dev)
	expect(t, r, 201)
	if again := cookieValue(r, api.DeviceCookieName); again == "" || again[:21] != dev[:21] {
		t.Fatalf("renewed cookie %q, was %q", again, dev)
	}
	// The device of a is nobody's for b, nor when altered.
	expect(t, withDevice("b@example.com", "x", ""), 401) // b from this IP: 1
	expect(t, withDevice("b@example.com", "x", dev), 401)
	expect(t, withDevice("b@example.com", strongPassword, dev), 429) // counted as unknown
	tampered := []byte(dev)
	tampered[len(tampered)-1] ^= 1
	expect(t, withDevice("a@example.com", strongPassword, string(tampered)), 429)
	// Guesses from a's device meet the device's own limit.
	expect(t, withDevice("a@example.com", "x", dev), 401)
	expect(t, withDevice("a@example.com", "x", dev), 401)
	expect(t, withDevice("a@example.com", strongPassword, dev), 429)
}

// TestThrottleSuccessesFromNewBrowsers: signing in with the right
// password from many new browsers (no device cookie, other IPs) never
// meets the per-account limit of unknown devices: each success takes its
// own attempt back, and only failures keep counting.
func TestThrottleSuccessesFromNewBrowsers(t *testing.T) {
	throttleStores(t, func(t *testing.T, env map[string]string) {
		env["BARONG_LOGIN_THROTTLE_ACCOUNT_MAX_ATTEMPTS"] = "3"
		ts := newServer(t, env)
		ts.signUp(t, "owner@example.com")
		for i := range 8 {
			expect(t, login(t, ts.restrictClient(fmt.Sprintf("192.0.2.%d", i+1)), "owner@example.com", strongPassword), 201)
		}
		// Failures still count: three guesses reach the limit.
		for i := range 3 {
			expect(t, login(t, ts.restrictClient(fmt.Sprintf("198.51.100.%d", i+1)), "owner@example.com", "guess"), 401)
		}
		expect(t, login(t, ts.restrictClient("198.51.100.99"), "owner@example.com", "guess"), 429, "identity.session.too_many_attempts")
	})
}
