package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	barong "github.com/barong-go/barong"
)

// fakeKYCAID is a local KYCAID recording the requests it answers.
type fakeKYCAID struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []kycReq
	n    int
	// fail answers "METHOD path" with this status.
	fail map[string]int
	// verifications answer GET /verifications/{id}.
	verifications map[string]map[string]any
}

type kycReq struct {
	Method, Path, Auth string
	JSON               map[string]any
	File, FileType     string
	FileData           string
}

func newFakeKYCAID(t *testing.T) *fakeKYCAID {
	f := &fakeKYCAID{fail: map[string]int{}, verifications: map[string]map[string]any{}}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeKYCAID) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	q := kycReq{Method: r.Method, Path: r.URL.Path, Auth: r.Header.Get("Authorization")}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
		file, h, err := r.FormFile("file")
		if err == nil {
			b, _ := io.ReadAll(file)
			q.File, q.FileType, q.FileData = h.Filename, h.Header.Get("Content-Type"), string(b)
		}
	} else if r.Body != nil {
		_ = json.NewDecoder(r.Body).Decode(&q.JSON)
	}
	f.reqs = append(f.reqs, q)
	if st := f.fail[r.Method+" "+r.URL.Path]; st != 0 {
		http.Error(w, `{"type":"validation","errors":[]}`, st)
		return
	}
	f.n++
	answer := func(field, prefix string) {
		_ = json.NewEncoder(w).Encode(map[string]any{field: fmt.Sprintf("%s-%d", prefix, f.n)})
	}
	switch {
	case r.Method == "POST" && r.URL.Path == "/applicants":
		answer("applicant_id", "app")
	case r.Method == "POST" && r.URL.Path == "/files":
		answer("file_id", "file")
	case r.Method == "POST" && r.URL.Path == "/documents":
		answer("document_id", "doc")
	case r.Method == "POST" && r.URL.Path == "/addresses":
		answer("address_id", "addr")
	case r.Method == "POST" && r.URL.Path == "/verifications":
		answer("verification_id", "ver")
	case r.Method == "GET" && strings.HasPrefix(r.URL.Path, "/verifications/"):
		v, ok := f.verifications[strings.TrimPrefix(r.URL.Path, "/verifications/")]
		if !ok {
			http.Error(w, `{"type":"not_found"}`, http.StatusNotFound)
			return
		}
		_ = json.NewEncoder(w).Encode(v)
	default:
		http.NotFound(w, r)
	}
}

// take returns the requests recorded since the last call.
func (f *fakeKYCAID) take() []kycReq {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.reqs
	f.reqs = nil
	return out
}

func (f *fakeKYCAID) set(fn func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn()
}

func kycPaths(rs []kycReq) string {
	var p []string
	for _, r := range rs {
		p = append(p, r.Method+" "+r.Path)
	}
	return strings.Join(p, ",")
}

func kycEnv(f *fakeKYCAID, dir string) map[string]string {
	return map[string]string{"BARONG_KYC_PROVIDER": "kycaid", "BARONG_KYCAID_AUTHORIZATION_TOKEN": "secret-token",
		"BARONG_KYCAID_API_ENDPOINT": f.URL + "/", "BARONG_KYCAID_FORM_ID": "form-1",
		"BARONG_DOMAIN": "https://barong.example/", "BARONG_STORAGE_LOCAL_DIR": dir}
}

// kycMember starts a kycaid server, signs up an active member with a phone
// and submits his profile.
func kycMember(t *testing.T, f *fakeKYCAID) (*testServer, *client, *barong.User) {
	t.Helper()
	return kycMemberOn(t, f, "sqlite")
}

// kycMemberOn is kycMember on a database of dialect (sqlite, postgres,
// mysql).
func kycMemberOn(t *testing.T, f *fakeKYCAID, dialect string) (*testServer, *client, *barong.User) {
	t.Helper()
	env := kycEnv(f, filepath.Join(t.TempDir(), "uploads"))
	if dialect != "sqlite" {
		env["BARONG_DATABASE_URL"] = testenvDatabase(t, dialect)
	}
	ts, c, u := phoneMember(t, env, "kyc@example.com")
	ctx := context.Background()
	now := time.Now()
	for _, n := range []string{"380501111111", "380502222222"} {
		if err := ts.DB.CreatePhone(ctx, &barong.Phone{UserID: u.ID, Country: "UA", Number: n, ValidatedAt: &now}); err != nil {
			t.Fatal(err)
		}
	}
	body := resAProfileBody()
	body["confirm"] = true
	expect(t, c.do(t, "POST", res+"/profiles", body), 201)
	ts.events(t)
	return ts, c, u
}

// kycApplicant is kycMemberOn after the reconciler created the member's
// applicant, with the fake's request log emptied.
func kycApplicant(t *testing.T, f *fakeKYCAID, dialect string) (*testServer, *client, *barong.User) {
	t.Helper()
	ts, c, u := kycMemberOn(t, f, dialect)
	reconcile(t, ts)
	f.take()
	return ts, c, u
}

func reconcile(t *testing.T, ts *testServer) {
	t.Helper()
	if err := ts.App.ReconcileKYCAID(context.Background(), barong.SystemActor("test")); err != nil {
		t.Fatal(err)
	}
}

func labelValue(t *testing.T, ts *testServer, userID int64, key string) string {
	t.Helper()
	l, err := ts.DB.LabelByKey(context.Background(), userID, key, "private")
	if err != nil {
		return ""
	}
	return l.Value
}

func profileOf(t *testing.T, ts *testServer, userID int64) barong.Profile {
	t.Helper()
	ps, err := ts.DB.ProfilesByUser(context.Background(), userID)
	if err != nil || len(ps) != 1 {
		t.Fatalf("profiles %+v %v", ps, err)
	}
	return ps[0]
}

func docMeta(t *testing.T, d barong.Document) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(d.Metadata), &m); err != nil {
		t.Fatalf("metadata %q: %v", d.Metadata, err)
	}
	return m
}

func TestKYCAIDApplicant(t *testing.T) {
	t.Parallel()
	f := newFakeKYCAID(t)
	ts, _, u := kycMember(t, f)
	if p := profileOf(t, ts, u.ID); p.State != "submitted" || labelValue(t, ts, u.ID, "profile") != "submitted" {
		t.Fatalf("profile before %+v", p)
	}
	reconcile(t, ts)
	rs := f.take()
	if kycPaths(rs) != "POST /applicants" {
		t.Fatalf("requests %s", kycPaths(rs))
	}
	want := map[string]any{"type": "PERSON", "first_name": "John", "last_name": "Doe", "dob": "1990-01-15",
		"residence_country": "UA", "email": "kyc@example.com", "phone": "380502222222"}
	for k, v := range want {
		if rs[0].JSON[k] != v {
			t.Fatalf("applicant %v, want %s=%v", rs[0].JSON, k, v)
		}
	}
	if rs[0].Auth != "Token secret-token" {
		t.Fatalf("authorization %q", rs[0].Auth)
	}
	p := profileOf(t, ts, u.ID)
	if p.ApplicantID != "app-1" || p.State != "verified" || labelValue(t, ts, u.ID, "profile") != "verified" {
		t.Fatalf("profile after %+v", p)
	}
	evs := ts.events(t)
	find(t, evs, "model.profile.updated")
	find(t, evs, "model.label.updated")
	// Done: another pass sends nothing, nor does another process.
	reconcile(t, ts)
	ts2 := newServerSharing(t, ts, kycEnv(f, ts.Config.StorageLocalDir))
	reconcile(t, ts2)
	if rs := f.take(); len(rs) != 0 {
		t.Fatalf("resent %s", kycPaths(rs))
	}
}

func TestKYCAIDApplicantRejected(t *testing.T) {
	t.Parallel()
	f := newFakeKYCAID(t)
	f.fail["POST /applicants"] = 422
	ts, _, u := kycMember(t, f)
	reconcile(t, ts)
	if p := profileOf(t, ts, u.ID); p.ApplicantID != "" || p.State != "rejected" || labelValue(t, ts, u.ID, "profile") != "rejected" {
		t.Fatalf("profile %+v", p)
	}
	f.take()
	reconcile(t, ts)
	if rs := f.take(); len(rs) != 0 {
		t.Fatalf("retried %s", kycPaths(rs))
	}
}

func TestKYCAIDApplicantRetriedAfterServerError(t *testing.T) {
	t.Parallel()
	f := newFakeKYCAID(t)
	f.fail["POST /applicants"] = 503
	ts, _, u := kycMember(t, f)
	reconcile(t, ts)
	if p := profileOf(t, ts, u.ID); p.State != "submitted" {
		t.Fatalf("profile %+v", p)
	}
	f.set(func() { delete(f.fail, "POST /applicants") })
	reconcile(t, ts)
	if p := profileOf(t, ts, u.ID); p.State != "verified" || p.ApplicantID == "" {
		t.Fatalf("profile %+v", p)
	}
}

// kycCallback posts a KYCAID callback naming verification id.
func kycCallback(t *testing.T, ts *testServer, id string) {
	t.Helper()
	r := ts.client().do(t, "POST", "/api/v2/public/kyc", map[string]any{"verification_id": id,
		"applicant_id": "forged", "status": "completed", "verified": true})
	expect(t, r, 201)
}

// The whole document flow on each database: the reconciler's queries
// (batches, metadata markers, applicant lookup) are portable SQL.
func TestKYCAIDPassportBatch(t *testing.T) {
	t.Parallel()
	for _, dialect := range []string{"sqlite", "postgres", "mysql"} {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			kycPassportBatch(t, dialect)
		})
	}
}

func kycPassportBatch(t *testing.T, dialect string) {
	f := newFakeKYCAID(t)
	ts, c, u := kycApplicant(t, f, dialect)
	ts.events(t)
	expire := docFuture()
	fields := docFields("doc_type", "Passport", "doc_number", "AB123456", "doc_expire", expire, "identificator", "batch-1")
	// One file of two: nothing is pending, nothing is sent.
	expect(t, docUpload(t, c, res+"/documents", fields, docPNG("front.png")), 201)
	if v := labelValue(t, ts, u.ID, "document"); v != "" {
		t.Fatalf("document label %q after one file", v)
	}
	reconcile(t, ts)
	if rs := f.take(); len(rs) != 0 {
		t.Fatalf("incomplete batch sent: %s", kycPaths(rs))
	}
	expect(t, docUpload(t, c, res+"/documents", fields, docPNG("selfie.png")), 201)
	if v := labelValue(t, ts, u.ID, "document"); v != "pending" {
		t.Fatalf("document label %q after the batch", v)
	}
	reconcile(t, ts)
	rs := f.take()
	if got := kycPaths(rs); got != "POST /files,POST /files,POST /documents,POST /documents,POST /verifications" {
		t.Fatalf("requests %s", got)
	}
	if rs[0].File != "front.png" || rs[0].FileType != "image/png" || rs[0].FileData != string(docPNG("front.png").data) ||
		rs[1].File != "selfie.png" {
		t.Fatalf("files %+v", rs[:2])
	}
	doc := rs[2].JSON
	if doc["applicant_id"] != "app-1" || doc["type"] != "PASSPORT" || doc["document_number"] != "AB123456" ||
		doc["expiry_date"] != expire || doc["front_side_id"] != "file-2" || doc["back_side_id"] != nil {
		t.Fatalf("document %v", doc)
	}
	if s := rs[3].JSON; s["type"] != "SELFIE_IMAGE" || s["front_side_id"] != "file-3" {
		t.Fatalf("selfie %v", s)
	}
	v := rs[4].JSON
	if v["applicant_id"] != "app-1" || fmt.Sprint(v["types"]) != "[DOCUMENT FACIAL]" || v["form_id"] != "form-1" ||
		v["callback_url"] != "https://barong.example/api/v2/barong/public/kyc" {
		t.Fatalf("verification %v", v)
	}
	for _, d := range docRows(t, ts, u.ID) {
		if m := docMeta(t, d); m["document_id"] != "doc-4" || m["verification_id"] != "ver-6" {
			t.Fatalf("metadata %s", d.Metadata)
		}
	}
	// Finished: neither this process nor a restarted one sends it again.
	reconcile(t, ts)
	reconcile(t, newServerSharing(t, ts, kycEnv(f, ts.Config.StorageLocalDir)))
	if rs := f.take(); len(rs) != 0 {
		t.Fatalf("resent %s", kycPaths(rs))
	}
	ts.events(t)

	// Callbacks: an unknown id and an unfinished verification change nothing.
	kycCallback(t, ts, "nope")
	f.set(func() {
		f.verifications["ver-6"] = map[string]any{"verification_id": "ver-6", "applicant_id": "app-1", "status": "pending"}
	})
	kycCallback(t, ts, "ver-6")
	if v := labelValue(t, ts, u.ID, "document"); v != "pending" {
		t.Fatalf("document label %q", v)
	}
	if evs := ts.events(t); len(evs) != 0 {
		t.Fatalf("events %v", names(evs))
	}
	// Completed with both checks verified: document verified.
	f.set(func() {
		f.verifications["ver-6"] = map[string]any{"verification_id": "ver-6", "applicant_id": "app-1", "status": "completed",
			"verified": true, "verifications": map[string]any{"document": map[string]any{"verified": true},
				"facial": map[string]any{"verified": true}}}
	})
	kycCallback(t, ts, "ver-6")
	if v := labelValue(t, ts, u.ID, "document"); v != "verified" {
		t.Fatalf("document label %q", v)
	}
	evs := ts.events(t)
	find(t, evs, "system.document.verified")
	find(t, evs, "model.label.updated")
	// The facial check failing rejects the document.
	f.set(func() {
		f.verifications["ver-9"] = map[string]any{"verification_id": "ver-9", "applicant_id": "app-1", "status": "completed",
			"verifications": map[string]any{"document": map[string]any{"verified": true},
				"facial": map[string]any{"verified": false, "comment": "no match"}}}
	})
	kycCallback(t, ts, "ver-9")
	if v := labelValue(t, ts, u.ID, "document"); v != "rejected" {
		t.Fatalf("document label %q", v)
	}
	find(t, ts.events(t), "system.document.rejected")
}

func TestKYCAIDIdentityCardNeedsThreeFiles(t *testing.T) {
	t.Parallel()
	f := newFakeKYCAID(t)
	ts, c, u := kycApplicant(t, f, "sqlite")
	fields := docFields("doc_type", "Identity card", "doc_number", "ID1", "doc_expire", docFuture(), "identificator", "id-1")
	expect(t, docUpload(t, c, res+"/documents", fields, docPNG("front.png"), docPNG("back.png")), 201)
	reconcile(t, ts)
	if rs := f.take(); len(rs) != 0 || labelValue(t, ts, u.ID, "document") != "" {
		t.Fatalf("incomplete batch: %s", kycPaths(rs))
	}
	expect(t, docUpload(t, c, res+"/documents", fields, docPNG("selfie.png")), 201)
	reconcile(t, ts)
	rs := f.take()
	if got := kycPaths(rs); got != "POST /files,POST /files,POST /files,POST /documents,POST /documents,POST /verifications" {
		t.Fatalf("requests %s", got)
	}
	if d := rs[3].JSON; d["type"] != "ID_CARD" || d["front_side_id"] != "file-2" || d["back_side_id"] != "file-3" {
		t.Fatalf("document %v", d)
	}
	if s := rs[4].JSON; s["front_side_id"] != "file-4" {
		t.Fatalf("selfie %v", s)
	}
}

func TestKYCAIDDocumentRejectedOnError(t *testing.T) {
	t.Parallel()
	f := newFakeKYCAID(t)
	ts, c, u := kycApplicant(t, f, "sqlite")
	f.set(func() { f.fail["POST /documents"] = 422 })
	fields := docFields("doc_type", "Passport", "doc_number", "AB1", "doc_expire", docFuture())
	expect(t, docUpload(t, c, res+"/documents", fields, docPNG("a.png"), docPNG("b.png")), 201)
	reconcile(t, ts)
	if got := kycPaths(f.take()); got != "POST /files,POST /files,POST /documents" {
		t.Fatalf("requests %s", got)
	}
	if v := labelValue(t, ts, u.ID, "document"); v != "rejected" {
		t.Fatalf("document label %q", v)
	}
	for _, d := range docRows(t, ts, u.ID) {
		if m := docMeta(t, d); m["kycaid_error"] == nil || m["file_id"] == nil {
			t.Fatalf("metadata %s", d.Metadata)
		}
	}
	reconcile(t, ts)
	if rs := f.take(); len(rs) != 0 {
		t.Fatalf("retried %s", kycPaths(rs))
	}
}

// A step that fails with a server error is retried by the next process,
// which resumes after the last stored step.
func TestKYCAIDRestartResumes(t *testing.T) {
	t.Parallel()
	f := newFakeKYCAID(t)
	ts, c, u := kycApplicant(t, f, "sqlite")
	f.set(func() { f.fail["POST /verifications"] = 500 })
	fields := docFields("doc_type", "Passport", "doc_number", "AB1", "doc_expire", docFuture())
	expect(t, docUpload(t, c, res+"/documents", fields, docPNG("a.png"), docPNG("b.png")), 201)
	reconcile(t, ts)
	if got := kycPaths(f.take()); got != "POST /files,POST /files,POST /documents,POST /documents,POST /verifications" {
		t.Fatalf("requests %s", got)
	}
	if v := labelValue(t, ts, u.ID, "document"); v != "pending" {
		t.Fatalf("document label %q", v)
	}
	f.set(func() { delete(f.fail, "POST /verifications") })
	ts2 := newServerSharing(t, ts, kycEnv(f, ts.Config.StorageLocalDir))
	reconcile(t, ts2)
	if got := kycPaths(f.take()); got != "POST /verifications" {
		t.Fatalf("after restart %s", got)
	}
	for _, d := range docRows(t, ts, u.ID) {
		if m := docMeta(t, d); m["verification_id"] == nil || m["document_id"] == nil {
			t.Fatalf("metadata %s", d.Metadata)
		}
	}
}

func TestKYCAIDAddress(t *testing.T) {
	t.Parallel()
	f := newFakeKYCAID(t)
	ts, c, u := kycApplicant(t, f, "sqlite")
	r := docUpload(t, c, res+"/addresses", docFields("country", "UA", "address", "Khreshchatyk 1", "city", "Kyiv", "postcode", "01001"),
		docPNG("bill.png"))
	expect(t, r, 201)
	if v := labelValue(t, ts, u.ID, "address"); v != "pending" {
		t.Fatalf("address label %q", v)
	}
	reconcile(t, ts)
	rs := f.take()
	if got := kycPaths(rs); got != "POST /files,POST /documents,POST /addresses,POST /verifications" {
		t.Fatalf("requests %s", got)
	}
	if d := rs[1].JSON; d["type"] != "ADDRESS_DOCUMENT" || d["front_side_id"] != "file-2" {
		t.Fatalf("document %v", d)
	}
	if a := rs[2].JSON; a["applicant_id"] != "app-1" || a["country"] != "UA" || a["city"] != "Kyiv" ||
		a["postal_code"] != "01001" || a["full_address"] != "Khreshchatyk 1" {
		t.Fatalf("address %v", a)
	}
	if v := rs[3].JSON; fmt.Sprint(v["types"]) != "[ADDRESS]" {
		t.Fatalf("verification %v", v)
	}
	d := docRows(t, ts, u.ID)[0]
	if m := docMeta(t, d); m["address_id"] != "addr-4" || m["verification_id"] != "ver-5" || m["country"] != "UA" {
		t.Fatalf("metadata %s", d.Metadata)
	}
	f.set(func() {
		f.verifications["ver-5"] = map[string]any{"verification_id": "ver-5", "applicant_id": "app-1", "status": "completed",
			"verifications": map[string]any{"address": map[string]any{"verified": true}}}
	})
	kycCallback(t, ts, "ver-5")
	if v := labelValue(t, ts, u.ID, "address"); v != "verified" {
		t.Fatalf("address label %q", v)
	}
	// A label the user does not have is not created.
	if v := labelValue(t, ts, u.ID, "document"); v != "" {
		t.Fatalf("document label %q", v)
	}
}

func TestKYCAIDAddressRejectedOnError(t *testing.T) {
	t.Parallel()
	f := newFakeKYCAID(t)
	ts, c, u := kycMember(t, f)
	reconcile(t, ts)
	f.set(func() { f.fail["POST /addresses"] = 400 })
	expect(t, docUpload(t, c, res+"/addresses", docFields("country", "UA", "address", "x", "city", "", "postcode", ""),
		docPNG("bill.png")), 201)
	reconcile(t, ts)
	if v := labelValue(t, ts, u.ID, "address"); v != "rejected" {
		t.Fatalf("address label %q", v)
	}
}

// The verification names an applicant nobody has: nothing changes.
func TestKYCAIDCallbackUnknownApplicant(t *testing.T) {
	t.Parallel()
	f := newFakeKYCAID(t)
	ts, _, u := kycMember(t, f)
	reconcile(t, ts)
	ts.events(t)
	f.set(func() {
		f.verifications["v1"] = map[string]any{"verification_id": "v1", "applicant_id": "someone-else", "status": "completed",
			"verifications": map[string]any{"profile": map[string]any{"verified": false}}}
	})
	kycCallback(t, ts, "v1")
	expect(t, ts.client().do(t, "POST", "/api/v2/public/kyc", "not json"), 201)
	if v := labelValue(t, ts, u.ID, "profile"); v != "verified" {
		t.Fatalf("profile label %q", v)
	}
	if evs := ts.events(t); len(evs) != 0 {
		t.Fatalf("events %v", names(evs))
	}
}

// Start runs the reconciler in the background.
func TestKYCAIDStartPolls(t *testing.T) {
	t.Parallel()
	f := newFakeKYCAID(t)
	ts, _, u := kycMember(t, f)
	ts.KYCAIDInterval = 20 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ts.Start(ctx)
	deadline := time.Now().Add(10 * time.Second)
	for profileOf(t, ts, u.ID).State != "verified" {
		if time.Now().After(deadline) {
			t.Fatal("profile not verified by the reconciler")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
