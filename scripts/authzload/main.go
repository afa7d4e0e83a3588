// Command authzload prepares and drives the load test of the authz
// endpoint (scripts/bench-authz.sh).
//
//	authzload setup -url URL -dir DIR -keys N [-records]
//
// signs up a throwaway first user and a member over HTTP (the member's
// session cookie and user agent go to DIR/cookie and DIR/ua), then, with
// the environment of the barong it talks to (BARONG_DATABASE_URL,
// BARONG_ENCRYPTION_KEY_PATH, BARONG_REDIS_URL, BARONG_REDIS_PREFIX, run
// from barong's directory), turns on the member's 2FA flag and creates N
// API keys of his through the database, whose changes reach barong's
// process cache as any change does (through Redis when configured). The keys go to
// DIR/keys, one "kid secret" a line. With -records the member also gets
// what a KYC'd user has (three labels, a verified phone, a submitted
// profile, a data storage), for the users/me load (scripts/bench-me.sh).
//
//	authzload load -url URL -keys FILE -c 16 -d 10s [-n N] [-cookie FILE -ua FILE]
//
// sends signed API-key GETs to URL from c connections for d (or n
// requests in all) and prints the rate and latency percentiles; with
// -cookie it sends that session cookie and user agent instead of API-key
// headers (scripts/callgrind-authz.sh counts instructions over a fixed
// number of requests). Each request carries a fresh millisecond
// nonce, unique per key (a key accepts a nonce once), so connections
// rotate over the keys: with K keys the generator can sustain K×1000
// requests per second. The same generator is used against barong and
// against the bare baseline.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/config"
	"github.com/barong-go/barong/internal/server"
	"github.com/barong-go/barong/redisstore"
)

// benchPassword passes Barong's default password policy.
const benchPassword = "Tr0ub4dor&3-Horse"

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: authzload setup|load [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "setup":
		err = setup(context.Background(), os.Args[2:])
	case "load":
		err = load(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "authzload:", err)
		os.Exit(1)
	}
}

func setup(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("setup", flag.ExitOnError)
	base := fs.String("url", "http://127.0.0.1:18000", "barong base URL")
	dir := fs.String("dir", ".", "where to write cookie, ua and keys")
	n := fs.Int("keys", 64, "API keys to create")
	records := fs.Bool("records", false, "give the member labels, a phone, a profile and a data storage")
	_ = fs.Parse(args)

	const ua = "authzload/1.0 (bench)"
	var cookie string
	for _, email := range []string{"first@bench.example.com", "member@bench.example.com"} {
		c, err := signUp(ctx, *base, email, ua)
		if err != nil {
			return err
		}
		cookie = c
	}
	cfg, err := config.Load(os.LookupEnv)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	log := slog.New(slog.DiscardHandler)
	db, err := server.OpenDB(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer db.Close()
	var st barong.Store = db
	if cfg.RedisURL != "" {
		rc, err := redisstore.Open(ctx, cfg.RedisURL, log)
		if err != nil {
			return fmt.Errorf("redis: %w", err)
		}
		defer rc.Close()
		st = rc.Principals(cfg.RedisPrefix, 0).Wrap(db)
	}
	u, err := st.UserByEmail(ctx, "member@bench.example.com")
	if err != nil {
		return fmt.Errorf("find member: %w", err)
	}
	u.OTP = true
	if err := st.UpdateUser(ctx, u); err != nil {
		return fmt.Errorf("enable 2FA flag: %w", err)
	}
	if *records {
		if err := addRecords(ctx, st, u.ID); err != nil {
			return err
		}
	}
	var keys strings.Builder
	for range *n {
		k := &barong.APIKey{HolderType: barong.HolderUser, HolderID: u.ID, KID: randHex(8), Algorithm: "HS256",
			Secret: randHex(16), State: "active"}
		if err := st.CreateAPIKey(ctx, k); err != nil {
			return fmt.Errorf("create api key: %w", err)
		}
		fmt.Fprintf(&keys, "%s %s\n", k.KID, k.Secret)
	}
	for name, v := range map[string]string{"cookie": cookie, "ua": ua, "keys": keys.String()} {
		if err := os.WriteFile(filepath.Join(*dir, name), []byte(v), 0o600); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
	}
	return nil
}

// addRecords gives the user the records of a KYC'd member.
func addRecords(ctx context.Context, st barong.Store, userID int64) error {
	for _, l := range []barong.Label{{Key: "email", Value: "verified", Scope: "private"},
		{Key: "phone", Value: "verified", Scope: "private"}, {Key: "tier", Value: "gold", Scope: "public"}} {
		l.UserID = userID
		if err := st.CreateLabel(ctx, &l); err != nil {
			return fmt.Errorf("create label: %w", err)
		}
	}
	now := time.Now().UTC().Truncate(time.Second)
	if err := st.CreatePhone(ctx, &barong.Phone{UserID: userID, Country: "UA", Code: "12345", Number: "380501234567",
		ValidatedAt: &now}); err != nil {
		return fmt.Errorf("create phone: %w", err)
	}
	if err := st.CreateProfile(ctx, &barong.Profile{UserID: userID, FirstName: "Olena", LastName: "Koval",
		DOB: "1990-04-12", Address: "Khreshchatyk 1", Postcode: "01001", City: "Kyiv", Country: "UA",
		State: "submitted", Metadata: "{}"}); err != nil {
		return fmt.Errorf("create profile: %w", err)
	}
	if err := st.CreateDataStorage(ctx, &barong.DataStorage{UserID: userID, Title: "personal",
		Data: `{"occupation":"engineer","source_of_funds":"salary"}`}); err != nil {
		return fmt.Errorf("create data storage: %w", err)
	}
	return nil
}

// signUp registers email and returns the Cookie header of its session.
func signUp(ctx context.Context, base, email, ua string) (string, error) {
	body, _ := json.Marshal(map[string]string{"email": email, "password": benchPassword})
	req, err := http.NewRequestWithContext(ctx, "POST", base+"/api/v2/auth/identity/users", bytes.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("sign up: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", ua)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("sign up: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return "", fmt.Errorf("sign up %s: status %d", email, resp.StatusCode)
	}
	for _, c := range resp.Cookies() {
		if c.Value != "" {
			return c.Name + "=" + c.Value, nil
		}
	}
	return "", errors.New("sign up: no session cookie")
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
