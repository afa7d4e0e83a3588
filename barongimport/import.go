// Package barongimport copies a running Barong 2.x deployment (2.3 to 2.7,
// MySQL/MariaDB or PostgreSQL) into barong-go's database: users with their
// bcrypt digests, labels, levels, permissions, restrictions, profiles,
// phones, documents, data storages, comments, activities, API keys and
// service accounts, with the same ids and UIDs. Personal data and API-key
// secrets are read in every form Barong kept them (in clear before 2.6,
// EncryptionService with SECRET_KEY_BASE, Vault transit, Vault K/V) and
// stored encrypted with barong-go's key.
//
// The source is only read, in one read-only transaction. Each copied row is
// recorded with a keyed digest of its source values (barong_import_rows:
// HMAC-SHA-256 under Options.DigestKey, since Barong before 2.6 kept
// phone and document numbers in clear and a plain hash of a row would let
// anyone with the database guess them), so a
// run after an interrupted or earlier one copies only new and changed rows,
// removes the rows Barong deleted since, and never overwrites a row that
// barong-go created itself (that is reported). Every row that cannot be
// copied is reported with the reason; none is dropped silently.
package barongimport

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/barong-go/barong/sqlstore"
	"github.com/barong-go/barong/vault"
)

// digestVersion changes when a source row must be copied again although
// it did not change (a change of how rows are converted).
const digestVersion = "1"

// Target is the import sink of barong-go's database (sqlstore's
// importsink.go, which documents each method).
type Target interface {
	WriteImport(ctx context.Context, b sqlstore.ImportBatch) error
	ImportLedger(ctx context.Context, table string, after, upTo int64) (map[int64]string, error)
	ImportPresent(ctx context.Context, table string, after, upTo int64) (map[int64]time.Time, error)
	FinishImport(ctx context.Context, next map[string]int64) error
	EncryptValue(plain string) (string, error)
	IndexValue(plain string) int64
}

var _ Target = (*sqlstore.DB)(nil)

// Options of an import.
type Options struct {
	// From is the Barong database URL: mysql://, mysql2://, postgres:// or
	// postgresql://.
	From string
	// Target is barong-go's database, migrated, with its encryption key
	// (a *sqlstore.DB).
	Target Target
	// DigestKey keys the digests of the ledger (barong_import_rows); the
	// same key on every run (internal/server derives it from the
	// encryption key). Required.
	DigestKey []byte
	// Vault reads what Barong kept in Vault; nil when not configured (rows
	// needing it are then reported).
	Vault *vault.Client
	// VaultAppName is BARONG_VAULT_APP_NAME, the prefix of Barong's Vault
	// key names ("barong").
	VaultAppName string
	// TransitMount is Vault's transit mount ("transit").
	TransitMount string
	// APIKeyKVPath is where Barong before 2.5 kept API-key secrets, as
	// <K/V mount>/<path>, one secret per kid ("secret/barong/api_key").
	APIKeyKVPath string
	// SecretKeyBase is Barong's SECRET_KEY_BASE (EncryptionService, 2.6+).
	SecretKeyBase string
	// DryRun reads and checks everything and writes nothing.
	DryRun bool
	// BatchSize is the number of rows per read and transaction (500).
	BatchSize int
	// OnProgress, when set, is called after each batch.
	OnProgress func(table string, done, total int64)
	// Log receives progress lines; nil discards them.
	Log *slog.Logger
}

// TableReport counts what happened to one table's rows.
type TableReport struct {
	Table string
	// Absent: this Barong version has no such table.
	Absent                                           bool
	Source, New, Changed, Unchanged, Deleted, Failed int64
}

// RowFailure is a row that could not be copied, and why.
type RowFailure struct {
	Table  string
	ID     int64
	Reason string
}

// Report is the outcome of an import (or what a dry run would do).
type Report struct {
	DryRun   bool
	Tables   []TableReport
	Failures []RowFailure
}

// Failed is the number of rows that could not be copied.
func (r *Report) Failed() int { return len(r.Failures) }

type importer struct {
	opts   Options
	src    *source
	target Target
	rails  *railsDecrypter
	report *Report
	failed map[string]map[int64]bool
	// seen holds the unique keys of the rows of this run: table and key ->
	// value -> id.
	seen map[string]map[string]int64
}

// Run copies opts.From into opts.Target. The report is returned also with
// an error when the run stopped (its counts then cover what was done).
func Run(ctx context.Context, opts Options) (*Report, error) {
	if opts.Target == nil {
		return nil, errors.New("no target database")
	}
	if len(opts.DigestKey) < 16 {
		return nil, errors.New("no ledger digest key")
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 500
	}
	if opts.VaultAppName == "" {
		opts.VaultAppName = "barong"
	}
	if opts.TransitMount == "" {
		opts.TransitMount = "transit"
	}
	if opts.APIKeyKVPath == "" {
		opts.APIKeyKVPath = "secret/barong/api_key"
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	src, err := openSource(ctx, opts.From)
	if err != nil {
		return nil, err
	}
	defer src.close()
	im := &importer{opts: opts, src: src, target: opts.Target, rails: newRailsDecrypter(opts.SecretKeyBase),
		report: &Report{DryRun: opts.DryRun}, failed: map[string]map[int64]bool{},
		seen: map[string]map[string]int64{}}
	next := map[string]int64{}
	for i := range specs {
		sp := &specs[i]
		tr, last, err := im.table(ctx, sp)
		im.report.Tables = append(im.report.Tables, tr)
		if err != nil {
			return im.report, fmt.Errorf("import %s: %w", sp.table, err)
		}
		if !tr.Absent {
			next[sp.table] = last + 1
		}
	}
	if !opts.DryRun {
		if err := opts.Target.FinishImport(ctx, next); err != nil {
			return im.report, err
		}
	}
	return im.report, nil
}

// table copies one table in batches of ids and returns the largest id of
// the source table.
func (im *importer) table(ctx context.Context, sp *spec) (TableReport, int64, error) {
	tr := TableReport{Table: sp.table}
	if im.src.cols[sp.table] == nil {
		tr.Absent = true
		return tr, 0, nil
	}
	total, err := im.src.count(ctx, sp.table)
	if err != nil {
		return tr, 0, err
	}
	tr.Source = total
	// Seeded rows of a fresh target give way to Barong's on the first import.
	adopt := false
	if sp.config {
		led, err := im.target.ImportLedger(ctx, sp.table, 0, -1)
		if err != nil {
			return tr, 0, err
		}
		adopt = len(led) == 0
	}
	start := time.Now()
	after, done, maxID := int64(0), int64(0), int64(0)
	for {
		rows, err := im.src.page(ctx, sp.table, after, im.opts.BatchSize)
		if err != nil {
			return tr, 0, err
		}
		if len(rows) > 0 {
			maxID = rows[len(rows)-1].id()
		}
		last := len(rows) < im.opts.BatchSize
		upTo := int64(-1) // the last batch also covers ids above Barong's last
		if !last {
			upTo = rows[len(rows)-1].id()
		}
		if err := im.batch(ctx, sp, &tr, rows, after, upTo, adopt); err != nil {
			return tr, 0, err
		}
		done += int64(len(rows))
		if im.opts.OnProgress != nil {
			im.opts.OnProgress(sp.table, done, total)
		}
		if last {
			break
		}
		after = upTo
	}
	im.opts.Log.Info("table imported", "table", sp.table, "rows", tr.Source, "new", tr.New, "changed", tr.Changed,
		"deleted", tr.Deleted, "failed", tr.Failed, "duration", time.Since(start).Round(time.Millisecond))
	return tr, maxID, nil
}

// batch handles the source rows with after < id <= upTo: rows whose digest
// is recorded are left alone (and their secrets not even read), the others
// are checked, decrypted and written in one transaction.
func (im *importer) batch(ctx context.Context, sp *spec, tr *TableReport, rows []row, after, upTo int64, adopt bool) error {
	present, err := im.target.ImportPresent(ctx, sp.table, after, upTo)
	if err != nil {
		return err
	}
	ledger := map[int64]string{}
	if !sp.noLedger {
		if ledger, err = im.target.ImportLedger(ctx, sp.table, after, upTo); err != nil {
			return err
		}
	}
	inSource := map[int64]bool{}
	var pend []*pending
	for _, r := range rows {
		p := &pending{id: r.id(), digest: digest(im.opts.DigestKey, im.src.cols[sp.table], r), created: r.time("created_at")}
		inSource[p.id] = true
		d, known := ledger[p.id]
		at, exists := present[p.id]
		if (known && exists && d == p.digest) || (sp.noLedger && exists && at.Equal(p.created.Truncate(time.Second))) {
			tr.Unchanged++
			continue
		}
		sp.build(im, r, p)
		im.checkUnique(sp, p)
		if exists && !known && !adopt {
			p.failf("id %d is taken in barong-go's database by a row barong-go created (was barong-go serving before the import?)", p.id)
		}
		pend = append(pend, p)
	}
	if err := im.checkParents(ctx, pend); err != nil {
		return err
	}
	if err := im.resolve(ctx, pend); err != nil {
		return err
	}
	b := sqlstore.ImportBatch{Table: sp.table, Columns: sp.cols, Ledger: !sp.noLedger}
	var writes []*pending
	for _, p := range pend {
		if p.fail != "" {
			im.fail(tr, sp.table, p.id, p.fail)
			continue
		}
		_, exists := present[p.id]
		if exists {
			tr.Changed++
		} else {
			tr.New++
		}
		b.Rows = append(b.Rows, sqlstore.ImportRow{Values: p.values, Digest: p.digest, Exists: exists, VaultTOTPKey: p.totpKey})
		writes = append(writes, p)
	}
	for id := range ledger {
		if !inSource[id] {
			b.Delete = append(b.Delete, id)
		}
	}
	if adopt {
		for id := range present {
			if _, known := ledger[id]; !known && !inSource[id] {
				b.Delete = append(b.Delete, id)
			}
		}
	}
	slices.Sort(b.Delete)
	tr.Deleted += int64(len(b.Delete))
	if im.opts.DryRun || (len(b.Rows) == 0 && len(b.Delete) == 0) {
		return nil
	}
	err = im.target.WriteImport(ctx, b)
	if err == nil || ctx.Err() != nil {
		return err
	}
	// One row broke the batch (a unique e-mail, a too long value, ...):
	// write the rows one by one and report the ones that fail.
	rowsOnly := b
	rowsOnly.Rows = nil
	if err := im.target.WriteImport(ctx, rowsOnly); err != nil {
		return err
	}
	for i, r := range b.Rows {
		one := sqlstore.ImportBatch{Table: b.Table, Columns: b.Columns, Ledger: b.Ledger, Rows: []sqlstore.ImportRow{r}}
		if err := im.target.WriteImport(ctx, one); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if r.Exists {
				tr.Changed--
			} else {
				tr.New--
			}
			im.fail(tr, sp.table, writes[i].id, "barong-go's database refused it: "+rootCause(err))
		}
	}
	return nil
}

// checkUnique fails p when it repeats a unique key of an earlier row of
// the run (PostgreSQL let Barong keep e-mails differing only in case,
// barong-go does not).
func (im *importer) checkUnique(sp *spec, p *pending) {
	if p.fail != "" {
		return
	}
	for _, key := range sp.unique {
		parts := make([]string, len(key))
		for i, col := range key {
			name, lower := strings.CutPrefix(col, "lower:")
			v := p.values[slices.Index(sp.cols, name)]
			if v == nil {
				return // NULLs never collide
			}
			parts[i] = fmt.Sprint(v)
			if lower {
				parts[i] = strings.ToLower(parts[i])
			}
		}
		set := sp.table + " " + strings.Join(key, ",")
		if im.seen[set] == nil {
			im.seen[set] = map[string]int64{}
		}
		k := strings.Join(parts, "\x00")
		if other, ok := im.seen[set][k]; ok && other != p.id {
			names, how := strings.Join(key, ", "), ""
			if strings.Contains(names, "lower:") {
				names, how = strings.ReplaceAll(names, "lower:", ""), ", ignoring case"
			}
			p.failf("same %s as %s %d (unique in barong-go%s)", names, singular(sp.table), other, how)
			return
		}
		im.seen[set][k] = p.id
	}
}

func (im *importer) fail(tr *TableReport, table string, id int64, reason string) {
	tr.Failed++
	im.report.Failures = append(im.report.Failures, RowFailure{Table: table, ID: id, Reason: reason})
	if im.failed[table] == nil {
		im.failed[table] = map[int64]bool{}
	}
	im.failed[table][id] = true
}

// checkParents fails rows whose user (or key holder) is not in Barong's
// database or could not be copied in this run.
func (im *importer) checkParents(ctx context.Context, pend []*pending) error {
	want := map[string][]int64{}
	for _, p := range pend {
		for _, ref := range p.parents {
			want[ref.table] = append(want[ref.table], ref.id)
		}
	}
	found := map[string]map[int64]bool{}
	for table, ids := range want {
		slices.Sort(ids)
		ids = slices.Compact(ids)
		f, err := im.src.existing(ctx, table, ids)
		if err != nil {
			return err
		}
		found[table] = f
	}
	for _, p := range pend {
		for _, ref := range p.parents {
			switch {
			case !found[ref.table][ref.id]:
				p.failf("%s %d does not exist in Barong's database", singular(ref.table), ref.id)
			case im.failed[ref.table][ref.id]:
				p.failf("%s %d could not be imported", singular(ref.table), ref.id)
			}
		}
	}
	return nil
}

func singular(table string) string {
	if table == "service_accounts" {
		return "service account"
	}
	return strings.TrimSuffix(table, "s")
}

// digest identifies the source values of a row: any change of any column
// (also one Rails made without touching updated_at) makes a new digest.
// It is keyed, so it reveals nothing about values in clear in Barong.
func digest(key []byte, cols []string, r row) string {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(digestVersion))
	for _, c := range cols {
		h.Write([]byte{0})
		h.Write([]byte(c))
		h.Write([]byte{1})
		switch v := r[c].(type) {
		case nil:
			h.Write([]byte{2})
		case time.Time:
			h.Write([]byte(v.UTC().Format(time.RFC3339Nano)))
		default:
			fmt.Fprint(h, v)
		}
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// rootCause drops the wrapping of an error for the report.
func rootCause(err error) string {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err.Error()
		}
		err = u
	}
}
