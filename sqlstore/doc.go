// Package sqlstore is barong-go's SQL storage: one implementation of
// barong.Store, barong.Tx, barong.SessionStore and barong.KV serving SQLite
// (the embedded default, modernc.org/sqlite, no cgo), PostgreSQL (pgx) and
// MySQL/MariaDB (go-sql-driver/mysql).
//
// SQL is written once with ? placeholders; dialect.go holds the few real
// differences (placeholder rebinding, inserted ids, upserts, FOR UPDATE,
// case-insensitive comparison, the migration lock), and errors.go turns
// unique violations into *barong.DuplicateError in one place. The schema is
// Barong's (reference §3.1) plus the outbox, sessions and kv tables, in
// embedded per-dialect migrations applied by goose.
//
// Usage:
//
//	db, err := sqlstore.Open(ctx, "sqlite:var/barong.db", sqlstore.Options{Cipher: c, CRC32Salt: salt, Logger: log})
//	err = db.Migrate(ctx)
//	err = db.InTx(ctx, func(tx barong.Tx) error {
//		if err := tx.CreateUser(ctx, u); err != nil {
//			return err
//		}
//		return tx.Emit(ctx, barong.Event{Name: "model.user.created", Payload: rec})
//	})
//
// A relay then drains the outbox with DeliverOutbox, waking on
// OutboxSignal. Profile names, date of birth and address, phone and
// document numbers and API-key secrets are encrypted with Options.Cipher;
// phone and document numbers are also indexed by a salted CRC32.
//
// On an SQLite file the store keeps one writer connection (transactions
// begin IMMEDIATE) and a pool of read-only connections, so reads run
// concurrently with the writer (WAL).
package sqlstore
