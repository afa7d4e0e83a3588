package sqlstore

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/barong-go/barong"
)

// The feed of changes (barong.Change) between the processes of a
// deployment without Redis. The DB reports every change it commits: of
// users, service accounts and API keys (UpdateUser, UpdateServiceAccount,
// UpdateAPIKey, DeleteAPIKey, DeactivateAPIKeys, in a transaction once it
// committed) and of sessions (every deletion, TouchSession). A change is applied in the process that made
// it before the write returns and inserted into cache_changes; every
// process that watches polls the table every pollEvery and applies the
// rows it has not seen, so a change reaches every process within about
// pollEvery. The feed is Live while a poll succeeded within liveWindow:
// authz uses nothing cached while it is not.
//
// Ids of concurrent inserts may commit out of order (PostgreSQL sequences,
// InnoDB auto-increment): the rows of the last settle are read again, and
// the ids already applied skipped.
const (
	pollEvery  = 200 * time.Millisecond
	liveWindow = 800 * time.Millisecond
	settle     = 2 * time.Second
	// changeRetention is how long PurgeExpired keeps rows.
	changeRetention = 5 * time.Minute
	// pollLimit bounds the rows of one poll; a full page reports
	// barong.ChangedAll and skips ahead.
	pollLimit = 10000
)

// changeFeed is the feed of one DB.
type changeFeed struct {
	db        *DB
	startOnce sync.Once
	cancel    context.CancelFunc
	done      chan struct{}
	lastPoll  atomic.Int64 // unix ns at which the latest successful poll began

	watchers barong.ChangeWatchers

	mu      sync.Mutex
	polling bool
	// low: every id up to it has been applied or was committed more than
	// settle ago; seen: the ids above low already applied.
	low         int64
	seen        map[int64]bool
	checkpoints []checkpoint
}

// checkpoint is the highest id seen by the poll that began at.
type checkpoint struct {
	at time.Time
	id int64
}

// ReportChangesTo routes the changes the DB commits to report (the Redis
// feed of redisstore.Principals) instead of its own feed; nil routes them
// to its own feed again.
func (db *DB) ReportChangesTo(report func(ctx context.Context, cs []barong.Change)) {
	if report == nil {
		report = db.changes.notify
	}
	db.sink = report
}

// reportChanges hands changes the DB committed to its sink.
func (db *DB) reportChanges(ctx context.Context, cs ...barong.Change) {
	if len(cs) > 0 {
		db.sink(ctx, cs)
	}
}

// notify applies cs in this process and records them for the others. It
// runs after a committed write, so it ignores ctx's end; failures are
// logged.
func (f *changeFeed) notify(ctx context.Context, cs []barong.Change) {
	f.watchers.Deliver(cs)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	now := f.db.clock()
	for _, c := range cs {
		id, err := f.db.w.insert(ctx, `INSERT INTO cache_changes (kind, record_key, except_key, created_at) VALUES (?, ?, ?, ?)`,
			int64(c.Kind), c.Key, c.Except, now)
		if err != nil {
			f.db.log.Error("record change for the other processes", "kind", c.Kind, "err", err)
			continue
		}
		f.mu.Lock()
		if f.polling && id > f.low {
			f.seen[id] = true // applied above
		}
		f.mu.Unlock()
	}
}

// watch registers fn and starts polling.
func (f *changeFeed) watch(fn func(barong.Change)) (stop func()) {
	f.start()
	return f.watchers.Watch(fn)
}

func (f *changeFeed) live() bool {
	return time.Now().UnixNano()-f.lastPoll.Load() < int64(liveWindow)
}

// start begins polling, once, from the latest row.
func (f *changeFeed) start() {
	f.startOnce.Do(func() {
		ctx, cancel := context.WithCancel(context.Background())
		f.cancel, f.done = cancel, make(chan struct{})
		began := time.Now()
		var top int64
		if err := f.db.r.queryRow(ctx, "SELECT COALESCE(MAX(id), 0) FROM cache_changes").Scan(integer{&top}); err != nil {
			f.db.log.Warn("change feed: read the latest change, retrying", "err", err)
		} else {
			f.lastPoll.Store(began.UnixNano())
		}
		f.mu.Lock()
		f.low, f.seen, f.polling = top, map[int64]bool{}, true
		f.mu.Unlock()
		go func() {
			defer close(f.done)
			t := time.NewTicker(pollEvery)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					if err := f.poll(ctx); err != nil && ctx.Err() == nil {
						f.db.log.Warn("change feed: poll", "err", err)
					}
				}
			}
		}()
	})
}

// close stops polling.
func (f *changeFeed) close() {
	f.startOnce.Do(func() {})
	if f.cancel != nil {
		f.cancel()
		<-f.done
	}
}

// poll applies the rows not seen yet.
func (f *changeFeed) poll(ctx context.Context) error {
	began := time.Now()
	f.mu.Lock()
	low := f.low
	f.mu.Unlock()
	rows, err := f.db.r.query(ctx, `SELECT id, kind, record_key, except_key FROM cache_changes WHERE id > ? ORDER BY id LIMIT `+strconv.Itoa(pollLimit), low)
	if err != nil {
		return err
	}
	type row struct {
		id int64
		c  barong.Change
	}
	var got []row
	for rows.Next() {
		var r row
		var kind int64
		if err := rows.Scan(&r.id, integer{&kind}, &r.c.Key, &r.c.Except); err != nil {
			rows.Close()
			return err
		}
		r.c.Kind = barong.ChangeKind(kind)
		got = append(got, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}

	var fresh []barong.Change
	f.mu.Lock()
	top := low
	for _, r := range got {
		top = max(top, r.id)
		if !f.seen[r.id] {
			f.seen[r.id] = true
			fresh = append(fresh, r.c)
		}
	}
	if len(got) == pollLimit { // too far behind to keep track: drop everything
		fresh = []barong.Change{{Kind: barong.ChangedAll}}
		f.low, f.checkpoints = top, nil
		clear(f.seen)
	} else {
		f.settle(began, top)
	}
	f.mu.Unlock()
	f.watchers.Deliver(fresh)
	f.lastPoll.Store(began.UnixNano())
	return nil
}

// settle records the poll's checkpoint and moves low to the highest id
// seen settle ago, forgetting the ids below it; f.mu is held.
func (f *changeFeed) settle(now time.Time, top int64) {
	f.checkpoints = append(f.checkpoints, checkpoint{at: now, id: top})
	i := 0
	for i < len(f.checkpoints) && now.Sub(f.checkpoints[i].at) >= settle {
		f.low = max(f.low, f.checkpoints[i].id)
		i++
	}
	f.checkpoints = f.checkpoints[i:]
	for id := range f.seen {
		if id <= f.low {
			delete(f.seen, id)
		}
	}
}
