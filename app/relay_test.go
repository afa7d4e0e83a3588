package app_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/app"
	"github.com/barong-go/barong/sqlstore"
)

// recorder is a sink that keeps the names of the events it takes, in
// order; batch makes it take batches; gate, when set, holds each event
// until it is closed.
type recorder struct {
	mu      sync.Mutex
	names   []string
	batches []int
	gate    chan struct{}
}

func (r *recorder) Deliver(ctx context.Context, ev barong.OutboxEvent) error {
	if r.gate != nil {
		select {
		case <-r.gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.names = append(r.names, ev.Name)
	return nil
}

func (r *recorder) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.names...)
}

type batchRecorder struct{ recorder }

func (r *batchRecorder) DeliverBatch(ctx context.Context, evs []barong.OutboxEvent) (int, error) {
	r.mu.Lock()
	r.batches = append(r.batches, len(evs))
	r.mu.Unlock()
	for _, ev := range evs {
		if err := r.Deliver(ctx, ev); err != nil {
			return 0, err
		}
	}
	return len(evs), nil
}

// The relay hands the outbox to the required sink in batches and in
// order, and a best-effort sink that does not keep up (a slow SMTP server)
// does not hold the required one back; it gets every event in order later.
func TestRelayBatchesAndSlowBestEffort(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db, err := sqlstore.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "relay.db"), sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	const n = 250
	var want []string
	err = db.InTx(ctx, func(tx barong.Tx) error {
		want = want[:0]
		for i := range n {
			name := fmt.Sprintf("model.test.e%03d", i)
			want = append(want, name)
			if err := tx.Emit(ctx, barong.Event{Name: name, Payload: map[string]int{"i": i}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	broker := &batchRecorder{}
	mail := &recorder{gate: make(chan struct{})}
	r := &app.Relay{Outbox: db, Required: []app.Sink{broker}, BestEffort: []app.Sink{mail},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Poll: 10 * time.Millisecond}
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()

	waitFor(t, func() bool { return len(broker.got()) == n })
	if fmt.Sprint(broker.got()) != fmt.Sprint(want) {
		t.Fatalf("broker got %v", broker.got())
	}
	if len(broker.batches) != 3 || broker.batches[0] != 100 {
		t.Fatalf("batches %v, want 100, 100, 50", broker.batches)
	}
	if len(mail.got()) != 0 {
		t.Fatal("the gated sink took events")
	}
	close(mail.gate)
	waitFor(t, func() bool { return len(mail.got()) == n })
	if fmt.Sprint(mail.got()) != fmt.Sprint(want) {
		t.Fatalf("best-effort sink got %v", mail.got())
	}
	cancel()
	<-done
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 20 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
