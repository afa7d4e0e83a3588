package storage

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Local keeps files under a directory: directories 0700, files 0600,
// written to a temporary name and renamed into place. Every access goes
// through os.Root, so no key can reach outside the directory even through
// a symbolic link.
type Local struct {
	dir string
	// With a secret, URL gives signed links valid for expiry, which
	// ServeHTTP checks (SignURLs).
	secret []byte
	expiry time.Duration
	now    func() time.Time
}

// SignURLs makes URL answer links signed with secret (HMAC-SHA256 of the
// key and the expiry time) valid for expiry, and ServeHTTP serve them:
// Barong's local uploader gave bare paths under its public directory, so
// anyone who knew or guessed one could read a passport scan.
func (l *Local) SignURLs(secret []byte, expiry time.Duration, now func() time.Time) {
	if expiry <= 0 {
		expiry = time.Minute
	}
	if now == nil {
		now = time.Now
	}
	l.secret, l.expiry, l.now = secret, expiry, now
}

// NewLocal returns the storage of dir; the directory is created (0700) by
// the first Put, so a server that never receives an upload leaves no trace.
func NewLocal(dir string) (*Local, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("storage dir %s: %w", dir, err)
	}
	return &Local{dir: abs}, nil
}

// Dir is the absolute directory of the storage.
func (l *Local) Dir() string { return l.dir }

func (l *Local) root(key string) (*os.Root, error) {
	if err := CheckKey(key); err != nil {
		return nil, err
	}
	r, err := os.OpenRoot(l.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("open storage dir: %w", err)
	}
	return r, nil
}

// Put writes the object atomically; a reader that yields other than size
// bytes (when size >= 0) fails and leaves nothing behind.
func (l *Local) Put(ctx context.Context, key string, r io.Reader, size int64, _ string) (err error) {
	if err := CheckKey(key); err != nil {
		return err
	}
	if err := os.MkdirAll(l.dir, 0o700); err != nil {
		return fmt.Errorf("create storage dir: %w", err)
	}
	root, err := l.root(key)
	if err != nil {
		return err
	}
	defer root.Close()
	if err := root.MkdirAll(path.Dir(key), 0o700); err != nil {
		return fmt.Errorf("create object dir: %w", err)
	}
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	tmp := key + ".tmp-" + hex.EncodeToString(rnd[:])
	f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("create object: %w", err)
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = root.Remove(tmp)
		}
	}()
	src := io.Reader(ctxReader{ctx, r})
	if size >= 0 {
		src = io.LimitReader(src, size+1)
	}
	n, err := io.Copy(f, src)
	if err != nil {
		return fmt.Errorf("write object: %w", err)
	}
	if size >= 0 && n != size {
		return fmt.Errorf("write object: got %d bytes, want %d", n, size)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync object: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close object: %w", err)
	}
	if err := root.Rename(tmp, key); err != nil {
		return fmt.Errorf("rename object: %w", err)
	}
	return nil
}

// URL is the path Barong's local uploader gives, "/" + key, e.g.
// /uploads/document/upload/<random>/<name>; with SignURLs, followed by
// ?expires=<unix time>&signature=<hex>, which ServeHTTP serves until then.
func (l *Local) URL(_ context.Context, key string) (string, error) {
	if err := CheckKey(key); err != nil {
		return "", err
	}
	segs := strings.Split(key, "/")
	for i, seg := range segs {
		segs[i] = url.PathEscape(seg)
	}
	u := "/" + strings.Join(segs, "/")
	if l.secret == nil {
		return u, nil
	}
	exp := strconv.FormatInt(l.now().Add(l.expiry).Unix(), 10)
	return u + "?expires=" + exp + "&signature=" + l.sign(key, exp), nil
}

func (l *Local) sign(key, expires string) string {
	m := hmac.New(sha256.New, l.secret)
	m.Write([]byte(key))
	m.Write([]byte{0})
	m.Write([]byte(expires))
	return hex.EncodeToString(m.Sum(nil))
}

// Error keys of ServeHTTP's refusals.
const (
	KeyURLInvalid = "upload.url_invalid"
	KeyURLExpired = "upload.url_expired"
	KeyNotFound   = "upload.not_found"
)

// ServeHTTP serves GET and HEAD of a signed URL (the path is "/" + key):
// 403 upload.url_invalid for a missing or wrong signature (also when URLs
// are not signed: then nothing is served), 403 upload.url_expired after
// its time, 404 upload.not_found for a missing file. The file is sent with
// a content type from its extension, never sniffed, under a sandboxing
// Content-Security-Policy and not cached.
func (l *Local) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeError(w, http.StatusMethodNotAllowed, "upload.method_not_allowed")
		return
	}
	key := strings.TrimPrefix(r.URL.Path, "/")
	q := r.URL.Query()
	exp, sig := q.Get("expires"), q.Get("signature")
	if l.secret == nil || CheckKey(key) != nil || exp == "" || len(sig) != 64 ||
		!hmac.Equal([]byte(sig), []byte(l.sign(key, exp))) {
		writeError(w, http.StatusForbidden, KeyURLInvalid)
		return
	}
	t, err := strconv.ParseInt(exp, 10, 64)
	if err != nil {
		writeError(w, http.StatusForbidden, KeyURLInvalid)
		return
	}
	if l.now().Unix() > t {
		writeError(w, http.StatusForbidden, KeyURLExpired)
		return
	}
	root, err := l.root(key)
	if err != nil {
		writeError(w, http.StatusNotFound, KeyNotFound)
		return
	}
	defer root.Close()
	f, err := root.Open(key)
	if err != nil {
		writeError(w, http.StatusNotFound, KeyNotFound)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		writeError(w, http.StatusNotFound, KeyNotFound)
		return
	}
	h := w.Header()
	h.Set("Content-Type", contentTypeOf(key))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "private, no-store")
	if cd := mime.FormatMediaType("inline", map[string]string{"filename": path.Base(key)}); cd != "" {
		h.Set("Content-Disposition", cd)
	}
	http.ServeContent(w, r, "", st.ModTime(), f)
}

// contentTypeOf maps the upload extensions Barong allows to their types;
// anything else is a download.
func contentTypeOf(key string) string {
	switch strings.ToLower(path.Ext(key)) {
	case ".jpg", ".jpeg":
		return "image/jpeg"
	case ".png":
		return "image/png"
	case ".pdf":
		return "application/pdf"
	}
	return "application/octet-stream"
}

func writeError(w http.ResponseWriter, status int, key string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(`{"errors":["` + key + `"]}`))
}

// Get opens the object.
func (l *Local) Get(_ context.Context, key string) (io.ReadCloser, error) {
	root, err := l.root(key)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	f, err := root.Open(key)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("open object: %w", err)
	}
	return f, nil
}

// Delete removes the object and its directory when that is left empty.
func (l *Local) Delete(_ context.Context, key string) error {
	root, err := l.root(key)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	defer root.Close()
	if err := root.Remove(key); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete object: %w", err)
	}
	if dir := path.Dir(key); dir != "." {
		_ = root.Remove(dir) // fails, harmlessly, when not empty
	}
	return nil
}

// ctxReader stops a copy when ctx ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
