package api

import (
	"bytes"
	"errors"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"testing"

	barong "github.com/barong-go/barong"
)

// fuzzContentTypes are the request content types parseParams tells apart.
var fuzzContentTypes = []string{
	"multipart/form-data; boundary=XyZ",
	"multipart/form-data",
	"application/x-www-form-urlencoded",
	"application/json",
	"",
	"text/plain; charset=utf-8",
}

// multipartSeed is a well-formed upload body with the boundary XyZ.
func multipartSeed() []byte {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	_ = w.SetBoundary("XyZ")
	_ = w.WriteField("doc_type", "Passport")
	_ = w.WriteField("meta[a]", "1")
	fw, _ := w.CreateFormFile("upload[]", "scan.png")
	_, _ = fw.Write([]byte("\x89PNG\r\n"))
	fw, _ = w.CreateFormFile("upload", "../../etc/passwd")
	_, _ = fw.Write([]byte("x"))
	_ = w.Close()
	return b.Bytes()
}

// FuzzParseParams feeds arbitrary bodies with each content type through
// parseParams: it must never panic, must fail only with 400
// request.invalid_body or 413 request.body_too_large, and the parsed
// parameters must be readable with every accessor.
func FuzzParseParams(f *testing.F) {
	f.Add(uint8(0), "upload=1", multipartSeed())
	f.Add(uint8(1), "", multipartSeed())
	f.Add(uint8(2), "page=2&limit=x", []byte("a=1&b[]=2&b[]=3&c[d]=4&%zz"))
	f.Add(uint8(3), "", []byte(`{"doc_type":"Passport","upload":null,"n":1.5e400,"a":{"b":[1]}}`))
	f.Add(uint8(3), "", []byte(`{"a":1}{"b":2}`))
	f.Add(uint8(4), "x=1", []byte(`[]`))
	f.Add(uint8(0), "", []byte("--XyZ\r\nContent-Disposition: form-data; name=\"upload\"; filename=\"a\"\r\n\r\n"))
	f.Fuzz(func(t *testing.T, ct uint8, query string, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/api/v2/resource/documents", bytes.NewReader(body))
		req.URL.RawQuery = query
		req.Header.Set("Content-Type", fuzzContentTypes[int(ct)%len(fuzzContentTypes)])
		rec := httptest.NewRecorder()
		const maxUpload = 1 << 16
		p, err := parseParams(rec, req, "resource.document", maxUpload)
		if err != nil {
			var e *barong.Error
			if !errors.As(err, &e) || len(e.Keys) != 1 ||
				!(e.Kind == barong.KindBadRequest && e.Keys[0] == "request.invalid_body" ||
					e.Kind == barong.KindCustom && e.Status == http.StatusRequestEntityTooLarge && e.Keys[0] == "request.body_too_large") {
				t.Fatalf("unexpected error %#v", err)
			}
			return
		}
		if req.MultipartForm != nil {
			defer req.MultipartForm.RemoveAll()
		}
		var total int64
		for _, fh := range p.Files("upload") {
			total += fh.Size
			if fh.Size < 0 {
				t.Fatalf("negative size %d", fh.Size)
			}
			rc, err := fh.Open()
			if err != nil {
				t.Fatalf("open parsed file: %v", err)
			}
			rc.Close()
		}
		if total > int64(len(body)) {
			t.Fatalf("files total %d bytes from a body of %d", total, len(body))
		}
		for name := range p.vals {
			_ = p.String(name)
			_ = p.Required(name)
			_, _ = p.NotBlank(name)
			_ = p.Bool(name, false, "invalid")
			_, _ = p.Int(name, "invalid")
		}
		_ = p.Page()
		_ = uploads(p)
		if err := p.Err(); err != nil && barong.AsError(err) == nil {
			t.Fatalf("Err is not a barong error: %v", err)
		}
	})
}
