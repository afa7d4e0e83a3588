package api

import (
	"io"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/app"
	"github.com/barong-go/barong/entity"
)

func (s *Server) handleDocuments(w http.ResponseWriter, r *http.Request, c *caller) error {
	p, err := s.parse(w, r, "resource.document")
	if err != nil {
		return err
	}
	pg := p.Page()
	if err := p.Err(); err != nil {
		return err
	}
	docs, err := s.app.KYC.Documents(r.Context(), barong.UserActor(c.User))
	if err != nil {
		return err
	}
	lo, hi := kycPageBounds(len(docs), pg)
	out := make([]entity.UserDocument, 0, hi-lo)
	for i := lo; i < hi; i++ {
		out = append(out, documentEntity(&docs[i], s.cfg.Masking))
	}
	writeKYCPageHeaders(w, len(docs), pg)
	writeJSON(w, http.StatusOK, out)
	return nil
}

// documentEntity is the resource list's Document: upload, doc_type,
// doc_number (masked AA****BB when masking is on), doc_expire.
func documentEntity(d *app.DocumentView, mask bool) entity.UserDocument {
	return entity.NewUserDocument(&d.Document, d.URL, mask)
}

func (s *Server) handleDocumentCreate(w http.ResponseWriter, r *http.Request, c *caller) error {
	p, err := s.parse(w, r, "resource.document")
	if err != nil {
		return err
	}
	in := app.DocumentInput{DocType: p.Required("doc_type"), DocNumber: p.Required("doc_number")}
	in.Files = uploads(p)
	if in.DocExpire = p.String("doc_expire"); strings.TrimSpace(in.DocExpire) != "" {
		if _, ok := app.ParseDate(in.DocExpire); !ok {
			p.Invalid("resource.documents.expire_not_a_date")
		}
	}
	if p.Has("doc_category") {
		switch in.DocCategory = p.String("doc_category"); in.DocCategory {
		case "front_side", "back_side", "selfie":
		default:
			p.Invalid("resource.documents.doc_category")
		}
	}
	in.Identificator, in.Metadata = p.String("identificator"), p.String("metadata")
	if err := p.Err(); err != nil {
		return err
	}
	if err := s.app.KYC.CreateDocuments(r.Context(), barong.UserActor(c.User), in); err != nil {
		return err
	}
	writeStatus(w, http.StatusCreated)
	return nil
}

func (s *Server) handleAddressCreate(w http.ResponseWriter, r *http.Request, c *caller) error {
	p, err := s.parse(w, r, "resource.address")
	if err != nil {
		return err
	}
	in := app.AddressInput{Country: p.Required("country"), Address: p.Required("address")}
	in.Files = uploads(p)
	in.City, in.Postcode = p.RequiredPresent("city"), p.RequiredPresent("postcode")
	if err := p.Err(); err != nil {
		return err
	}
	if err := s.app.KYC.CreateAddress(r.Context(), barong.UserActor(c.User), in); err != nil {
		return err
	}
	writeStatus(w, http.StatusCreated)
	return nil
}

// uploads returns the files of the multipart field upload[] or upload. A
// missing field adds <prefix>.missing_upload; a value that is not a file
// gives one blank upload (upload.blank, as in Barong).
func uploads(p *params) []app.Upload {
	fhs := p.Files("upload")
	if len(fhs) == 0 {
		if p.Has("upload") {
			return []app.Upload{{}}
		}
		p.missing = append(p.missing, p.key("missing", "upload"))
		return nil
	}
	out := make([]app.Upload, len(fhs))
	for i, fh := range fhs {
		out[i] = app.Upload{Filename: fh.Filename, Size: fh.Size, Open: opener(fh)}
	}
	return out
}

func opener(fh *multipart.FileHeader) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) { return fh.Open() }
}

// kycPageBounds is the slice [lo, hi) of n rows that page pg shows.
func kycPageBounds(n int, pg barong.Page) (lo, hi int) {
	lo = min(pg.Offset(), n)
	return lo, min(lo+pg.Limit, n)
}

// writeKYCPageHeaders sets the Total, Page and Per-Page list headers.
func writeKYCPageHeaders(w http.ResponseWriter, total int, pg barong.Page) {
	h := w.Header()
	h.Set("Total", strconv.Itoa(total))
	h.Set("Page", strconv.Itoa(pg.Page))
	h.Set("Per-Page", strconv.Itoa(pg.Limit))
}
