package storage_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/barong-go/barong/storage"
)

func TestLocal(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "uploads")
	s, err := storage.New(storage.Config{Provider: "local", LocalDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	key := "uploads/document/upload/3f9a/passport.jpg"
	data := []byte("\xff\xd8\xff jpeg bytes")
	if err := s.Put(ctx, key, bytes.NewReader(data), int64(len(data)), "image/jpeg"); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, filepath.FromSlash(key))
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("file %v mode %v", err, st.Mode())
	}
	if st, _ := os.Stat(filepath.Dir(path)); st.Mode().Perm() != 0o700 {
		t.Fatalf("dir mode %v", st.Mode())
	}
	if u, err := s.URL(ctx, key); err != nil || u != "/uploads/document/upload/3f9a/passport.jpg" {
		t.Fatalf("URL %q %v", u, err)
	}
	rc, err := s.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, data) {
		t.Fatalf("got %q", got)
	}
	// A short body fails and leaves no file or temporary file behind.
	if err := s.Put(ctx, "uploads/x/short.png", strings.NewReader("abc"), 10, ""); err == nil {
		t.Fatal("short body accepted")
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, "uploads", "x")); len(entries) != 0 {
		t.Fatalf("left behind: %v", entries)
	}
	if err := s.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Dir(path)); !os.IsNotExist(err) {
		t.Fatalf("empty object dir kept: %v", err)
	}
	if _, err := s.Get(ctx, key); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("get after delete: %v", err)
	}
	if err := s.Delete(ctx, key); err != nil {
		t.Fatalf("delete missing: %v", err)
	}
}

func TestLocalRefusesEscapes(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	dir := filepath.Join(base, "uploads")
	s, err := storage.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, key := range []string{"../outside.txt", "a/../../outside.txt", "/etc/passwd", "a//b", "a\\..\\b", "a/./b", "", "a/\x00b", "a/b\n"} {
		if err := s.Put(ctx, key, strings.NewReader("x"), 1, ""); !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("Put(%q) = %v", key, err)
		}
		if _, err := s.Get(ctx, key); !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("Get(%q) = %v", key, err)
		}
		if _, err := s.URL(ctx, key); !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("URL(%q) = %v", key, err)
		}
	}
	// A symbolic link inside the directory cannot lead out of it.
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(base, filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "link/escaped.txt", strings.NewReader("x"), 1, ""); err == nil {
		t.Fatal("write through a symlink out of the root")
	}
	if _, err := os.Stat(filepath.Join(base, "escaped.txt")); !os.IsNotExist(err) {
		t.Fatal("file written outside the root")
	}
}

func TestCheckKeyAndSafeName(t *testing.T) {
	t.Parallel()
	if err := storage.CheckKey("uploads/document/upload/ab/x.png"); err != nil {
		t.Fatal(err)
	}
	if err := storage.CheckKey(strings.Repeat("a", 256)); err == nil {
		t.Fatal("long key accepted")
	}
	for in, want := range map[string]string{
		"passport.JPG":                    "passport.JPG",
		"../../etc/passwd":                "passwd",
		`C:\Users\me\scan 1.pdf`:          "scan_1.pdf",
		"..hidden.png":                    "hidden.png",
		"паспорт.png":                     "_______.png",
		"":                                "file",
		"...":                             "file",
		strings.Repeat("a", 150) + ".png": strings.Repeat("a", 96) + ".png",
	} {
		if got := storage.SafeName(in); got != want {
			t.Errorf("SafeName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLocalCreatesDirLazily(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "later", "uploads")
	s, err := storage.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatal("directory created before the first upload")
	}
	ctx := context.Background()
	if _, err := s.Get(ctx, "a/b.png"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("get without dir: %v", err)
	}
	if err := s.Delete(ctx, "a/b.png"); err != nil {
		t.Fatalf("delete without dir: %v", err)
	}
	if err := s.Put(ctx, "a/b.png", strings.NewReader("x"), 1, ""); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("dir %v %v", st, err)
	}
	if s.Dir() != dir {
		t.Fatalf("Dir %s", s.Dir())
	}
}
