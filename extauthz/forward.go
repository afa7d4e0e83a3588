package extauthz

import (
	"net/http"
	"strings"

	"github.com/barong-go/barong/seclog"
)

// ForwardAuthPath is the fixed address Traefik's forwardAuth asks
// (address: http://barong:8000/api/v2/auth). Barong's own authz endpoint
// is everything below /api/v2/auth/, so this exact path is free.
const ForwardAuthPath = "/api/v2/auth"

// ServeHTTP is the forwardAuth check. Traefik sends a GET (or the original
// method with preserveRequestMethod) to a fixed address, with the original
// method in X-Forwarded-Method and request URI in X-Forwarded-Uri, and the
// client's own headers. The answer is the authz endpoint's: 200 with
// Authorization: Bearer <JWT>, 200 without it for a pass-listed path, or
// Barong's status and {"errors":[...]}, which Traefik returns to the client.
// X-Request-Id is answered (the client's when sane, else a new one) for
// Traefik's authResponseHeaders to pass upstream.
//
// X-Forwarded-Uri is believed as sent: a client that reaches barong
// directly learns nothing more than by asking /api/v2/auth/<path> itself.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	method := strings.TrimSpace(r.Header.Get("X-Forwarded-Method"))
	if method == "" {
		method = r.Method
	}
	uri := strings.TrimSpace(r.Header.Get("X-Forwarded-Uri"))
	id := seclog.AcceptRequestID(r.Header.Get("X-Request-Id"))
	r.Header.Set("X-Request-Id", id)
	var d decision
	if uri == "" {
		d = s.refusal(seclog.WithRequestID(r.Context(), id), method, missingURI)
	} else {
		d = s.decide(r.Context(), method, uri, r.RemoteAddr, r.Header)
	}
	w.Header().Set("X-Request-Id", id)
	if !d.allowed() {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(d.Status)
		_, _ = w.Write(d.Body)
		return
	}
	if d.Token != "" {
		w.Header().Set("Authorization", "Bearer "+d.Token)
	}
	w.WriteHeader(http.StatusOK)
}

// Mount returns next with the forwardAuth check answered at
// ForwardAuthPath; every other request goes to next.
func (s *Service) Mount(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == ForwardAuthPath {
			s.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}
