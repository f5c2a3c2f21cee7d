package harness

import "syscall"

// sysProcAttr makes a started target die with the bench, even when the bench is killed.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
