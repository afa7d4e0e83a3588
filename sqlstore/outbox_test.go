package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/barong-go/barong"
)

// drainOutbox delivers and discards every pending event.
func drainOutbox(t *testing.T, db *DB) {
	t.Helper()
	for {
		n, err := db.DeliverOutbox(context.Background(), 1000, func(context.Context, barong.OutboxEvent) error { return nil })
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

func emitN(t *testing.T, db *DB, prefix string, n int) {
	t.Helper()
	for i := range n {
		if err := db.InTx(context.Background(), func(tx barong.Tx) error {
			return tx.Emit(context.Background(), barong.Event{Name: fmt.Sprintf("%s.%d", prefix, i), Payload: map[string]int{"i": i}})
		}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestDeliverOutbox runs alone: the outbox is shared by the whole database.
func TestDeliverOutbox(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		drainOutbox(t, db)
		emitN(t, db, "test.order", 5)

		var got []string
		collect := func(_ context.Context, ev barong.OutboxEvent) error {
			got = append(got, ev.Name)
			if ev.ID == 0 || ev.CreatedAt.IsZero() || len(ev.Body) == 0 {
				return fmt.Errorf("incomplete event %+v", ev)
			}
			return nil
		}
		n, err := db.DeliverOutbox(ctx, 2, collect)
		if err != nil || n != 2 || fmt.Sprint(got) != "[test.order.0 test.order.1]" {
			t.Fatalf("first batch: %d %v %v", n, got, err)
		}

		// Stop at the first error: earlier events of the batch are
		// delivered and gone, the failed one and the rest stay.
		boom := errors.New("broker down")
		got = nil
		n, err = db.DeliverOutbox(ctx, 10, func(ctx context.Context, ev barong.OutboxEvent) error {
			if ev.Name == "test.order.3" {
				return boom
			}
			return collect(ctx, ev)
		})
		if !errors.Is(err, boom) || n != 1 || fmt.Sprint(got) != "[test.order.2]" {
			t.Fatalf("failing batch: %d %v %v", n, got, err)
		}
		got = nil
		n, err = db.DeliverOutbox(ctx, 10, collect)
		if err != nil || n != 2 || fmt.Sprint(got) != "[test.order.3 test.order.4]" {
			t.Fatalf("retry batch: %d %v %v", n, got, err)
		}
		if n, err := db.DeliverOutbox(ctx, 10, collect); n != 0 || err != nil {
			t.Fatalf("empty outbox: %d %v", n, err)
		}
	})
}

// TestDeliverOutboxConcurrently runs deliverers side by side (each with
// its own pool, as separate processes would): every event is delivered
// exactly once, in id order.
func TestDeliverOutboxConcurrently(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		drainOutbox(t, db)
		const events, deliverers = 40, 4
		emitN(t, db, "test.concurrent", events)

		dbs := []*DB{db}
		if db.Dialect() != DialectSQLite { // SQLite serves one process
			for range deliverers - 1 {
				dbs = append(dbs, openTestDB(t, db.Dialect(), Options{}))
			}
		}
		var mu sync.Mutex
		var ids []int64
		deadline := time.Now().Add(20 * time.Second)
		var wg sync.WaitGroup
		for i := range deliverers {
			wg.Add(1)
			go func(d *DB) {
				defer wg.Done()
				for time.Now().Before(deadline) {
					_, err := d.DeliverOutbox(ctx, 3, func(_ context.Context, ev barong.OutboxEvent) error {
						time.Sleep(time.Millisecond) // widen the window for overlap
						mu.Lock()
						ids = append(ids, ev.ID)
						mu.Unlock()
						return nil
					})
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					done := len(ids) >= events
					mu.Unlock()
					if done {
						return
					}
				}
			}(dbs[i%len(dbs)])
		}
		wg.Wait()
		if len(ids) != events {
			t.Fatalf("delivered %d events, want %d", len(ids), events)
		}
		for i := 1; i < len(ids); i++ {
			if ids[i] <= ids[i-1] {
				t.Fatalf("delivery order broken at %d: %v", i, ids)
			}
		}
	})
}
