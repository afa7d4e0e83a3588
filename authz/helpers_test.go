package authz

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/crypt"
	"github.com/barong-go/barong/internal/testenv"
	"github.com/barong-go/barong/redisstore"
	"github.com/barong-go/barong/sqlstore"
	"github.com/barong-go/barong/token"
)

const (
	testUA   = "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0"
	testIP   = "168.238.57.64"
	testPath = "api/v2/peatio/account/balances"
)

var (
	ringOnce sync.Once
	ring     *token.Keyring
	ringErr  error
)

// testRing is one RSA key ring shared by the tests (generating is slow).
func testRing(tb testing.TB) *token.Keyring {
	tb.Helper()
	ringOnce.Do(func() {
		k, err := token.GenerateRSA(2048)
		if err != nil {
			ringErr = err
			return
		}
		ring, ringErr = token.NewKeyring(k)
	})
	if ringErr != nil {
		tb.Fatal(ringErr)
	}
	return ring
}

func randHex(tb testing.TB, n int) string {
	tb.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		tb.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// fixture is one deployment: a SQLite database, Redis under a fresh
// prefix, and the stores every process of it shares.
type fixture struct {
	db       *sqlstore.DB
	store    barong.Store // what the rules write through (wrapped)
	pr       *redisstore.Principals
	sessions barong.SessionStore
	kv       barong.KV
	rdb      *redis.Client
	prefix   string
	reads    atomic.Int64 // database reads by engines
	touches  atomic.Int64 // session and KV calls by engines
}

func newFixture(tb testing.TB) *fixture {
	tb.Helper()
	url := testenv.Redis(tb)
	ctx := context.Background()
	f := &fixture{prefix: "barongtest:" + randHex(tb, 8) + ":"}
	cipher, err := crypt.New([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		tb.Fatal(err)
	}
	if f.db, err = sqlstore.Open(ctx, "sqlite:"+filepath.Join(tb.TempDir(), "b.db"), sqlstore.Options{Cipher: cipher}); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = f.db.Close() })
	if err := f.db.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	c, err := redisstore.Open(ctx, url, nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = c.Close() })
	opts, _ := redis.ParseURL(url)
	f.rdb = redis.NewClient(opts)
	tb.Cleanup(func() {
		iter := f.rdb.Scan(ctx, 0, f.prefix+"*", 500).Iterator()
		for iter.Next(ctx) {
			f.rdb.Del(ctx, iter.Val())
		}
		_ = f.rdb.Close()
	})
	f.pr = c.Principals(f.prefix, time.Minute)
	f.store = f.pr.Wrap(f.db)
	f.sessions, f.kv = c.Sessions(f.prefix), c.KV(f.prefix)
	for _, p := range []barong.Permission{
		{Action: "ACCEPT", Role: "member", Verb: "ALL", Path: "api/v2/peatio"},
		{Action: "ACCEPT", Role: "sa_maker", Verb: "ALL", Path: "api/v2/peatio"},
	} {
		if err := f.db.CreatePermission(ctx, &p); err != nil {
			tb.Fatal(err)
		}
	}
	return f
}

// engine is one process: cached uses the principal cache, else the
// session store, KV and database as before it.
func (f *fixture) engine(tb testing.TB, cached bool, tokenCache time.Duration) *Engine {
	tb.Helper()
	cfg := Config{CSRFProtection: true, SessionExpire: 30 * time.Minute, NonceLifetime: 5 * time.Second,
		JWTExpire: time.Hour, TokenCache: tokenCache}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	e := New(cfg, countingStore{f.db, &f.reads}, countingSessions{f.sessions, &f.touches}, countingKV{f.kv, &f.touches},
		testRing(tb), nil, log)
	if cached {
		e.UsePrincipals(f.pr)
	}
	if err := e.Reload(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return e
}

var userSeq atomic.Int64

// user creates a user with 2FA, active, member.
func (f *fixture) user(tb testing.TB) *barong.User {
	tb.Helper()
	n := userSeq.Add(1)
	u := &barong.User{UID: fmt.Sprintf("IDT%09d", n), Email: fmt.Sprintf("u%d@example.com", n), Username: "user" + strconv.FormatInt(n, 10),
		PasswordDigest: "x", Role: "member", Level: 1, OTP: true, State: "active"}
	if err := f.db.CreateUser(context.Background(), u); err != nil {
		tb.Fatal(err)
	}
	return u
}

// change updates u through the wrapped store, as the rules do.
func (f *fixture) change(tb testing.TB, u *barong.User, mod func(u *barong.User)) {
	tb.Helper()
	mod(u)
	ctx := context.Background()
	if err := f.store.InTx(ctx, func(tx barong.Tx) error { return tx.UpdateUser(ctx, u) }); err != nil {
		tb.Fatal(err)
	}
}

// session opens a session of u from testIP with testUA, last used 10
// minutes ago (so that a slide shows).
func (f *fixture) session(tb testing.TB, u *barong.User) *barong.Session {
	tb.Helper()
	s := &barong.Session{ID: randHex(tb, 16), UID: u.UID, UserIP: testIP, UserAgent: testUA, CSRFToken: randHex(tb, 5),
		ExpireTime: time.Now().Add(20 * time.Minute).Unix()}
	if err := f.sessions.CreateSession(context.Background(), s, 30*time.Minute); err != nil {
		tb.Fatal(err)
	}
	return s
}

// apiKey creates an active key of the holder and returns it with its secret.
func (f *fixture) apiKey(tb testing.TB, holderType string, holderID int64) *barong.APIKey {
	tb.Helper()
	k := &barong.APIKey{HolderType: holderType, HolderID: holderID, KID: randHex(tb, 8), Algorithm: "HS256",
		Secret: randHex(tb, 16), State: "active"}
	if err := f.db.CreateAPIKey(context.Background(), k); err != nil {
		tb.Fatal(err)
	}
	return k
}

// cookieReq is a GET with the session's cookie, agent and IP.
func cookieReq(s *barong.Session) Request {
	return Request{Path: testPath, Method: "GET", IP: testIP, UserAgent: testUA, SessionID: s.ID, TokenOnly: true}
}

var nonceSeq atomic.Int64

// nonce returns a fresh nonce of now: milliseconds, made unique by a suffix
// after the digits (which the timestamp check ignores).
func nonce() string {
	return strconv.FormatInt(time.Now().UnixMilli(), 10) + "-" + strconv.FormatInt(nonceSeq.Add(1), 10)
}

// keyReq is a signed API-key request of k with nonce n.
func keyReq(k *barong.APIKey, n string) Request {
	kid, sig := k.KID, Sign(k.Secret, n, k.KID)
	return Request{Path: testPath, Method: "GET", IP: testIP, UserAgent: "bot", APIKey: &kid, Nonce: &n, Signature: &sig, TokenOnly: true}
}

// outcome is "ok" or the error key of a decision.
func outcome(res *Result, err error) string {
	if err != nil {
		if be, ok := err.(*barong.Error); ok && len(be.Keys) > 0 {
			return be.Keys[0]
		}
		return "error: " + err.Error()
	}
	if res.Token == "" {
		return "ok without token"
	}
	return "ok"
}

// countingStore counts the reads authz makes.
type countingStore struct {
	Store
	n *atomic.Int64
}

func (s countingStore) UserByUID(ctx context.Context, uid string) (*barong.User, error) {
	s.n.Add(1)
	return s.Store.UserByUID(ctx, uid)
}

func (s countingStore) UserByID(ctx context.Context, id int64) (*barong.User, error) {
	s.n.Add(1)
	return s.Store.UserByID(ctx, id)
}

func (s countingStore) APIKeyByKID(ctx context.Context, kid string) (*barong.APIKey, error) {
	s.n.Add(1)
	return s.Store.APIKeyByKID(ctx, kid)
}

func (s countingStore) ServiceAccountByID(ctx context.Context, id int64) (*barong.ServiceAccount, error) {
	s.n.Add(1)
	return s.Store.ServiceAccountByID(ctx, id)
}

// countingSessions counts session-store calls.
type countingSessions struct {
	barong.SessionStore
	n *atomic.Int64
}

func (s countingSessions) Session(ctx context.Context, id string) (*barong.Session, error) {
	s.n.Add(1)
	return s.SessionStore.Session(ctx, id)
}

func (s countingSessions) TouchSession(ctx context.Context, se *barong.Session, ttl time.Duration) error {
	s.n.Add(1)
	return s.SessionStore.TouchSession(ctx, se, ttl)
}

// countingKV counts KV calls.
type countingKV struct {
	barong.KV
	n *atomic.Int64
}

func (k countingKV) SetNX(ctx context.Context, key, value string, ttl time.Duration) (bool, error) {
	k.n.Add(1)
	return k.KV.SetNX(ctx, key, value, ttl)
}
