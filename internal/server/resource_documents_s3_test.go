package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/barong-go/barong/internal/testenv"
)

// s3Fake is a path-style S3 bucket "kyc": it requires SigV4-shaped
// authorization (header, or query for presigned GETs) and a payload hash
// that matches the body, and keeps objects in memory. failPut makes the
// n-th next PUT fail (1 = the next one).
type s3Fake struct {
	mu      sync.Mutex
	srv     *httptest.Server
	objects map[string][]byte
	puts    int
	failPut int
}

var s3AuthRe = regexp.MustCompile(`^AWS4-HMAC-SHA256 Credential=AKTEST/\d{8}/eu-west-1/s3/aws4_request, SignedHeaders=[a-z0-9;-]*host[a-z0-9;-]*, Signature=[0-9a-f]{64}$`)

func newS3Fake(t *testing.T) *s3Fake {
	f := &s3Fake{objects: map[string][]byte{}}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		defer f.mu.Unlock()
		key, ok := strings.CutPrefix(r.URL.Path, "/kyc/")
		q := r.URL.Query()
		presigned := r.Method == "GET" && q.Get("X-Amz-Algorithm") == "AWS4-HMAC-SHA256" && len(q.Get("X-Amz-Signature")) == 64
		sum := sha256.Sum256(body)
		signed := s3AuthRe.MatchString(r.Header.Get("Authorization")) && r.Header.Get("X-Amz-Content-Sha256") == hex.EncodeToString(sum[:])
		if !ok || !(presigned || signed) {
			w.WriteHeader(403)
			_, _ = w.Write([]byte("<Error><Code>AccessDenied</Code></Error>"))
			return
		}
		switch r.Method {
		case "PUT":
			f.puts++
			if f.failPut > 0 {
				if f.failPut--; f.failPut == 0 {
					w.WriteHeader(503)
					_, _ = w.Write([]byte("<Error><Code>SlowDown</Code></Error>"))
					return
				}
			}
			f.objects[key] = body
		case "GET":
			b, ok := f.objects[key]
			if !ok {
				w.WriteHeader(404)
				return
			}
			_, _ = w.Write(b)
		case "DELETE":
			delete(f.objects, key)
			w.WriteHeader(204)
		}
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *s3Fake) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.objects)
}

func TestResourceDocumentsS3(t *testing.T) {
	t.Parallel()
	f := newS3Fake(t)
	ts, c, u, dir := docServer(t, map[string]string{"BARONG_STORAGE_PROVIDER": "AWS", "BARONG_STORAGE_ENDPOINT": f.srv.URL,
		"BARONG_STORAGE_BUCKET_NAME": "kyc", "BARONG_STORAGE_ACCESS_KEY": "AKTEST", "BARONG_STORAGE_SECRET_KEY": "s3cret",
		"BARONG_STORAGE_REGION": "eu-west-1", "BARONG_STORAGE_PATHSTYLE": "true", "BARONG_UPLOAD_AUTH_URL_EXPIRATION": "5"})
	fields := docFields("doc_type", "Passport", "doc_number", "AB123456", "doc_expire", docFuture())
	expect(t, docUpload(t, c, res+"/documents", fields, docPNG("front.png"), docPNG("back.png")), 201)
	ds := docRows(t, ts, u.ID)
	if len(ds) != 2 || !bytes.Equal(f.objects[ds[1].Upload], docPNG("back.png").data) {
		t.Fatalf("rows %+v objects %d", ds, f.count())
	}
	if len(docFilesIn(t, dir)) != 0 {
		t.Fatal("files written locally with the aws provider")
	}
	r := c.do(t, "GET", res+"/documents", nil)
	expect(t, r, 200)
	var list []map[string]map[string]string
	_ = json.Unmarshal(r.Body, &list)
	link := list[0]["upload"]["url"]
	u0, _ := url.Parse(link)
	if !strings.HasPrefix(link, f.srv.URL+"/kyc/"+ds[0].Upload+"?") || u0.Query().Get("X-Amz-Expires") != "300" {
		t.Fatalf("presigned url %s", link)
	}
	resp, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Equal(got, docPNG("front.png").data) {
		t.Fatalf("download %d %q", resp.StatusCode, got)
	}
	rec := find(t, ts.events(t), "model.document.created").Body["record"].(map[string]any)
	if up, _ := url.QueryUnescape(rec["upload"].(string)); !strings.HasPrefix(up, f.srv.URL+"/kyc/"+ds[0].Upload+"?X-Amz-") {
		t.Fatalf("event upload %v", rec["upload"])
	}

	// The bucket refuses the second file: 422, the first is deleted again.
	f.mu.Lock()
	f.failPut = 2
	f.mu.Unlock()
	expect(t, docUpload(t, c, res+"/documents", fields, docPNG("a.png"), docPNG("b.png")), 422, "resource.documents.connection_error")
	if n := f.count(); n != 2 {
		t.Fatalf("%d objects after a failed upload", n)
	}
	if n := len(docRows(t, ts, u.ID)); n != 2 {
		t.Fatalf("%d rows after a failed upload", n)
	}
}

// TestResourceKYCPostgres runs the phone and document flows on PostgreSQL,
// and shows that files stored before a transaction that fails are deleted.
func TestResourceKYCPostgres(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("L", 300) // longer than documents.doc_type: the insert fails
	yml := filepath.Join(t.TempDir(), "barong.yml")
	if err := os.WriteFile(yml, []byte("document_types: [Passport, Address, "+long+"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ts, c, u, dir := docServer(t, map[string]string{"BARONG_DATABASE_URL": testenv.Database(t, "postgres"), "BARONG_CONFIG": yml})
	expect(t, c.do(t, "POST", res+"/phones", map[string]string{"phone_number": "+380 50 123 45 67"}), 200)
	expect(t, c.do(t, "POST", res+"/phones", map[string]string{"phone_number": "380501234567"}), 400, "resource.phone.exists")
	r := c.do(t, "POST", res+"/phones/verify", map[string]string{"phone_number": "380501234567", "verification_code": "1"})
	expect(t, r, 201)
	if r.json(t)["level"] != 2.0 {
		t.Fatalf("verify %s", r.Body)
	}
	bob, _ := ts.signUp(t, "bob@example.com")
	expect(t, bob.do(t, "POST", res+"/phones", map[string]string{"phone_number": "380501234567"}), 400, "resource.phone.number_exist")

	fields := docFields("doc_type", "Passport", "doc_number", "AB123456", "doc_expire", docFuture())
	expect(t, docUpload(t, c, res+"/documents", fields, docPNG("a.png"), docPNG("b.png")), 201)
	expect(t, docUpload(t, c, res+"/addresses", docFields("country", "UA", "address", "x", "city", "Kyiv", "postcode", "01001"),
		docPNG("bill.png")), 201)
	r = c.do(t, "GET", res+"/documents", nil)
	if expect(t, r, 200); r.Header.Get("Total") != "3" || !strings.Contains(string(r.Body), `"doc_number":"AB****56"`) {
		t.Fatalf("list %s", r.Body)
	}
	labels, _ := ts.DB.LabelsByUser(context.Background(), u.ID)
	var got []string
	for _, l := range labels {
		got = append(got, l.Key+"="+l.Value)
	}
	if strings.Join(got, ",") != "email=verified,phone=verified,document=pending,address=pending" {
		t.Fatalf("labels %v", got)
	}

	fields.Set("doc_type", long)
	expect(t, docUpload(t, c, res+"/documents", fields, docPNG("c.png")), 500, "server.internal_error")
	if n := len(docRows(t, ts, u.ID)); n != 3 {
		t.Fatalf("%d rows", n)
	}
	if n := len(docFilesIn(t, dir)); n != 3 {
		t.Fatalf("%d files: the failed transaction's file was kept", n)
	}
}
