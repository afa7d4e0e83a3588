package server_test

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"testing"

	"github.com/barong-go/barong/internal/server"
	"github.com/barong-go/barong/internal/testenv"
)

// BenchmarkMe sends GET /api/v2/resource/users/me with a member's session
// cookie, 16 requests in flight (runAuthzBench), on the embedded default
// (SQLite, SQL sessions) and on PostgreSQL with Redis sessions. The load
// script with its baselines is scripts/bench-me.sh.
func BenchmarkMe(b *testing.B) {
	for _, cfg := range []string{"sqlite", "postgres_redis"} {
		b.Run(cfg, func(b *testing.B) {
			server.BcryptCost = 4
			env := map[string]string{}
			if cfg == "postgres_redis" {
				prefix := fmt.Sprintf("barongbench%d:", rand.Int64())
				env = map[string]string{"BARONG_REDIS_URL": testenv.Redis(b), "BARONG_REDIS_PREFIX": prefix,
					"BARONG_DATABASE_URL": testenv.Database(b, "postgres")}
				b.Cleanup(func() { authzBenchFlush(b, prefix) })
			}
			ts := newServerTB(b, env)
			c, cookie := benchMember(b, ts)
			runAuthzBench(b, ts.URL+"/api/v2/resource/users/me", func(req *http.Request) {
				req.AddCookie(cookie)
				req.Header.Set("User-Agent", c.ua)
			})
		})
	}
}
