package api

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/seclog"
)

// handlerFunc is a handler that returns its failure; errorHandler renders it.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// writeError renders err as {"errors":[keys],"request_id":id} with the
// kind's status. Unknown
// errors become 500 server.internal_error and are logged once, here.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := barong.AsError(err)
	if errors.Is(err, barong.ErrNotFound) && e == nil {
		e = barong.NotFound("record.not_found")
	}
	if e == nil {
		e = &barong.Error{Kind: barong.KindInternal, Keys: []string{"server.internal_error"}, Cause: err}
	}
	status := e.HTTPStatus()
	if e.Kind == barong.KindInternal {
		level := slog.LevelError
		if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
			level = slog.LevelInfo // the client went away (e.g. while queued for a password hash)
		}
		s.log.Log(r.Context(), level, "request failed", slog.String("method", r.Method),
			slog.String("path", r.URL.Path), slog.Any("error", err))
		e = &barong.Error{Keys: []string{"server.internal_error"}}
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.FormatInt(int64((e.RetryAfter+time.Second-1)/time.Second), 10))
	}
	writeJSON(w, status, errorBody{Errors: e.Keys, RequestID: seclog.RequestID(r.Context())})
}

// writeJSON writes v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, `{"errors":["server.internal_error"]}`, http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeStatus answers a status-only endpoint. Barong serialised the number
// itself as the body (reference §1.5 Note); barong-go keeps that body so
// clients that parse it keep working, except 204 which has none.
func writeStatus(w http.ResponseWriter, status int) {
	if status == http.StatusNoContent {
		w.WriteHeader(status)
		return
	}
	writeJSON(w, status, status)
}
