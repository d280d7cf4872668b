//! The first process of a new PID namespace.
//!
//! pid_namespaces(7): after unshare(CLONE_NEWPID) the caller stays where it is, and its
//! first child is PID 1 of the new namespace. That child's getppid() is 0, so it cannot be
//! made with `fixtures::spawn` (whose child checks that its parent is still the forker).
//! [`spawn_init`] therefore starts a "holder" agent ([`fixtures::Agent::spawn`]), which
//! unshares the PID namespace and forks the init with a plain fork(2), then mirrors the
//! init's end (exit status or signal) as its own. The init inherits the agent's pipes: it
//! reports ready and waits for its release through them, and a panic or a skip in it reaches
//! the test through the holder's report pipe, which it inherits too.

use std::panic::AssertUnwindSafe;

use fixtures::Agent;
use fixtures::agent::Serve;
use fixtures::child::{PANIC_EXIT_CODE, exit_now};
use nix::errno::Errno;
use nix::unistd::Pid;

/// Start `body` as PID 1 of a new PID namespace (in a sandbox child). Returns the agent —
/// whose outcome is the init's — and the init's pid in the creator's PID namespace, which
/// the init reports first, before `body` runs (readlink of /proc/self: /proc is the
/// creator's). `body` gets the agent's [`Serve`] to report ready and wait for its release.
#[track_caller]
pub fn spawn_init<F: FnOnce(&mut Serve<(), ()>)>(what: &str, body: F) -> (Agent<(), ()>, Pid) {
    let init = Agent::spawn(what, |serve| {
        crate::sandbox::enter(libc::CLONE_NEWPID);
        // SAFETY: the init only runs the closure and leaves through _exit.
        let pid = unsafe { libc::fork() };
        if pid < 0 {
            panic!("fork of the PID namespace's init: {}", Errno::last());
        }
        if pid == 0 {
            // SAFETY: plain prctl.
            unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) };
            let r = std::panic::catch_unwind(AssertUnwindSafe(|| {
                serve.ready(outer_pid_of_self());
                body(serve);
            }));
            exit_now(if r.is_ok() { 0 } else { PANIC_EXIT_CODE });
        }
        mirror(pid)
    });
    let outer = init.ready::<Pid>();
    (init, outer)
}

/// This process's pid as the procfs mounted on /proc counts it.
fn outer_pid_of_self() -> Pid {
    let link = std::fs::read_link("/proc/self").expect("readlink /proc/self");
    Pid::from_raw(link.to_string_lossy().parse().unwrap_or_else(|_| panic!("/proc/self -> {link:?}")))
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
