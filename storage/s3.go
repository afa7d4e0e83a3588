package storage

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// S3 stores objects in an S3-compatible bucket with AWS Signature V4:
// signed PUT, GET and DELETE, and presigned GET URLs for downloads.
type S3 struct {
	base      *url.URL // scheme and host of the endpoint
	bucket    string
	pathStyle bool
	sig       signer
	expiry    time.Duration
	http      *http.Client
	log       *slog.Logger
	now       func() time.Time
}

// maxBuffered bounds the bytes read into memory to hash a body that cannot
// be rewound (uploads are seekable multipart files, so this is rare).
const maxBuffered = 64 << 20

// NewS3 builds the bucket storage of cfg. Without an endpoint, aws uses
// https://s3.<region>.amazonaws.com, google https://storage.googleapis.com
// (region "auto"); alicloud needs BARONG_STORAGE_ENDPOINT (an OSS endpoint).
// Only signature version 4 is spoken.
func NewS3(cfg Config, opts ...Option) (*S3, error) {
	o := options{client: &http.Client{Timeout: 60 * time.Second}, log: slog.New(slog.DiscardHandler), now: time.Now}
	for _, f := range opts {
		f(&o)
	}
	provider := strings.ToLower(cfg.Provider)
	region, endpoint := cfg.Region, cfg.Endpoint
	switch provider {
	case "aws":
		if region == "" {
			region = "us-east-1"
		}
		if endpoint == "" {
			endpoint = "https://s3." + region + ".amazonaws.com"
		}
	case "google":
		if region == "" {
			region = "auto"
		}
		if endpoint == "" {
			endpoint = "https://storage.googleapis.com"
		}
	}
	if endpoint == "" {
		return nil, fmt.Errorf("storage: BARONG_STORAGE_ENDPOINT is required for %s", provider)
	}
	if region == "" {
		region = "us-east-1"
	}
	if !strings.Contains(endpoint, "://") {
		endpoint = "https://" + endpoint
	}
	base, err := url.Parse(endpoint)
	if err != nil || base.Host == "" || (base.Scheme != "http" && base.Scheme != "https") {
		return nil, fmt.Errorf("storage: BARONG_STORAGE_ENDPOINT %q is not an http(s) URL", cfg.Endpoint)
	}
	if cfg.Bucket == "" || cfg.AccessKey == "" || cfg.SecretKey == "" {
		return nil, errors.New("storage: bucket name, access key and secret key are required")
	}
	if v := strings.TrimPrefix(strings.ToLower(cfg.SignatureVersion), "v"); v != "" && v != "4" {
		o.log.Warn("storage: only signature version 4 is supported; using it", slog.String("configured", cfg.SignatureVersion))
	}
	expiry := cfg.URLExpiry
	if expiry <= 0 {
		expiry = time.Minute
	}
	return &S3{base: &url.URL{Scheme: base.Scheme, Host: base.Host, Path: strings.TrimRight(base.Path, "/")},
		bucket: cfg.Bucket, pathStyle: cfg.PathStyle,
		sig:    signer{accessKey: cfg.AccessKey, secretKey: cfg.SecretKey, region: region},
		expiry: expiry, http: o.client, log: o.log, now: o.now}, nil
}

// objectURL is the URL of key: <endpoint>/<bucket>/<key> in path style,
// else <scheme>://<bucket>.<host>/<key>.
func (s *S3) objectURL(key string) *url.URL {
	u := *s.base
	p := "/" + key
	if s.pathStyle {
		p = "/" + s.bucket + p
	} else {
		u.Host = s.bucket + "." + u.Host
	}
	u.Path = s.base.Path + p
	u.RawPath = uriEncode(s.base.Path, false) + uriEncode(p, false)
	return &u
}

// Put uploads the object with its SHA-256 signed.
func (s *S3) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	body, hash, n, err := hashBody(r, size)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, s.objectURL(key).String(), body)
	if err != nil {
		return fmt.Errorf("build put request: %w", err)
	}
	req.ContentLength = n
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := s.do(req, hash)
	if err != nil {
		return err
	}
	resp.Body.Close()
	return nil
}

// hashBody returns a reader of the body, its hex SHA-256 and its length.
// Seekable readers are hashed and rewound; others are buffered.
func hashBody(r io.Reader, size int64) (io.Reader, string, int64, error) {
	h := sha256.New()
	if rs, ok := r.(io.ReadSeeker); ok {
		start, err := rs.Seek(0, io.SeekCurrent)
		if err != nil {
			return nil, "", 0, fmt.Errorf("seek upload: %w", err)
		}
		n, err := io.Copy(h, r)
		if err != nil {
			return nil, "", 0, fmt.Errorf("hash upload: %w", err)
		}
		if _, err := rs.Seek(start, io.SeekStart); err != nil {
			return nil, "", 0, fmt.Errorf("rewind upload: %w", err)
		}
		if size >= 0 && n != size {
			return nil, "", 0, fmt.Errorf("upload has %d bytes, want %d", n, size)
		}
		return io.LimitReader(r, n), hex.EncodeToString(h.Sum(nil)), n, nil
	}
	b, err := io.ReadAll(io.LimitReader(r, maxBuffered+1))
	if err != nil {
		return nil, "", 0, fmt.Errorf("read upload: %w", err)
	}
	if len(b) > maxBuffered || (size >= 0 && int64(len(b)) != size) {
		return nil, "", 0, fmt.Errorf("upload has %d bytes, want %d", len(b), size)
	}
	h.Write(b)
	return bytes.NewReader(b), hex.EncodeToString(h.Sum(nil)), int64(len(b)), nil
}

// URL presigns a GET of key valid for the configured lifetime.
func (s *S3) URL(_ context.Context, key string) (string, error) {
	if err := CheckKey(key); err != nil {
		return "", err
	}
	return s.sig.presign(http.MethodGet, s.objectURL(key), s.expiry, s.now()).String(), nil
}

// Get downloads the object.
func (s *S3) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := CheckKey(key); err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.objectURL(key).String(), nil)
	if err != nil {
		return nil, fmt.Errorf("build get request: %w", err)
	}
	resp, err := s.do(req, emptySHA256)
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// Delete removes the object (S3 answers 204 for a missing one too).
func (s *S3) Delete(ctx context.Context, key string) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, s.objectURL(key).String(), nil)
	if err != nil {
		return fmt.Errorf("build delete request: %w", err)
	}
	resp, err := s.do(req, emptySHA256)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	resp.Body.Close()
	return nil
}

// do signs and sends req; a non-2xx answer is an error (404: ErrNotFound)
// whose text carries the S3 error code, never the credentials.
func (s *S3) do(req *http.Request, payloadHash string) (*http.Response, error) {
	s.sig.signRequest(req, payloadHash, s.now())
	resp, err := s.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("storage %s %s: %w", req.Method, req.URL.Path, err)
	}
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	code := between(string(b), "<Code>", "</Code>")
	if resp.StatusCode == http.StatusNotFound {
		return nil, fmt.Errorf("%w: %s %s", ErrNotFound, req.URL.Path, code)
	}
	s.log.WarnContext(req.Context(), "storage request refused", slog.String("method", req.Method),
		slog.Int("status", resp.StatusCode), slog.String("code", code))
	return nil, fmt.Errorf("storage %s %s: status %d %s", req.Method, req.URL.Path, resp.StatusCode, code)
}

// between returns the text of s between the first open and the next close.
func between(s, open, close string) string {
	i := strings.Index(s, open)
	if i < 0 {
		return ""
	}
	s = s[i+len(open):]
	if j := strings.Index(s, close); j >= 0 {
		return s[:j]
	}
	return ""
}
