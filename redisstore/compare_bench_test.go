package redisstore

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	barong "github.com/barong-go/barong"
)

// cpuReport reports this process' and Redis' CPU time per operation.
func cpuReport(b *testing.B, c *Client, run func()) {
	ctx := context.Background()
	redisCPU := func() float64 {
		info, _ := c.rdb.Info(ctx, "cpu").Result()
		var t float64
		for _, l := range strings.Split(info, "\r\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && (k == "used_cpu_sys" || k == "used_cpu_user") {
				f, _ := strconv.ParseFloat(v, 64)
				t += f
			}
		}
		return t
	}
	self := func() time.Duration {
		var ru syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	r0, s0 := redisCPU(), self()
	b.ResetTimer()
	run()
	b.StopTimer()
	b.ReportMetric(float64((self()-s0).Microseconds())/float64(b.N), "client-µs/op")
	b.ReportMetric((redisCPU()-r0)*1e6/float64(b.N), "redis-µs/op")
}

func BenchmarkCompareSessionRead(b *testing.B) {
	c := mustOpen(b, "")
	prefix := testPrefix(b, c)
	ctx := context.Background()
	s := &barong.Session{ID: randHex(b, 16), UID: "IDABCDEF0123", UserIP: "168.238.57.64",
		UserAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0", CSRFToken: randHex(b, 10),
		ExpireTime: time.Now().Add(time.Hour).Unix(), CreatedAt: time.Now().UTC().Truncate(time.Second)}
	data, _ := encodeSession(s)
	strKey, hashKey := prefix+"s", prefix+"h"
	c.rdb.Set(ctx, strKey, data, time.Hour)
	c.rdb.HSet(ctx, hashKey, "uid", s.UID, "ip", s.UserIP, "ua", s.UserAgent, "csrf", s.CSRFToken,
		"exp", s.ExpireTime, "created", s.CreatedAt.Unix())
	b.SetParallelism(8)
	b.Run("get_flatjson", func(b *testing.B) {
		cpuReport(b, c, func() {
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					v, err := c.rdb.Get(ctx, strKey).Result()
					if err != nil {
						b.Fatal(err)
					}
					if _, err := decodeRecord(s.ID, v); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	})
	b.Run("get_encoding_json", func(b *testing.B) {
		cpuReport(b, c, func() {
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					v, err := c.rdb.Get(ctx, strKey).Bytes()
					if err != nil {
						b.Fatal(err)
					}
					var r record
					if err := json.Unmarshal(v, &r); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	})
	b.Run("hmget", func(b *testing.B) {
		cpuReport(b, c, func() {
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					vs, err := c.rdb.HMGet(ctx, hashKey, "uid", "ip", "ua", "csrf", "exp", "created").Result()
					if err != nil {
						b.Fatal(err)
					}
					se := barong.Session{ID: s.ID}
					se.UID, _ = vs[0].(string)
					se.UserIP, _ = vs[1].(string)
					se.UserAgent, _ = vs[2].(string)
					se.CSRFToken, _ = vs[3].(string)
					exp, _ := vs[4].(string)
					se.ExpireTime, _ = strconv.ParseInt(exp, 10, 64)
					cr, _ := vs[5].(string)
					n, _ := strconv.ParseInt(cr, 10, 64)
					se.CreatedAt = time.Unix(n, 0).UTC()
				}
			})
		})
	})
	b.Run("decode_only_flatjson", func(b *testing.B) {
		v := string(data)
		for b.Loop() {
			if _, err := decodeRecord(s.ID, v); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode_only_encoding_json", func(b *testing.B) {
		for b.Loop() {
			var r record
			if err := json.Unmarshal(data, &r); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkCompareNonce(b *testing.B) {
	c := mustOpen(b, "")
	prefix := testPrefix(b, c)
	var seq atomic.Int64
	b.SetParallelism(8)
	b.Run("batcher", func(b *testing.B) {
		bt := &batcher{rdb: c.rdb, max: 1}
		cpuReport(b, c, func() {
			b.RunParallel(func(pb *testing.PB) {
				ctx := context.Background()
				for pb.Next() {
					cmd := redis.NewBoolCmd(ctx, "set", prefix+"n"+strconv.FormatInt(seq.Add(1), 10), "1", "px", 10000, "nx")
					if err := bt.do(ctx, &batchCall{cmds: []redis.Cmder{cmd}}); err != nil {
						b.Fatal(err)
					}
					if ok, err := cmd.Result(); err != nil || !ok {
						b.Fatal(ok, err)
					}
				}
			})
		})
	})
	b.Run("go_redis", func(b *testing.B) {
		cpuReport(b, c, func() {
			b.RunParallel(func(pb *testing.PB) {
				ctx := context.Background()
				for pb.Next() {
					ok, err := c.rdb.SetNX(ctx, prefix+"n"+strconv.FormatInt(seq.Add(1), 10), "1", 10*time.Second).Result()
					if err != nil || !ok {
						b.Fatal(ok, err)
					}
				}
			})
		})
	})
}
