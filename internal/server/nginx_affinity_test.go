package server_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// The advice of docs/gateways.md (nginx, "Several barong processes"), as
// an API client sees it: two barong processes sharing Redis and the
// database behind Debian's nginx, running the document's block with both
// processes in its barong upstream.
//
// With the documented hash line every key stays on one process, which
// checks its nonces in memory (owner record "o:<process>"), and the keys
// are spread over both. Without it (round robin) every key is used
// through both processes and becomes shared ("s:0"). Either way every
// fresh signed request passes with a JWT that the platform's library
// accepts, and every replay is refused.

// TestNginxAPIKeyAffinity: the documented hash line keeps each key on one
// process and spreads the keys over both.
func TestNginxAPIKeyAffinity(t *testing.T) {
	rig := newAffinityRig(t, nginxDocHashLine(t))
	rig.addKeys(t, 8)
	rig.traffic(t, rig.keys)
	// Consistent hashing might put every key on one process: add keys
	// until each process owns one.
	for len(rig.keys) < 64 {
		perProcess, shared := rig.owners(t, rig.keys)
		if len(shared) != 0 {
			t.Fatalf("keys shared although nginx hashes the API key: %v", shared)
		}
		if perProcess["a"] > 0 && perProcess["b"] > 0 {
			t.Logf("%d keys: %d owned by a, %d by b", len(rig.keys), perProcess["a"], perProcess["b"])
			break
		}
		t.Logf("%d keys all on one process (%v): adding 8", len(rig.keys), perProcess)
		rig.traffic(t, rig.addKeys(t, 8))
	}
	if perProcess, _ := rig.owners(t, rig.keys); perProcess["a"] == 0 || perProcess["b"] == 0 {
		t.Fatalf("%d keys, owners per process %v: not spread", len(rig.keys), perProcess)
	}
	// No nonce went to Redis: every key was checked in its owner's memory.
	if n := rig.count(t, "kv:nonce:*"); n != 0 {
		t.Fatalf("%d nonce records in Redis, want none", n)
	}
}

// TestNginxAPIKeyRoundRobin is the control: both processes in the
// upstream without the hash line. Keys move between the processes and
// become shared, and no replay passes.
func TestNginxAPIKeyRoundRobin(t *testing.T) {
	rig := newAffinityRig(t, "")
	rig.addKeys(t, 8)
	rig.traffic(t, rig.keys)
	perProcess, shared := rig.owners(t, rig.keys)
	if len(shared) != len(rig.keys) {
		t.Fatalf("round robin: %d of %d keys shared, owners per process %v", len(shared), len(rig.keys), perProcess)
	}
	if rig.count(t, "kv:nonce:*") == 0 {
		t.Fatal("shared keys but no nonce records in Redis")
	}
}

// nginxDocHashLine reads the hash directive of the "Several barong
// processes" bullet of docs/gateways.md, whitespace collapsed.
func nginxDocHashLine(t *testing.T) string {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "gateways.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, bullet, ok := strings.Cut(string(doc), "**Several barong processes.**")
	if !ok {
		t.Fatal(`docs/gateways.md: no "Several barong processes" bullet`)
	}
	bullet, _, _ = strings.Cut(bullet, "\n- ")
	m := regexp.MustCompile(`hash\s+\S+\s+consistent;`).FindAllString(bullet, -1)
	if len(m) != 1 {
		t.Fatalf("docs/gateways.md: the Several barong processes bullet has %d hash directives, want 1: %q", len(m), m)
	}
	return strings.Join(strings.Fields(m[0]), " ")
}

// nginxConfigBarongs is the document's nginx block (nginxConfig) with its
// barong upstream replaced by one with hashLine (or none) and both
// processes.
func nginxConfigBarongs(t *testing.T, hashLine string, barongAddrs []string, upstreamAddr, listen string) string {
	t.Helper()
	const line = "upstream barong { server 127.0.0.1:8000; }"
	block := nginxConfig(t, "127.0.0.1:8000", upstreamAddr, listen)
	if n := strings.Count(block, line); n != 1 {
		t.Fatalf("docs/gateways.md nginx block has %q %d times, want once", line, n)
	}
	up := "upstream barong { "
	if hashLine != "" {
		up += hashLine + " "
	}
	for _, a := range barongAddrs {
		up += "server " + a + "; "
	}
	return strings.Replace(block, line, up+"}", 1)
}

// affinityRig is two barong processes behind nginx, with API keys.
type affinityRig struct {
	a, b   *testServer
	gw     string
	up     *gwUpstream
	rdb    *redis.Client
	prefix string
	pub64  string            // the JWT public key, as the platform's services read it
	names  map[string]string // process (owner record) -> "a" or "b"
	uids   []string          // members holding the keys
	keys   []affinityKey
	http   *http.Client

	mu   sync.Mutex
	last int64 // latest nonce handed out (ms)
}

type affinityKey struct {
	gwKey
	uid string
}

func newAffinityRig(t *testing.T, hashLine string) *affinityRig {
	t.Helper()
	env := redisEnv(t)
	rig := &affinityRig{prefix: env["BARONG_REDIS_PREFIX"], names: map[string]string{},
		http: &http.Client{Timeout: 10 * time.Second}}
	opts, err := redis.ParseURL(env["BARONG_REDIS_URL"])
	if err != nil {
		t.Fatal(err)
	}
	rig.rdb = redis.NewClient(opts)
	// Registered first, so it runs after the servers closed (and gave
	// their keys up): only this test's prefix is removed.
	t.Cleanup(func() {
		ctx := context.Background()
		iter := rig.rdb.Scan(ctx, 0, rig.prefix+"*", 500).Iterator()
		for iter.Next(ctx) {
			rig.rdb.Del(ctx, iter.Val())
		}
		rig.rdb.Close()
	})
	rig.a = newServer(t, env)
	rig.b = newServerSharing(t, rig.a, env)
	rig.up = gwNewUpstream(t)
	rig.gw = startNginxWith(t, func(listen string) string {
		return nginxConfigBarongs(t, hashLine, []string{mustURL(t, rig.a.URL).Host, mustURL(t, rig.b.URL).Host},
			mustURL(t, rig.up.URL).Host, listen)
	})
	rig.pub64 = base64.StdEncoding.EncodeToString(rig.a.Keys.Signing().PublicPEM())

	rig.a.signUp(t, "root@example.com") // the first account is superadmin
	for i := 0; i < 4; i++ {
		email := fmt.Sprintf("member%d@example.com", i)
		rig.a.signUp(t, email)
		rig.uids = append(rig.uids, rig.a.activate(t, email).UID)
	}

	// Which process is which: a key used directly on each.
	for name, ts := range map[string]*testServer{"a": rig.a, "b": rig.b} {
		k := gwAPIKey(t, rig.a, "member0@example.com", "kid-affinity-direct-"+name)
		r, err := rig.send(ts.URL+authzPeatio, k.headers(rig.nonce()))
		if err != nil {
			t.Fatal(err)
		}
		expect(t, r, 200)
		v := rig.owner(t, k.KID)
		p, ok := strings.CutPrefix(v, "o:")
		if !ok || p == "" || rig.names[p] != "" {
			t.Fatalf("key used on %s only: owner record %q (known %v)", name, v, rig.names)
		}
		rig.names[p] = name
	}
	return rig
}

// addKeys gives n more API keys to the members and returns them.
func (rig *affinityRig) addKeys(t *testing.T, n int) []affinityKey {
	t.Helper()
	var added []affinityKey
	for i := 0; i < n; i++ {
		j := len(rig.keys)
		m := j % len(rig.uids)
		k := gwAPIKey(t, rig.a, fmt.Sprintf("member%d@example.com", m), fmt.Sprintf("kid-affinity-%02d", j))
		rig.keys = append(rig.keys, affinityKey{gwKey: k, uid: rig.uids[m]})
		added = append(added, rig.keys[j])
	}
	return added
}

// nonce is a fresh nonce: now in ms, above every one handed out before.
func (rig *affinityRig) nonce() int64 {
	rig.mu.Lock()
	defer rig.mu.Unlock()
	rig.last = max(time.Now().UnixMilli(), rig.last+1)
	return rig.last
}

// send makes a GET of url with the headers h; it may run outside the
// test's goroutine.
func (rig *affinityRig) send(url string, h map[string]string) (*response, error) {
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", "affinity-test/1.0")
	for k, v := range h {
		req.Header.Set(k, v)
	}
	resp, err := rig.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return &response{Status: resp.StatusCode, Header: resp.Header, Body: b}, err
}

const affinityPath = "/api/v2/peatio/account/balances"

// traffic sends signed requests of keys through nginx and checks what
// the client and the upstream get: first each key in turn, a fresh
// request (200) then its replay twice (401 authz.nonce_expired), twice
// over; then all keys at once, each nonce sent three times concurrently,
// of which exactly one passes.
func (rig *affinityRig) traffic(t *testing.T, keys []affinityKey) {
	t.Helper()
	for round := 0; round < 2; round++ {
		for _, k := range keys {
			h := k.headers(rig.nonce())
			r, err := rig.send(rig.gw+affinityPath, h)
			if err != nil {
				t.Fatal(err)
			}
			expect(t, r, 200)
			rig.checkUpstream(t, map[string]affinityKey{k.KID + " " + h["X-Auth-Nonce"]: k}, rig.up.take())
			for replay := 0; replay < 2; replay++ {
				r, err := rig.send(rig.gw+affinityPath, h)
				if err != nil {
					t.Fatal(err)
				}
				expect(t, r, 401, "authz.nonce_expired")
			}
			if s := rig.up.take(); len(s) != 0 {
				t.Fatalf("a replay of %s reached the upstream: %+v", k.KID, s)
			}
		}
	}

	const nonces, copies = 3, 3
	type result struct {
		key   affinityKey
		nonce string
		r     *response
		err   error
	}
	results := make(chan result, len(keys)*nonces*copies)
	var wg sync.WaitGroup
	for _, k := range keys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < nonces; i++ {
				h := k.headers(rig.nonce())
				var same sync.WaitGroup
				for c := 0; c < copies; c++ {
					same.Add(1)
					go func() {
						defer same.Done()
						r, err := rig.send(rig.gw+affinityPath, h)
						results <- result{k, h["X-Auth-Nonce"], r, err}
					}()
				}
				same.Wait()
			}
		}()
	}
	wg.Wait()
	close(results)
	passed := map[string]affinityKey{}
	for res := range results {
		id := res.key.KID + " " + res.nonce
		switch {
		case res.err != nil:
			t.Fatalf("%s: %v", id, res.err)
		case res.r.Status == 200:
			if _, dup := passed[id]; dup {
				t.Fatalf("%s passed twice", id)
			}
			passed[id] = res.key
		case res.r.Status != 401 || strings.Join(res.r.errors(), ",") != "authz.nonce_expired":
			t.Fatalf("%s: %d %s", id, res.r.Status, res.r.Body)
		}
	}
	if len(passed) != len(keys)*nonces {
		t.Fatalf("%d of %d nonces passed", len(passed), len(keys)*nonces)
	}
	rig.checkUpstream(t, passed, rig.up.take())
}

// checkUpstream checks that the upstream got exactly the accepted
// requests want ("kid nonce" -> key), each with a JWT of the key's holder
// that github.com/openware/pkg/jwt accepts.
func (rig *affinityRig) checkUpstream(t *testing.T, want map[string]affinityKey, seen []gwSeen) {
	t.Helper()
	if len(seen) != len(want) {
		t.Fatalf("upstream got %d requests, want %d", len(seen), len(want))
	}
	got := map[string]bool{}
	for _, s := range seen {
		id := s.Header.Get("X-Auth-Apikey") + " " + s.Header.Get("X-Auth-Nonce")
		k, ok := want[id]
		if !ok || got[id] || s.Method != "GET" || s.URI != affinityPath {
			t.Fatalf("upstream got %s %s for %q (unexpected or twice)", s.Method, s.URI, id)
		}
		got[id] = true
		v := s.Header.Values("Authorization")
		tok, ok := strings.CutPrefix(strings.Join(v, ","), "Bearer ")
		if len(v) != 1 || !ok {
			t.Fatalf("%s: upstream Authorization %q", id, v)
		}
		a, err := openwareParse(tok, rig.pub64)
		if err != nil {
			t.Fatalf("%s: openware/pkg/jwt rejects the upstream's JWT: %v", id, err)
		}
		if a.UID != k.uid || a.Role != "member" || a.State != "active" {
			t.Fatalf("%s: JWT claims %+v, want uid %s", id, a, k.uid)
		}
	}
}

// owner is the owner record of kid.
func (rig *affinityRig) owner(t *testing.T, kid string) string {
	t.Helper()
	v, err := rig.rdb.Get(context.Background(), rig.prefix+"nonceowner:"+kid).Result()
	if err != nil {
		t.Fatalf("owner record of %s: %v", kid, err)
	}
	return v
}

// owners counts the keys owned by each process ("a", "b") and lists the
// shared ones ("s:0"); any other record fails the test.
func (rig *affinityRig) owners(t *testing.T, keys []affinityKey) (perProcess map[string]int, shared []string) {
	t.Helper()
	perProcess = map[string]int{}
	for _, k := range keys {
		v := rig.owner(t, k.KID)
		if p, ok := strings.CutPrefix(v, "o:"); ok && rig.names[p] != "" {
			perProcess[rig.names[p]]++
		} else if v == "s:0" {
			shared = append(shared, k.KID)
		} else {
			t.Fatalf("owner record of %s: %q, want o:<a or b> or s:0 (processes %v)", k.KID, v, rig.names)
		}
	}
	return perProcess, shared
}

// count is the number of Redis keys matching pattern under the prefix.
func (rig *affinityRig) count(t *testing.T, pattern string) int {
	t.Helper()
	ctx := context.Background()
	n := 0
	iter := rig.rdb.Scan(ctx, 0, rig.prefix+pattern, 500).Iterator()
	for iter.Next(ctx) {
		n++
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	return n
}
