// Command barong is the barong-go server and its tools: serve, migrate,
// seed, keygen, pubkey, import, check, healthcheck and version (interface
// §1); `barong COMMAND --help` describes each.
package main

import (
	"context"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	iofs "io/fs"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/barong-go/barong"
	"github.com/barong-go/barong/config"
	"github.com/barong-go/barong/internal/server"
	"github.com/barong-go/barong/sqlstore"
	"github.com/barong-go/barong/token"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "barong:", err)
		os.Exit(1)
	}
}

// command is one subcommand. To add one, append it to commands with its
// usage; run does not see --help/-h: the
// dispatcher answers them with usage (on stdout, exit 0, no side effect)
// before run is called, for every command alike.
type command struct {
	name string
	// synopsis is the one line of the command list; usage the full help,
	// whose first line is "usage: barong NAME ...".
	synopsis, usage string
	run             func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

var commands = []command{
	{"serve", "run the HTTP server (default)", `usage: barong serve

Runs the HTTP server: every API family, the authz endpoint, /healthz,
/readyz and /metrics on BARONG_HTTP_ADDR (and Envoy's gRPC ext_authz on
BARONG_GRPC_ADDR when set). Applies pending migrations and the seeds first
unless BARONG_AUTO_MIGRATE=false. SIGTERM and SIGINT drain requests in
flight and exit 0. Configuration: environment variables (barong check).
`, func(ctx context.Context, args []string, _, stderr io.Writer) error {
		if err := noArgs("serve", args); err != nil {
			return err
		}
		return serve(ctx, stderr)
	}},
	{"migrate", "apply database migrations and exit", `usage: barong migrate

Applies the pending database migrations of BARONG_DATABASE_URL and exits
(idempotent; concurrent runs wait for each other on PostgreSQL and MySQL).
`, func(ctx context.Context, args []string, _, stderr io.Writer) error {
		if err := noArgs("migrate", args); err != nil {
			return err
		}
		return migrate(ctx, stderr)
	}},
	{"seed", "apply a seeds YAML (default BARONG_SEEDS_FILE or built-in)", `usage: barong seed [FILE]

Applies a seeds YAML (levels, permissions, restrictions, users)
idempotently, migrating first. Without FILE: BARONG_SEEDS_FILE, else the
built-in defaults.
`, func(ctx context.Context, args []string, _, stderr io.Writer) error {
		if len(args) > 1 {
			return fmt.Errorf("seed: one FILE at most, got %d arguments", len(args))
		}
		return seed(ctx, args, stderr)
	}},
	{"keygen", "write a new private key PEM to stdout", `usage: barong keygen [--type rsa|ed25519]

Writes a new private key PEM to stdout: RSA 2048 (RS256, what Peatio
verifies; the default) or Ed25519 (EdDSA).
`, func(_ context.Context, args []string, stdout, _ io.Writer) error { return keygen(args, stdout) }},
	{"pubkey", "print the public key of the JWT key", `usage: barong pubkey [--base64] [--raw]

Prints the public key of the JWT key (JWT_PRIVATE_KEY, else the PEM at
JWT_PRIVATE_KEY_PATH) as a PKIX PEM; never generates a key.
  --base64  standard base64 of that PEM (what Peatio's JWT_PUBLIC_KEY takes)
  --raw     Ed25519 only: the raw 32-byte key in the PEM block, the form
            openware/pkg/jwt's EdDSA key store reads
`, func(_ context.Context, args []string, stdout, _ io.Writer) error { return pubkey(args, stdout) }},
	{"import", "copy a Barong 2.x database into this one", importHelp(), importBarong},
	{"check", "validate the configuration (--connect: reach the services)", `usage: barong check [--connect]

Validates the whole configuration without changing anything: every
variable and YAML file, the keys (JWT_PRIVATE_KEY or its file, the
encryption key: missing ones are reported, never generated), the providers; warns about BARONG_* variables that nothing
reads (typos) and variables that are set but have no effect.
  --connect  also reach the database (and tell whether migrations are
             pending and whether a start accepts the keys on it), Redis,
             RabbitMQ, Vault (with BARONG_VAULT_TOKEN) and the SMTP server
Exits 1 when there is an error; warnings alone exit 0.
`, check},
	{"healthcheck", "exit 0 when the local server is ready (for container health checks)", `usage: barong healthcheck [URL]

Asks URL (default http://127.0.0.1:<port of BARONG_HTTP_ADDR>/readyz) and
exits 0 on 200, 1 otherwise: a container health check for images without
a shell or curl (the distroless image of the Dockerfile).
`, healthcheck},
	{"version", "print the version (--version: with tag, commit, build time)", `usage: barong version

Prints the version alone, as Barong's and scripts expect (interface §1).
barong --version prints it with the git tag and commit, the build time and
the Go version.
`, func(_ context.Context, args []string, stdout, _ io.Writer) error {
		if err := noArgs("version", args); err != nil {
			return err
		}
		_, err := fmt.Fprintln(stdout, server.Version)
		return err
	}},
}

// usage is the command list.
func usage() string {
	var b strings.Builder
	b.WriteString("usage: barong [command] [--help]\n\ncommands:\n")
	for _, c := range commands {
		fmt.Fprintf(&b, "  %-12s %s\n", c.name, c.synopsis)
	}
	b.WriteString("\nbarong COMMAND --help describes a command; barong --version prints the version.\n")
	return b.String()
}

// run executes one command; it is main without the process exit.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	name := "serve"
	if len(args) > 0 {
		name, args = args[0], args[1:]
	}
	switch name {
	case "help", "-h", "-help", "--help":
		if len(args) > 0 {
			if c := lookup(args[0]); c != nil {
				_, err := io.WriteString(stdout, c.usage)
				return err
			}
		}
		_, err := io.WriteString(stdout, usage())
		return err
	case "--version", "-version":
		_, err := fmt.Fprintln(stdout, server.VersionLine())
		return err
	}
	c := lookup(name)
	if c == nil {
		_, _ = io.WriteString(stderr, usage())
		return fmt.Errorf("unknown command %q", name)
	}
	if wantsHelp(args) {
		_, err := io.WriteString(stdout, c.usage)
		return err
	}
	return c.run(ctx, args, stdout, stderr)
}

func lookup(name string) *command {
	for i := range commands {
		if commands[i].name == name {
			return &commands[i]
		}
	}
	return nil
}

// wantsHelp reports whether args ask for help before any "--".
func wantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}

// noArgs refuses arguments to a command that takes none.
func noArgs(cmd string, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("%s takes no arguments, got %q (barong %s --help)", cmd, args[0], cmd)
	}
	return nil
}

func loadConfig() (*config.Config, error) {
	return config.Load(os.LookupEnv)
}

func serve(ctx context.Context, stderr io.Writer) error {
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	log := server.NewLogger(cfg, stderr)
	srv, err := server.Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("BARONG_HTTP_ADDR %s: %w", cfg.HTTPAddr, err)
	}
	var grpcLn net.Listener
	if cfg.GRPCAddr != "" {
		if grpcLn, err = net.Listen("tcp", cfg.GRPCAddr); err != nil {
			ln.Close()
			return fmt.Errorf("BARONG_GRPC_ADDR %s: %w", cfg.GRPCAddr, err)
		}
	}
	if _, err := srv.Setup(ctx, ln.Addr()); err != nil {
		ln.Close()
		if grpcLn != nil {
			grpcLn.Close()
		}
		return fmt.Errorf("setup token: %w", err)
	}
	srv.Start(ctx)
	log.Info("barong serving", "addr", ln.Addr().String(), "version", server.Version, "database", srv.DB.Dialect(),
		"sessions", map[bool]string{true: "redis", false: "database"}[cfg.RedisURL != ""],
		"events", map[bool]string{true: "rabbitmq+mailer", false: "mailer"}[cfg.RabbitMQURL != ""],
		"bcrypt_workers", srv.Hashing.Workers, "bcrypt_class", srv.Hashing.Class, "gomaxprocs", srv.Hashing.GOMAXPROCS, "gomaxprocs_while_hashing", srv.Hashing.WhileHashing)
	if cfg.PhoneVerification == "mock" {
		log.Warn("phone verification uses the mock provider, which accepts any code; for development only")
	}
	if cfg.KYCProvider == "kycaid" {
		log.Info("KYC provider KYCAID", "endpoint", cfg.KYCAIDAPIEndpoint, "sandbox", cfg.KYCAIDSandboxMode,
			"callback_base", cfg.Domain)
	}
	err = serveAll(ctx, srv, ln, grpcLn, log)
	log.Info("barong stopped")
	return err
}

// serveAll runs the HTTP server and, when grpcLn is set, the gRPC ext_authz
// service until ctx ends (both then drain) or one of them fails (the other
// is then stopped too).
func serveAll(ctx context.Context, srv *server.Server, ln, grpcLn net.Listener, log *slog.Logger) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 2)
	n := 1
	go func() { errc <- srv.Serve(ctx, ln) }()
	if grpcLn != nil {
		n++
		log.Info("barong ext_authz gRPC serving", "addr", grpcLn.Addr().String())
		go func() { errc <- srv.ServeGRPC(ctx, grpcLn) }()
	}
	var first error
	for range n {
		if err := <-errc; err != nil && first == nil {
			first = err
			cancel()
		}
	}
	return first
}

func migrate(ctx context.Context, stderr io.Writer) error {
	_, log, db, err := openMigrated(ctx, stderr)
	if err != nil {
		return err
	}
	defer db.Close()
	log.Info("migrations applied", "database", db.Dialect())
	return nil
}

// openMigrated loads the configuration and opens the database with its
// migrations applied.
func openMigrated(ctx context.Context, stderr io.Writer) (*config.Config, *slog.Logger, *sqlstore.DB, error) {
	cfg, err := loadConfig()
	if err != nil {
		return nil, nil, nil, err
	}
	log := server.NewLogger(cfg, stderr)
	db, err := server.OpenDB(ctx, cfg, log)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, nil, nil, fmt.Errorf("migrate: %w", err)
	}
	return cfg, log, db, nil
}

func seed(ctx context.Context, args []string, stderr io.Writer) error {
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	if len(args) > 0 {
		seeds, err := config.LoadSeedsFile(args[0], os.LookupEnv)
		if err != nil {
			return err
		}
		cfg.Seeds = seeds
	}
	cfg.AutoMigrate = true
	log := server.NewLogger(cfg, stderr)
	srv, err := server.Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer srv.Close()
	// Explicitly, also on a database imported from Barong (where serve
	// leaves seeds alone).
	if err := srv.App.ApplySeeds(ctx, barong.SystemActor("seed"), cfg.Seeds); err != nil {
		return fmt.Errorf("seeds: %w", err)
	}
	log.Info("seeds applied")
	return nil
}

func keygen(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("keygen", flag.ContinueOnError)
	typ := fs.String("type", "rsa", "key type: rsa or ed25519")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var k *token.Key
	var err error
	switch *typ {
	case "rsa":
		k, err = token.GenerateRSA(2048)
	case "ed25519":
		k, err = token.GenerateEd25519()
	default:
		return fmt.Errorf("keygen: --type must be rsa or ed25519, got %q", *typ)
	}
	if err != nil {
		return fmt.Errorf("keygen: %w", err)
	}
	_, err = stdout.Write(k.PrivatePEM())
	return err
}

func pubkey(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("pubkey", flag.ContinueOnError)
	b64 := fs.Bool("base64", false, "print standard base64 of the PEM")
	raw := fs.Bool("raw", false, "Ed25519 only: the raw 32-byte key in the PEM block (the form openware/pkg/jwt's EdDSA key store reads) instead of PKIX")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	// Never generated here: a new key would match nothing that verifies.
	k, err := server.LoadSigningKey(cfg)
	if errors.Is(err, iofs.ErrNotExist) && cfg.JWTPrivateKey == "" {
		return fmt.Errorf("JWT_PRIVATE_KEY_PATH: %s does not exist; barong pubkey never generates a key: "+
			"point JWT_PRIVATE_KEY_PATH at the key barong serve uses (barong serve writes one on its first start), "+
			"or set JWT_PRIVATE_KEY as Barong had it", cfg.JWTPrivateKeyPath)
	}
	if err != nil {
		return err
	}
	pem := k.PublicPEM()
	if *raw {
		if pem, err = k.PublicRawPEM(); err != nil {
			return fmt.Errorf("pubkey --raw: the JWT key is %s, not Ed25519: %w", k.Algorithm(), err)
		}
	}
	if *b64 {
		_, err = fmt.Fprintln(stdout, base64.StdEncoding.EncodeToString(pem))
		return err
	}
	_, err = stdout.Write(pem)
	return err
}
