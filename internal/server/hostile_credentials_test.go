package server_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestHostileCredentials sends hostile API key headers to a resource path
// and hostile JWS claims (jti, exp, iat, nbf, iss) to the management API on
// the three databases (used jtis and nonces are kept in the kv table
// without Redis): a 4xx, never a 5xx.
func TestHostileCredentials(t *testing.T) {
	t.Parallel()
	onEachDatabase(t, nil, func(t *testing.T, env map[string]string) {
		m := newMgmtServer(t, "{}", mgmtScopesYAML, env)
		m.signUp(t, "root@example.com")
		vals := []string{"", "0", "-1", "1e400", "99999999999999999999999", "9223372036854775807", strings.Repeat("k", 700),
			strings.Repeat("k", 701), strings.Repeat("k", 10000), strings.Repeat("😀", 300), "a\xffb", "a\x00b", "' OR 1=1 --"}
		var headers []string // a client cannot send NUL in a header
		for _, v := range vals {
			if !strings.Contains(v, "\x00") {
				headers = append(headers, v)
			}
		}
		for _, kid := range headers {
			for _, nonce := range headers {
				req, _ := http.NewRequest("GET", m.URL+"/api/v2/auth/resource/users/me", nil)
				req.Header.Set("X-Auth-Apikey", kid)
				req.Header.Set("X-Auth-Nonce", nonce)
				req.Header.Set("X-Auth-Signature", kid)
				r := m.client().roundTrip(t, req)
				if r.Status >= 500 || r.Status < 400 {
					t.Errorf("api key %.20q nonce %.20q: %d %.200s", kid, nonce, r.Status, r.Body)
				}
			}
		}
		typed := []any{nil, true, 1.5, -1, 1e300, 9223372036854775807, []any{1}, map[string]any{"a": 1}}
		for _, v := range vals {
			typed = append(typed, v)
		}
		for _, claim := range []string{"jti", "exp", "iat", "nbf", "iss", "sub", "aud", "data"} {
			for i, v := range typed {
				c := mgmtClaims(map[string]any{"uid": "ID0000000000"})
				c[claim] = v
				r := m.send(t, "POST", "/users/get", mgmtJSONHeader, mgmtBody(t, c, m.applogic))
				if r.Status >= 500 {
					t.Errorf("claim %s value %d %.20s: %d %.200s", claim, i, fmt.Sprint(v), r.Status, r.Body)
				}
			}
		}
	})
}
