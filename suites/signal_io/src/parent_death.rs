//! The parent-death signal (prctl(2), PR_SET_PDEATHSIG): three processes, so that the one
//! whose parent dies is adopted by a known process that can reap it.
//!
//! [`orphaned`] runs, in a forked child R of the test that is a child subreaper
//! (PR_SET_CHILD_SUBREAPER), a parent A (forked by R) and A's child B, which runs the test's
//! closure. B reports through a pipe: first one word when it is ready for its parent to die
//! (the value PR_GET_PDEATHSIG gave it, after an execve when the closure execs), then a
//! [`DeathReport`] once it has taken the signal. R then lets A exit, collects both messages,
//! reaps B (adopted by R) and hands an [`Orphaned`] to the test's checks, which run in R.
//!
//! The probe `pdeathsig-wait FD` does B's reporting after an execve (registered in
//! `lib.rs` with [`fixtures::probe!`]): the signal must be blocked before the exec, since the
//! signal mask is kept across execve(2) (signal(7)) and a parent that dies early would
//! otherwise kill B with the default action.

use std::os::fd::{AsRawFd, BorrowedFd};

use fixtures::sync;
use fixtures::{run_in_child, spawn, within};
use nix::unistd::Pid;

/// The signal the tests ask for.
pub const DEATH_SIGNAL: libc::c_int = libc::SIGUSR1;

/// What B saw when its parent died (sent as the bytes of this plain struct).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeathReport {
    /// si_signo of the signal taken with sigtimedwait(2) (0: none arrived in time).
    pub signo: i32,
    /// si_code.
    pub code: i32,
    /// si_pid: the sender.
    pub sender: i32,
    /// getppid() after the signal: B's new parent.
    pub parent_after: i32,
    /// getpid() of B.
    pub pid: i32,
    /// getauxval(AT_SECURE) in B (after an execve: 1 for a "secure" exec).
    pub secure: i32,
}

impl DeathReport {
    fn as_bytes(&self) -> &[u8] {
        // SAFETY: a repr(C) struct of i32s has no padding.
        unsafe { std::slice::from_raw_parts((self as *const DeathReport).cast::<u8>(), size_of::<DeathReport>()) }
    }

    fn from_bytes(b: &[u8]) -> DeathReport {
        assert_eq!(b.len(), size_of::<DeathReport>());
        // SAFETY: the bytes of a DeathReport written by a fork or exec of this binary.
        unsafe { std::ptr::read_unaligned(b.as_ptr().cast::<DeathReport>()) }
    }
}

/// What the test checks: B's parent-death signal when it was ready, its report, and the
/// pids of its parent A and of the subreaper R.
#[derive(Clone, Copy, Debug)]
pub struct Orphaned {
    pub pdeathsig_when_ready: i32,
    pub report: DeathReport,
    pub parent: i32,
    pub reaper: i32,
}

/// PR_GET_PDEATHSIG of the calling process.
pub fn get_pdeathsig() -> i32 {
    let mut v: libc::c_int = -1;
    // SAFETY: PR_GET_PDEATHSIG writes one int.
    let r = unsafe { libc::prctl(libc::PR_GET_PDEATHSIG, &mut v as *mut libc::c_int) };
    assert_eq!(r, 0, "prctl(PR_GET_PDEATHSIG): {}", nix::errno::Errno::last());
    v
}

/// PR_SET_PDEATHSIG of the calling process.
pub fn set_pdeathsig(sig: libc::c_int) {
    // SAFETY: prctl with integer arguments.
    let r = unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, sig as libc::c_ulong) };
    assert_eq!(r, 0, "prctl(PR_SET_PDEATHSIG, {sig}): {}", nix::errno::Errno::last());
}

/// Block `sig` in the calling (single-threaded) process, so that it stays pending.
pub fn block(sig: libc::c_int) {
    let set = fixtures::signals::sigset(&[sig]);
    // SAFETY: installing a mask we own.
    let r = unsafe { libc::sigprocmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) };
    assert_eq!(r, 0);
}

/// In B: say "ready for my parent to die" on `report`, with the current PR_GET_PDEATHSIG.
pub fn say_ready(report: BorrowedFd<'_>) {
    write_bytes(report, &get_pdeathsig().to_ne_bytes());
}

/// In B, with [`DEATH_SIGNAL`] blocked: take it (bounded by the harness deadline) and send
/// the [`DeathReport`] on `report`.
pub fn await_and_report(report: BorrowedFd<'_>) {
    let set = fixtures::signals::sigset(&[DEATH_SIGNAL]);
    let limit = fixtures::scaled(fixtures::DEFAULT_DEADLINE);
    let ts = libc::timespec { tv_sec: limit.as_secs() as libc::time_t, tv_nsec: limit.subsec_nanos() as libc::c_long };
    // SAFETY: a zeroed siginfo is a valid out-parameter.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    let signo = loop {
        // SAFETY: valid set, info and timeout.
        let r = unsafe { libc::sigtimedwait(&set, &mut info, &ts) };
        if r >= 0 || nix::errno::Errno::last() != nix::errno::Errno::EINTR {
            break r.max(0);
        }
    };
    let i = fixtures::signals::SigInfo::from_raw(&info);
    let report_value = DeathReport {
        signo,
        code: if signo > 0 { i.code } else { 0 },
        sender: if signo > 0 { i.pid() } else { 0 },
        // SAFETY: plain calls.
        parent_after: unsafe { libc::getppid() },
        pid: unsafe { libc::getpid() },
        secure: unsafe { libc::getauxval(libc::AT_SECURE) } as i32,
    };
    write_bytes(report, report_value.as_bytes());
}

fn write_bytes(fd: BorrowedFd<'_>, b: &[u8]) {
    // SAFETY: one write of our own small buffer (atomic on a pipe).
    let n = unsafe { libc::write(fd.as_raw_fd(), b.as_ptr().cast(), b.len()) };
    assert_eq!(n, b.len() as isize, "report write");
}

/// The probe `pdeathsig-wait FD` (B after an execve): [`say_ready`], then
/// [`await_and_report`], on descriptor FD (inherited across the exec).
pub fn pdeathsig_wait_probe(args: &[&str]) -> i32 {
    let Some(fd) = args.first().and_then(|a| a.parse::<i32>().ok()) else { return 2 };
    let report = fixtures::io::raw_fd(fd);
    say_ready(report);
    await_and_report(report);
    0
}

/// Run the three-process scenario (module documentation): `b` runs in B with the write end
/// of the report pipe (close-on-exec: clear the flag to pass it through an execve) and must
/// [`say_ready`] and then [`await_and_report`], itself or through the probe. `check` runs
/// in R with what happened; a skip there is the test's SKIP.
pub fn orphaned(b: impl FnOnce(BorrowedFd<'_>), check: impl FnOnce(&Orphaned)) {
    let r = run_in_child("subreaper R", || {
        // SAFETY: prctl with integer arguments.
        let r = unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1) };
        assert_eq!(r, 0, "PR_SET_CHILD_SUBREAPER: {}", nix::errno::Errno::last());
        let (report, reports) = sync::channel();
        let (exit, wait_exit) = sync::channel();
        let mut a = spawn("parent A", || {
            let b_child = spawn("child B", || b(report.as_fd()));
            // A's exit must not kill B (dropping the handle would).
            std::mem::forget(b_child);
            wait_exit.wait();
        });
        let ready = i32::from_ne_bytes(reports.recv(4).try_into().unwrap());
        let parent = a.pid().as_raw();
        exit.notify();
        a.join().expect_success();
        let report = DeathReport::from_bytes(&reports.recv(size_of::<DeathReport>()));
        reap(Pid::from_raw(report.pid));
        check(&Orphaned { pdeathsig_when_ready: ready, report, parent, reaper: nix::unistd::getpid().as_raw() });
    });
    fixtures::require_child!(r).expect_success();
}

/// Reap B, adopted by this subreaper, bounded; it must have exited 0.
fn reap(pid: Pid) {
    let status = within("reaping the orphan B", || nix::sys::wait::waitpid(pid, None));
    assert_eq!(status, Ok(nix::sys::wait::WaitStatus::Exited(pid, 0)), "the orphan B's end");
}

/// A child of the calling process made with a raw fork(2) (not [`fixtures::spawn`], which
/// sets a parent-death signal of its own in every child): it runs `f` and leaves with
/// `_exit(f())`; the caller reaps it, bounded. Returns its exit status.
pub fn raw_fork_status(f: impl FnOnce() -> i32) -> i32 {
    // SAFETY: the child only runs `f` (system calls) and leaves with _exit.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork: {}", nix::errno::Errno::last());
    if pid == 0 {
        let code = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or(fixtures::child::PANIC_EXIT_CODE);
        fixtures::child::exit_now(code);
    }
    let pid = Pid::from_raw(pid);
    match within("reaping a raw fork child", || nix::sys::wait::waitpid(pid, None)) {
        Ok(nix::sys::wait::WaitStatus::Exited(_, code)) => code,
        other => panic!("the raw fork child ended with {other:?}"),
    }
}
