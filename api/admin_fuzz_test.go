package api

import (
	"bytes"
	"io"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// FuzzAuditParams feeds arbitrary bodies through auditParams: it must never
// panic, and the handler must still read the whole body unchanged.
func FuzzAuditParams(f *testing.F) {
	for _, seed := range []struct {
		ct, body string
	}{
		{"application/json", `{"uid":"ID123","key":"vip","nested":{"otp_code":"1"}}`},
		{"application/json", `[1,2]`},
		{"application/x-www-form-urlencoded", "uid=ID1&key=a%zz"},
		{"", `{"uid":`},
		{"multipart/form-data; boundary=x", "--x--"},
	} {
		f.Add(seed.ct, []byte(seed.body))
	}
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		r := httptest.NewRequest("POST", "/api/v2/admin/users/labels?uid=Q", bytes.NewReader(body))
		r.Header.Set("Content-Type", ct)
		m := auditParams(r)
		if m == nil {
			t.Fatal("nil params")
		}
		got, err := io.ReadAll(r.Body)
		if err != nil || !bytes.Equal(got, body) {
			t.Fatalf("body not restored: %q, want %q (%v)", got, body, err)
		}
	})
}

func TestAuditParams(t *testing.T) {
	r := httptest.NewRequest("POST", "/x?uid=Q&page=2", strings.NewReader(`{"uid":"ID9","value":"gold"}`))
	r.Header.Set("Content-Type", "application/json; charset=utf-8")
	m := auditParams(r)
	if m["uid"] != "ID9" || m["page"] != "2" || m["value"] != "gold" {
		t.Fatalf("params %v", m)
	}
	r = httptest.NewRequest("DELETE", "/x?uid=ID7&key=k", nil)
	if m := auditParams(r); m["uid"] != "ID7" || m["key"] != "k" {
		t.Fatalf("query params %v", m)
	}
	r = httptest.NewRequest("PUT", "/x", strings.NewReader(url.Values{"user_uid": {"ID5"}}.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if m := auditParams(r); m["user_uid"] != "ID5" {
		t.Fatalf("form params %v", m)
	}
}

// FuzzMetricTime checks that the metrics bounds parser never panics and
// either answers a time or records exactly one error key.
func FuzzMetricTime(f *testing.F) {
	for _, s := range []string{"1700000000", "2024-02-29", "2024-02-30", "2024-01-01T10:00:00Z", "", " ", "-1", "soon"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p := &params{prefix: "admin.metric", vals: map[string]any{"created_to": s}}
		tm := metricTime(p, "created_to", true)
		if n := len(p.missing) + len(p.invalid); n > 1 || (n == 1 && !tm.IsZero()) {
			t.Fatalf("%q: %v, missing %v, invalid %v", s, tm, p.missing, p.invalid)
		}
	})
}
