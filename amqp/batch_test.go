package amqp

import (
	"errors"
	"fmt"
	"testing"

	"github.com/barong-go/barong/internal/testenv"
)

// A batch arrives whole and in order, with one confirm wait for all.
func TestPublishBatchInOrder(t *testing.T) {
	t.Parallel()
	p, _ := newPublisher(t, testenv.RabbitMQ(t))
	key := "batch." + randomID(t)
	d := bindQueue(t, "barong.events.model", key)
	const batches, size = 5, 100
	for b := range batches {
		msgs := make([]Message, size)
		for i := range msgs {
			msgs[i] = Message{Name: "model." + key, Body: fmt.Appendf(nil, "%d", b*size+i)}
		}
		if n, err := p.PublishBatch(t.Context(), msgs); n != size || err != nil {
			t.Fatalf("batch %d: %d confirmed, %v", b, n, err)
		}
	}
	for i := range batches * size {
		if got := string(receive(t, d).Body); got != fmt.Sprint(i) {
			t.Fatalf("message %d is %s", i, got)
		}
	}
	if n, err := p.PublishBatch(t.Context(), nil); n != 0 || err != nil {
		t.Fatalf("empty batch: %d, %v", n, err)
	}
}

// A message that cannot be routed stops the batch: the ones before it are
// confirmed and counted, the ones after it are not sent.
func TestPublishBatchStopsAtBadMessage(t *testing.T) {
	t.Parallel()
	p, _ := newPublisher(t, testenv.RabbitMQ(t))
	key := "batchbad." + randomID(t)
	d := bindQueue(t, "barong.events.model", key)
	msgs := []Message{{"model." + key, []byte("a")}, {"model." + key, []byte("b")}, {"nodot", []byte("c")}, {"model." + key, []byte("d")}}
	n, err := p.PublishBatch(t.Context(), msgs)
	if n != 2 || !errors.Is(err, ErrInvalidEventName) {
		t.Fatalf("PublishBatch = %d, %v; want 2 and ErrInvalidEventName", n, err)
	}
	for _, want := range []string{"a", "b"} {
		if got := string(receive(t, d).Body); got != want {
			t.Fatalf("got %s, want %s", got, want)
		}
	}
}

// BenchmarkPublish compares one message per confirm round trip with
// batches of 100 whose confirms are in flight together (ns/op is per
// message).
func BenchmarkPublish(b *testing.B) {
	url := testenv.RabbitMQ(b)
	for _, size := range []int{1, 100} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			p := New(url, nil)
			defer p.Close()
			key := "model.bench." + fmt.Sprint(size)
			msgs := make([]Message, size)
			for i := range msgs {
				msgs[i] = Message{Name: key, Body: make([]byte, 1200)}
			}
			b.ResetTimer()
			for i := 0; i < b.N; i += size {
				if _, err := p.PublishBatch(b.Context(), msgs[:min(size, b.N-i)]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
