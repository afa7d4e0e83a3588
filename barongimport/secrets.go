package barongimport

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/barong-go/barong/vault"
)

type secretKind int

const (
	plainValue   secretKind = iota // Barong before 2.6 kept it in clear
	transitValue                   // vault:v1:... of a vault-rails attribute
	railsValue                     // <salt>.<message> of EncryptionService
	kvValue                        // API-key secret of Barong before 2.5 in Vault's K/V
)

// secretField is a personal field or secret of a pending row: where its
// value goes (col, and the CRC32 index column or -1) and where it comes
// from.
type secretField struct {
	name  string
	col   int
	index int
	kind  secretKind
	src   string // the stored value, or the K/V path
	key   string // transit key
	plain string
	err   error
}

// errNoVault is a value kept in Vault when Vault is not configured.
var errNoVault = errors.New("kept in Vault, and Vault is not configured (BARONG_VAULT_ADDRESS, BARONG_VAULT_TOKEN)")

// encrypted queues the personal field attr of table: from its *_encrypted
// column (a Vault transit ciphertext, under vault-rails' key name
// <app>_<table>_<attr>, or an EncryptionService value) or, before Barong
// 2.6, from the plain column.
func (im *importer) encrypted(r row, p *pending, table, attr string, col, index int) {
	f := &secretField{name: attr, col: col, index: index}
	if _, ok := r[attr+"_encrypted"]; ok {
		f.src = r.str(attr + "_encrypted")
		switch {
		case f.src == "":
		case strings.HasPrefix(f.src, "vault:v"):
			f.kind, f.key = transitValue, im.opts.VaultAppName+"_"+table+"_"+attr
		case isRailsEncrypted(f.src):
			f.kind = railsValue
		default:
			p.failf("%s: unknown encrypted format", attr)
			return
		}
	} else if attr == "dob" {
		f.src, _ = r.date("dob").(string)
	} else {
		f.src = r.str(attr)
	}
	p.secrets = append(p.secrets, f)
}

// apiKeySecret queues an API key's secret: the Vault transit ciphertext of
// secret_encrypted (key <app>_apikeys_secret, Barong ≥ 2.5), else Vault's
// K/V at <kv path>/<kid> (Barong before 2.5, field "value").
func (im *importer) apiKeySecret(r row, p *pending, kid string) {
	f := &secretField{name: "secret", col: 6, index: -1}
	if enc := r.str("secret_encrypted"); enc != "" {
		f.kind, f.src, f.key = transitValue, enc, im.opts.VaultAppName+"_apikeys_secret"
		if !strings.HasPrefix(enc, "vault:v") {
			p.failf("secret: unknown encrypted format")
			return
		}
	} else {
		f.kind, f.src = kvValue, strings.Trim(im.opts.APIKeyKVPath, "/")+"/"+kid
	}
	p.secrets = append(p.secrets, f)
}

// resolve decrypts the queued fields of rows: transit ciphertexts in
// batches per key, K/V reads one by one, EncryptionService locally; then
// writes each into its row encrypted with barong-go's key (and its CRC32
// index). A field that cannot be read fails its row.
func (im *importer) resolve(ctx context.Context, rows []*pending) error {
	byKey := map[string][]*secretField{}
	var keys []string
	for _, p := range rows {
		if p.fail != "" {
			continue
		}
		for _, f := range p.secrets {
			switch f.kind {
			case plainValue:
				f.plain = f.src
			case railsValue:
				f.plain, f.err = im.rails.decrypt(f.src)
			case transitValue:
				if byKey[f.key] == nil {
					keys = append(keys, f.key)
				}
				byKey[f.key] = append(byKey[f.key], f)
			case kvValue:
				f.plain, f.err = im.readKV(ctx, f.src)
			}
		}
	}
	for _, key := range keys {
		fields := byKey[key]
		for start := 0; start < len(fields); start += 100 {
			part := fields[start:min(start+100, len(fields))]
			if im.opts.Vault == nil {
				for _, f := range part {
					f.err = errNoVault
				}
				continue
			}
			cts := make([]string, len(part))
			for i, f := range part {
				cts[i] = f.src
			}
			res, err := im.opts.Vault.TransitDecrypt(ctx, im.opts.TransitMount, key, cts)
			if err != nil && ctx.Err() != nil {
				return ctx.Err()
			}
			for i, f := range part {
				switch {
				case err != nil:
					f.err = err
				case res[i].Err != nil:
					f.err = res[i].Err
				default:
					f.plain = string(res[i].Plaintext)
				}
			}
		}
	}
	for _, p := range rows {
		if p.fail != "" {
			continue
		}
		for _, f := range p.secrets {
			if f.err != nil {
				p.failf("%s: %v", f.name, f.err)
				break
			}
			enc, err := im.target.EncryptValue(f.plain)
			if err != nil {
				return fmt.Errorf("encrypt %s: %w", f.name, err)
			}
			if enc == "" {
				p.values[f.col] = nil
			} else {
				p.values[f.col] = enc
			}
			if f.index >= 0 && f.plain != "" {
				p.values[f.index] = im.target.IndexValue(f.plain)
			}
		}
	}
	return nil
}

// readKV reads the "value" of a K/V secret at mount/path.
func (im *importer) readKV(ctx context.Context, path string) (string, error) {
	if im.opts.Vault == nil {
		return "", errNoVault
	}
	mount, rest, _ := strings.Cut(path, "/")
	data, err := im.opts.Vault.KVRead(ctx, mount, rest)
	if errors.Is(err, vault.ErrNotFound) {
		return "", fmt.Errorf("no secret in Vault at %s", path)
	}
	if err != nil {
		return "", err
	}
	v, _ := data["value"].(string)
	if v == "" {
		return "", fmt.Errorf("the secret at %s in Vault has no value", path)
	}
	return v, nil
}
