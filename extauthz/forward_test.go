package extauthz

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/authz"
)

// forwardAuth sends the request Traefik's forwardAuth sends: a GET to the
// fixed address with the client's headers and X-Forwarded-*.
func forwardAuth(t *testing.T, url string, h map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url+ForwardAuthPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range h {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestForwardAuth(t *testing.T) {
	t.Parallel()
	rec := &recorder{res: &authz.Result{Token: "tok"}}
	svc := New(rec, testConfig(), quiet())
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	ts := httptest.NewServer(svc.Mount(next))
	defer ts.Close()

	resp, body := forwardAuth(t, ts.URL, map[string]string{"X-Forwarded-Method": "PUT", "X-Forwarded-Uri": "/api/v2/peatio/account/x.json?uid=U1",
		"X-Forwarded-For": "198.51.100.20", "Cookie": "_barong_session=s1", "X-Csrf-Token": "c1", "User-Agent": "UA/2"})
	if resp.StatusCode != 200 || resp.Header.Get("Authorization") != "Bearer tok" || body != "" {
		t.Fatalf("allowed: %d %q %q", resp.StatusCode, resp.Header.Get("Authorization"), body)
	}
	r := rec.last(t)
	if r.Method != "PUT" || r.Path != "api/v2/peatio/account/x" || !r.TokenOnly || r.IP != "198.51.100.20" || r.SessionID != "s1" || r.CSRF != "c1" ||
		r.UserAgent != "UA/2" || r.Params()["uid"] != "U1" {
		t.Fatalf("request %+v", r)
	}

	// Without X-Forwarded-Method the request's own method counts.
	forwardAuth(t, ts.URL, map[string]string{"X-Forwarded-Uri": "/a"})
	if r := rec.last(t); r.Method != "GET" || r.Path != "a" {
		t.Fatalf("request %+v", r)
	}

	resp, body = forwardAuth(t, ts.URL, map[string]string{"X-Request-Id": "req-1"})
	if resp.StatusCode != 400 || body != `{"errors":["authz.missing_forwarded_uri"],"request_id":"req-1"}` ||
		resp.Header.Get("Content-Type") != "application/json" || resp.Header.Get("X-Request-Id") != "req-1" {
		t.Fatalf("missing uri: %d %s", resp.StatusCode, body)
	}

	rec.res, rec.err = &authz.Result{Pass: true}, nil
	if resp, _ = forwardAuth(t, ts.URL, map[string]string{"X-Forwarded-Uri": "/api/v2/peatio/public/x"}); resp.StatusCode != 200 || resp.Header.Get("Authorization") != "" {
		t.Fatalf("pass: %d %q", resp.StatusCode, resp.Header.Get("Authorization"))
	}
	rec.err = barong.WithStatus(423, "authz.restrict.blacklist")
	if resp, body = forwardAuth(t, ts.URL, map[string]string{"X-Forwarded-Uri": "/x", "X-Request-Id": "a b"}); resp.StatusCode != 423 ||
		body != `{"errors":["authz.restrict.blacklist"],"request_id":"`+resp.Header.Get("X-Request-Id")+`"}` || len(resp.Header.Get("X-Request-Id")) != 32 {
		t.Fatalf("refused: %d %s", resp.StatusCode, body)
	}

	// Every other path goes to the wrapped handler.
	for _, p := range []string{"/api/v2/auth/", "/api/v2/auth/api/v2/x", "/api/v2/authx"} {
		resp, err := http.Get(ts.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusTeapot {
			t.Fatalf("%s: %d", p, resp.StatusCode)
		}
	}
}
