// Command barong is the barong-go server and its tools: serve, migrate,
// seed, keygen, pubkey and version (interface §1).
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
	"syscall"

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

const usage = `usage: barong [command]

commands:
  serve                        run the HTTP server (default)
  migrate                      apply database migrations and exit
  seed [FILE]                  apply a seeds YAML (default BARONG_SEEDS_FILE or built-in)
  keygen [--type rsa|ed25519]  write a new private key PEM to stdout
  pubkey [--base64] [--raw]    print the public key of the JWT key (PKIX PEM;
                               --raw: Ed25519's raw form for openware/pkg/jwt)
  import --from URL [--dry-run]
                               copy a Barong 2.x database into this one
                               (see barong import --help)
  version                      print the version
`

// run executes one command; it is main without the process exit.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, stderr)
	case "migrate":
		return migrate(ctx, stderr)
	case "seed":
		return seed(ctx, args, stderr)
	case "keygen":
		return keygen(args, stdout)
	case "pubkey":
		return pubkey(args, stdout)
	case "import":
		return importBarong(ctx, args, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, server.Version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
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
		"events", map[bool]string{true: "rabbitmq+mailer", false: "mailer"}[cfg.RabbitMQURL != ""])
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
	if err := srv.App.ApplySeeds(ctx, cfg.Seeds); err != nil {
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
