package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/barong-go/barong/config"
	"github.com/barong-go/barong/seclog"
	"github.com/go-sql-driver/mysql"
	amqp091 "github.com/rabbitmq/amqp091-go"
	"github.com/redis/go-redis/v9"
)

// NewLogger builds the structured logger of cfg on stderr-like w: text or
// JSON lines (BARONG_LOG_FORMAT) at LOG_LEVEL, each line of a request
// carrying its request_id. It also routes the logs of the libraries that
// keep a process-wide logger (go-redis, amqp091, the MySQL driver) to it,
// so that nothing reaches stderr unstructured; goose logs through the
// store's logger (sqlstore).
func NewLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.SlogLevel()}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if strings.EqualFold(cfg.LogFormat, "json") {
		h = slog.NewJSONHandler(w, opts)
	}
	log := slog.New(seclog.Handler(h))
	RouteLibraryLogs(log)
	return log
}

// RouteLibraryLogs sends the process-wide loggers of go-redis, amqp091 and
// the MySQL driver to log, each line tagged with its library.
func RouteLibraryLogs(log *slog.Logger) {
	redis.SetLogger(redisLogger{log.With("library", "go-redis")})
	amqp091.SetLogger(printfLogger{log.With("library", "amqp091"), slog.LevelWarn})
	_ = mysql.SetLogger(printLogger{log.With("library", "mysql"), slog.LevelError})
}

// redisLogger is go-redis' Logging: pool and connection trouble, at WARN.
type redisLogger struct{ log *slog.Logger }

func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	if ctx == nil {
		ctx = context.Background()
	}
	l.log.WarnContext(ctx, strings.TrimPrefix(fmt.Sprintf(format, v...), "redis: "))
}

// printfLogger is a Printf-style library logger at a fixed level.
type printfLogger struct {
	log   *slog.Logger
	level slog.Level
}

func (l printfLogger) Printf(format string, v ...any) {
	l.log.Log(context.Background(), l.level, strings.TrimSpace(fmt.Sprintf(format, v...)))
}

// printLogger is a Print-style library logger (the MySQL driver's).
type printLogger struct {
	log   *slog.Logger
	level slog.Level
}

func (l printLogger) Print(v ...any) {
	l.log.Log(context.Background(), l.level, strings.TrimSpace(fmt.Sprint(v...)))
}
