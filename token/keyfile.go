package token

import (
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// DefaultKeyBits is the RSA size barong generates.
const DefaultKeyBits = 2048

// LoadKey reads a PEM private key file (see ParsePrivateKeyPEM).
func LoadKey(path string) (*Key, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read key %s: %w", path, err)
	}
	k, err := ParsePrivateKeyPEM(data)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", path, err)
	}
	return k, nil
}

// ParsePrivateKeyBase64 parses a private key given in an environment
// variable as Barong's deployments pass it (JWT_PRIVATE_KEY): base64 of the
// PEM, URL-safe or standard, padded or not. A PEM itself is accepted too.
// Errors never quote the value.
func ParsePrivateKeyBase64(s string) (*Key, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "-----BEGIN") {
		return ParsePrivateKeyPEM([]byte(strings.ReplaceAll(s, `\n`, "\n")))
	}
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == ' ' || r == '\t' {
			return -1
		}
		return r
	}, s)
	for _, enc := range []*base64.Encoding{base64.URLEncoding, base64.RawURLEncoding, base64.StdEncoding, base64.RawStdEncoding} {
		if pem, err := enc.DecodeString(s); err == nil {
			return ParsePrivateKeyPEM(pem)
		}
	}
	return nil, errors.New("parse private key: not base64 of a PEM private key")
}

// CreateKeyFile writes k's private PEM to path with mode 0600 (creating
// missing parent directories with mode 0700). The file appears atomically
// and is never replaced: an existing path is an error wrapping
// fs.ErrExist, so a concurrent starter either wins or learns of the
// winner's key. Keys are only generated where the caller decided it is
// safe (internal/server: a database holding nothing written with a key).
func CreateKeyFile(path string, k *Key) error { return writeNewFile(path, k.PrivatePEM()) }

// PublicKeyFingerprint is "sha256:" and the hex SHA-256 of the PKIX DER
// of pub: it names a key pair without revealing anything secret.
func PublicKeyFingerprint(pub crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("marshal public key: %w", err)
	}
	sum := sha256.Sum256(der)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

// writeNewFile creates path with mode 0600 holding data, failing with an
// fs.ErrExist error when path already exists.
func writeNewFile(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create key directory %s: %w", dir, err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("create key file in %s: %w", dir, err)
	}
	tmpName := tmp.Name()
	defer os.Remove(tmpName) // no-op once linked and removed below
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("chmod key file: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write key file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("sync key file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close key file: %w", err)
	}
	switch err := os.Link(tmpName, path); {
	case err == nil:
		return nil
	case errors.Is(err, fs.ErrExist):
		return fmt.Errorf("write key %s: %w", path, err)
	}
	// Hard links unsupported here: fall back to an exclusive create.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("write key %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write key %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close key %s: %w", path, err)
	}
	return nil
}
