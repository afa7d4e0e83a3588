package app

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/sys/unix"
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

// threadPolicy reads the scheduling policy of the calling thread from
// /proc (field 41 of stat: 0 SCHED_NORMAL, 5 SCHED_IDLE).
func threadPolicy(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/task/" + strconv.Itoa(syscall.Gettid()) + "/stat")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	n, err := strconv.Atoi(fields[38])
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// idleAllowed tells whether this process may put a thread in SCHED_IDLE,
// trying on a thread of its own that ends with the probe.
func idleAllowed() bool {
	res := make(chan error)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		res <- setIdleClass()
	}()
	return <-res == nil
}

// The workers' threads run in SCHED_IDLE (where the process may set it),
// the hashes run there, and the other threads keep the normal class.
func TestHashPoolIdleClass(t *testing.T) {
	t.Parallel()
	if !idleAllowed() {
		t.Skip("SCHED_IDLE refused here; TestHashPoolClassRefused covers the fallback")
	}
	p := newHashPool(2)
	t.Cleanup(p.close)
	if p.class != "SCHED_IDLE" {
		t.Fatalf("pool class %q, want SCHED_IDLE", p.class)
	}
	var policy int
	var cmpErr error
	h, _ := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	if err := p.run(context.Background(), func() {
		policy = threadPolicy(t)
		cmpErr = bcrypt.CompareHashAndPassword(h, []byte("pw"))
	}); err != nil {
		t.Fatal(err)
	}
	if policy != unix.SCHED_IDLE || cmpErr != nil {
		t.Fatalf("worker thread policy %d (want %d), compare %v", policy, unix.SCHED_IDLE, cmpErr)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if own := threadPolicy(t); own != unix.SCHED_NORMAL {
		t.Fatalf("test thread policy %d, want SCHED_NORMAL", own)
	}
}

// Where the class is refused, the workers fall back to nice 19 and
// hashing works as before.
func TestHashPoolClassRefused(t *testing.T) {
	t.Parallel()
	p := newHashPoolWith(1, func() string { return lowerThread(func() error { return syscall.EPERM }) })
	t.Cleanup(p.close)
	if p.class != "nice 19" {
		t.Fatalf("pool class %q, want nice 19", p.class)
	}
	var nice, policy int
	var h []byte
	var err error
	if werr := p.run(context.Background(), func() {
		nice, policy = threadNice(t), threadPolicy(t)
		h, err = bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	}); werr != nil {
		t.Fatal(werr)
	}
	if err != nil || bcrypt.CompareHashAndPassword(h, []byte("pw")) != nil {
		t.Fatalf("hash in the fallback pool: %v", err)
	}
	if nice != 19 || policy != unix.SCHED_NORMAL {
		t.Fatalf("worker thread nice %d policy %d, want 19 and SCHED_NORMAL", nice, policy)
	}
}
