package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	barong "github.com/barong-go/barong"
)

// docFile is one file part of a multipart upload.
type docFile struct {
	field, name string
	data        []byte
}

func docPNG(name string) docFile {
	return docFile{"upload[]", name, []byte("\x89PNG\r\n\x1a\n fake image " + name)}
}

// docServer starts a server whose uploads go to a temporary directory and
// signs up a member (after a throwaway superadmin).
func docServer(t *testing.T, env map[string]string) (*testServer, *client, *barong.User, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "uploads")
	e := map[string]string{"BARONG_STORAGE_LOCAL_DIR": dir}
	for k, v := range env {
		e[k] = v
	}
	ts, c, u := phoneMember(t, e, "alice@example.com")
	return ts, c, u, dir
}

// docUpload posts a multipart form of fields and files to path.
func docUpload(t *testing.T, c *client, path string, fields url.Values, files ...docFile) *response {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for k, vs := range fields {
		for _, v := range vs {
			_ = w.WriteField(k, v)
		}
	}
	for _, f := range files {
		fw, _ := w.CreateFormFile(f.field, f.name)
		_, _ = fw.Write(f.data)
	}
	_ = w.Close()
	req, err := http.NewRequest("POST", c.ts.URL+path, &b)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("User-Agent", c.ua)
	req.Header.Set("X-CSRF-Token", c.csrf)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return &response{Status: resp.StatusCode, Header: resp.Header, Body: body}
}

// docFuture is a doc_expire value a year ahead.
func docFuture() string { return time.Now().AddDate(1, 0, 0).Format("2006-01-02") }

func docFields(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}

func docRows(t *testing.T, ts *testServer, userID int64) []barong.Document {
	t.Helper()
	ds, err := ts.DB.DocumentsByUser(context.Background(), userID)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// docFilesIn lists the regular files under dir (none when it is missing).
func docFilesIn(t *testing.T, dir string) map[string]fs.FileMode {
	t.Helper()
	out := map[string]fs.FileMode{}
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			st, _ := d.Info()
			rel, _ := filepath.Rel(dir, p)
			out[filepath.ToSlash(rel)] = st.Mode().Perm()
		}
		return nil
	})
	return out
}

// docObjectKeys returns the ordered keys of each object of a JSON array.
func docObjectKeys(t *testing.T, body []byte) []string {
	t.Helper()
	var arr []json.RawMessage
	if err := json.Unmarshal(body, &arr); err != nil {
		t.Fatalf("array %s: %v", body, err)
	}
	var out []string
	for _, o := range arr {
		out = append(out, strings.Join(jsonKeys(o), ","))
	}
	return out
}

var docKeyRe = regexp.MustCompile(`^uploads/document/upload/[0-9a-f]{32}/[A-Za-z0-9._+-]+$`)

func TestResourceDocumentsUpload(t *testing.T) {
	t.Parallel()
	ts, c, u, dir := docServer(t, nil)
	expire := docFuture()
	r := docUpload(t, c, res+"/documents", docFields("doc_type", "Passport", "doc_number", "AB 123-456", "doc_expire", expire,
		"doc_category", "front_side", "metadata", `{"side":"front"}`), docPNG("front.png"), docPNG("selfie.JPG"))
	expect(t, r, 201)
	if string(r.Body) != "201" {
		t.Fatalf("body %s", r.Body)
	}
	ds := docRows(t, ts, u.ID)
	if len(ds) != 2 {
		t.Fatalf("rows %+v", ds)
	}
	for i, d := range ds {
		if d.DocType != "Passport" || d.DocNumber != "AB 123-456" || d.DocExpire != expire || d.DocCategory != "front_side" ||
			d.Metadata != `{"side":"front"}` || !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(d.Identificator) ||
			d.Identificator != ds[0].Identificator || !docKeyRe.MatchString(d.Upload) {
			t.Fatalf("row %d %+v", i, d)
		}
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(d.Upload)))
		if err != nil || !bytes.Equal(data, docPNG([]string{"front.png", "selfie.JPG"}[i]).data) {
			t.Fatalf("stored file %v %q", err, data)
		}
	}
	files := docFilesIn(t, dir)
	if len(files) != 2 {
		t.Fatalf("files %v", files)
	}
	for name, mode := range files {
		if mode != 0o600 {
			t.Fatalf("%s mode %v", name, mode)
		}
	}

	// Events: one model.document.created per file, then the KYC label.
	evs := ts.events(t)
	if got := strings.Join(names(evs), ","); got != "model.document.created,model.document.created,model.label.created" {
		t.Fatalf("events %s", got)
	}
	if got := strings.Join(jsonKeys(docRaw(t, evs[0].Raw)), ","); got != "user,upload,doc_type,doc_number,doc_expire,metadata,created_at,updated_at" {
		t.Fatalf("record fields %s", got)
	}
	rec := evs[0].Body["record"].(map[string]any)
	if up, _ := url.QueryUnescape(fmt.Sprint(rec["upload"])); !strings.HasPrefix(up, "/"+ds[0].Upload+"?expires=") ||
		rec["doc_number"] != "AB 123-456" || rec["doc_type"] != "Passport" ||
		rec["doc_expire"] != expire || rec["user"].(map[string]any)["uid"] != u.UID {
		t.Fatalf("record %s", evs[0].Raw)
	}
	if lr := evs[2].Body["record"].(map[string]any); lr["key"] != "document" || lr["value"] != "pending" {
		t.Fatalf("label event %s", evs[2].Raw)
	}
	if l, err := ts.DB.LabelByKey(context.Background(), u.ID, "document", "private"); err != nil || l.Value != "pending" {
		t.Fatalf("label %+v %v", l, err)
	}

	// The list, at both mounts, masked; the single "upload" field works too.
	expect(t, docUpload(t, c, "/api/v2/resource/documents", docFields("doc_type", "Identity card", "doc_number", "X1",
		"doc_expire", expire, "identificator", "batch-7"), docFile{"upload", "id.pdf", []byte("%PDF-1.4")}), 201)
	if ds := docRows(t, ts, u.ID); ds[2].Identificator != "batch-7" || !strings.HasSuffix(ds[2].Upload, "/id.pdf") {
		t.Fatalf("third row %+v", ds[2])
	}
	for _, mount := range []string{res, "/api/v2/resource"} {
		r = c.do(t, "GET", mount+"/documents", nil)
		expect(t, r, 200)
		if r.Header.Get("Total") != "3" {
			t.Fatalf("headers %v", r.Header)
		}
		for _, k := range docObjectKeys(t, r.Body) {
			if k != "upload,doc_type,doc_number,doc_expire" {
				t.Fatalf("fields %s", k)
			}
		}
		var list []map[string]any
		_ = json.Unmarshal(r.Body, &list)
		if list[0]["doc_number"] != "AB******56" || list[2]["doc_number"] != "X1" || list[0]["doc_expire"] != expire ||
			!strings.HasPrefix(list[0]["upload"].(map[string]any)["url"].(string), "/"+ds[0].Upload+"?expires=") {
			t.Fatalf("list %s", r.Body)
		}
		// The signed link downloads the file, from anyone who has it, for a
		// minute; without its signature, nothing.
		link := list[0]["upload"].(map[string]any)["url"].(string)
		dl := ts.client().do(t, "GET", link, nil)
		if dl.Status != 200 || !bytes.Equal(dl.Body, docPNG("front.png").data) || dl.Header.Get("Content-Type") != "image/png" ||
			dl.Header.Get("X-Content-Type-Options") != "nosniff" || dl.Header.Get("Cache-Control") != "private, no-store" {
			t.Fatalf("download %d %v %q", dl.Status, dl.Header, dl.Body)
		}
		expect(t, ts.client().do(t, "GET", "/"+ds[0].Upload, nil), 403, "upload.url_invalid")
		expect(t, ts.client().do(t, "GET", strings.Replace(link, ds[0].Upload, ds[1].Upload, 1), nil), 403, "upload.url_invalid")
	}
	// Another user sees none of them.
	bob, _ := ts.signUp(t, "bob@example.com")
	if r := bob.do(t, "GET", res+"/documents", nil); r.Status != 200 || string(r.Body) != "[]" {
		t.Fatalf("bob's list %d %s", r.Status, r.Body)
	}
}

// docRaw returns the raw "record" member of an event body.
func docRaw(t *testing.T, raw []byte) []byte {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m["record"]
}

func TestResourceDocumentsUnmaskedAndOptionalExpiry(t *testing.T) {
	t.Parallel()
	ts, c, _, _ := docServer(t, map[string]string{"BARONG_API_DATA_MASKING_ENABLED": "false", "BARONG_REQUIRED_DOCS_EXPIRE": "false",
		"BARONG_EVENT_API_MASK_PII": "true"})
	expect(t, docUpload(t, c, res+"/documents", docFields("doc_type", "Passport", "doc_number", "AB123456"), docPNG("a.png")), 201)
	expect(t, docUpload(t, c, res+"/documents", docFields("doc_type", "Passport", "doc_number", "AB123456", "doc_expire", "2001/02/03"),
		docPNG("b.png")), 201)
	r := c.do(t, "GET", res+"/documents", nil)
	expect(t, r, 200)
	var list []map[string]any
	_ = json.Unmarshal(r.Body, &list)
	if list[0]["doc_number"] != "AB123456" || list[0]["doc_expire"] != nil || list[1]["doc_expire"] != "2001-02-03" {
		t.Fatalf("list %s", r.Body)
	}
	rec := find(t, ts.events(t), "model.document.created").Body["record"].(map[string]any)
	if rec["doc_number"] != "AB****56" {
		t.Fatalf("event PII not masked: %v", rec)
	}
	if _, ok := rec["doc_expire"]; ok {
		t.Fatalf("null doc_expire kept in the record: %v", rec)
	}
}

func TestResourceDocumentsErrors(t *testing.T) {
	t.Parallel()
	ts, c, u, dir := docServer(t, map[string]string{"BARONG_UPLOAD_SIZE_MAX_RANGE": "1"})
	good := func(kv ...string) url.Values {
		v := docFields("doc_type", "Passport", "doc_number", "AB123", "doc_expire", docFuture())
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == "-" {
				v.Del(kv[i])
			} else {
				v.Set(kv[i], kv[i+1])
			}
		}
		return v
	}
	png := docPNG("p.png")
	big := docFile{"upload[]", "big.png", bytes.Repeat([]byte("x"), 1<<20+1)}
	for _, tc := range []struct {
		fields url.Values
		files  []docFile
		status int
		keys   []string
	}{
		{url.Values{}, nil, 400, []string{"resource.document.missing_doc_type", "resource.document.empty_doc_type",
			"resource.document.missing_doc_number", "resource.document.empty_doc_number", "resource.document.missing_upload"}},
		{good("doc_type", " "), []docFile{png}, 400, []string{"resource.document.empty_doc_type"}},
		{good(), nil, 400, []string{"resource.document.missing_upload"}},
		{good("upload", "https://example.com/passport.png"), nil, 422, []string{"upload.blank"}},
		{good(), []docFile{{"upload[]", "virus.exe", []byte("MZ")}}, 422, []string{"upload.carrierwave_integrity_error"}},
		{good(), []docFile{{"upload[]", "noext", []byte("x")}}, 422, []string{"upload.carrierwave_integrity_error"}},
		{good(), []docFile{{"upload[]", "empty.png", nil}}, 422, []string{"upload.carrierwave_integrity_error"}},
		{good(), []docFile{big}, 422, []string{"upload.carrierwave_integrity_error"}},
		// All or nothing: one bad file refuses the others.
		{good(), []docFile{png, {"upload[]", "x.gif", []byte("GIF89a")}}, 422, []string{"upload.carrierwave_integrity_error"}},
		{good("doc_type", "Diploma"), []docFile{png}, 422, []string{"doc_type.inclusion"}},
		{good("doc_number", "AB/123"), []docFile{png}, 422, []string{"doc_number.invalid"}},
		{good("doc_number", strings.Repeat("A", 129)), []docFile{png}, 422, []string{"doc_number.too_long"}},
		{good("metadata", "{nope"), []docFile{png}, 422, []string{"metadata.invalid_format"}},
		{good("identificator", strings.Repeat("i", 256)), []docFile{png}, 422, []string{"identificator.too_long"}},
		{good("doc_type", "Diploma", "metadata", "x"), []docFile{{"upload[]", "a.exe", []byte("x")}}, 422,
			[]string{"doc_type.inclusion", "upload.carrierwave_integrity_error", "metadata.invalid_format"}},
		{good("doc_expire", "-"), []docFile{png}, 422, []string{"resource.documents.invalid_format"}},
		{good("doc_expire", ""), []docFile{png}, 422, []string{"resource.documents.invalid_format"}},
		{good("doc_expire", "2099/01/22"), []docFile{png}, 422, []string{"resource.documents.invalid_format"}},
		{good("doc_expire", "2000-01-01"), []docFile{png}, 422, []string{"resource.documents.already_expired"}},
		{good("doc_expire", "soon"), []docFile{png}, 422, []string{"resource.documents.expire_not_a_date"}},
		{good("doc_expire", "2099-02-30"), []docFile{png}, 422, []string{"resource.documents.expire_not_a_date"}},
		{good("doc_category", "back"), []docFile{png}, 422, []string{"resource.documents.doc_category"}},
		{good("doc_category", "back", "doc_expire", "soon"), []docFile{png}, 422,
			[]string{"resource.documents.expire_not_a_date", "resource.documents.doc_category"}},
		{good("doc_number", "-", "doc_category", "x"), []docFile{png}, 400, []string{"resource.document.missing_doc_number",
			"resource.document.empty_doc_number", "resource.documents.doc_category"}},
	} {
		expect(t, docUpload(t, c, res+"/documents", tc.fields, tc.files...), tc.status, tc.keys...)
	}
	// JSON and form bodies carry no files.
	expect(t, c.do(t, "POST", res+"/documents", map[string]any{"doc_type": "Passport", "doc_number": "A1", "doc_expire": docFuture(), "upload": []string{"x"}}),
		422, "upload.blank")
	expect(t, c.do(t, "POST", res+"/documents", url.Values{"doc_type": {"Passport"}, "doc_number": {"A1"}}), 400,
		"resource.document.missing_upload")
	// A body above the upload limit (1 MB + 1 MB for the form) is refused whole.
	huge := docFile{"upload[]", "huge.png", bytes.Repeat([]byte("x"), 2<<20+10)}
	expect(t, docUpload(t, c, res+"/documents", good(), huge), 413, "request.body_too_large")

	if ds := docRows(t, ts, u.ID); len(ds) != 0 {
		t.Fatalf("rows written: %+v", ds)
	}
	if files := docFilesIn(t, dir); len(files) != 0 {
		t.Fatalf("files written: %v", files)
	}
	if evs := ts.events(t); len(evs) != 0 {
		t.Fatalf("events: %v", names(evs))
	}
}

func TestResourceDocumentsLimit(t *testing.T) {
	t.Parallel()
	ts, c, u, dir := docServer(t, map[string]string{"BARONG_DOC_NUM_LIMIT": "3"})
	f := docFields("doc_type", "Driver license", "doc_number", "DL-1", "doc_expire", docFuture())
	expect(t, docUpload(t, c, res+"/documents", f, docPNG("1.png"), docPNG("2.png")), 201)
	expect(t, docUpload(t, c, res+"/documents", f, docPNG("3.png"), docPNG("4.png")), 400, "resource.documents.limit_will_be_reached")
	expect(t, docUpload(t, c, res+"/documents", f, docPNG("3.png")), 201)
	// At the limit, Barong answers limit_will_be_reached; above it, limit_reached.
	expect(t, docUpload(t, c, res+"/documents", f, docPNG("4.png")), 400, "resource.documents.limit_will_be_reached")
	expect(t, docUpload(t, c, res+"/addresses", docFields("country", "UA", "address", "Main st 1", "city", "Kyiv", "postcode", "01001"),
		docPNG("bill.png")), 400, "resource.documents.limit_will_be_reached")
	if err := ts.DB.CreateDocument(context.Background(), &barong.Document{UserID: u.ID, DocType: "Passport", Upload: "legacy.png"}); err != nil {
		t.Fatal(err)
	}
	expect(t, docUpload(t, c, res+"/documents", f, docPNG("5.png")), 400, "resource.documents.limit_reached")
	if n := len(docFilesIn(t, dir)); n != 3 {
		t.Fatalf("%d files stored", n)
	}
	// Barong's rows hold only the file name, stored under .../upload/<id>/.
	r := c.do(t, "GET", res+"/documents", nil)
	var list []map[string]any
	_ = json.Unmarshal(r.Body, &list)
	ds := docRows(t, ts, u.ID)
	if want := "/uploads/document/upload/" + itoaDoc(ds[3].ID) + "/legacy.png?expires="; !strings.HasPrefix(list[3]["upload"].(map[string]any)["url"].(string), want) {
		t.Fatalf("legacy url %v, want %s", list[3], want)
	}

	// Eleven files at once with the default limit of ten.
	_, c2, _, _ := docServer(t, nil)
	var many []docFile
	for i := 0; i < 11; i++ {
		many = append(many, docPNG(itoaDoc(int64(i))+".png"))
	}
	expect(t, docUpload(t, c2, res+"/documents", f, many...), 400, "resource.documents.limit_will_be_reached")
}

func itoaDoc(n int64) string { return strconv.FormatInt(n, 10) }

func TestResourceAddresses(t *testing.T) {
	t.Parallel()
	ts, c, u, dir := docServer(t, nil) // BARONG_REQUIRED_DOCS_EXPIRE is on: addresses need no expiry
	r := docUpload(t, c, res+"/addresses", docFields("country", "UA", "address", "Khreshchatyk 1", "city", "", "postcode", "01001"),
		docPNG("bill.png"), docFile{"upload", "statement.pdf", []byte("%PDF")})
	expect(t, r, 201)
	ds := docRows(t, ts, u.ID)
	if len(ds) != 2 || ds[0].DocType != "Address" || ds[0].Identificator != ds[1].Identificator || len(ds[0].Identificator) != 32 ||
		ds[0].DocNumber != "" || ds[0].DocExpire != "" ||
		ds[0].Metadata != `{"country":"UA","address":"Khreshchatyk 1","city":"","postcode":"01001"}` {
		t.Fatalf("rows %+v", ds)
	}
	if n := len(docFilesIn(t, dir)); n != 2 {
		t.Fatalf("%d files", n)
	}
	evs := ts.events(t)
	if got := strings.Join(names(evs), ","); got != "model.document.created,model.document.created,model.label.created" {
		t.Fatalf("events %s", got)
	}
	if lr := evs[2].Body["record"].(map[string]any); lr["key"] != "address" || lr["value"] != "pending" {
		t.Fatalf("label %s", evs[2].Raw)
	}
	if _, err := ts.DB.LabelByKey(context.Background(), u.ID, "document", ""); err == nil {
		t.Fatal("an address set the document label")
	}
	expect(t, docUpload(t, c, "/api/v2/resource/addresses", url.Values{}), 400, "resource.address.missing_country", "resource.address.empty_country",
		"resource.address.missing_address", "resource.address.empty_address", "resource.address.missing_upload",
		"resource.address.missing_city", "resource.address.missing_postcode")
	expect(t, docUpload(t, c, res+"/addresses", docFields("country", " ", "address", "x", "city", "", "postcode", ""), docPNG("a.png")),
		400, "resource.address.empty_country")
	expect(t, docUpload(t, c, res+"/addresses", docFields("country", "UA", "address", "x", "city", "", "postcode", ""),
		docFile{"upload[]", "a.svg", []byte("<svg/>")}), 422, "upload.carrierwave_integrity_error")
	if n := len(docRows(t, ts, u.ID)); n != 2 {
		t.Fatalf("%d rows after failures", n)
	}
}
