package app

import (
	"context"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// threadNice reads the nice value of the calling thread from /proc.
func threadNice(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/task/" + strconv.Itoa(syscall.Gettid()) + "/stat")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	n, err := strconv.Atoi(fields[16]) // field 19 of stat: nice
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// Hashes run on threads of nice 10 (or the process's, when it runs with
// less priority already); the other threads keep theirs.
func TestHashPoolThreadPriority(t *testing.T) {
	t.Parallel()
	var nice int
	p := newHashPool(1)
	t.Cleanup(p.close)
	if err := p.run(context.Background(), func() { nice = threadNice(t) }); err != nil {
		t.Fatal(err)
	}
	own := threadNice(t)
	if want := max(10, own); nice != want {
		t.Fatalf("worker thread nice %d, want %d (other threads %d)", nice, want, own)
	}
}
