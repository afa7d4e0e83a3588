package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/entity"
	"github.com/barong-go/barong/storage"
)

// DocumentRules are the upload rules of KYC documents (reference §2.2,
// §3.5): barong.yml document_types, BARONG_REQUIRED_DOCS_EXPIRE,
// BARONG_DOC_NUM_LIMIT and the BARONG_UPLOAD_* size range and extensions.
type DocumentRules struct {
	Types         []string
	RequireExpire bool
	Limit         int
	// MinBytes and MaxBytes bound each file (MaxBytes 0: no bound).
	MinBytes, MaxBytes int64
	// Extensions are the accepted lower-case extensions; none: any.
	Extensions []string
}

// Upload is one uploaded file. A nil Open stands for a parameter that was
// sent but is not a file (Barong's upload.blank).
type Upload struct {
	Filename string
	Size     int64
	Open     func() (io.ReadCloser, error)
}

// DocumentInput is POST /resource/documents (reference §6.3.4).
type DocumentInput struct {
	DocType, DocNumber, DocExpire, DocCategory, Identificator, Metadata string
	Files                                                               []Upload
}

// AddressInput is POST /resource/addresses.
type AddressInput struct {
	Country, Address, City, Postcode string
	Files                            []Upload
}

// DocumentView is a document with the URL its file is read from.
type DocumentView struct {
	barong.Document
	URL string
}

// Document keys (reference §6.3.4).
const (
	keyDocInvalidFormat = "resource.documents.invalid_format"
	keyDocExpired       = "resource.documents.already_expired"
	keyDocNotADate      = "resource.documents.expire_not_a_date"
	keyDocLimit         = "resource.documents.limit_reached"
	keyDocWillLimit     = "resource.documents.limit_will_be_reached"
	keyDocStorage       = "resource.documents.connection_error"
	keyUploadIntegrity  = "upload.carrierwave_integrity_error"
	addressDocType      = "Address"
	uploadKeyPrefix     = "uploads/document/upload/"
)

var (
	isoDateRe   = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	docNumberRe = regexp.MustCompile(`^[A-Za-z0-9\-\s]+$`)
	dateLayouts = []string{"2006-01-02", "2006-1-2", "2006/01/02", "2006/1/2", "20060102", "02.01.2006", "2.1.2006",
		"02-01-2006", time.RFC3339}
)

// ParseDate reads a date as Barong's Date coercion would for the formats
// clients send (YYYY-MM-DD first) and returns it as YYYY-MM-DD.
func ParseDate(s string) (string, bool) {
	s = strings.TrimSpace(s)
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.Format("2006-01-02"), true
		}
	}
	return "", false
}

// Documents lists the user's documents with their download URLs.
func (s *KYC) Documents(ctx context.Context, actor barong.Actor) ([]DocumentView, error) {
	if err := s.mayUser(ctx, actor); err != nil {
		return nil, err
	}
	u := actor.User
	return s.documents(ctx, u)
}

// documents lists u's documents with their download URLs.
func (s *core) documents(ctx context.Context, u *barong.User) ([]DocumentView, error) {
	ds, err := s.store.DocumentsByUser(ctx, u.ID)
	if err != nil {
		return nil, fmt.Errorf("load documents: %w", err)
	}
	out := make([]DocumentView, len(ds))
	for i := range ds {
		out[i] = DocumentView{Document: ds[i], URL: s.documentURL(ctx, &ds[i])}
	}
	return out, nil
}

// documentURL is the URL of d's file ("" when it has none). Rows written
// by Barong hold only the file name, stored under .../upload/<id>/.
func (s *core) documentURL(ctx context.Context, d *barong.Document) string {
	if d.Upload == "" || s.files == nil {
		return ""
	}
	key := d.Upload
	if !strings.Contains(key, "/") {
		key = fmt.Sprintf("%s%d/%s", uploadKeyPrefix, d.ID, key)
	}
	u, err := s.files.URL(ctx, key)
	if err != nil {
		s.log.WarnContext(ctx, "document url", slog.Int64("document", d.ID), slog.Any("error", err))
		return ""
	}
	return u
}

// CreateDocuments stores one document per file (reference §6.3.4), all or
// nothing: every file is checked before any is stored, the rows, events and
// the document=pending label (local KYC) are written in one transaction,
// and the stored files are deleted again when it fails. (Barong saved files
// one by one and kept the earlier ones when a later one failed.)
func (s *KYC) CreateDocuments(ctx context.Context, actor barong.Actor, in DocumentInput) error {
	if err := s.mayUser(ctx, actor); err != nil {
		return err
	}
	u := actor.User
	r := s.cfg.Documents
	if in.DocExpire = strings.TrimSpace(in.DocExpire); in.DocExpire != "" {
		d, ok := ParseDate(in.DocExpire)
		if !ok {
			return barong.Invalid(keyDocNotADate)
		}
		if r.RequireExpire && !isoDateRe.MatchString(in.DocExpire) {
			return barong.Invalid(keyDocInvalidFormat)
		}
		in.DocExpire = d
	}
	if r.RequireExpire {
		if in.DocExpire == "" {
			return barong.Invalid(keyDocInvalidFormat)
		}
		if in.DocExpire < s.now().UTC().Format("2006-01-02") {
			return barong.Invalid(keyDocExpired)
		}
	}
	if err := s.checkDocumentLimit(ctx, s.store, u, len(in.Files)); err != nil {
		return err
	}
	var v barong.ValidationErrors
	if !slices.Contains(r.Types, in.DocType) {
		v.Add("doc_type.inclusion")
	}
	s.checkUploads(&v, in.Files)
	switch {
	case utf8.RuneCountInString(in.DocNumber) > 128:
		v.Add("doc_number.too_long")
	case !docNumberRe.MatchString(in.DocNumber):
		v.Add("doc_number.invalid")
	}
	if in.Metadata != "" && !json.Valid([]byte(in.Metadata)) {
		v.Add("metadata.invalid_format")
	}
	if len(in.Metadata) > maxMetadataBytes {
		v.Add("metadata.too_long")
	}
	if in.Identificator == "" {
		in.Identificator = randHex(16)
	} else if utf8.RuneCountInString(in.Identificator) > 255 {
		v.Add("identificator.too_long")
	}
	if err := v.Err(); err != nil {
		return err
	}
	doc := barong.Document{UserID: u.ID, DocType: in.DocType, DocExpire: in.DocExpire, DocNumber: in.DocNumber,
		DocCategory: in.DocCategory, Identificator: in.Identificator, Metadata: in.Metadata}
	label := "document"
	if in.DocType == addressDocType {
		label = "address" // an address proof sent here counts as one
	}
	return s.saveDocuments(ctx, u, doc, in.Files, label)
}

// maxMetadataBytes is what a metadata column (a MariaDB TEXT) holds.
const maxMetadataBytes = 65535

// CreateAddress stores one Address document per file with a common fresh
// identificator and sets the address=pending label (reference §6.3.4).
// Unlike Barong, the address fields are kept in the documents' metadata
// (Barong only forwarded them to KYCAID, so local review lost them), no
// expiry is demanded (Barong failed with doc_expire.blank when
// BARONG_REQUIRED_DOCS_EXPIRE was on), and the document limit applies.
func (s *KYC) CreateAddress(ctx context.Context, actor barong.Actor, in AddressInput) error {
	if err := s.mayUser(ctx, actor); err != nil {
		return err
	}
	u := actor.User
	if err := s.checkDocumentLimit(ctx, s.store, u, len(in.Files)); err != nil {
		return err
	}
	var v barong.ValidationErrors
	s.checkUploads(&v, in.Files)
	for _, f := range []struct{ attr, val string }{
		{"country", in.Country}, {"address", in.Address}, {"city", in.City}, {"postcode", in.Postcode},
	} {
		if utf8.RuneCountInString(f.val) > 255 { // as the profile's fields
			v.Add(f.attr + ".too_long")
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	meta := jsonString(struct {
		Country  string `json:"country"`
		Address  string `json:"address"`
		City     string `json:"city"`
		Postcode string `json:"postcode"`
	}{in.Country, in.Address, in.City, in.Postcode})
	doc := barong.Document{UserID: u.ID, DocType: addressDocType, Identificator: randHex(16), Metadata: meta}
	return s.saveDocuments(ctx, u, doc, in.Files, "address")
}

// checkDocumentLimit applies BARONG_DOC_NUM_LIMIT as Barong does: 400
// limit_reached when the user already has more, limit_will_be_reached when
// the new files would take him past it.
func (s *core) checkDocumentLimit(ctx context.Context, q barong.DocumentQueries, u *barong.User, n int) error {
	count, err := q.CountDocuments(ctx, u.ID)
	if err != nil {
		return fmt.Errorf("count documents: %w", err)
	}
	limit := int64(s.cfg.Documents.Limit)
	if count > limit {
		return barong.BadRequest(keyDocLimit)
	}
	if count+int64(n) > limit {
		return barong.BadRequest(keyDocWillLimit)
	}
	return nil
}

// checkUploads validates every file: present, extension whitelisted, size
// in range (CarrierWave's integrity error for both).
func (s *core) checkUploads(v *barong.ValidationErrors, files []Upload) {
	r := s.cfg.Documents
	if len(files) == 0 {
		v.Add("upload.blank")
	}
	for _, f := range files {
		if f.Open == nil {
			v.Add("upload.blank")
			continue
		}
		ext := strings.ToLower(strings.TrimPrefix(path.Ext(f.Filename), "."))
		if (len(r.Extensions) > 0 && !slices.Contains(r.Extensions, ext)) || f.Size < r.MinBytes ||
			(r.MaxBytes > 0 && f.Size > r.MaxBytes) {
			v.Add(keyUploadIntegrity)
		}
	}
}

// saveDocuments stores the files, then writes one row per file from tmpl,
// the model.document.created events and the private <label>=pending label
// in one transaction; the files are deleted when anything fails.
func (s *core) saveDocuments(ctx context.Context, u *barong.User, tmpl barong.Document, files []Upload, label string) error {
	if s.files == nil {
		return fmt.Errorf("save documents: no file storage configured")
	}
	keys := make([]string, 0, len(files))
	cleanup := func() {
		for _, k := range keys {
			if err := s.files.Delete(context.WithoutCancel(ctx), k); err != nil {
				s.log.WarnContext(ctx, "delete stored upload", slog.String("key", k), slog.Any("error", err))
			}
		}
	}
	for _, f := range files {
		key := uploadKeyPrefix + randHex(16) + "/" + storage.SafeName(f.Filename)
		if err := s.putUpload(ctx, key, f); err != nil {
			cleanup()
			s.log.ErrorContext(ctx, "store upload", slog.Any("error", err))
			return &barong.Error{Kind: barong.KindInvalid, Keys: []string{keyDocStorage}, Cause: err}
		}
		keys = append(keys, key)
	}
	err := s.inTx(ctx, func(tx *txn) error {
		// Under the user's row lock the count of his documents holds
		// until commit: concurrent uploads do not pass the limit together.
		cur, err := tx.LockUser(ctx, u.ID)
		if err != nil {
			return fmt.Errorf("lock user: %w", err)
		}
		if err := s.checkDocumentLimit(ctx, tx, u, len(files)); err != nil {
			return err
		}
		user, err := s.userRecord(ctx, tx, cur)
		if err != nil {
			return err
		}
		for _, k := range keys {
			d := tmpl
			d.Upload = k
			if err := tx.CreateDocument(ctx, &d); err != nil {
				return fmt.Errorf("create document: %w", err)
			}
			ev := barong.Event{Name: "model.document.created", Payload: entity.Payload{Record: s.documentRecord(ctx, user, &d)}}
			if err := tx.Emit(ctx, ev); err != nil {
				return err
			}
		}
		if s.kycaid != nil && label == "document" {
			// KYCAID: pending once the batch of the document type is
			// complete (reference §3.4); the reconciler sends it.
			all, err := tx.DocumentsByUser(ctx, u.ID)
			if err != nil {
				return fmt.Errorf("load documents: %w", err)
			}
			if !kycaidBatchCompleted(all, tmpl, len(keys)) {
				return nil
			}
		}
		_, err = s.setLabel(ctx, tx, cur, label, "pending", barong.ScopePrivate, "")
		return err
	})
	if err != nil {
		cleanup()
		return err
	}
	return nil
}

// putUpload copies one file into the storage, typed by its extension (the
// client's Content-Type is not trusted).
func (s *core) putUpload(ctx context.Context, key string, f Upload) error {
	rc, err := f.Open()
	if err != nil {
		return fmt.Errorf("open upload: %w", err)
	}
	defer rc.Close()
	ct := mime.TypeByExtension(path.Ext(key))
	if ct == "" {
		ct = "application/octet-stream"
	}
	if err := s.files.Put(ctx, key, rc, f.Size, ct); err != nil {
		return fmt.Errorf("put upload: %w", err)
	}
	return nil
}

// documentRecord is the document of model.document.created (reference
// §9.3): the file URL CGI-escaped, the number unmasked unless
// BARONG_EVENT_API_MASK_PII.
func (s *core) documentRecord(ctx context.Context, user entity.UserRecord, d *barong.Document) entity.DocumentRecord {
	return entity.NewDocumentRecord(d, user, url.QueryEscape(s.documentURL(ctx, d)), s.cfg.MaskEventPII)
}

// MaskDocNumber keeps the first two and the last two characters of a
// document number and stars the rest (AA****BB), as Barong's entity does.
func MaskDocNumber(s string) string { return entity.MaskDocNumber(s) }
