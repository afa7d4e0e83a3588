// Package testenv gives tests the real outside services of this machine:
// PostgreSQL, MariaDB/MySQL, Redis and RabbitMQ. A test that needs a service
// that does not answer is skipped with the service's name, except under
// CI=true, where it fails.
package testenv

import (
	"net"
	"os"
	"testing"
	"time"
)

// Default addresses of the services; each can be overridden by environment.
var (
	PostgresURL = env("BARONG_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable")
	MySQLURL    = env("BARONG_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test")
	RedisURL    = env("BARONG_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
	RabbitURL   = env("BARONG_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/")
)

func env(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// InCI reports whether the tests run under CI=true, where a missing service
// is a failure rather than a skip.
func InCI() bool { return os.Getenv("CI") == "true" }

// Need checks that a TCP service answers at addr; otherwise it skips the
// test (or fails it under CI=true) naming the service.
func Need(tb testing.TB, service, addr string) {
	tb.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		Unavailable(tb, service, err)
		return
	}
	c.Close()
}

// Unavailable skips (or under CI=true fails) the test because service cannot
// be reached.
func Unavailable(tb testing.TB, service string, err error) {
	tb.Helper()
	if InCI() {
		tb.Fatalf("%s is not available (CI=true requires it): %v", service, err)
	}
	tb.Skipf("%s is not available, skipping: %v", service, err)
}

// Redis returns the Redis URL after checking that Redis answers.
func Redis(tb testing.TB) string {
	tb.Helper()
	Need(tb, "Redis", "127.0.0.1:6379")
	return RedisURL
}

// RabbitMQ returns the AMQP URL after checking that RabbitMQ answers.
func RabbitMQ(tb testing.TB) string {
	tb.Helper()
	Need(tb, "RabbitMQ", "127.0.0.1:5672")
	return RabbitURL
}
