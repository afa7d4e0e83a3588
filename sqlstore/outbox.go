package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/barong-go/barong"
	"github.com/barong-go/barong/crypt"
)

// eventBody is the JSON object of an event: the payload's members, then
// "name" as the last member, as Barong orders it.
func eventBody(ev barong.Event) ([]byte, error) {
	if ev.Name == "" {
		return nil, errors.New("emit: event without a name")
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	payload := ev.Payload
	if payload == nil {
		payload = struct{}{}
	}
	if err := enc.Encode(payload); err != nil {
		return nil, fmt.Errorf("emit %s: marshal payload: %w", ev.Name, err)
	}
	obj := bytes.TrimSpace(buf.Bytes())
	if len(obj) < 2 || obj[0] != '{' || obj[len(obj)-1] != '}' {
		return nil, fmt.Errorf("emit %s: payload %T is not a JSON object", ev.Name, ev.Payload)
	}
	name, err := json.Marshal(ev.Name)
	if err != nil {
		return nil, fmt.Errorf("emit %s: %w", ev.Name, err)
	}
	out := make([]byte, 0, len(obj)+len(name)+9)
	out = append(out, obj[:len(obj)-1]...)
	if len(bytes.TrimSpace(obj[1:len(obj)-1])) > 0 {
		out = append(out, ',')
	}
	out = append(out, `"name":`...)
	out = append(out, name...)
	return append(out, '}'), nil
}

// OutboxSignal is signalled after every commit of a transaction that
// emitted events, so the relay can deliver at once rather than at its next
// poll. The channel has a buffer of one and is never closed.
func (db *DB) OutboxSignal() <-chan struct{} { return db.signal }

func (db *DB) notify() {
	select {
	case db.signal <- struct{}{}:
	default:
	}
}

// DeliverOutbox hands up to limit of the oldest outbox events, in id order,
// to deliver one at a time, stops at the first error, deletes the delivered
// events and returns how many were delivered together with deliver's
// error. See DeliverOutboxBatch.
func (db *DB) DeliverOutbox(ctx context.Context, limit int, deliver func(context.Context, barong.OutboxEvent) error) (int, error) {
	return db.DeliverOutboxBatch(ctx, limit, func(ctx context.Context, events []barong.OutboxEvent) (int, error) {
		return deliverEach(ctx, events, deliver)
	})
}

// DeliverOutboxBatch hands up to limit of the oldest outbox events, in id
// order, to deliver at once; deliver returns how many of them, from the
// first, it delivered. Those are deleted, and their number is returned
// together with deliver's error. On Postgres and MySQL the events are
// locked (FOR UPDATE) for the whole delivery, so concurrent deliverers in
// any number of processes take turns and never deliver an event twice.
// SQLite serves one process: deliverers take turns on a mutex and the
// single writer is not held while deliver runs. Delivery is at least once:
// an event whose deletion fails to commit is delivered again.
func (db *DB) DeliverOutboxBatch(ctx context.Context, limit int, deliver func(context.Context, []barong.OutboxEvent) (int, error)) (int, error) {
	if limit <= 0 {
		limit = 100
	}
	if db.d.name == DialectSQLite {
		db.deliverMu.Lock()
		defer db.deliverMu.Unlock()
		events, err := selectOutbox(ctx, conn{q: db.read, d: db.d}, db.cipher, limit, "")
		if err != nil || len(events) == 0 {
			return 0, err
		}
		n, derr := delivered(ctx, events, deliver)
		if err := deleteOutbox(ctx, conn{q: db.write, d: db.d}, events[:n]); err != nil {
			return n, errors.Join(derr, err)
		}
		return n, derr
	}
	var n int
	var derr error
	err := db.transact(ctx, func(sqlTx *sql.Tx) error {
		c := conn{q: sqlTx, d: db.d}
		events, err := selectOutbox(ctx, c, db.cipher, limit, db.d.forUpdate())
		if err != nil || len(events) == 0 {
			return err
		}
		n, derr = delivered(ctx, events, deliver)
		return deleteOutbox(ctx, c, events[:n])
	})
	if err != nil {
		return n, errors.Join(derr, err)
	}
	return n, derr
}

// delivered runs deliver and bounds its count to the events it was given.
func delivered(ctx context.Context, events []barong.OutboxEvent, deliver func(context.Context, []barong.OutboxEvent) (int, error)) (int, error) {
	n, err := deliver(ctx, events)
	return min(max(n, 0), len(events)), err
}

// sealedEvent reports whether the outbox keeps the event name encrypted,
// as the tables keep what it carries; events wait there as long as
// RabbitMQ is down. Those are the events that carry a one-time token
// (system.user.email.confirmation.token, system.user.password.reset.token:
// a signed JWT that confirms an account or sets its password) and the
// profile and document events (names, birth date, address, document
// number).
func sealedEvent(name string) bool {
	return strings.HasSuffix(name, ".token") || strings.HasPrefix(name, "model.profile.") ||
		strings.HasPrefix(name, "model.document.")
}

func selectOutbox(ctx context.Context, c conn, cipher barong.Cipher, limit int, lock string) ([]barong.OutboxEvent, error) {
	events, err := list(ctx, c, func(s scanner) (barong.OutboxEvent, error) {
		var ev barong.OutboxEvent
		var body string
		if err := s.Scan(&ev.ID, &ev.Name, &body, timestamp{&ev.CreatedAt}); err != nil {
			return ev, err
		}
		if crypt.Sealed(body) {
			if cipher == nil {
				return ev, fmt.Errorf("event %d is encrypted: %w", ev.ID, errNoCipher)
			}
			plain, err := cipher.Decrypt(body)
			if err != nil {
				return ev, fmt.Errorf("event %d: %w", ev.ID, err)
			}
			body = plain
		}
		ev.Body = []byte(body)
		return ev, nil
	}, "SELECT id, name, body, created_at FROM outbox ORDER BY id LIMIT ?"+lock, limit)
	if err != nil {
		return nil, fmt.Errorf("read outbox: %w", err)
	}
	return events, nil
}

func deliverEach(ctx context.Context, events []barong.OutboxEvent, deliver func(context.Context, barong.OutboxEvent) error) (int, error) {
	for i, ev := range events {
		if err := deliver(ctx, ev); err != nil {
			return i, fmt.Errorf("deliver outbox event %d (%s): %w", ev.ID, ev.Name, err)
		}
	}
	return len(events), nil
}

// deleteOutbox deletes delivered events by id (never by id range: an older
// event of a transaction still open may sit between them).
func deleteOutbox(ctx context.Context, c conn, events []barong.OutboxEvent) error {
	if len(events) == 0 {
		return nil
	}
	ids := make([]any, len(events))
	for i, ev := range events {
		ids[i] = ev.ID
	}
	if _, err := c.exec(ctx, "DELETE FROM outbox WHERE id IN ("+placeholders(len(ids))+")", ids...); err != nil {
		return fmt.Errorf("delete delivered outbox events: %w", err)
	}
	return nil
}
