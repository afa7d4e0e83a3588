package main

import (
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/barong-go/barong/authz"
)

// key is an API key with the last nonce sent under it.
type key struct {
	mu          sync.Mutex
	kid, secret string
	last        int64
}

// nonce returns the current time in milliseconds, or one more than the
// last nonce of the key when that is not behind; it waits while the
// key is more than 2 s ahead of the clock (the server accepts 5 s).
func (k *key) nonce() string {
	k.mu.Lock()
	defer k.mu.Unlock()
	for {
		n := max(time.Now().UnixMilli(), k.last+1)
		if n-time.Now().UnixMilli() <= 2000 {
			k.last = n
			return strconv.FormatInt(n, 10)
		}
		time.Sleep(time.Millisecond)
	}
}

func readKeys(path string) ([]*key, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read keys: %w", err)
	}
	var keys []*key
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		kid, secret, ok := strings.Cut(line, " ")
		if !ok {
			return nil, fmt.Errorf("keys: bad line %q", line)
		}
		keys = append(keys, &key{kid: kid, secret: secret})
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("keys: none in %s", path)
	}
	return keys, nil
}

// histBuckets are the latency buckets of one microsecond; the last one
// takes everything slower.
const histBuckets = 100_000

// result is what one connection measured.
type result struct {
	hist     []int64 // requests by latency in microseconds
	n        int64
	max      time.Duration
	errors   int
	firstErr error
	status   map[int]int
}

func load(args []string) error {
	fs := flag.NewFlagSet("load", flag.ExitOnError)
	url := fs.String("url", "http://127.0.0.1:18000/api/v2/auth/api/v2/peatio/account/balances", "URL to GET")
	keysPath := fs.String("keys", "keys", "file of \"kid secret\" lines")
	conns := fs.Int("c", 16, "connections")
	dur := fs.Duration("d", 10*time.Second, "duration")
	count := fs.Int64("n", 0, "stop after this many requests in all (0: run for -d)")
	cookiePath := fs.String("cookie", "", "file of a Cookie header value: send it (and -ua's user agent) instead of signing with API keys")
	uaPath := fs.String("ua", "", "file of the User-Agent of -cookie")
	_ = fs.Parse(args)
	var keys []*key
	var sess *session
	var err error
	if *cookiePath != "" {
		if sess, err = readSession(*cookiePath, *uaPath); err != nil {
			return err
		}
	} else if keys, err = readKeys(*keysPath); err != nil {
		return err
	}
	results := make([]result, *conns)
	start := time.Now()
	deadline := start.Add(*dur)
	left := &atomic.Int64{}
	if *count > 0 {
		deadline = start.Add(24 * time.Hour)
		left.Store(*count)
	} else {
		left.Store(math.MaxInt64)
	}
	var wg sync.WaitGroup
	for i := range *conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = connection(*url, keys, sess, i, *conns, deadline, left)
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if *count == 0 {
		elapsed = *dur
	}
	hist := make([]int64, histBuckets)
	var total int64
	var worst time.Duration
	errs, status := 0, map[int]int{}
	for _, r := range results {
		for b, n := range r.hist {
			hist[b] += n
		}
		total += r.n
		worst = max(worst, r.max)
		errs += r.errors
		for s, n := range r.status {
			status[s] += n
		}
	}
	pct := func(p float64) time.Duration {
		want, seen := int64(float64(total)*p)+1, int64(0)
		for b, n := range hist {
			if seen += n; seen >= want {
				return time.Duration(b) * time.Microsecond
			}
		}
		return worst
	}
	fmt.Printf("requests %d in %s, %.0f req/s, p50 %s, p99 %s, max %s, errors %d, statuses %v\n",
		total, elapsed.Round(time.Millisecond), float64(total)/elapsed.Seconds(), pct(0.50), pct(0.99), worst, errs, status)
	if errs > 0 || int64(status[http.StatusOK]) != total {
		var first error
		for _, r := range results {
			if r.firstErr != nil {
				first = r.firstErr
				break
			}
		}
		return fmt.Errorf("%d transport errors (first: %v), statuses %v", errs, first, status)
	}
	return nil
}

// session is the cookie and user agent of -cookie.
type session struct{ cookie, ua string }

func readSession(cookiePath, uaPath string) (*session, error) {
	c, err := os.ReadFile(cookiePath)
	if err != nil {
		return nil, fmt.Errorf("read cookie: %w", err)
	}
	var ua []byte
	if uaPath != "" {
		if ua, err = os.ReadFile(uaPath); err != nil {
			return nil, fmt.Errorf("read user agent: %w", err)
		}
	}
	return &session{cookie: strings.TrimSpace(string(c)), ua: strings.TrimSpace(string(ua))}, nil
}

// connection sends requests on one keep-alive connection until deadline or
// until left runs out, with the keys i, i+conns, i+2*conns, ... in turn,
// or with the session s.
func connection(url string, keys []*key, s *session, i, conns int, deadline time.Time, left *atomic.Int64) result {
	var mine []*key
	if len(keys) > 0 {
		for j := i % len(keys); j < len(keys); j += conns {
			mine = append(mine, keys[j])
		}
		if len(mine) == 0 {
			mine = []*key{keys[i%len(keys)]}
		}
	}
	cl := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1, MaxConnsPerHost: 1}, Timeout: 10 * time.Second}
	res := result{status: map[int]int{}, hist: make([]int64, histBuckets)}
	for n := 0; time.Now().Before(deadline) && left.Add(-1) >= 0; n++ {
		req, _ := http.NewRequest("GET", url, nil)
		if s != nil {
			req.Header.Set("Cookie", s.cookie)
			req.Header.Set("User-Agent", s.ua)
		} else {
			k := mine[n%len(mine)]
			nonce := k.nonce()
			req.Header.Set("X-Auth-Apikey", k.kid)
			req.Header.Set("X-Auth-Nonce", nonce)
			req.Header.Set("X-Auth-Signature", authz.Sign(k.secret, nonce, k.kid))
		}
		start := time.Now()
		resp, err := cl.Do(req)
		if err != nil {
			res.errors++
			if res.errors == 1 {
				res.firstErr = err
			}
			time.Sleep(time.Millisecond) // do not spin on a refused connection
			continue
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		lat := time.Since(start)
		res.hist[min(int(lat/time.Microsecond), histBuckets-1)]++
		res.n++
		res.max = max(res.max, lat)
		res.status[resp.StatusCode]++
	}
	return res
}
