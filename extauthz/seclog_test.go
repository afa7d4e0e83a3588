package extauthz

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/seclog"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// TestRefusalSecurityLog: a refused check writes one security line with
// Envoy's request id and the API key's kid, never the signature or nonce;
// the refusal's body carries the request id.
func TestRefusalSecurityLog(t *testing.T) {
	var buf lockedBuffer
	log := slog.New(seclog.Handler(slog.NewJSONHandler(&buf, nil)))
	svc := New(&recorder{err: barong.Unauthorized("authz.invalid_signature")}, testConfig(), log)
	h := http.Header{}
	h.Set("X-Request-Id", "envoy-1")
	h.Set("X-Auth-Apikey", "kid-1")
	h.Set("X-Auth-Nonce", "1700000000000")
	h.Set("X-Auth-Signature", "deadbeefsignature")
	d := svc.decide(context.Background(), "GET", "/api/v2/peatio/account/balances", "127.0.0.1:1", h)
	if d.Status != 401 || string(d.Body) != `{"errors":["authz.invalid_signature"],"request_id":"envoy-1"}` {
		t.Fatalf("decision %d %s", d.Status, d.Body)
	}
	var line map[string]any
	if err := json.Unmarshal(buf.b.Bytes(), &line); err != nil {
		t.Fatalf("%s: %v", buf.b.String(), err)
	}
	if line["msg"] != "security" || line["event"] != "authz_refused" || line["request_id"] != "envoy-1" || line["kid"] != "kid-1" ||
		line["path"] != "api/v2/peatio/account/balances" || line["ip"] != "127.0.0.1" {
		t.Fatalf("line %v", line)
	}
	if s := buf.b.String(); strings.Contains(s, "deadbeefsignature") || strings.Contains(s, "1700000000000") {
		t.Fatalf("secret in the log: %s", s)
	}
	// Without a gateway id none is made up here (Envoy always sends one).
	buf.b.Reset()
	d = svc.decide(context.Background(), "GET", "/x", "127.0.0.1:1", http.Header{})
	if string(d.Body) != `{"errors":["authz.invalid_signature"]}` {
		t.Fatalf("body %s", d.Body)
	}
}
