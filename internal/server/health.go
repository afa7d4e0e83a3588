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
	checks := []api.HealthCheck{{Name: "database", Check: databaseReady(s.DB)}}
	if s.Redis != nil {
		checks = append(checks, api.HealthCheck{Name: "redis", Check: s.Redis.Ping})
	}
	if s.publisher != nil {
		checks = append(checks, api.HealthCheck{Name: "rabbitmq", Check: s.publisher.Ping})
	}
	return checks
}

// migratedDB is what readiness asks of the database (sqlstore.DB).
type migratedDB interface {
	Ping(ctx context.Context) error
	// Pending reports whether migrations are missing.
	Pending(ctx context.Context) (bool, error)
}

// databaseReady checks that db answers and is migrated.
func databaseReady(db migratedDB) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		if err := db.Ping(ctx); err != nil {
			return err
		}
		pending, err := db.Pending(ctx)
		if err == nil && pending {
			err = errPendingMigrations
		}
		return err
	}
}
