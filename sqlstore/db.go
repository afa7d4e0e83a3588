package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/barong-go/barong"
)

// Options configure a DB.
type Options struct {
	// Cipher encrypts profile names, date of birth and address, phone
	// numbers, document numbers and API-key secrets. Writing or reading
	// such a field without a Cipher fails; everything else works.
	Cipher barong.Cipher
	// CRC32Salt salts the search indexes of phone and document numbers.
	CRC32Salt string
	// Logger receives the store's few logs; nil discards them.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now. Stored times are truncated to
	// the second.
	Now func() time.Time
	// MaxOpenConns caps the pool (the read pool on an SQLite file, whose
	// writer has one connection); 0 means 20 (4 SQLite readers). Idle
	// connections are kept up to the same number.
	MaxOpenConns int
	// ConnMaxIdleTime closes connections idle that long; 0 means 5 min.
	// SQLite connections are never closed for idleness.
	ConnMaxIdleTime time.Duration
	// ConnMaxLifetime recycles Postgres/MySQL connections; 0 means 1 h.
	ConnMaxLifetime time.Duration
}

func (o Options) maxOpen(def int) int {
	if o.MaxOpenConns > 0 {
		return o.MaxOpenConns
	}
	return def
}

// DB is the SQL store on SQLite, PostgreSQL or MySQL/MariaDB. Its Queries
// methods run on the pool, one statement each; InTx runs a transaction.
type DB struct {
	queries
	read, write *sql.DB
	d           *dialect
	log         *slog.Logger
	clock       func() time.Time
	signal      chan struct{}
	deliverMu   sync.Mutex // serializes DeliverOutbox on SQLite
	changes     *changeFeed
	// sink takes the changes the DB commits: changes.notify unless
	// ReportChangesTo routed them elsewhere.
	sink func(ctx context.Context, cs []barong.Change)
}

// Compile-time checks of the root interfaces.
var (
	_ barong.Store        = (*DB)(nil)
	_ barong.SessionStore = (*DB)(nil)
	_ barong.KV           = (*DB)(nil)
	_ barong.Tx           = (*tx)(nil)
)

// Open connects to the database at url: "sqlite:PATH" (the directory is
// created; "sqlite::memory:" for a private in-memory database),
// "postgres://..." / "postgresql://..." or "mysql://user:pass@host:port/db".
// It does not migrate; call Migrate.
func Open(ctx context.Context, url string, opts Options) (*DB, error) {
	name, read, write, err := openPools(ctx, url, opts)
	if err != nil {
		return nil, err
	}
	db := &DB{
		read:   read,
		write:  write,
		d:      &dialect{name: name},
		log:    opts.Logger,
		signal: make(chan struct{}, 1),
	}
	db.changes = &changeFeed{db: db}
	db.sink = db.changes.notify
	if db.log == nil {
		db.log = slog.New(slog.DiscardHandler)
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	db.clock = func() time.Time { return now().UTC().Truncate(time.Second) }
	r, w := conn{q: read, d: db.d}, conn{q: write, d: db.d}
	if name == DialectSQLite {
		r.stmts, w.stmts = newStmtCache(read), newStmtCache(write)
		if read == write {
			r.stmts = w.stmts
		}
	}
	db.queries = queries{
		r:      r,
		w:      w,
		now:    db.clock,
		cipher: opts.Cipher,
		salt:   opts.CRC32Salt,
		report: db.reportChanges,
	}
	if err := db.Ping(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to %s: %w", redactURL(url), err)
	}
	db.log.Debug("database opened", "dialect", name, "url", redactURL(url))
	return db, nil
}

// Dialect is "sqlite", "postgres" or "mysql".
func (db *DB) Dialect() string { return db.d.name }

// Now is the store's clock, truncated to the second, in UTC.
func (db *DB) Now() time.Time { return db.clock() }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.write.PingContext(ctx); err != nil {
		return fmt.Errorf("ping: %w", err)
	}
	if db.read != db.write {
		if err := db.read.PingContext(ctx); err != nil {
			return fmt.Errorf("ping: %w", err)
		}
	}
	return nil
}

// Stats are the statistics of the (read) pool.
func (db *DB) Stats() sql.DBStats { return db.read.Stats() }

// Close closes the prepared statements and the pools.
func (db *DB) Close() error {
	db.changes.close()
	var err error
	for _, c := range []*stmtCache{db.r.stmts, db.w.stmts} {
		if c != nil {
			err = errors.Join(err, c.close())
		}
	}
	err = errors.Join(err, db.write.Close())
	if db.read != db.write {
		err = errors.Join(err, db.read.Close())
	}
	return err
}

// transact runs fn in a database transaction on the write pool, committing
// when fn returns nil and rolling back otherwise, also when fn panics. It is
// the only place that begins, commits and rolls back. MySQL transactions
// run at READ COMMITTED, as PostgreSQL's do by default: a read sees every
// commit before it, and InnoDB takes no gap locks, whose collisions
// between unrelated rows (two users' profiles, inserts at the end of the
// outbox) deadlock under REPEATABLE READ.
func (db *DB) transact(ctx context.Context, fn func(*sql.Tx) error) error {
	var opts *sql.TxOptions
	if db.d.name == DialectMySQL {
		opts = &sql.TxOptions{Isolation: sql.LevelReadCommitted}
	}
	sqlTx, err := db.write.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	done := false
	defer func() {
		if done {
			return
		}
		if err := sqlTx.Rollback(); err != nil && !errors.Is(err, sql.ErrTxDone) {
			db.log.Warn("rollback failed", "err", err)
		}
	}()
	if err := fn(sqlTx); err != nil {
		return err
	}
	done = true
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Retries of InTx: at most txAttempts attempts; before attempt n+1 a random
// pause of up to txBackoff·2^(n-1) (at most txBackoffMax), so that the
// transactions that collided do not collide again.
const (
	txAttempts   = 6
	txBackoff    = 5 * time.Millisecond
	txBackoffMax = 200 * time.Millisecond
)

// InTx runs fn in a transaction and commits when it returns nil; fn's error
// is returned unchanged. Events emitted in fn are in the outbox after the
// commit, and OutboxSignal is signalled.
//
// A transaction that meets a deadlock, a serialization failure or a lock
// wait timeout is rolled back and run again, fn included, up to txAttempts
// times: fn must be safe to run again, starting over from its inputs (no
// effect outside the transaction, no state carried from one attempt to
// the next). The rows and outbox events of a failed attempt are rolled
// back with it, so events are neither lost nor duplicated.
//
// On SQLite the transaction holds the single writer connection: fn must not
// write through the DB itself (only through the Tx) nor start another
// InTx.
func (db *DB) InTx(ctx context.Context, fn func(barong.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := db.attempt(ctx, fn)
		if err == nil || attempt == txAttempts || !retryable(err) {
			return err
		}
		db.log.InfoContext(ctx, "transaction conflict; retrying", slog.Int("attempt", attempt), slog.Any("error", err))
		pause := min(txBackoff<<(attempt-1), txBackoffMax)
		t := time.NewTimer(rand.N(pause) + time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}

// attempt is one run of InTx's transaction. A retryable error met by any
// statement fails the attempt, whatever fn made of it.
func (db *DB) attempt(ctx context.Context, fn func(barong.Tx) error) error {
	var emitted bool
	var missed []string
	var conflict error
	// The changes of this attempt: reported once it commits, never for an
	// attempt rolled back (InTx runs fn again with a fresh list).
	var changes []barong.Change
	err := db.transact(ctx, func(sqlTx *sql.Tx) error {
		t := &tx{at: db.clock()}
		c := conn{q: sqlTx, d: db.d, stmts: db.w.stmts, tx: sqlTx, missed: &missed, conflict: &conflict}
		t.queries = queries{r: c, w: c, now: t.Now, cipher: db.cipher, salt: db.salt,
			report: func(_ context.Context, cs ...barong.Change) { changes = append(changes, cs...) }}
		err := fn(t)
		emitted = t.emitted
		if conflict != nil {
			return conflict
		}
		return err
	})
	if err == nil && emitted {
		db.notify()
	}
	if err == nil && len(changes) > 0 {
		db.reportChanges(ctx, changes...)
	}
	// The writer connection is free again: prepare what the transaction
	// ran unprepared, for the next one.
	for _, q := range missed {
		db.w.stmts.get(ctx, q)
	}
	return err
}

// tx is the barong.Tx of InTx.
type tx struct {
	queries
	at      time.Time
	emitted bool
}

// Now is the transaction's clock, fixed when it began.
func (t *tx) Now() time.Time { return t.at }

// LockUser reads the user's row by primary key and locks it until the
// transaction ends: a lock on one index record, never on a range or a gap.
func (t *tx) LockUser(ctx context.Context, userID int64) (*barong.User, error) {
	u, err := scanUser(t.w.queryRow(ctx, "SELECT "+userCols+" FROM users WHERE id = ?"+t.w.d.lockRow(), userID))
	if err != nil {
		return nil, notFound(err, "lock user %d", userID)
	}
	return &u, nil
}

// Emit writes ev to the outbox in this transaction (encrypted when it
// carries a one-time token, sealedEvent).
func (t *tx) Emit(ctx context.Context, ev barong.Event) error {
	b, err := eventBody(ev)
	if err != nil {
		return err
	}
	body := string(b)
	if sealedEvent(ev.Name) && t.cipher != nil {
		if body, err = t.encrypt(body); err != nil {
			return fmt.Errorf("emit %s: %w", ev.Name, err)
		}
	}
	if _, err := t.w.exec(ctx, `INSERT INTO outbox (name, body, created_at) VALUES (?, ?, ?)`,
		ev.Name, body, t.at); err != nil {
		return fmt.Errorf("emit %s: %w", ev.Name, err)
	}
	t.emitted = true
	return nil
}
