package sqlstore

import (
	"context"
	"errors"
	"testing"

	"github.com/barong-go/barong"
)

func TestKYCAIDQueries(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		u1, u2 := mustUser(t, db), mustUser(t, db)
		applicant := unique("app-")
		submitted := &barong.Profile{UserID: u1.ID, State: "submitted", FirstName: "A"}
		drafted := &barong.Profile{UserID: u2.ID, State: "drafted"}
		for _, p := range []*barong.Profile{submitted, drafted} {
			if err := db.CreateProfile(ctx, p); err != nil {
				t.Fatal(err)
			}
		}
		awaiting := func() []int64 {
			ps, err := db.ProfilesAwaitingApplicant(ctx, 100000)
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, p := range ps {
				if p.UserID == u1.ID || p.UserID == u2.ID {
					ids = append(ids, p.ID)
				}
			}
			return ids
		}
		if ids := awaiting(); len(ids) != 1 || ids[0] != submitted.ID {
			t.Fatalf("awaiting %v", ids)
		}
		if _, err := db.ProfileByApplicantID(ctx, applicant); !errors.Is(err, barong.ErrNotFound) {
			t.Fatalf("unknown applicant: %v", err)
		}
		if _, err := db.ProfileByApplicantID(ctx, ""); !errors.Is(err, barong.ErrNotFound) {
			t.Fatalf("empty applicant: %v", err)
		}

		counts := map[string]int{"Passport": 2, "Address": 1}
		done := []string{"verification_id", "kycaid_error"}
		batches := func() []barong.DocumentBatch {
			bs, err := db.KYCAIDBatches(ctx, counts, done, 100000)
			if err != nil {
				t.Fatal(err)
			}
			var out []barong.DocumentBatch
			for _, b := range bs {
				if b.UserID == u1.ID || b.UserID == u2.ID {
					out = append(out, b)
				}
			}
			return out
		}
		doc := func(userID int64, typ, ident, meta string) *barong.Document {
			d := &barong.Document{UserID: userID, DocType: typ, Identificator: ident, Metadata: meta, Upload: "f.png"}
			if err := db.CreateDocument(ctx, d); err != nil {
				t.Fatal(err)
			}
			return d
		}
		p1 := doc(u1.ID, "Passport", "b1", "")
		doc(u1.ID, "Passport", "b2", `{"x":1}`)
		doc(u1.ID, "Utility Bill", "b3", "")
		addr := doc(u1.ID, "Address", "b4", `{"country":"UA"}`)
		doc(u2.ID, "Address", "b5", "") // no applicant
		// No applicant yet: nothing.
		if bs := batches(); len(bs) != 0 {
			t.Fatalf("batches without applicant %+v", bs)
		}
		submitted.ApplicantID, submitted.State = applicant, "verified"
		if err := db.UpdateProfile(ctx, submitted); err != nil {
			t.Fatal(err)
		}
		if ids := awaiting(); len(ids) != 0 {
			t.Fatalf("awaiting after applicant %v", ids)
		}
		if p, err := db.ProfileByApplicantID(ctx, applicant); err != nil || p.ID != submitted.ID {
			t.Fatalf("by applicant %+v %v", p, err)
		}
		// Only users in review (a pending document or address label).
		if bs := batches(); len(bs) != 0 {
			t.Fatalf("batches without a pending label %+v", bs)
		}
		if err := db.CreateLabel(ctx, &barong.Label{UserID: u1.ID, Key: "document", Value: "pending", Scope: "private"}); err != nil {
			t.Fatal(err)
		}
		// Only the address is complete.
		if bs := batches(); len(bs) != 1 || bs[0] != (barong.DocumentBatch{UserID: u1.ID, DocType: "Address", Identificator: "b4", Count: 1}) {
			t.Fatalf("batches %+v", bs)
		}
		p1b := doc(u1.ID, "Passport", "b1", "")
		bs := batches()
		if len(bs) != 2 || bs[0].Identificator != "b1" || bs[0].Count != 2 || bs[1].Identificator != "b4" {
			t.Fatalf("batches %+v", bs)
		}
		// A started batch stays; a finished or failed one goes. The marker
		// is matched literally (the _ of the key is no wildcard).
		if err := db.UpdateDocumentMetadata(ctx, p1.ID, `{"file_id":"f1","verificationXid":"v"}`); err != nil {
			t.Fatal(err)
		}
		if bs := batches(); len(bs) != 2 {
			t.Fatalf("batches %+v", bs)
		}
		for _, id := range []int64{p1.ID, p1b.ID} {
			if err := db.UpdateDocumentMetadata(ctx, id, `{"file_id":"f1","verification_id":"v"}`); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.UpdateDocumentMetadata(ctx, addr.ID, `{"kycaid_error":"rejected"}`); err != nil {
			t.Fatal(err)
		}
		if bs := batches(); len(bs) != 0 {
			t.Fatalf("batches after done %+v", bs)
		}
		ds, err := db.DocumentsByUser(ctx, u1.ID)
		if err != nil || ds[0].Metadata != `{"file_id":"f1","verification_id":"v"}` {
			t.Fatalf("documents %+v %v", ds, err)
		}
		if err := db.UpdateDocumentMetadata(ctx, 1<<40, "{}"); !errors.Is(err, barong.ErrNotFound) {
			t.Fatalf("missing document: %v", err)
		}
	})
}
