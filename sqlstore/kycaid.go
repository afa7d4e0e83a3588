package sqlstore

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/barong-go/barong"
)

// ProfilesAwaitingApplicant lists up to limit submitted profiles without a
// KYCAID applicant_id, by id.
func (q queries) ProfilesAwaitingApplicant(ctx context.Context, limit int) ([]barong.Profile, error) {
	ps, err := list(ctx, q.r, q.scanProfile, "SELECT "+profileCols+` FROM profiles
		WHERE state = ? AND (applicant_id IS NULL OR applicant_id = '') ORDER BY id LIMIT ?`,
		profileStates["submitted"], limit)
	if err != nil {
		return nil, fmt.Errorf("profiles awaiting an applicant: %w", err)
	}
	return ps, nil
}

// ProfileByApplicantID finds the (first) profile with this applicant id.
func (q queries) ProfileByApplicantID(ctx context.Context, applicantID string) (*barong.Profile, error) {
	if applicantID == "" {
		return nil, fmt.Errorf("profile of applicant %q: %w", applicantID, barong.ErrNotFound)
	}
	ps, err := list(ctx, q.r, q.scanProfile, "SELECT "+profileCols+" FROM profiles WHERE applicant_id = ? ORDER BY id LIMIT 1",
		applicantID)
	if err != nil {
		return nil, fmt.Errorf("profile of applicant: %w", err)
	}
	if len(ps) == 0 {
		return nil, fmt.Errorf("profile of applicant %q: %w", applicantID, barong.ErrNotFound)
	}
	return &ps[0], nil
}

// likeEscape escapes s for a LIKE pattern with ESCAPE '!' (portable: SQLite
// has no default escape character).
func likeEscape(s string) string {
	return strings.NewReplacer("!", "!!", "%", "!%", "_", "!_").Replace(s)
}

// KYCAIDBatches lists the complete batches still to send to KYCAID (see
// barong.KYCAIDQueries). Only users with a pending document or address label are
// looked at (a batch sets it when it completes; the verification's answer
// or a refusal ends it), so the poll reads the few users in review, not
// every document ever uploaded (the labels index on key, scope, value
// serves it). The markers are matched as the text "<key>" in the metadata
// JSON, which works alike on every dialect.
func (q queries) KYCAIDBatches(ctx context.Context, counts map[string]int, doneKeys []string, limit int) ([]barong.DocumentBatch, error) {
	if len(counts) == 0 {
		return []barong.DocumentBatch{}, nil
	}
	types := make([]string, 0, len(counts))
	for t := range counts {
		types = append(types, t)
	}
	sort.Strings(types)
	var args []any
	in := make([]string, len(types))
	for i, t := range types {
		in[i] = "?"
		args = append(args, t)
	}
	var cases strings.Builder
	for _, t := range types {
		cases.WriteString(" WHEN ? THEN ?")
		args = append(args, t, counts[t])
	}
	open := "d.metadata IS NULL"
	if len(doneKeys) > 0 {
		var nots []string
		for _, k := range doneKeys {
			nots = append(nots, "d.metadata NOT LIKE ? ESCAPE '!'")
			args = append(args, "%"+likeEscape(`"`+k+`"`)+"%")
		}
		open = "(d.metadata IS NULL OR (" + strings.Join(nots, " AND ") + "))"
	}
	args = append(args, limit)
	query := `SELECT d.user_id, d.doc_type, d.identificator, COUNT(*) FROM documents d
		WHERE d.doc_type IN (` + strings.Join(in, ", ") + `)
		AND EXISTS (SELECT 1 FROM profiles p WHERE p.user_id = d.user_id AND p.applicant_id IS NOT NULL AND p.applicant_id <> '')
		AND EXISTS (SELECT 1 FROM labels l WHERE l.user_id = d.user_id AND l."key" IN ('document', 'address')
			AND l.scope = 'private' AND l.value = 'pending')
		GROUP BY d.user_id, d.doc_type, d.identificator
		HAVING COUNT(*) >= (CASE d.doc_type` + cases.String() + ` ELSE 0 END)
		AND SUM(CASE WHEN ` + open + ` THEN 1 ELSE 0 END) > 0
		ORDER BY MIN(d.id) LIMIT ?`
	bs, err := list(ctx, q.r, func(s scanner) (barong.DocumentBatch, error) {
		var b barong.DocumentBatch
		var n int64
		err := s.Scan(&b.UserID, str{&b.DocType}, str{&b.Identificator}, &n)
		b.Count = int(n)
		return b, err
	}, query, args...)
	if err != nil {
		return nil, fmt.Errorf("kycaid document batches: %w", err)
	}
	return bs, nil
}

// UpdateDocumentMetadata replaces the metadata of document id.
func (q queries) UpdateDocumentMetadata(ctx context.Context, id int64, metadata string) error {
	n, err := affected(q.w.exec(ctx, "UPDATE documents SET metadata = ?, updated_at = ? WHERE id = ?",
		nullStr(metadata), q.now(), id))
	return q.updated(ctx, n, err, "documents", id)
}
