package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// HealthCheck is one dependency of readiness: the database, Redis,
// RabbitMQ. Check returns nil when the dependency answers.
type HealthCheck struct {
	Name  string
	Check func(ctx context.Context) error
}

// HealthState is an error of a HealthCheck whose text /readyz may answer
// as the component's state (other errors answer "unavailable").
type HealthState string

func (e HealthState) Error() string { return string(e) }

// readyTimeout bounds every readiness check; readyReuse is how long one
// result answers further probes, so that a flood of /readyz requests does
// not become a flood of database, Redis and RabbitMQ round trips.
const (
	readyTimeout = 2 * time.Second
	readyReuse   = time.Second
)

// readiness runs the checks, one probe at a time.
type readiness struct {
	checks []HealthCheck
	log    *slog.Logger

	mu     sync.Mutex
	at     time.Time
	status int
	body   readyBody
}

// readyBody is the answer of /readyz: "ok" or "unavailable", the failing
// components by name and every component's state. Causes are logged, not
// answered (they name internal addresses).
type readyBody struct {
	Status string            `json:"status"`
	Failed []string          `json:"failed,omitempty"`
	Checks map[string]string `json:"checks"`
}

// handleHealthz is the liveness probe: the process serves HTTP. Like
// identity/ping it depends on nothing else, so an orchestrator does not
// restart a process whose database is down.
func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// handleReadyz is the readiness probe: 200 when every dependency answers
// within readyTimeout (and the migrations are applied), else 503 naming
// the failing ones.
func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	status, body := s.ready.run(r.Context())
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, status, body)
}

func (rd *readiness) run(ctx context.Context) (int, readyBody) {
	rd.mu.Lock()
	defer rd.mu.Unlock()
	if !rd.at.IsZero() && time.Since(rd.at) < readyReuse {
		return rd.status, rd.body
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), readyTimeout)
	defer cancel()
	errs := make([]error, len(rd.checks))
	var wg sync.WaitGroup
	for i, c := range rd.checks {
		wg.Go(func() { errs[i] = c.Check(ctx) })
	}
	wg.Wait()
	body := readyBody{Status: "ok", Checks: make(map[string]string, len(rd.checks))}
	for i, c := range rd.checks {
		if errs[i] == nil {
			body.Checks[c.Name] = "ok"
			continue
		}
		body.Status = "unavailable"
		body.Failed = append(body.Failed, c.Name)
		body.Checks[c.Name] = "unavailable"
		var st HealthState
		if errors.As(errs[i], &st) {
			body.Checks[c.Name] = string(st)
		}
		rd.log.WarnContext(ctx, "not ready", slog.String("component", c.Name), slog.Any("error", errs[i]))
	}
	rd.status = http.StatusOK
	if len(body.Failed) > 0 {
		rd.status = http.StatusServiceUnavailable
	}
	rd.at, rd.body = time.Now(), body
	return rd.status, body
}
