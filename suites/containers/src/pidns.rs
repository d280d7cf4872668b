//! The first process of a new PID namespace.
//!
//! pid_namespaces(7): after unshare(CLONE_NEWPID) the caller stays where it is, and its
//! first child is PID 1 of the new namespace. That child's getppid() is 0, so it cannot be
//! made with `fixtures::spawn` (whose child checks that its parent is still the forker).
//! [`spawn_init`] therefore forks a "holder" with `fixtures::spawn`, which unshares the PID
//! namespace and forks the init with a plain fork(2), then mirrors the init's end (exit
//! status or signal) as its own. A panic in the init reaches the test through the holder's
//! report pipe, which the init inherits.

use std::panic::AssertUnwindSafe;

use fixtures::Forked;
use fixtures::child::{PANIC_EXIT_CODE, exit_now};
use nix::errno::Errno;
use nix::sched::CloneFlags;
use nix::unistd::Pid;

/// PID 1 of a new PID namespace, seen from outside.
pub struct PidNsInit {
    holder: Forked,
    outer: Pid,
}

impl PidNsInit {
    /// The init's pid in the creator's PID namespace (what fork(2) returned there).
    pub fn outer_pid(&self) -> Pid {
        self.outer
    }

    /// The holder, whose outcome is the init's outcome.
    pub fn forked(&mut self) -> &mut Forked {
        &mut self.holder
    }

    /// The holder and the init's outer pid, for code that handles any child alike.
    pub fn into_parts(self) -> (Forked, Pid) {
        (self.holder, self.outer)
    }

    /// Join (bounded); success, skip propagation or failure as [`crate::Settle`].
    #[track_caller]
    pub fn settle(self) {
        crate::Settle::settle(self.holder);
    }
}

/// Start `f` as PID 1 of a new PID namespace (in a sandbox child).
#[track_caller]
pub fn spawn_init<F: FnOnce()>(what: &str, f: F) -> PidNsInit {
    let (tx, rx) = fixtures::sync::channel();
    let holder = fixtures::spawn(what, || {
        crate::sandbox::enter(CloneFlags::CLONE_NEWPID);
        // SAFETY: the init only runs the closure and leaves through _exit.
        let pid = unsafe { libc::fork() };
        if pid < 0 {
            panic!("fork of the PID namespace's init: {}", Errno::last());
        }
        if pid == 0 {
            // SAFETY: plain prctl.
            unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) };
            let r = std::panic::catch_unwind(AssertUnwindSafe(f));
            exit_now(if r.is_ok() { 0 } else { PANIC_EXIT_CODE });
        }
        tx.send_u64(pid as u64);
        mirror(pid)
    });
    let outer = Pid::from_raw(rx.recv_u64() as i32);
    PidNsInit { holder, outer }
}

/// Wait for `pid` and end this process the same way.
fn mirror(pid: libc::pid_t) -> ! {
    let mut status = 0;
    loop {
        // SAFETY: waiting for our own child.
        let r = unsafe { libc::waitpid(pid, &mut status, 0) };
        if r == pid {
            break;
        }
        if Errno::last() != Errno::EINTR {
            panic!("waitpid of the init: {}", Errno::last());
        }
    }
    if libc::WIFEXITED(status) {
        exit_now(libc::WEXITSTATUS(status));
    }
    let sig = libc::WTERMSIG(status);
    // SAFETY: default disposition, unblocked, then the same signal to ourselves.
    unsafe {
        libc::signal(sig, libc::SIG_DFL);
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, sig);
        libc::sigprocmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        libc::kill(libc::getpid(), sig);
    }
    exit_now(128 + sig)
}
