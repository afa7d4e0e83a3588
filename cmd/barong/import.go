package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/barong-go/barong/barongimport"
	"github.com/barong-go/barong/internal/server"
)

const importUsage = `usage: barong import --from URL [--dry-run] [flags]

Copies a running Barong 2.x database (2.3 to 2.7, MySQL/MariaDB or
PostgreSQL) into barong-go's database (BARONG_DATABASE_URL), with the same
ids and UIDs: users (their passwords keep working), labels, levels,
permissions, restrictions, profiles, phones, documents, data storages,
comments, activities, API keys and service accounts. Barong's database is
only read, in one read-only transaction. Run it again at any time: only new
and changed rows are copied, rows Barong deleted are removed, rows that
cannot be copied are listed with the reason (and the exit status is 1).

Secrets and personal data are read as Barong kept them and encrypted with
BARONG_ENCRYPTION_KEY_PATH (on an empty target a missing key file is
generated: keep it, barong serve needs it; over existing data it must be
the key the data was written with): Vault (BARONG_VAULT_ADDRESS, BARONG_VAULT_TOKEN,
BARONG_VAULT_APP_NAME) for API-key secrets and vault-rails fields,
SECRET_KEY_BASE (Barong's) for Barong 2.6+ personal data. 2FA secrets stay
in Vault's TOTP engine: keep BARONG_VAULT_* set for barong serve until the
users re-enrol. The import never touches the JWT key: barong serve on the
imported database needs Barong's (JWT_PRIVATE_KEY as Barong had it, or
JWT_PRIVATE_KEY_PATH). See docs/migrating-from-barong.md.

flags:
`

// importOptions are the flags of `barong import`.
type importOptions struct {
	from, transit, kvPath string
	dryRun                bool
	batch                 int
}

// importFlags is the flag set of `barong import`, writing to out.
func importFlags(out io.Writer) (*flag.FlagSet, *importOptions) {
	o := &importOptions{}
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&o.from, "from", "", "Barong's database: mysql://user:pass@host:3306/barong_production (also mysql2://) or postgres://user:pass@host:5432/barong_production; unset: $BARONG_IMPORT_FROM, which keeps the password out of the process list and the shell history")
	fs.BoolVar(&o.dryRun, "dry-run", false, "read and check everything, report what an import would do and every row that cannot be imported; write no row")
	fs.IntVar(&o.batch, "batch-size", 500, "rows per read and per transaction")
	fs.StringVar(&o.transit, "vault-transit-mount", "transit", "Vault transit mount of Barong's encrypted fields")
	fs.StringVar(&o.kvPath, "vault-kv-path", "secret/barong/api_key", "Vault K/V path of the API-key secrets of Barong before 2.5 (one secret per kid, field value)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), importUsage)
		fs.PrintDefaults()
	}
	return fs, o
}

// importHelp is the usage of `barong import` with its flags.
func importHelp() string {
	var b strings.Builder
	fs, _ := importFlags(&b)
	fs.Usage()
	return b.String()
}

// importBarong is `barong import`.
func importBarong(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, o := importFlags(stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("import: unexpected argument %q", fs.Arg(0))
	}
	if o.from == "" {
		o.from = os.Getenv("BARONG_IMPORT_FROM")
	}
	if o.from == "" {
		return errors.New("import: --from or BARONG_IMPORT_FROM (Barong's database URL) is required")
	}
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	log := server.NewLogger(cfg, stderr)
	opts := barongimport.Options{From: o.from, TransitMount: o.transit, APIKeyKVPath: o.kvPath, DryRun: o.dryRun, BatchSize: o.batch, Log: log}
	if f, ok := stderr.(*os.File); ok && isTerminal(f) {
		opts.OnProgress = barongimport.ProgressBar(stderr)
	}
	rep, err := server.Import(ctx, cfg, log, opts)
	if rep != nil {
		rep.Print(stdout)
	}
	if err != nil {
		return err
	}
	if n := rep.Failed(); n > 0 {
		return fmt.Errorf("import: %d rows cannot be imported (listed above)", n)
	}
	return nil
}

// isTerminal reports whether f is a terminal (a character device).
func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
