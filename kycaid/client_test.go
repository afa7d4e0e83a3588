package kycaid

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestClientErrorsNeverHoldTheToken(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Token s3cret" {
			http.Error(w, "bad auth", 401)
			return
		}
		switch r.URL.Path {
		case "/api/verifications/v1":
			_, _ = w.Write([]byte(`{"verification_id":"v1","applicant_id":"a1","status":"completed","verified":false,
				"verifications":{"document":{"verified":true,"comment":""},"facial":{"verified":false,"comment":"x"}}}`))
		case "/api/applicants":
			_, _ = w.Write([]byte(`{}`))
		case "/api/slow":
			time.Sleep(200 * time.Millisecond)
		default:
			http.Error(w, `{"error":"not found"}`, 404)
		}
	}))
	defer srv.Close()
	c, err := New(srv.URL+"/api", "s3cret", true, &http.Client{Timeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	v, err := c.Verification(ctx, "v1")
	if err != nil || v.ApplicantID != "a1" || v.Status != "completed" || !v.Verifications["document"].Verified ||
		v.Verifications["facial"].Verified {
		t.Fatalf("verification %+v %v", v, err)
	}
	if _, err := c.Verification(ctx, "nope"); !IsNotFound(err) || !IsRejected(err) {
		t.Fatalf("unknown: %v", err)
	}
	if _, err := c.Verification(ctx, "../applicants"); !IsNotFound(err) {
		t.Fatalf("path id: %v", err)
	}
	if _, err := c.CreateApplicant(ctx, Applicant{}); err == nil || !strings.Contains(err.Error(), "without applicant_id") {
		t.Fatalf("empty answer: %v", err)
	}
	if err := c.do(ctx, "GET", "slow", "", nil, &struct{}{}); err == nil || IsRejected(err) {
		t.Fatalf("timeout: %v", err)
	}
	bad, _ := New(srv.URL+"/api/", "wrong-token", false, nil)
	_, err = bad.Verification(ctx, "v1")
	if !IsRejected(err) || strings.Contains(err.Error(), "wrong-token") {
		t.Fatalf("401: %v", err)
	}
	for _, e := range []string{"", "ftp://x", "http://"} {
		if _, err := New(e, "t", false, nil); err == nil {
			t.Fatalf("endpoint %q accepted", e)
		}
	}
	if _, err := New("https://api.kycaid.com/", "", false, nil); err == nil {
		t.Fatal("empty token accepted")
	}
}
