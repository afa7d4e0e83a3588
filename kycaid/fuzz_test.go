package kycaid

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// FuzzVerificationID sends arbitrary callback ids to Verification: an id
// that is not KYCAID-shaped never reaches the API, and one that is reaches
// exactly /verifications/<id>.
func FuzzVerificationID(f *testing.F) {
	var calls atomic.Int64
	var lastPath atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		lastPath.Store(r.URL.EscapedPath())
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"verification_id":"x","status":"pending","verifications":{}}`))
	}))
	f.Cleanup(srv.Close)
	c, err := New(srv.URL+"/", "token", false, nil)
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"3f2a9c1e-1111-2222-3333-444455556666", "", "../applicants", "a/b", "a?b=c", "%2e%2e", strings.Repeat("a", 65), "ü"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		before := calls.Load()
		_, err := c.Verification(context.Background(), id)
		sent := calls.Load() != before
		if sent != validID(id) {
			t.Fatalf("id %q: sent=%v valid=%v (%v)", id, sent, validID(id), err)
		}
		if sent {
			if p, _ := lastPath.Load().(string); p != "/verifications/"+id {
				t.Fatalf("id %q reached %q", id, p)
			}
		}
	})
}
