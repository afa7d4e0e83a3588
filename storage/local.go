package storage

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
)

// Local keeps files under a directory: directories 0700, files 0600,
// written to a temporary name and renamed into place. Every access goes
// through os.Root, so no key can reach outside the directory even through
// a symbolic link.
type Local struct {
	dir string
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

// URL is the path Barong's local uploader gives: "/" + key, e.g.
// /uploads/document/upload/<random>/<name>. barong-go does not serve it;
// a reverse proxy (or an admin with access to the directory) does.
func (l *Local) URL(_ context.Context, key string) (string, error) {
	if err := CheckKey(key); err != nil {
		return "", err
	}
	return "/" + key, nil
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
