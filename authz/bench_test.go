package authz

import (
	"context"
	"testing"

	barong "github.com/barong-go/barong"
)

// The engine benchmarks run Check directly (no HTTP) on the principal
// cache with the default token cache, in steady state: one Redis round
// trip per request, 8 goroutines per core. See internal/server for the
// HTTP benchmarks.

func BenchmarkCheckCookieCached(b *testing.B) {
	f := newFixture(b)
	e := f.engine(b, true, DefaultTokenCache)
	s := f.session(b, f.user(b))
	r := cookieReq(s)
	if _, err := e.Check(context.Background(), r); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetParallelism(8) // 16 requests in flight on 2 cores, as wrk -c16
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := e.Check(context.Background(), r); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkCheckAPIKeyCached(b *testing.B) {
	f := newFixture(b)
	e := f.engine(b, true, DefaultTokenCache)
	k := f.apiKey(b, barong.HolderUser, f.user(b).ID)
	for range 2 {
		if _, err := e.Check(context.Background(), keyReq(k, nonce())); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.SetParallelism(8) // 16 requests in flight on 2 cores, as wrk -c16
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := e.Check(context.Background(), keyReq(k, nonce())); err != nil {
				b.Fatal(err)
			}
		}
	})
}
