package server_test

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/barong-go/barong/internal/testenv"
)

// nginxConfig returns the nginx block of docs/gateways.md with barong,
// the upstream service and the listen address replaced: the test runs
// exactly what the document shows.
func nginxConfig(t *testing.T, barongAddr, upstreamAddr, listen string) string {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "gateways.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok1 := strings.Cut(string(doc), "<!-- nginx-begin")
	block, _, ok2 := strings.Cut(rest, "<!-- nginx-end -->")
	_, block, ok3 := strings.Cut(block, "```nginx\n")
	block, _, ok4 := strings.Cut(block, "```")
	if !ok1 || !ok2 || !ok3 || !ok4 {
		t.Fatal("docs/gateways.md: no nginx block between the nginx-begin and nginx-end markers")
	}
	for _, r := range [][2]string{
		{"server 127.0.0.1:8000;", "server " + barongAddr + ";"},
		{"server 127.0.0.1:3000;", "server " + upstreamAddr + ";"},
		{"listen 8080;", "listen " + listen + ";"},
	} {
		if n := strings.Count(block, r[0]); n != 1 {
			t.Fatalf("docs/gateways.md nginx block has %q %d times, want once", r[0], n)
		}
		block = strings.Replace(block, r[0], r[1], 1)
	}
	return block
}

// startNginx runs Debian's nginx in the foreground as the current user,
// with its files in a temporary prefix, on a free loopback port, and
// returns its base URL. It skips (fails under CI=true) without nginx.
func startNginx(t *testing.T, barongURL, upstreamURL string) string {
	t.Helper()
	return startNginxWith(t, func(listen string) string {
		return nginxConfig(t, mustURL(t, barongURL).Host, mustURL(t, upstreamURL).Host, listen)
	})
}

// startNginxWith is startNginx with the http block's configuration made
// by config for the listen address.
func startNginxWith(t *testing.T, config func(listen string) string) string {
	t.Helper()
	bin, err := exec.LookPath("nginx")
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/nginx"); serr == nil {
			bin, err = "/usr/sbin/nginx", nil
		}
	}
	if err != nil {
		testenv.Unavailable(t, "nginx (Debian package nginx, binary /usr/sbin/nginx)", err)
		return ""
	}
	dir := t.TempDir()
	for attempt := 0; ; attempt++ {
		addr := freeLoopbackAddr(t)
		conf := fmt.Sprintf(`daemon off;
master_process off;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log info;
events { worker_connections 128; }
http {
    access_log off;
    client_body_temp_path %[1]s/body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
%[2]s
}
`, dir, config(addr))
		confPath := filepath.Join(dir, "nginx.conf")
		if err := os.WriteFile(confPath, []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, "-p", dir, "-c", confPath, "-e", filepath.Join(dir, "error.log"))
		cmd.Stdout, cmd.Stderr = &testWriter{t}, &testWriter{t}
		if err := cmd.Start(); err != nil {
			t.Fatalf("start nginx: %v", err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		if err := waitListening(addr, exited); err == nil {
			t.Cleanup(func() {
				_ = cmd.Process.Kill()
				<-exited
			})
			return "http://" + addr
		} else if attempt == 2 {
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("nginx did not start: %v\n%s", err, log)
		}
	}
}

func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// waitListening waits until addr accepts connections or the process exits.
func waitListening(addr string, exited <-chan error) error {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("nginx exited: %v", err)
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return errors.New("nginx does not listen after 10s")
}

// TestNginxGateway runs the nginx configuration of docs/gateways.md in
// front of barong and an upstream service and checks the round trip.
func TestNginxGateway(t *testing.T) {
	ts := newServer(t, map[string]string{"BARONG_ACCESS_LOG": "true"})
	up := gwNewUpstream(t)
	gw := startNginx(t, ts.URL, up.URL)
	ts.signUp(t, "root@example.com") // the first account is superadmin
	ts.signUp(t, "member@example.com")
	u := ts.activate(t, "member@example.com")

	// Login through the gateway (identity is pass-listed; the prefix is removed).
	c := gwNewClient(gw)
	r := c.do(t, "POST", "/api/v2/barong/identity/sessions", `{"email":"member@example.com","password":"`+strongPassword+`"}`, nil)
	expect(t, r, 201)
	csrf, _ := r.json(t)["csrf_token"].(string)
	if len(up.take()) != 0 || csrf == "" {
		t.Fatalf("login: csrf %q", csrf)
	}

	// A cookie request: the upstream gets the request as sent, with a JWT of the user.
	r = c.do(t, "GET", "/api/v2/peatio/account/balances?currency=btc", "", nil)
	expect(t, r, 200)
	seen := up.one(t)
	if seen.Method != "GET" || seen.URI != "/api/v2/peatio/account/balances?currency=btc" || gwBearerUID(t, ts, seen.Header) != u.UID {
		t.Fatalf("upstream saw %+v", seen)
	}
	// The upstream and barong's check share nginx's request id.
	if id := seen.Header.Get("X-Request-Id"); len(id) != 32 ||
		len(ts.logs.lines("http request", map[string]any{"request_id": id, "path": "/api/v2/auth/api/v2/peatio/account/balances"})) != 1 {
		t.Fatalf("upstream request id %q not the check's:\n%s", id, ts.logs.text())
	}

	// The method reaches barong: a POST needs the CSRF token, a GET did not.
	r = c.do(t, "POST", "/api/v2/peatio/market/orders", `{"market":"btcusd"}`, nil)
	expect(t, r, 401, "authz.missing_csrf_token")
	if ct, srv := r.Header.Get("Content-Type"), r.Header.Get("Server"); ct != "application/json" || !strings.HasPrefix(srv, "nginx") || len(up.take()) != 0 {
		t.Fatalf("refusal content type %q from %q, or it reached the upstream", ct, srv)
	}
	expect(t, c.do(t, "POST", "/api/v2/peatio/market/orders", `{"market":"btcusd"}`, map[string]string{"X-CSRF-Token": "wrong"}),
		401, "authz.csrf_token_mismatch")
	r = c.do(t, "POST", "/api/v2/peatio/market/orders", `{"market":"btcusd"}`, map[string]string{"X-CSRF-Token": csrf})
	expect(t, r, 200)
	if seen = up.one(t); seen.Method != "POST" || seen.Body != `{"market":"btcusd"}` || gwBearerUID(t, ts, seen.Header) != u.UID {
		t.Fatalf("upstream saw %+v", seen)
	}

	// Barong's own resource API through the gateway: it trusts the JWT.
	r = c.do(t, "GET", "/api/v2/barong/resource/users/me", "", nil)
	expect(t, r, 200)
	if me := r.json(t); me["uid"] != u.UID {
		t.Fatalf("users/me %v", me)
	}

	// A pass-listed path: no Authorization upstream, not even the client's own.
	expect(t, c.do(t, "GET", "/api/v2/peatio/public/markets", "", map[string]string{"Authorization": "Bearer forged"}), 200)
	if seen = up.one(t); len(seen.Header.Values("Authorization")) != 0 {
		t.Fatalf("pass-listed request carried Authorization %q", seen.Header.Values("Authorization"))
	}

	// Refusals come back with barong's status and body.
	anon := gwNewClient(gw)
	expect(t, anon.do(t, "GET", "/api/v2/peatio/account/balances", "", nil), 401, "authz.invalid_session")
	expect(t, anon.do(t, "GET", "/api/v2/peatio/management/deposits", "", nil), 401, "authz.permission_denied")
	// Another user agent on a copy of a session's cookie (barong destroys that session).
	c2 := gwNewClient(gw)
	expect(t, c2.do(t, "POST", "/api/v2/barong/identity/sessions", `{"email":"member@example.com","password":"`+strongPassword+`"}`, nil), 201)
	other := gwNewClient(gw)
	other.ua = "Another Browser"
	other.Jar = c2.Jar
	expect(t, other.do(t, "GET", "/api/v2/peatio/account/balances", "", nil), 401, "authz.client_session_mismatch")
	if len(up.take()) != 0 {
		t.Fatal("a refused request reached the upstream")
	}

	// API keys: a signed request gets the holder's JWT upstream.
	key := gwAPIKey(t, ts, "member@example.com", "kid-nginx-1")
	api := gwNewClient(gw)
	now := time.Now().UnixMilli()
	expect(t, api.do(t, "GET", "/api/v2/peatio/account/balances", "", key.headers(now)), 200)
	if seen = up.one(t); gwBearerUID(t, ts, seen.Header) != u.UID {
		t.Fatalf("api-key upstream saw %+v", seen)
	}
	expect(t, api.do(t, "GET", "/api/v2/peatio/account/balances", "", key.headers(now)), 401, "authz.nonce_expired")
	// A refusal after the nonce was taken keeps its own key: the check is
	// made once, not repeated to fetch the body.
	expect(t, api.do(t, "GET", "/api/v2/peatio/admin/members", "", key.headers(now+1)), 401, "authz.invalid_permission")
	h := key.headers(now + 2)
	h["X-Auth-Nonce"] = " "
	expect(t, api.do(t, "GET", "/api/v2/peatio/account/balances", "", h), 422, "authz.invalid_api_key_headers")
	if len(up.take()) != 0 {
		t.Fatal("a refused request reached the upstream")
	}

	// Paths that nginx would route elsewhere than the check looked are refused.
	for _, p := range []string{"/api/v2/peatio/public/..%2Faccount/balances", "/api/v2/peatio/public/%2e%2e/account/balances",
		"/api/v2/peatio//account/balances"} {
		if r := anon.do(t, "GET", p, "", nil); r.Status != 400 {
			t.Fatalf("%s: %d %s", p, r.Status, r.Body)
		}
	}
	// One that nginx's guard lets through meets barong's path check, and
	// the client gets its status and body.
	expect(t, anon.do(t, "GET", "/api/v2/peatio/public;x/markets", "", nil), 400, "authz.invalid_path")
	// A query string may contain anything.
	expect(t, c.do(t, "GET", "/api/v2/peatio/public/markets?next="+url.QueryEscape("https://x//y/../z"), "", nil), 200)
	up.take()

	// Restrictions answer with their own codes, pass-listed paths included.
	lift := gwRestrict(t, ts, "maintenance", "all", "all", 471)
	expect(t, anon.do(t, "GET", "/api/v2/peatio/public/markets", "", nil), 471, "authz.restrict.maintenance")
	lift()
	lift = gwRestrict(t, ts, "blacklist", "ip", "127.0.0.1", 403)
	expect(t, c.do(t, "GET", "/api/v2/peatio/account/balances", "", nil), 403, "authz.restrict.blacklist")
	lift()
	// A code the configuration does not list: 500, with barong's body.
	lift = gwRestrict(t, ts, "blacklist", "ip_subnet", "127.0.0.0/8", 433)
	expect(t, c.do(t, "GET", "/api/v2/peatio/account/balances", "", nil), 500, "authz.restrict.blacklist")
	lift()
	if len(up.take()) != 0 {
		t.Fatal("a restricted request reached the upstream")
	}
	expect(t, c.do(t, "GET", "/api/v2/peatio/account/balances", "", nil), 200)
	up.one(t)
}

// TestNginxGatewayBarongDown: when barong cannot be reached the client
// gets 500 with barong's internal-error body, and nothing goes upstream.
func TestNginxGatewayBarongDown(t *testing.T) {
	up := gwNewUpstream(t)
	gw := startNginx(t, "http://"+freeLoopbackAddr(t), up.URL)
	r := gwNewClient(gw).do(t, "GET", "/api/v2/peatio/public/markets", "", nil)
	expect(t, r, 500, "server.internal_error")
	if len(up.take()) != 0 {
		t.Fatal("request reached the upstream without a check")
	}
}
