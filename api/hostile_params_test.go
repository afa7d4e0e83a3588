package api

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestParamsRefuseUnstorableText: text that is not UTF-8 or holds a NUL,
// in the query, a form or a JSON body (also nested, also as a key),
// answers 400 request.invalid_body; management fields "<name> is invalid".
func TestParamsRefuseUnstorableText(t *testing.T) {
	for _, tc := range []struct{ method, target, ct, body string }{
		{"GET", "/x?uid=a%FFb", "", ""},
		{"GET", "/x?uid=a%00b", "", ""},
		{"POST", "/x", "application/x-www-form-urlencoded", "key=a%ED%A0%80"},
		{"POST", "/x", "application/x-www-form-urlencoded", "a%FF=1"},
		{"POST", "/x", "application/json", `{"key":"a\u0000b"}`},
		{"POST", "/x", "application/json", `{"m":{"k":["\u0000"]}}`},
		{"POST", "/x", "application/json", `{"a\u0000":1}`},
	} {
		r := httptest.NewRequest(tc.method, tc.target, strings.NewReader(tc.body))
		if tc.ct != "" {
			r.Header.Set("Content-Type", tc.ct)
		}
		_, err := parseParams(httptest.NewRecorder(), r, "admin.user", 1<<16)
		if err == nil || !strings.Contains(err.Error(), "request.invalid_body") {
			t.Errorf("%s %s %q: %v", tc.method, tc.target, tc.body, err)
		}
	}
	r := httptest.NewRequest("POST", "/x?uid=%C3%A9%F0%9F%98%80", strings.NewReader(`{"a":"é😀\u001b"}`))
	if _, err := parseParams(httptest.NewRecorder(), r, "admin.user", 1<<16); err != nil {
		t.Errorf("valid UTF-8 refused: %v", err)
	}
	p := newMParams(map[string]any{"uid": "a\x00", "email": "ok", "data": map[string]any{"x": "\xff"}})
	if err := p.Err(); err == nil || !strings.Contains(err.Error(), "data is invalid, uid is invalid") {
		t.Errorf("management: %v", err)
	}
}

// TestUnixTimeClamped: epoch seconds beyond the years 1..9999 read as the
// first or last second the databases hold (one second to spare).
func TestUnixTimeClamped(t *testing.T) {
	for n, want := range map[int64]string{
		0:                    "1970-01-01T00:00:00Z",
		1 << 62:              "9999-12-31T23:59:58Z",
		9223372036854775807:  "9999-12-31T23:59:58Z",
		-9223372036854775808: "0001-01-01T00:00:00Z",
	} {
		got := unixTime(n)
		if got.Format(time.RFC3339) != want || got.Add(time.Second).Year() > 9999 {
			t.Errorf("%d: %s, want %s", n, got.Format(time.RFC3339), want)
		}
	}
}

// TestInt32Param: a value beyond a 32-bit column is refused with the
// parameter's invalid key.
func TestInt32Param(t *testing.T) {
	for v, ok := range map[string]bool{"2147483647": true, "-2147483648": true, "2147483648": false, "-2147483649": false, "9223372036854775807": false} {
		p := &params{prefix: "admin.user", vals: map[string]any{"level": v}}
		_, got := p.Int32("level", "admin.user.non_integer_level")
		if got != ok || (p.Err() == nil) == !ok {
			t.Errorf("%s: ok %v, err %v", v, got, p.Err())
		}
	}
}
