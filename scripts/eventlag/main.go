// Command eventlag drives the load of scripts/bench-events.sh against a
// running barong (with RabbitMQ and Redis sessions) and prints a summary:
//
//  1. event lag without load: sign-ups one at a time, the time from each
//     sign-up's 201 to the consumer's receipt of its
//     system.user.email.confirmation.token and model.user.created;
//  2. authz (cookie session) latency at a fixed rate, without load, then
//     during a login storm that keeps bcrypt saturated;
//  3. event lag during a sign-up storm (-c sign-ups in flight for -d, at
//     least -min sign-ups), over the whole storm and per window, with the
//     authz probe running alongside.
//
// Latencies are measured at the client: the authz probe is open loop (a
// request every 1/rate whatever the answers), so slow answers are not
// hidden by fewer requests.
package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"
)

const password = "Tr0ub4dor&3-Horse"

// The authz probe's path and the user agent of every client.
const (
	authzPath = "/api/v2/auth/api/v2/peatio/account/balances"
	userAgent = "Mozilla/5.0 (X11; Linux x86_64) eventlag/1.0"
)

type options struct {
	url, amqp, tag        string
	conc, min, baseline   int
	dur, authzDur, window time.Duration
	authzRate, storm      int
	phases                string
}

func main() {
	var o options
	flag.StringVar(&o.url, "url", "http://127.0.0.1:18200", "barong's base URL")
	flag.StringVar(&o.amqp, "amqp", "amqp://guest:guest@127.0.0.1:5672/", "RabbitMQ URL")
	flag.StringVar(&o.tag, "tag", fmt.Sprint(time.Now().UnixNano()), "unique tag of this run's e-mails")
	flag.IntVar(&o.conc, "c", 8, "sign-ups in flight during the storm")
	flag.DurationVar(&o.dur, "d", 2*time.Minute, "length of the sign-up storm")
	flag.IntVar(&o.min, "min", 200, "sign-ups the storm makes at least")
	flag.IntVar(&o.baseline, "baseline", 30, "sign-ups of the no-load baseline, one at a time")
	flag.DurationVar(&o.window, "window", 20*time.Second, "window of the lag over time")
	flag.IntVar(&o.authzRate, "authz-rate", 200, "authz probe requests per second")
	flag.DurationVar(&o.authzDur, "authz-d", 20*time.Second, "length of each authz measurement")
	flag.IntVar(&o.storm, "storm", 16, "logins in flight during the login storm")
	flag.StringVar(&o.phases, "phases", "baseline,authz,signups", "phases to run (comma-separated)")
	flag.Parse()
	if err := run(context.Background(), o); err != nil {
		fmt.Fprintln(os.Stderr, "eventlag:", err)
		os.Exit(1)
	}
}

// client is a browser-like HTTP client with its cookies.
type client struct {
	http *http.Client
	base string
	csrf string
}

var transport = &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 0, IdleConnTimeout: time.Minute}

func newClient(base string) *client {
	jar, _ := cookiejar.New(nil)
	return &client{http: &http.Client{Jar: jar, Transport: transport, Timeout: 60 * time.Second}, base: base}
}

func (c *client) do(method, path string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", userAgent)
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

func (c *client) signUp(email string) error {
	st, b, err := c.do("POST", "/api/v2/identity/users", map[string]string{"email": email, "password": password})
	if err != nil {
		return err
	}
	if st != 201 {
		return fmt.Errorf("sign-up %s: %d %s", email, st, b)
	}
	return nil
}

func (c *client) login(email string) error {
	st, b, err := c.do("POST", "/api/v2/identity/sessions", map[string]string{"email": email, "password": password})
	if err != nil {
		return err
	}
	if st != 201 {
		return fmt.Errorf("login %s: %d %s", email, st, b)
	}
	var m struct {
		CSRF string `json:"csrf_token"`
	}
	_ = json.Unmarshal(b, &m)
	c.csrf = m.CSRF
	return nil
}

// receipts records when the consumer received each event of this run, by
// event name and e-mail.
type receipts struct {
	mu   sync.Mutex
	at   map[string]time.Time // name + " " + email
	wait map[string]chan struct{}
}

func (r *receipts) key(name, email string) string { return name + " " + email }

// await returns a channel closed when the event arrives (or has).
func (r *receipts) await(name, email string) <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := r.key(name, email)
	ch, ok := r.wait[k]
	if !ok {
		ch = make(chan struct{})
		r.wait[k] = ch
		if _, got := r.at[k]; got {
			close(ch)
		}
	}
	return ch
}

func (r *receipts) got(name, email string) (time.Time, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t, ok := r.at[r.key(name, email)]
	return t, ok
}

// consume reads the broker until ctx ends, recording this run's events.
func consume(ctx context.Context, url, tag string, r *receipts) (func(), error) {
	conn, err := amqp091.Dial(url)
	if err != nil {
		return nil, fmt.Errorf("connect to RabbitMQ: %w", err)
	}
	ch, err := conn.Channel()
	if err != nil {
		conn.Close()
		return nil, err
	}
	q, err := ch.QueueDeclare("", false, true, true, false, nil)
	if err != nil {
		conn.Close()
		return nil, err
	}
	for ex, key := range map[string]string{"barong.events.system": "user.email.confirmation.token", "barong.events.model": "user.created"} {
		if err := ch.ExchangeDeclare(ex, "direct", false, false, false, false, nil); err != nil {
			conn.Close()
			return nil, err
		}
		if err := ch.QueueBind(q.Name, key, ex, false, nil); err != nil {
			conn.Close()
			return nil, err
		}
	}
	d, err := ch.Consume(q.Name, "", true, true, false, false, nil)
	if err != nil {
		conn.Close()
		return nil, err
	}
	go func() {
		for m := range d {
			now := time.Now()
			name, email, ok := decode(m.Body)
			if !ok || !strings.Contains(email, tag) {
				continue
			}
			r.mu.Lock()
			k := r.key(name, email)
			if _, dup := r.at[k]; !dup {
				r.at[k] = now
				if ch, ok := r.wait[k]; ok {
					close(ch)
				}
			}
			r.mu.Unlock()
		}
	}()
	return func() { conn.Close() }, nil
}

// decode reads the event name and the user's e-mail from a message (the
// signature is not checked: the consumer only times arrivals; the claims'
// iat has whole seconds, too coarse to time them).
func decode(body []byte) (name, email string, ok bool) {
	var jws struct{ Payload string }
	if json.Unmarshal(body, &jws) != nil {
		return
	}
	raw, err := base64.RawURLEncoding.DecodeString(jws.Payload)
	if err != nil {
		return
	}
	var c struct {
		Event struct {
			Name   string
			Record struct {
				Email string
				User  struct{ Email string }
			}
			User struct{ Email string } // the flat shape of older builds
		}
	}
	if json.Unmarshal(raw, &c) != nil {
		return
	}
	email = c.Event.Record.Email
	if email == "" {
		email = c.Event.Record.User.Email
	}
	if email == "" {
		email = c.Event.User.Email
	}
	return c.Event.Name, email, true
}

// lag is one sign-up's answer and its events' receipts.
type lag struct {
	answered       time.Time
	token, created time.Duration // receipt - answer (< 0: before the answer)
}

// signUps runs sign-ups with conc in flight until d has passed and at
// least min were made (d = 0: exactly min), and returns their lags once
// every event arrived (or 30 s after the last answer).
func signUps(ctx context.Context, o options, r *receipts, prefix string, conc, min int, d time.Duration) ([]lag, time.Duration, error) {
	var mu sync.Mutex
	var out []struct {
		email string
		at    time.Time
	}
	var n atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	errc := make(chan error, conc)
	for range conc {
		wg.Go(func() {
			for {
				i := n.Add(1) - 1
				if int(i) >= min && (d == 0 || time.Since(start) >= d) {
					return
				}
				email := fmt.Sprintf("%s%d-%s@example.com", prefix, i, o.tag)
				if err := newClient(o.url).signUp(email); err != nil {
					errc <- err
					return
				}
				mu.Lock()
				out = append(out, struct {
					email string
					at    time.Time
				}{email, time.Now()})
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	select {
	case err := <-errc:
		return nil, elapsed, err
	default:
	}
	deadline := time.After(30 * time.Second)
	lags := make([]lag, 0, len(out))
	missing := 0
	for _, s := range out {
		for _, name := range []string{"system.user.email.confirmation.token", "model.user.created"} {
			select {
			case <-r.await(name, s.email):
			case <-deadline:
			}
		}
		tok, ok1 := r.got("system.user.email.confirmation.token", s.email)
		cre, ok2 := r.got("model.user.created", s.email)
		if !ok1 || !ok2 {
			missing++
			continue
		}
		lags = append(lags, lag{answered: s.at, token: tok.Sub(s.at), created: cre.Sub(s.at)})
	}
	if missing > 0 {
		return lags, elapsed, fmt.Errorf("%d of %d sign-ups: events missing 30 s after the storm", missing, len(out))
	}
	return lags, elapsed, nil
}

// probe sends GET authzPath with c's session at rate per second for d,
// open loop, and returns the latencies and the number of failures.
func probe(ctx context.Context, c *client, rate int, d time.Duration) ([]time.Duration, int) {
	var mu sync.Mutex
	var lat []time.Duration
	var failed int
	var wg sync.WaitGroup
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	end := time.After(d)
	for {
		select {
		case <-ctx.Done():
			wg.Wait()
			return lat, failed
		case <-end:
			wg.Wait()
			return lat, failed
		case <-tick.C:
			wg.Go(func() {
				t0 := time.Now()
				st, _, err := c.do("GET", authzPath, nil)
				el := time.Since(t0)
				mu.Lock()
				defer mu.Unlock()
				if err != nil || st != 200 {
					failed++
					return
				}
				lat = append(lat, el)
			})
		}
	}
}

// storm keeps n logins of email in flight until ctx ends and returns how
// many succeeded.
func storm(ctx context.Context, base, email string, n int) *atomic.Int64 {
	var ok atomic.Int64
	for range n {
		go func() {
			for ctx.Err() == nil {
				if newClient(base).login(email) == nil {
					ok.Add(1)
				}
			}
		}()
	}
	return &ok
}

func pct(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(p / 100 * float64(len(s)-1))
	return s[i]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d)/float64(time.Millisecond)) }

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:3], " ")
}

func lagLine(label string, ls []lag, elapsed time.Duration) {
	var tok, cre []time.Duration
	for _, l := range ls {
		tok, cre = append(tok, l.token), append(cre, l.created)
	}
	fmt.Printf("%-34s %5d sign-ups %6.1f/s | confirmation.token lag p50 %6s p99 %6s max %6s ms | user.created p50 %6s p99 %6s ms\n",
		label, len(ls), float64(len(ls))/elapsed.Seconds(), ms(pct(tok, 50)), ms(pct(tok, 99)), ms(pct(tok, 100)),
		ms(pct(cre, 50)), ms(pct(cre, 99)))
}

func authzLine(label string, lat []time.Duration, failed int, d time.Duration, extra string) {
	fmt.Printf("%-34s %6d requests %6.0f/s, %d failed | p50 %6s p99 %6s max %6s ms%s\n", label, len(lat),
		float64(len(lat))/d.Seconds(), failed, ms(pct(lat, 50)), ms(pct(lat, 99)), ms(pct(lat, 100)), extra)
}

func run(ctx context.Context, o options) error {
	r := &receipts{at: map[string]time.Time{}, wait: map[string]chan struct{}{}}
	stop, err := consume(ctx, o.amqp, o.tag, r)
	if err != nil {
		return err
	}
	defer stop()

	// The first account (superadmin) and the probe's member.
	if err := newClient(o.url).signUp("root-" + o.tag + "@example.com"); err != nil {
		return err
	}
	probeEmail := "probe-" + o.tag + "@example.com"
	pc := newClient(o.url)
	if err := pc.signUp(probeEmail); err != nil {
		return err
	}
	if st, b, err := pc.do("GET", authzPath, nil); err != nil || st != 200 {
		return fmt.Errorf("authz with the probe's cookie: %d %s %v", st, b, err)
	}
	stormEmail := "storm-" + o.tag + "@example.com"
	if err := newClient(o.url).signUp(stormEmail); err != nil {
		return err
	}
	fmt.Printf("load average at start: %s\n\n", loadavg())

	phase := func(name string) bool { return slices.Contains(strings.Split(o.phases, ","), name) }

	// 1. Event lag without load.
	if phase("baseline") {
		base, el, err := signUps(ctx, o, r, "base", 1, o.baseline, 0)
		if err != nil {
			return err
		}
		lagLine("baseline (1 sign-up in flight)", base, el)
	}
	if phase("authz") {
		authzPhase(ctx, o, pc, stormEmail)
	}
	if phase("signups") {
		return signUpPhase(ctx, o, r, pc)
	}
	return nil
}

// authzPhase measures authz without load, then during a login storm.
func authzPhase(ctx context.Context, o options, pc *client, stormEmail string) {
	lat, failed := probe(ctx, pc, o.authzRate, o.authzDur)
	authzLine("authz, no storm", lat, failed, o.authzDur, "")
	sctx, cancel := context.WithCancel(ctx)
	logins := storm(sctx, o.url, stormEmail, o.storm)
	time.Sleep(2 * time.Second) // the storm fills the hashing queue
	before := logins.Load()
	lat, failed = probe(ctx, pc, o.authzRate, o.authzDur)
	rate := float64(logins.Load()-before) / o.authzDur.Seconds()
	cancel()
	authzLine(fmt.Sprintf("authz, login storm (%d in flight)", o.storm), lat, failed, o.authzDur,
		fmt.Sprintf(" | logins %.1f/s | load %s", rate, loadavg()))
}

// signUpPhase measures the event lag during a sign-up storm, with the
// authz probe alongside.
func signUpPhase(ctx context.Context, o options, r *receipts, pc *client) error {
	var plat []time.Duration
	var pfailed int
	pctx, pcancel := context.WithCancel(ctx)
	pdone := make(chan struct{})
	go func() { plat, pfailed = probe(pctx, pc, o.authzRate/4, 24*time.Hour); close(pdone) }()
	lags, el, err := signUps(ctx, o, r, "storm", o.conc, o.min, o.dur)
	pcancel()
	<-pdone
	if err != nil {
		return err
	}
	lagLine(fmt.Sprintf("sign-up storm (%d in flight, %s)", o.conc, o.dur), lags, el)
	authzLine("authz during the sign-up storm", plat, pfailed, el, "")
	fmt.Printf("load average after the storm: %s\n", loadavg())
	if len(lags) == 0 {
		return errors.New("no sign-ups")
	}
	fmt.Printf("\nconfirmation.token lag over the storm, by %s window of the sign-up's answer:\n", o.window)
	t0 := lags[0].answered
	for _, l := range lags {
		if l.answered.Before(t0) {
			t0 = l.answered
		}
	}
	byWin := map[int][]time.Duration{}
	last := 0
	for _, l := range lags {
		w := int(l.answered.Sub(t0) / o.window)
		byWin[w] = append(byWin[w], l.token)
		last = max(last, w)
	}
	for w := 0; w <= last; w++ {
		ds := byWin[w]
		fmt.Printf("  %4ds-%4ds %4d sign-ups  p50 %6s  p99 %6s  max %6s ms\n", w*int(o.window/time.Second),
			(w+1)*int(o.window/time.Second), len(ds), ms(pct(ds, 50)), ms(pct(ds, 99)), ms(pct(ds, 100)))
	}
	return nil
}
