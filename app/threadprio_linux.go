package app

import "syscall"

// lowerThreadPriority sets the calling OS thread's nice value to 10 (an
// unprivileged process may always lower its priority). Linux schedules
// threads one by one, so the process's other threads keep theirs.
func lowerThreadPriority() {
	_ = syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), 10)
}
