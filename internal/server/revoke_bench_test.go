package server_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/app"
	"github.com/barong-go/barong/internal/testenv"
)

// BenchmarkSessionRevocation measures how long a session revoked through
// one process (app.RevokeSession, as DELETE /resource/sessions/:id) takes
// to be refused by another process's gateway check: revoke, then check the
// other process until it answers 401 (ns/op = the revocation plus the
// first refusing check). The baseline, "check", is one accepted gateway
// check of the other process in the same run. Two processes share Redis
// ("redis") or, without Redis, one SQLite file ("sqlite").
func BenchmarkSessionRevocation(b *testing.B) {
	for _, store := range []string{"redis", "sqlite"} {
		b.Run(store, func(b *testing.B) {
			env := map[string]string{}
			if store == "redis" {
				prefix := fmt.Sprintf("barongbench%d:", rand.Int64())
				env = map[string]string{"BARONG_REDIS_URL": testenv.Redis(b), "BARONG_REDIS_PREFIX": prefix}
				b.Cleanup(func() { authzBenchFlush(b, prefix) })
			}
			a := newServerTB(b, env)
			shared := map[string]string{"BARONG_DATABASE_URL": a.Config.DatabaseURL,
				"JWT_PRIVATE_KEY_PATH": a.Config.JWTPrivateKeyPath, "BARONG_ENCRYPTION_KEY_PATH": a.Config.EncryptionKeyPath}
			for k, v := range env {
				shared[k] = v
			}
			other := newServerTB(b, shared)
			benchMember(b, a)
			ctx := context.Background()
			u, err := a.Store.UserByEmail(ctx, "member@example.com")
			if err != nil {
				b.Fatal(err)
			}
			sessions := barong.SessionStore(a.DB)
			if a.Redis != nil {
				sessions = a.Redis.Sessions(a.Config.RedisPrefix)
			}
			const ua = "Bench/1"
			open := func() string {
				s := &barong.Session{ID: fmt.Sprintf("%032x", rand.Uint64()), UID: u.UID, UserIP: "127.0.0.1", UserAgent: ua,
					CSRFToken: "c", ExpireTime: time.Now().Add(time.Hour).Unix()}
				if err := sessions.CreateSession(ctx, s, time.Hour); err != nil {
					b.Fatal(err)
				}
				return s.ID
			}
			check := func(sid string) int {
				req, _ := http.NewRequest("GET", other.URL+"/api/v2/auth/api/v2/peatio/account/balances", nil)
				req.Header.Set("User-Agent", ua)
				req.AddCookie(&http.Cookie{Name: "_barong_session", Value: sid})
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				resp.Body.Close()
				return resp.StatusCode
			}
			b.Run("check", func(b *testing.B) {
				sid := open()
				for b.Loop() {
					if got := check(sid); got != 200 {
						b.Fatalf("check %d", got)
					}
				}
			})
			b.Run("revoke", func(b *testing.B) {
				c := app.Client{IP: "127.0.0.1", UserAgent: ua}
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					sid := open()
					if got := check(sid); got != 200 {
						b.Fatalf("check %d", got)
					}
					b.StartTimer()
					if err := a.App.Sessions.Revoke(ctx, barong.UserActor(u), barong.SessionHash(sid), c); err != nil {
						b.Fatal(err)
					}
					for check(sid) != 401 {
					}
				}
			})
		})
	}
}
