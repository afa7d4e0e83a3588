package redisstore

import (
	"context"
	"fmt"
	"sync"

	"github.com/redis/go-redis/v9"
)

// Resync is what a subscription delivers after its connection was lost and
// re-established: messages published meanwhile may be missing, so the
// receiver should reload whatever it caches. Publishing an empty message
// has the same meaning.
const Resync = ""

// subscribeBuffer is the number of messages a slow receiver may lag behind.
const subscribeBuffer = 64

// Publish sends msg to every subscriber of channel, in every process.
// Channel names are not prefixed; use a namespaced name such as
// "barong:cache".
func (c *Client) Publish(ctx context.Context, channel, msg string) error {
	if err := c.rdb.Publish(ctx, channel, msg).Err(); err != nil {
		return fmt.Errorf("redisstore: publish: %w", err)
	}
	return nil
}

// Subscribe delivers the messages published to channel until ctx ends or
// the returned stop function is called; then the channel is closed (stop
// waits for that). When Subscribe returns, the subscription is in place
// (unless Redis did not answer within a few seconds, which is logged), so a
// message published afterwards is delivered.
//
// The connection is health-checked and re-established by go-redis; each
// re-subscription is announced by a Resync message.
func (c *Client) Subscribe(ctx context.Context, channel string) (<-chan string, func()) {
	ctx, cancel := context.WithCancel(ctx)
	ps := c.rdb.Subscribe(ctx, channel)
	if _, err := ps.ReceiveTimeout(ctx, pingTimeout); err != nil {
		c.log.Warn("redis subscription not confirmed, retrying in the background",
			"channel", channel, "err", err)
	}

	in := ps.ChannelWithSubscriptions(redis.WithChannelSize(subscribeBuffer))
	out := make(chan string, subscribeBuffer)
	done := make(chan struct{})
	closePS := sync.OnceFunc(func() { _ = ps.Close() })
	context.AfterFunc(ctx, closePS)

	go func() {
		defer close(done)
		defer close(out)
		for m := range in {
			var payload string
			switch m := m.(type) {
			case *redis.Message:
				payload = m.Payload
			case *redis.Subscription:
				if m.Kind != "subscribe" {
					continue
				}
				// The first confirmation was consumed above: this one
				// follows a reconnection.
				c.log.Info("redis subscription re-established", "channel", channel)
				payload = Resync
			default:
				continue
			}
			select {
			case out <- payload:
			case <-ctx.Done():
				closePS()
				for range in { // until go-redis sees the close
				}
				return
			}
		}
	}()

	stop := func() {
		cancel()
		closePS()
		<-done
	}
	return out, stop
}
