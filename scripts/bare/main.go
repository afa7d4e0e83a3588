// Command bare is the baseline of the load scripts: a bare net/http server
// answering GET /api/v2/auth/identity/ping like barong does, and any other
// /api/v2/auth/ path like an allowed authz check (200, no body, an
// Authorization header as long as a member's RS256 bearer token). With -me
// FILE it answers GET /api/v2/resource/users/me with FILE's bytes as JSON
// (scripts/bench-me.sh gives it barong's own answer). With -me-uid UID it
// answers that path instead by reading UID's user row and records with the
// same single SQL statement barong uses (sqlstore.UserView, on the
// database of barong's environment: BARONG_DATABASE_URL,
// BARONG_ENCRYPTION_KEY_PATH) and encoding them with encoding/json: the
// database floor of the endpoint, without authentication or sessions.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"log"
	"log/slog"
	"net/http"
	"os"
	"strings"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/config"
	"github.com/barong-go/barong/internal/server"
)

// bearer is the size of "Bearer " and a member's RS256 token.
var bearer = "Bearer " + strings.Repeat("x", 760)

func main() {
	addr := flag.String("addr", "127.0.0.1:18001", "listen address")
	me := flag.String("me", "", "file whose bytes answer GET /api/v2/resource/users/me")
	meUID := flag.String("me-uid", "", "read this user's view from barong's database for each users/me")
	flag.Parse()
	if *meUID != "" {
		serveMeFromDB(*meUID)
	} else if *me != "" {
		body, err := os.ReadFile(*me)
		if err != nil {
			log.Fatal(err)
		}
		http.HandleFunc("GET /api/v2/resource/users/me", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(body)
		})
	}
	http.HandleFunc("GET /api/v2/auth/identity/ping", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ping":"pong"}`))
	})
	http.HandleFunc("/api/v2/auth/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Authorization", bearer)
		w.WriteHeader(http.StatusOK)
	})
	log.Fatal(http.ListenAndServe(*addr, nil))
}

// serveMeFromDB answers GET /api/v2/resource/users/me with uid's view read
// from the database on every request.
func serveMeFromDB(uid string) {
	ctx := context.Background()
	cfg, err := config.Load(os.LookupEnv)
	if err != nil {
		log.Fatal(err)
	}
	db, err := server.OpenDB(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		log.Fatal(err)
	}
	http.HandleFunc("GET /api/v2/resource/users/me", func(w http.ResponseWriter, r *http.Request) {
		u, recs, err := db.UserView(r.Context(), uid)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(struct {
			*barong.User
			*barong.UserRecords
		}{u, recs})
	})
}
