package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
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
	_ = fs.Parse(args)
	keys, err := readKeys(*keysPath)
	if err != nil {
		return err
	}
	results := make([]result, *conns)
	deadline := time.Now().Add(*dur)
	var wg sync.WaitGroup
	for i := range *conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = connection(*url, keys, i, *conns, deadline)
		}()
	}
	wg.Wait()
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
		total, *dur, float64(total)/dur.Seconds(), pct(0.50), pct(0.99), worst, errs, status)
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

// connection sends requests on one keep-alive connection until deadline,
// with the keys i, i+conns, i+2*conns, ... in turn.
func connection(url string, keys []*key, i, conns int, deadline time.Time) result {
	var mine []*key
	for j := i % len(keys); j < len(keys); j += conns {
		mine = append(mine, keys[j])
	}
	if len(mine) == 0 {
		mine = []*key{keys[i%len(keys)]}
	}
	cl := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1, MaxConnsPerHost: 1}, Timeout: 10 * time.Second}
	res := result{status: map[int]int{}, hist: make([]int64, histBuckets)}
	for n := 0; time.Now().Before(deadline); n++ {
		k := mine[n%len(mine)]
		req, _ := http.NewRequest("GET", url, nil)
		nonce := k.nonce()
		req.Header.Set("X-Auth-Apikey", k.kid)
		req.Header.Set("X-Auth-Nonce", nonce)
		req.Header.Set("X-Auth-Signature", authz.Sign(k.secret, nonce, k.kid))
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
