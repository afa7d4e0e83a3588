package app

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"mime"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/kycaid"
)

// KYCAID flow (reference §10.7, BARONG_KYC_PROVIDER=kycaid).
//
// The work is derived from stored state, so it survives restarts and is
// shared by every process: RunKYCAID polls for
//
//   - submitted profiles without applicant_id: create the applicant, then
//     store applicant_id and the state verified (rejected on refusal);
//   - complete document batches (Passport 2 files, Identity card and
//     Driver license 3, Address 1) of users with an applicant, whose
//     documents carry no verification_id or kycaid_error in their
//     metadata: upload the files, create the document(s) or the address,
//     then the verification.
//
// Each item is claimed with KV.SetNX (a lock with a TTL) so that two
// processes never send it at once, and each step's result (file_id,
// document_id, address_id, verification_id) is written to the documents'
// metadata as soon as KYCAID answers: a restart resumes at the first
// unfinished step and never repeats a finished one. A refusal by KYCAID
// (4xx) ends the item with the label document (or address) = rejected and
// a kycaid_error marker; other failures (network, 5xx) are retried at the
// next poll.

// KYCAIDConfig are the settings of the KYCAID flow.
type KYCAIDConfig struct {
	// FormID is BARONG_KYCAID_FORM_ID.
	FormID string
	// CallbackURL is <BARONG_DOMAIN>/api/v2/barong/public/kyc.
	CallbackURL string
}

// Metadata keys of the KYCAID steps.
const (
	metaFileID         = "file_id"
	metaDocumentID     = "document_id"
	metaSelfieID       = "selfie_document_id"
	metaAddressID      = "address_id"
	metaVerificationID = "verification_id"
	metaKYCAIDError    = "kycaid_error"
)

// kycaidDocTypes are the document types sent to KYCAID, by Barong's
// doc_type, with the number of files of a complete batch.
var kycaidDocTypes = map[string]struct {
	kind  string
	files int
}{
	"Passport":       {"PASSPORT", 2},
	"Identity card":  {"ID_CARD", 3},
	"Driver license": {"DRIVERS_LICENSE", 3},
	addressDocType:   {"ADDRESS_DOCUMENT", 1},
}

const (
	kycaidLockTTL   = 5 * time.Minute
	kycaidBatchSize = 50
	// kycaidCallbackTimeout bounds the fetch of a verification for a
	// callback.
	kycaidCallbackTimeout = 15 * time.Second
)

// KYCAIDEnabled reports whether the KYCAID flow runs (a client was given).
func (s *Service) KYCAIDEnabled() bool { return s.kycaid != nil }

// RunKYCAID reconciles every interval until ctx ends.
func (s *Service) RunKYCAID(ctx context.Context, interval time.Duration) {
	if s.kycaid == nil {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := s.ReconcileKYCAID(ctx, barong.SystemActor("kycaid")); err != nil && ctx.Err() == nil {
			s.log.WarnContext(ctx, "kycaid reconcile", slog.Any("error", err))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// ReconcileKYCAID runs one pass: applicants first, then document batches.
// Failures of single items are logged and left for the next pass.
func (s *Service) ReconcileKYCAID(ctx context.Context, actor barong.Actor) error {
	if err := s.maySystem(ctx, actor); err != nil {
		return err
	}
	if s.kycaid == nil {
		return nil
	}
	ps, err := s.store.ProfilesAwaitingApplicant(ctx, kycaidBatchSize)
	if err != nil {
		return fmt.Errorf("kycaid: %w", err)
	}
	for i := range ps {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		s.withKYCAIDLock(ctx, "profile:"+strconv.FormatInt(ps[i].ID, 10), func() error {
			return s.kycaidApplicant(ctx, ps[i].UserID, ps[i].ID)
		})
	}
	counts := map[string]int{}
	for t, k := range kycaidDocTypes {
		counts[t] = k.files
	}
	bs, err := s.store.KYCAIDBatches(ctx, counts, []string{metaVerificationID, metaKYCAIDError}, kycaidBatchSize)
	if err != nil {
		return fmt.Errorf("kycaid: %w", err)
	}
	for _, b := range bs {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		s.withKYCAIDLock(ctx, fmt.Sprintf("batch:%d:%s:%s", b.UserID, b.DocType, b.Identificator), func() error {
			return s.kycaidBatch(ctx, b)
		})
	}
	return nil
}

// withKYCAIDLock runs fn unless another process holds the lock of item;
// fn's error is logged.
func (s *core) withKYCAIDLock(ctx context.Context, item string, fn func() error) {
	key := "kycaid:lock:" + item
	ok, err := s.kv.SetNX(ctx, key, randHex(8), kycaidLockTTL)
	if err != nil {
		s.log.WarnContext(ctx, "kycaid lock", slog.String("item", item), slog.Any("error", err))
		return
	}
	if !ok {
		return
	}
	defer func() {
		if err := s.kv.Delete(context.WithoutCancel(ctx), key); err != nil {
			s.log.WarnContext(ctx, "kycaid unlock", slog.String("item", item), slog.Any("error", err))
		}
	}()
	if err := fn(); err != nil && ctx.Err() == nil {
		s.log.WarnContext(ctx, "kycaid step failed, retried later", slog.String("item", item), slog.Any("error", err))
	}
}

// kycaidApplicant creates the applicant of profile profileID, then stores
// applicant_id and the state verified, or the state rejected when KYCAID
// refuses it.
func (s *core) kycaidApplicant(ctx context.Context, userID, profileID int64) error {
	p, err := s.profileByID(ctx, s.store, userID, profileID)
	if err != nil || p == nil || p.State != ProfileSubmitted || p.ApplicantID != "" {
		return err // done meanwhile (or gone)
	}
	u, err := s.store.UserByID(ctx, userID)
	if err != nil {
		return fmt.Errorf("load user %d: %w", userID, err)
	}
	phones, err := s.store.PhonesByUser(ctx, userID)
	if err != nil {
		return fmt.Errorf("load phones: %w", err)
	}
	var phone string
	if len(phones) > 0 {
		phone = phones[len(phones)-1].Number
	}
	applicantID, apiErr := s.kycaid.CreateApplicant(ctx, kycaid.Applicant{Type: "PERSON", FirstName: p.FirstName,
		LastName: p.LastName, DOB: p.DOB, ResidenceCountry: p.Country, Email: u.Email, Phone: phone})
	if apiErr != nil && !kycaid.IsRejected(apiErr) {
		return apiErr
	}
	if apiErr != nil {
		s.log.WarnContext(ctx, "kycaid refused the applicant", slog.Int64("profile", profileID), slog.Any("error", apiErr))
	}
	return s.inTx(ctx, func(tx *txn) error {
		ps, err := tx.profilesLocked(ctx, userID)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(ps, func(o barong.Profile) bool { return o.ID == profileID })
		if i < 0 || ps[i].State != ProfileSubmitted || ps[i].ApplicantID != "" {
			return nil
		}
		before := ps[i]
		p := &ps[i]
		if apiErr != nil {
			p.State = ProfileRejected
		} else {
			p.ApplicantID, p.State = applicantID, ProfileVerified
		}
		if err := tx.UpdateProfile(ctx, p); err != nil {
			return fmt.Errorf("update profile: %w", err)
		}
		return s.profileSaved(ctx, tx, u, &before, p)
	})
}

func (s *core) profileByID(ctx context.Context, q barong.ProfileQueries, userID, id int64) (*barong.Profile, error) {
	ps, err := q.ProfilesByUser(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("load profiles: %w", err)
	}
	for i := range ps {
		if ps[i].ID == id {
			return &ps[i], nil
		}
	}
	return nil, nil
}

// batchDocs loads the documents of batch b, by id.
func (s *core) batchDocs(ctx context.Context, q barong.DocumentQueries, b barong.DocumentBatch) ([]barong.Document, error) {
	all, err := q.DocumentsByUser(ctx, b.UserID)
	if err != nil {
		return nil, fmt.Errorf("load documents: %w", err)
	}
	var ds []barong.Document
	for _, d := range all {
		if d.DocType == b.DocType && d.Identificator == b.Identificator {
			ds = append(ds, d)
		}
	}
	return ds, nil
}

// applicantOf is the applicant id of the user's latest profile that has one.
func (s *core) applicantOf(ctx context.Context, userID int64) (string, error) {
	ps, err := s.store.ProfilesByUser(ctx, userID)
	if err != nil {
		return "", fmt.Errorf("load profiles: %w", err)
	}
	for i := len(ps) - 1; i >= 0; i-- {
		if ps[i].ApplicantID != "" {
			return ps[i].ApplicantID, nil
		}
	}
	return "", nil
}

// metaOf reads the JSON object of a metadata column ("" or not an object:
// empty).
func metaOf(d *barong.Document) map[string]any {
	m := map[string]any{}
	if d.Metadata != "" {
		if err := json.Unmarshal([]byte(d.Metadata), &m); err != nil || m == nil {
			m = map[string]any{}
		}
	}
	return m
}

func metaString(d *barong.Document, key string) string {
	v, _ := metaOf(d)[key].(string)
	return v
}

// setBatchMeta merges kv into the metadata of the documents ids, in one
// transaction, re-reading each row so that no other key is lost.
func (s *core) setBatchMeta(ctx context.Context, b barong.DocumentBatch, ids []int64, kv map[string]any, then func(tx *txn) error) error {
	return s.inTx(ctx, func(tx *txn) error {
		ds, err := s.batchDocs(ctx, tx, b)
		if err != nil {
			return err
		}
		for i := range ds {
			if !slices.Contains(ids, ds[i].ID) {
				continue
			}
			m := metaOf(&ds[i])
			for k, v := range kv {
				m[k] = v
			}
			if err := tx.UpdateDocumentMetadata(ctx, ds[i].ID, jsonString(m)); err != nil {
				return fmt.Errorf("store kycaid result: %w", err)
			}
		}
		if then != nil {
			return then(tx)
		}
		return nil
	})
}

// kycaidBatch sends one complete batch, resuming after its last finished
// step.
func (s *core) kycaidBatch(ctx context.Context, b barong.DocumentBatch) error {
	kind, ok := kycaidDocTypes[b.DocType]
	if !ok {
		return nil
	}
	ds, err := s.batchDocs(ctx, s.store, b)
	if err != nil {
		return err
	}
	if len(ds) < kind.files {
		return nil
	}
	for _, d := range ds {
		if metaString(&d, metaVerificationID) != "" || metaString(&d, metaKYCAIDError) != "" {
			return nil // done meanwhile
		}
	}
	ids := make([]int64, len(ds))
	for i := range ds {
		ids[i] = ds[i].ID
	}
	label := "document"
	if b.DocType == addressDocType {
		label = "address"
	}
	applicantID, err := s.applicantOf(ctx, b.UserID)
	if err != nil || applicantID == "" {
		return err
	}
	err = s.kycaidSteps(ctx, b, ds, ids, kind.kind, applicantID)
	if err == nil || !kycaid.IsRejected(err) {
		return err
	}
	s.log.WarnContext(ctx, "kycaid refused a document batch", slog.Int64("user", b.UserID),
		slog.String("doc_type", b.DocType), slog.Any("error", err))
	return s.setBatchMeta(ctx, b, ids, map[string]any{metaKYCAIDError: "rejected by KYCAID"}, func(tx *txn) error {
		u, err := tx.UserByID(ctx, b.UserID)
		if err != nil {
			return fmt.Errorf("load user: %w", err)
		}
		_, err = s.setLabel(ctx, tx, u, label, "rejected", barong.ScopePrivate, "")
		return err
	})
}

// kycaidSteps runs the unfinished steps of a batch, storing each result.
func (s *core) kycaidSteps(ctx context.Context, b barong.DocumentBatch, ds []barong.Document, ids []int64, kind, applicantID string) error {
	// 1. Files, each stored with its file_id.
	fileIDs := make([]string, len(ds))
	for i := range ds {
		if fileIDs[i] = metaString(&ds[i], metaFileID); fileIDs[i] != "" {
			continue
		}
		id, err := s.kycaidUpload(ctx, &ds[i])
		if err != nil {
			return err
		}
		if err := s.setBatchMeta(ctx, b, []int64{ds[i].ID}, map[string]any{metaFileID: id}, nil); err != nil {
			return err
		}
		fileIDs[i] = id
	}
	front, back, selfie := sides(ds, fileIDs)
	first := &ds[0]
	types := []string{"DOCUMENT", "FACIAL"}
	// 2. The document (and the selfie document for the facial check), or
	// the address document and the address.
	if metaString(first, metaDocumentID) == "" {
		doc := kycaid.Document{ApplicantID: applicantID, Type: kind, FrontSideID: front}
		if kind != "ADDRESS_DOCUMENT" {
			doc.DocumentNumber, doc.ExpiryDate, doc.BackSideID = first.DocNumber, first.DocExpire, back
		}
		id, err := s.kycaid.CreateDocument(ctx, doc)
		if err != nil {
			return err
		}
		if err := s.setBatchMeta(ctx, b, ids, map[string]any{metaDocumentID: id}, nil); err != nil {
			return err
		}
	}
	if kind == "ADDRESS_DOCUMENT" {
		types = []string{"ADDRESS"}
		if metaString(first, metaAddressID) == "" {
			m := metaOf(first)
			str := func(k string) string { v, _ := m[k].(string); return v }
			id, err := s.kycaid.CreateAddress(ctx, kycaid.Address{ApplicantID: applicantID, Type: "REGISTERED",
				Country: str("country"), City: str("city"), PostalCode: str("postcode"), FullAddress: str("address")})
			if err != nil {
				return err
			}
			if err := s.setBatchMeta(ctx, b, ids, map[string]any{metaAddressID: id}, nil); err != nil {
				return err
			}
		}
	} else if selfie != "" && metaString(first, metaSelfieID) == "" {
		id, err := s.kycaid.CreateDocument(ctx, kycaid.Document{ApplicantID: applicantID, Type: "SELFIE_IMAGE", FrontSideID: selfie})
		if err != nil {
			return err
		}
		if err := s.setBatchMeta(ctx, b, ids, map[string]any{metaSelfieID: id}, nil); err != nil {
			return err
		}
	}
	// 3. The verification.
	vid, err := s.kycaid.CreateVerification(ctx, kycaid.NewVerification{ApplicantID: applicantID, Types: types,
		FormID: s.cfg.KYCAID.FormID, CallbackURL: s.cfg.KYCAID.CallbackURL})
	if err != nil {
		return err
	}
	return s.setBatchMeta(ctx, b, ids, map[string]any{metaVerificationID: vid}, nil)
}

// sides picks the front, back and selfie file ids of a batch: by
// doc_category (front_side, back_side, selfie) when given, else by upload
// order (Passport: front, selfie; others: front, back, selfie).
func sides(ds []barong.Document, fileIDs []string) (front, back, selfie string) {
	var rest []string
	for i, d := range ds {
		switch {
		case d.DocCategory == "front_side" && front == "":
			front = fileIDs[i]
		case d.DocCategory == "back_side" && back == "":
			back = fileIDs[i]
		case d.DocCategory == "selfie" && selfie == "":
			selfie = fileIDs[i]
		default:
			rest = append(rest, fileIDs[i])
		}
	}
	take := func(dst *string) {
		if *dst == "" && len(rest) > 0 {
			*dst, rest = rest[0], rest[1:]
		}
	}
	take(&front)
	switch ds[0].DocType {
	case addressDocType:
	case "Passport":
		take(&selfie)
	default:
		take(&back)
		take(&selfie)
	}
	return front, back, selfie
}

// kycaidUpload sends the stored file of d to KYCAID.
func (s *core) kycaidUpload(ctx context.Context, d *barong.Document) (string, error) {
	if s.files == nil || d.Upload == "" {
		return "", fmt.Errorf("document %d has no stored file", d.ID)
	}
	key := d.Upload
	if !strings.Contains(key, "/") {
		key = fmt.Sprintf("%s%d/%s", uploadKeyPrefix, d.ID, key)
	}
	rc, err := s.files.Get(ctx, key)
	if err != nil {
		return "", fmt.Errorf("read upload of document %d: %w", d.ID, err)
	}
	defer rc.Close()
	ct := cmp.Or(mime.TypeByExtension(path.Ext(key)), "application/octet-stream")
	return s.kycaid.UploadFile(ctx, path.Base(key), ct, rc)
}

// KYCAIDCallback is POST /public/kyc: it fetches the verification
// verificationID from KYCAID (nothing of the callback's body is trusted
// besides the id) and, when it is completed, sets the user's existing
// labels named by its checks to verified or rejected; document needs both
// the document and the facial check. An unknown verification or applicant
// is ignored; so is everything when the KYCAID flow is off.
func (s *KYC) KYCAIDCallback(ctx context.Context, verificationID string) error {
	if s.kycaid == nil || verificationID == "" {
		return nil
	}
	fctx, cancel := context.WithTimeout(ctx, kycaidCallbackTimeout)
	defer cancel()
	v, err := s.kycaid.Verification(fctx, verificationID)
	if kycaid.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("kycaid callback: %w", err)
	}
	if v.Status != "completed" {
		return nil
	}
	p, err := s.store.ProfileByApplicantID(ctx, v.ApplicantID)
	if isNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("kycaid callback: %w", err)
	}
	verified := func(name string) bool { c := v.Verifications[name]; return c != nil && c.Verified }
	return s.inTx(ctx, func(tx *txn) error {
		u, err := tx.UserByID(ctx, p.UserID)
		if isNotFound(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("load user: %w", err)
		}
		// Only the labels KYCAID verifies for barong: document (with the
		// facial check) and address.
		for _, name := range []string{"address", "document"} {
			if _, ok := v.Verifications[name]; !ok {
				continue
			}
			if _, err := tx.LabelByKey(ctx, u.ID, name, barong.ScopePrivate); isNotFound(err) {
				continue
			} else if err != nil {
				return fmt.Errorf("find label: %w", err)
			}
			ok := verified(name)
			if name == "document" {
				ok = ok && verified("facial")
			}
			value := "rejected"
			if ok {
				value = "verified"
			}
			if _, err := s.setLabel(ctx, tx, u, name, value, barong.ScopePrivate, ""); err != nil {
				return err
			}
		}
		return nil
	})
}

// kycaidBatchCompleted reports whether saving n documents of doc into the
// user's documents all (doc included) completed its KYCAID batch: only
// then is document=pending set with the kycaid flow.
func kycaidBatchCompleted(all []barong.Document, doc barong.Document, n int) bool {
	k, ok := kycaidDocTypes[doc.DocType]
	if !ok {
		return false
	}
	count := 0
	for _, d := range all {
		if d.DocType == doc.DocType && d.Identificator == doc.Identificator {
			count++
		}
	}
	return count-n < k.files && count >= k.files
}
