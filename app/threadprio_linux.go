package app

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// lowerThreadPriority gives the calling OS thread the lowest priority an
// unprivileged process may give (Linux schedules threads one by one, so
// the process's other threads keep theirs) and names it: SCHED_IDLE, the
// class of the kernel that runs a thread only when no other thread of
// the machine wants the CPU, and whose threads a waking thread of any
// other class preempts at once. Its nice value is set to 10 first, as
// the pool always did (the kernel ignores it under SCHED_IDLE; tools
// show it). Where SCHED_IDLE is refused (a seccomp profile that forbids
// sched_setattr), nice 19.
func lowerThreadPriority() string { return lowerThread(setIdleClass) }

// setIdleClass puts the calling thread in SCHED_IDLE.
func setIdleClass() error {
	return unix.SchedSetAttr(0, &unix.SchedAttr{Policy: unix.SCHED_IDLE}, 0)
}

// lowerThread is lowerThreadPriority with the class setter as a parameter
// (tests refuse it).
func lowerThread(setIdle func() error) string {
	tid := syscall.Gettid()
	_ = syscall.Setpriority(syscall.PRIO_PROCESS, tid, 10)
	if err := setIdle(); err == nil {
		return "SCHED_IDLE"
	}
	_ = syscall.Setpriority(syscall.PRIO_PROCESS, tid, 19)
	return "nice 19"
}
