package app

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"unicode/utf8"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/entity"
	"github.com/barong-go/barong/storage"
)

// Messages of POST /management/documents.
const (
	// MsgDocumentUserMissing answers an unknown uid (Barong's body
	// {"errors":["user doesnt exist"]}).
	MsgDocumentUserMissing = "user doesnt exist"
	msgStorageFailed       = "Connection error"
)

// ManagementDocumentInput is POST /management/documents: one file for the
// user UID. DocExpire is YYYY-MM-DD or ""; Metadata a JSON text or "".
// UpdateLabels sets the private document (address for an Address
// document) label to pending.
type ManagementDocumentInput struct {
	UID, DocType, DocNumber, DocExpire, Metadata string
	File                                         Upload
	UpdateLabels                                 bool
}

// ManagementCreateDocument is POST /management/documents (reference §8.2):
// the document is validated as Barong's model does (doc_type.inclusion,
// the upload's extension and size, doc_expire.blank and .invalid when
// expiry is required, doc_number.too_long and .invalid,
// metadata.invalid_format: *ModelError), the file stored, and the row,
// model.document.created and the label written in one transaction (the
// file is deleted again when that fails). BARONG_DOC_NUM_LIMIT does not
// apply, as in Barong. An unknown uid is 404 user doesnt exist where
// Barong answered 201; a storage failure is 422 Connection error.
func (s *KYC) ManagementCreateDocument(ctx context.Context, actor barong.Actor, in ManagementDocumentInput) error {
	if err := s.mayManage(ctx, actor, "write_documents"); err != nil {
		return err
	}
	u, err := mgmtUserOr(ctx, s.store, in.UID, barong.NotFound(MsgDocumentUserMissing))
	if err != nil {
		return err
	}
	r := s.cfg.Documents
	var v barong.ValidationErrors
	if !slices.Contains(r.Types, in.DocType) {
		v.Add("doc_type.inclusion")
	}
	s.checkUploads(&v, []Upload{in.File})
	if r.RequireExpire {
		switch {
		case in.DocExpire == "":
			v.Add("doc_expire.blank")
		case in.DocExpire < s.now().UTC().Format("2006-01-02"):
			v.Add("doc_expire.invalid")
		}
	}
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
	if err := mgmtModelErr(v); err != nil {
		return err
	}
	if s.files == nil {
		return fmt.Errorf("management document: no file storage configured")
	}
	key := uploadKeyPrefix + randHex(16) + "/" + storage.SafeName(in.File.Filename)
	if err := s.putUpload(ctx, key, in.File); err != nil {
		return &barong.Error{Kind: barong.KindInvalid, Keys: []string{msgStorageFailed}, Cause: err}
	}
	d := &barong.Document{UserID: u.ID, Upload: key, DocType: in.DocType, DocExpire: in.DocExpire,
		DocNumber: in.DocNumber, Identificator: randHex(16), Metadata: in.Metadata}
	err = s.inTx(ctx, func(tx *txn) error {
		cur, err := tx.UserByID(ctx, u.ID)
		if err != nil {
			return fmt.Errorf("load user: %w", err)
		}
		if err := tx.CreateDocument(ctx, d); err != nil {
			return fmt.Errorf("create document: %w", err)
		}
		user, err := s.userRecord(ctx, tx, cur)
		if err != nil {
			return err
		}
		ev := barong.Event{Name: "model.document.created", Payload: entity.Payload{Record: s.documentRecord(ctx, user, d)}}
		if err := tx.Emit(ctx, ev); err != nil {
			return err
		}
		if !in.UpdateLabels {
			return nil
		}
		label := "document"
		if d.DocType == addressDocType {
			label = "address"
		}
		_, err = s.setLabel(ctx, tx, cur, label, "pending", barong.ScopePrivate, "")
		return err
	})
	if err != nil {
		if derr := s.files.Delete(context.WithoutCancel(ctx), key); derr != nil {
			s.log.WarnContext(ctx, "delete stored upload", slog.String("key", key), slog.Any("error", derr))
		}
		return err
	}
	return nil
}
