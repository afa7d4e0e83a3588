package storage

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeS3 is a path-style S3 bucket over httptest. It recomputes the SigV4
// signature of every request (header or query authentication) from what
// arrived on the wire, and keeps objects in memory.
type fakeS3 struct {
	t       *testing.T
	sig     signer
	bucket  string
	mu      sync.Mutex
	objects map[string][]byte
	types   map[string]string
	srv     *httptest.Server
}

var authRe = regexp.MustCompile(`^AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([a-z0-9-]+)/s3/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$`)

func newFakeS3(t *testing.T) *fakeS3 {
	f := &fakeS3{t: t, sig: signer{accessKey: "AKTEST", secretKey: "s3cr3t/key", region: "eu-west-1"}, bucket: "kyc",
		objects: map[string][]byte{}, types: map[string]string{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeS3) fail(w http.ResponseWriter, status int, code string) {
	w.WriteHeader(status)
	fmt.Fprintf(w, "<Error><Code>%s</Code></Error>", code)
}

func (f *fakeS3) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if err := f.verify(r, body); err != nil {
		f.t.Logf("fake S3 refused %s %s: %v", r.Method, r.URL, err)
		f.fail(w, http.StatusForbidden, "SignatureDoesNotMatch")
		return
	}
	key, ok := strings.CutPrefix(r.URL.Path, "/"+f.bucket+"/")
	if !ok {
		f.fail(w, http.StatusNotFound, "NoSuchBucket")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch r.Method {
	case http.MethodPut:
		f.objects[key], f.types[key] = body, r.Header.Get("Content-Type")
	case http.MethodGet:
		b, ok := f.objects[key]
		if !ok {
			f.fail(w, http.StatusNotFound, "NoSuchKey")
			return
		}
		_, _ = w.Write(b)
	case http.MethodDelete:
		delete(f.objects, key)
		w.WriteHeader(http.StatusNoContent)
	}
}

// verify checks the request's signature as S3 would.
func (f *fakeS3) verify(r *http.Request, body []byte) error {
	if q := r.URL.Query(); q.Get("X-Amz-Signature") != "" {
		at, err := time.Parse(amzDateFormat, q.Get("X-Amz-Date"))
		if err != nil || q.Get("X-Amz-Credential") != f.sig.accessKey+"/"+f.sig.scope(at) || q.Get("X-Amz-SignedHeaders") != "host" {
			return fmt.Errorf("bad query auth %v", q)
		}
		var exp time.Duration
		fmt.Sscan(q.Get("X-Amz-Expires"), &exp)
		if time.Since(at) > exp*time.Second {
			return errors.New("expired")
		}
		got := q.Get("X-Amz-Signature")
		q.Del("X-Amz-Signature")
		u := *r.URL
		u.RawQuery = q.Encode()
		if want := f.sig.signature(canonicalRequest(r.Method, &u, "host:"+r.Host+"\n", "host", unsignedPayload), at); got != want {
			return errors.New("query signature mismatch")
		}
		return nil
	}
	m := authRe.FindStringSubmatch(r.Header.Get("Authorization"))
	if m == nil {
		return fmt.Errorf("authorization %q is not SigV4", r.Header.Get("Authorization"))
	}
	at, err := time.Parse(amzDateFormat, r.Header.Get("X-Amz-Date"))
	if err != nil || m[1] != f.sig.accessKey || m[2] != at.Format("20060102") || m[3] != f.sig.region {
		return fmt.Errorf("bad credential scope %q", m[0])
	}
	sum := sha256.Sum256(body)
	if h := r.Header.Get("X-Amz-Content-Sha256"); h != hex.EncodeToString(sum[:]) {
		return fmt.Errorf("payload hash %s does not match the body", h)
	}
	var block strings.Builder
	for _, name := range strings.Split(m[4], ";") {
		v := r.Header.Get(name)
		if name == "host" {
			v = r.Host
		}
		block.WriteString(name + ":" + v + "\n")
	}
	if want := f.sig.signature(canonicalRequest(r.Method, r.URL, block.String(), m[4], r.Header.Get("X-Amz-Content-Sha256")), at); want != m[5] {
		return errors.New("signature mismatch")
	}
	return nil
}

func (f *fakeS3) storage(t *testing.T, secret string) *S3 {
	t.Helper()
	s, err := NewS3(Config{Provider: "aws", Endpoint: f.srv.URL, Bucket: f.bucket, AccessKey: f.sig.accessKey,
		SecretKey: secret, Region: f.sig.region, PathStyle: true, URLExpiry: 2 * time.Minute}, WithHTTPClient(f.srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestS3RoundTrip(t *testing.T) {
	t.Parallel()
	f := newFakeS3(t)
	s := f.storage(t, f.sig.secretKey)
	ctx := context.Background()
	key := "uploads/document/upload/0a1b/passport scan+1.png"
	data := []byte("\x89PNG fake image")
	if err := s.Put(ctx, key, bytes.NewReader(data), int64(len(data)), "image/png"); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(f.objects[key], data) || f.types[key] != "image/png" {
		t.Fatalf("stored %q %q", f.objects[key], f.types[key])
	}
	// A reader that cannot seek is buffered and hashed.
	if err := s.Put(ctx, "a/b.pdf", io.MultiReader(strings.NewReader("%PDF-")), 5, "application/pdf"); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "a/c.pdf", strings.NewReader("short"), 9, ""); err == nil {
		t.Fatal("a body shorter than its size was accepted")
	}
	rc, err := s.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, data) {
		t.Fatalf("got %q", got)
	}
	link, err := s.URL(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(link)
	if u.Query().Get("X-Amz-Expires") != "120" || !strings.HasPrefix(link, f.srv.URL+"/kyc/uploads/document/upload/0a1b/passport%20scan%2B1.png?") {
		t.Fatalf("presigned URL %s", link)
	}
	resp, err := f.srv.Client().Get(link)
	if err != nil {
		t.Fatal(err)
	}
	got, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Equal(got, data) {
		t.Fatalf("download through the presigned URL: %d %q", resp.StatusCode, got)
	}
	if err := s.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, key); !errors.Is(err, ErrNotFound) {
		t.Fatalf("get after delete: %v", err)
	}
	if err := s.Delete(ctx, key); err != nil {
		t.Fatalf("deleting a missing object: %v", err)
	}
	if err := s.Put(ctx, "../escape", strings.NewReader("x"), 1, ""); !errors.Is(err, ErrInvalidKey) {
		t.Fatalf("bad key: %v", err)
	}
}

func TestS3WrongSecretIsRefused(t *testing.T) {
	t.Parallel()
	f := newFakeS3(t)
	s := f.storage(t, "not-the-secret")
	err := s.Put(context.Background(), "k/x.png", strings.NewReader("x"), 1, "image/png")
	if err == nil || !strings.Contains(err.Error(), "SignatureDoesNotMatch") || strings.Contains(err.Error(), "not-the-secret") {
		t.Fatalf("wrong secret: %v", err)
	}
	if len(f.objects) != 0 {
		t.Fatal("object stored with a bad signature")
	}
}

func TestNewS3Endpoints(t *testing.T) {
	t.Parallel()
	base := Config{Bucket: "b", AccessKey: "a", SecretKey: "s"}
	cases := []struct {
		cfg  Config
		want string
	}{
		{Config{Provider: "aws", Region: "eu-central-1"}, "https://b.s3.eu-central-1.amazonaws.com/k/x.png"},
		{Config{Provider: "AWS"}, "https://b.s3.us-east-1.amazonaws.com/k/x.png"},
		{Config{Provider: "google", PathStyle: true}, "https://storage.googleapis.com/b/k/x.png"},
		{Config{Provider: "alicloud", Endpoint: "oss-cn-hangzhou.aliyuncs.com"}, "https://b.oss-cn-hangzhou.aliyuncs.com/k/x.png"},
		{Config{Provider: "aws", Endpoint: "http://minio:9000/prefix/", PathStyle: true}, "http://minio:9000/prefix/b/k/x.png"},
	}
	for _, c := range cases {
		cfg := c.cfg
		cfg.Bucket, cfg.AccessKey, cfg.SecretKey = base.Bucket, base.AccessKey, base.SecretKey
		s, err := NewS3(cfg)
		if err != nil {
			t.Fatalf("%+v: %v", c.cfg, err)
		}
		if got := s.objectURL("k/x.png").String(); got != c.want {
			t.Errorf("%+v: %s, want %s", c.cfg, got, c.want)
		}
	}
	for _, cfg := range []Config{{Provider: "alicloud", Bucket: "b", AccessKey: "a", SecretKey: "s"},
		{Provider: "aws"}, {Provider: "aws", Endpoint: "ftp://x", Bucket: "b", AccessKey: "a", SecretKey: "s"}} {
		if _, err := NewS3(cfg); err == nil {
			t.Errorf("%+v accepted", cfg)
		}
	}
	if _, err := New(Config{Provider: "dropbox"}); err == nil {
		t.Error("unknown provider accepted")
	}
}
