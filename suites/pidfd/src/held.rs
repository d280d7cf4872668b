//! Children that the tests reap themselves.
//!
//! The claims of this suite are about waiting for and reaping a child (waitid(P_PIDFD),
//! ECHILD, ESRCH after reaping, a child that is never a zombie), so the child cannot be a
//! `fixtures::Forked`, which reaps with waitpid(2) and kills by pid on drop (a pid that the
//! test has reaped may already belong to another process). A [`Held`] child is created by
//! fork(2), clone(2) with CLONE_PIDFD or clone3(2); it runs a small async-signal-safe
//! preparation, says it is ready, waits until it is released, then runs its ending (exit
//! with a code, or a fault). The handle keeps a pidfd of its own, so the cleanup on drop
//! (SIGKILL, then reap) is addressed through the pidfd and can never hit a recycled pid.
//!
//! Should move to fixtures: a child that a test reaps itself, cleaned up through a pidfd.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

use fixtures::sync::{Notifier, Waiter, channel};
use nix::errno::Errno;

use crate::calls::{pidfd_open, send_signal};

/// How a held child ends once released.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// `_exit(code)`.
    Exit(i32),
    /// A store through a null pointer: SIGSEGV with si_code SEGV_MAPERR.
    Fault,
}

/// A child process the test waits for and reaps itself (see the module documentation).
pub struct Held {
    pid: libc::pid_t,
    own: Option<OwnedFd>,
    go: Option<Notifier>,
}

/// What the child does: `prepare` (async-signal-safe: no allocation, no locks), "ready",
/// wait for the go byte (or EOF), then `ending`. Never returns.
fn child_body(prepare: &dyn Fn(), ready: &Notifier, go: &Waiter, ending: Ending) -> ! {
    // SAFETY: plain system calls in a child that leaves with _exit.
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
        prepare();
        let one = 1u8;
        libc::write(ready.as_fd().as_raw_fd(), (&one as *const u8).cast(), 1);
        let mut b = 0u8;
        while libc::read(go.as_fd().as_raw_fd(), (&mut b as *mut u8).cast(), 1) == -1 && Errno::last() == Errno::EINTR {}
        match ending {
            Ending::Exit(code) => libc::_exit(code),
            Ending::Fault => {
                std::ptr::write_volatile(std::ptr::null_mut::<u8>(), 1);
                libc::_exit(126)
            }
        }
    }
}

impl Held {
    /// fork(2) a child that exits with `code` once released.
    pub fn fork(code: i32) -> Held {
        Held::fork_with(|| {}, Ending::Exit(code))
    }

    /// fork(2) a child that runs `prepare` (async-signal-safe), then waits to be released
    /// and ends with `ending`. Returns once the child is ready.
    pub fn fork_with(prepare: impl Fn(), ending: Ending) -> Held {
        let (ready, wait_ready) = channel();
        let (go, wait_go) = channel();
        // SAFETY: the child only runs child_body and leaves with _exit.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork: {}", Errno::last());
        if pid == 0 {
            child_body(&prepare, &ready, &wait_go, ending);
        }
        Held::adopted(pid, go, &wait_ready)
    }

    /// clone(2) with CLONE_PIDFD|SIGCHLD and no new stack (a fork): the child exits with
    /// `code` once released; the parent gets the pidfd the kernel stored (clone(2),
    /// CLONE_PIDFD: "placed at a specified location in the parent's memory", the
    /// parent_tid argument of the raw call). The exact errno when clone fails.
    pub fn clone_pidfd(code: i32) -> Result<(Held, OwnedFd), Errno> {
        let (ready, wait_ready) = channel();
        let (go, wait_go) = channel();
        let mut pidfd: libc::c_int = -1;
        let flags = (libc::CLONE_PIDFD | libc::SIGCHLD) as libc::c_ulong;
        // SAFETY: clone without CLONE_VM and without a new stack behaves like fork(2); the
        // child only runs child_body. x86_64 order: flags, stack, parent_tid, child_tid, tls.
        let pid = unsafe { libc::syscall(libc::SYS_clone, flags, 0usize, &mut pidfd as *mut libc::c_int, 0usize, 0usize) };
        if pid == -1 {
            return Err(Errno::last());
        }
        if pid == 0 {
            child_body(&|| {}, &ready, &wait_go, Ending::Exit(code));
        }
        assert!(pidfd >= 0, "clone(CLONE_PIDFD) returned pid {pid} but stored no pidfd ({pidfd})");
        Ok((Held::adopted(pid as libc::pid_t, go, &wait_ready), fixtures::io::owned(pidfd)))
    }

    /// clone3(2) with `flags` (CLONE_PIDFD among them or not) and `exit_signal`, no new
    /// stack (the child is a fork); the child exits with `code` once released. Returns the
    /// handle and the pidfd clone3 stored (with CLONE_PIDFD), or the exact errno.
    pub fn clone3(flags: u64, exit_signal: u64, code: i32) -> Result<(Held, Option<OwnedFd>), Errno> {
        let (ready, wait_ready) = channel();
        let (go, wait_go) = channel();
        let mut pidfd: libc::c_int = -1;
        let mut args = CloneArgs { flags, exit_signal, ..CloneArgs::default() };
        if flags & libc::CLONE_PIDFD as u64 != 0 {
            args.pidfd = &mut pidfd as *mut libc::c_int as u64;
        }
        // SAFETY: clone3 without CLONE_VM and without a stack behaves like fork(2); the
        // child only runs child_body.
        let pid = unsafe { libc::syscall(libc::SYS_clone3, &mut args as *mut CloneArgs, std::mem::size_of::<CloneArgs>()) };
        if pid == -1 {
            return Err(Errno::last());
        }
        if pid == 0 {
            child_body(&|| {}, &ready, &wait_go, Ending::Exit(code));
        }
        let pidfd = (pidfd >= 0).then(|| fixtures::io::owned(pidfd));
        Ok((Held::adopted(pid as libc::pid_t, go, &wait_ready), pidfd))
    }

    /// The handle of a new child: its own pidfd is a separate pidfd_open(2) (never a
    /// duplicate of the one a clone call returned, whose last close may be the claim).
    fn adopted(pid: libc::pid_t, go: Notifier, wait_ready: &Waiter) -> Held {
        let held = Held { pid, own: pidfd_open(pid, 0).ok(), go: Some(go) };
        wait_ready.wait();
        held
    }

    pub fn pid(&self) -> libc::pid_t {
        self.pid
    }

    /// Let the child go on to its ending.
    pub fn release(&mut self) {
        if let Some(go) = self.go.take() {
            go.notify();
        }
    }

    /// The handle's own pidfd (for claims that need a second one).
    pub fn own_pidfd(&self) -> Option<BorrowedFd<'_>> {
        self.own.as_ref().map(|f| f.as_fd())
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        match &self.own {
            Some(fd) => {
                let _ = send_signal(fd, libc::SIGKILL, 0);
                let _ = crate::calls::waitid(fd, libc::WEXITED);
            }
            None => {
                // No pidfds here (then no test reaped it through one either): by pid.
                // SAFETY: plain kill/waitpid of our own unreaped child.
                unsafe {
                    libc::kill(self.pid, libc::SIGKILL);
                    libc::waitpid(self.pid, std::ptr::null_mut(), 0);
                }
            }
        }
    }
}

/// struct clone_args of <linux/sched.h> (CLONE_ARGS_SIZE_VER0, 64 bytes: the fields up to
/// tls; the later ones are not used here).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct CloneArgs {
    pub flags: u64,
    pub pidfd: u64,
    pub child_tid: u64,
    pub parent_tid: u64,
    pub exit_signal: u64,
    pub stack: u64,
    pub stack_size: u64,
    pub tls: u64,
}
