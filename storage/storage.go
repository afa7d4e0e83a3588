package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"time"
	"unicode/utf8"
)

// Storage stores and serves uploaded files by key.
type Storage interface {
	// Put stores size bytes of r under key (size < 0: unknown).
	Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error
	// URL is where a client downloads the object: a presigned URL for
	// buckets, a path for the local directory.
	URL(ctx context.Context, key string) (string, error)
	// Get reads the object; a missing one is ErrNotFound.
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	// Delete removes the object; a missing one is not an error.
	Delete(ctx context.Context, key string) error
}

// Errors of the storages.
var (
	ErrNotFound   = errors.New("storage: object not found")
	ErrInvalidKey = errors.New("storage: invalid key")
)

// maxKeyLen keeps keys inside the documents.upload column (varchar 255).
const maxKeyLen = 255

// CheckKey reports ErrInvalidKey unless key is a relative path of
// non-empty segments other than "." and "..", without backslashes, NUL or
// control characters, in valid UTF-8 and at most 255 bytes.
func CheckKey(key string) error {
	if key == "" || len(key) > maxKeyLen || !utf8.ValidString(key) || strings.ContainsRune(key, '\\') {
		return fmt.Errorf("%w: %q", ErrInvalidKey, key)
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("%w: %q", ErrInvalidKey, key)
		}
		for _, r := range seg {
			if r < 0x20 || r == 0x7f {
				return fmt.Errorf("%w: %q", ErrInvalidKey, key)
			}
		}
	}
	return nil
}

// maxNameLen bounds a sanitised file name, extension included.
const maxNameLen = 100

// SafeName turns a client's file name into a safe last key segment: the
// base name (after / or \), every character outside [A-Za-z0-9._+-]
// replaced by '_' (as CarrierWave sanitises), leading dots removed, at most
// 100 bytes with the extension kept; "file" when nothing is left.
func SafeName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	var b strings.Builder
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-', r == '+':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	s := strings.TrimLeft(b.String(), ".")
	if len(s) > maxNameLen {
		ext := path.Ext(s)
		if len(ext) > 20 {
			ext = ""
		}
		s = s[:maxNameLen-len(ext)] + ext
	}
	if strings.Trim(s, "_.") == "" {
		return "file"
	}
	return s
}

// Config selects and configures the storage (BARONG_STORAGE_*).
type Config struct {
	// Provider is local (default), aws, google or alicloud.
	Provider string
	// LocalDir is the directory of the local provider (default var/uploads).
	LocalDir string
	// Bucket, AccessKey, SecretKey (secret), Endpoint, Region, PathStyle
	// and SignatureVersion configure the S3-compatible providers.
	Bucket           string
	AccessKey        string
	SecretKey        string
	Endpoint         string
	Region           string
	PathStyle        bool
	SignatureVersion string
	// URLExpiry is the lifetime of presigned download URLs (default 1 minute).
	URLExpiry time.Duration
	// URLSecret, when set, makes the local provider sign its URLs and
	// serve them (Local.SignURLs).
	URLSecret []byte
}

// Option adjusts a storage built by New.
type Option func(*options)

type options struct {
	client *http.Client
	log    *slog.Logger
	now    func() time.Time
}

// WithHTTPClient sets the HTTP client of bucket requests.
func WithHTTPClient(c *http.Client) Option { return func(o *options) { o.client = c } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithClock sets the clock that dates signatures (tests).
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// DefaultLocalDir is where the local provider keeps files by default.
const DefaultLocalDir = "var/uploads"

// New builds the storage of cfg.Provider.
func New(cfg Config, opts ...Option) (Storage, error) {
	switch strings.ToLower(cfg.Provider) {
	case "", "local":
		dir := cfg.LocalDir
		if dir == "" {
			dir = DefaultLocalDir
		}
		l, err := NewLocal(dir)
		if err != nil {
			return nil, err
		}
		if cfg.URLSecret != nil {
			o := options{now: time.Now}
			for _, opt := range opts {
				opt(&o)
			}
			l.SignURLs(cfg.URLSecret, cfg.URLExpiry, o.now)
		}
		return l, nil
	case "aws", "google", "alicloud":
		return NewS3(cfg, opts...)
	}
	return nil, fmt.Errorf("storage: unknown provider %q", cfg.Provider)
}
