package server

import (
	"context"

	"github.com/barong-go/barong/api"
)

// errPendingMigrations fails readiness while migrations are missing.
const errPendingMigrations = api.HealthState("migrations pending")

// healthChecks are the readiness checks of GET /readyz: the database
// answers and is migrated; Redis and RabbitMQ answer when configured.
func (s *Server) healthChecks() []api.HealthCheck {
	checks := []api.HealthCheck{{Name: "database", Check: func(ctx context.Context) error {
		if err := s.DB.Ping(ctx); err != nil {
			return err
		}
		pending, err := s.DB.Pending(ctx)
		if err == nil && pending {
			err = errPendingMigrations
		}
		return err
	}}}
	if s.Redis != nil {
		checks = append(checks, api.HealthCheck{Name: "redis", Check: s.Redis.Ping})
	}
	if s.publisher != nil {
		checks = append(checks, api.HealthCheck{Name: "rabbitmq", Check: s.publisher.Ping})
	}
	return checks
}
