//! Signal dispositions: what execve(2) keeps, and what sigaction(2) reads back.
//!
//! signal(7), "Signal dispositions": "A child created via fork(2) inherits a copy of its
//! parent's signal dispositions. During an execve(2), the dispositions of handled signals
//! are reset to the default; the dispositions of ignored signals are left unchanged."
//! execve(2): "The dispositions of any signals that are being caught are reset to the
//! default (signal(7))." The program after the exec is the test binary itself, run as one of
//! the fixtures' probes ([`fixtures::exec`]): `disposition SIG` prints what it finds,
//! `write-fd N TEXT` writes to an inherited descriptor and exits with the errno of a failed
//! write (so a write to a pipe without readers exits 32, EPIPE, unless SIGPIPE kills it).
//!
//! Every claim runs in a forked child: dispositions are per process.

use std::os::fd::{AsFd, AsRawFd, OwnedFd};

use fixtures::exec::exec_probe;
use fixtures::io::read_to_eof;
use fixtures::signals::{self, install_counter, unblock};
use fixtures::{Outcome, run_in_child, spawn, variant};
use nix::sys::signal::{SaFlags, Signal};
use rstest::rstest;

/// What the program after execve(2) finds for `sig` (the `disposition` probe's answer:
/// "default", "ignored" or "handler"), with `before` run in the child first.
fn disposition_after_execve(sig: Signal, before: impl FnOnce()) -> String {
    let (rx, tx) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).unwrap();
    let mut child = spawn("execs the disposition probe", || {
        before();
        nix::unistd::dup2_stdout(&tx).unwrap();
        exec_probe(&["disposition", &(sig as i32).to_string()]);
    });
    drop(tx);
    let out = String::from_utf8(read_to_eof(&rx)).unwrap();
    assert_eq!(child.join(), Outcome::Exited(0), "the disposition probe");
    out.trim().to_string()
}

/// How the program after execve(2) ends when it writes to a pipe that has no reader, with
/// `before` run in the child first (the pipe is made in the child, so no other process
/// holds its read end).
fn write_without_readers_after_execve(before: impl FnOnce()) -> Outcome {
    run_in_child("execs a writer to a pipe without readers", || {
        before();
        unblock(Signal::SIGPIPE);
        let (rx, tx): (OwnedFd, OwnedFd) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).unwrap();
        drop(rx);
        // SAFETY: clearing FD_CLOEXEC on our own write end so that the probe inherits it.
        assert_eq!(unsafe { libc::fcntl(tx.as_fd().as_raw_fd(), libc::F_SETFD, 0) }, 0);
        exec_probe(&["write-fd", &tx.as_raw_fd().to_string(), "x"]);
    })
}

/// signal(7): "the dispositions of ignored signals are left unchanged" by execve(2). A child
/// ignores SIGPIPE and execs: the program finds SIGPIPE "ignored", and its write to a pipe
/// without readers fails with EPIPE (exit status 32) instead of killing it — what OpenSSH
/// and other daemons rely on when they exec helpers with SIGPIPE ignored.
#[test]
fn an_ignored_signal_stays_ignored_across_execve() {
    assert_eq!(disposition_after_execve(Signal::SIGPIPE, || signals::ignore(Signal::SIGPIPE)), "ignored");
    assert_eq!(
        write_without_readers_after_execve(|| signals::ignore(Signal::SIGPIPE)),
        Outcome::Exited(libc::EPIPE),
        "a write without readers after execve with SIGPIPE ignored"
    );
}

/// signal(7): "During an execve(2), the dispositions of handled signals are reset to the
/// default". A child catches SIGPIPE with a handler (SA_SIGINFO and SA_RESTART) and execs:
/// the program finds SIGPIPE at "default", and its write to a pipe without readers kills it
/// with SIGPIPE (the default action, "Term").
#[test]
fn a_caught_signal_is_reset_to_the_default_by_execve() {
    let catch = || install_counter(Signal::SIGPIPE, SaFlags::SA_RESTART);
    assert_eq!(disposition_after_execve(Signal::SIGPIPE, catch), "default");
    assert_eq!(
        write_without_readers_after_execve(catch),
        Outcome::Signaled(Signal::SIGPIPE),
        "a write without readers after execve with SIGPIPE caught before it"
    );
}

/// SA_UNSUPPORTED from <asm-generic/signal-defs.h> (5.11; the libc crate lacks it).
const SA_UNSUPPORTED: libc::c_int = 0x0000_0400;

/// A bit that no architecture's sa_flags defines (x86: neither in UAPI_SA_FLAGS nor
/// SA_RESTORER).
const UNKNOWN_SA_FLAG: libc::c_int = 0x0000_0200;

/// sigaction(2), SA_UNSUPPORTED "(since Linux 5.11)": "Used to dynamically probe for flag
/// bit support. If an attempt to register a handler succeeds with this flag set in
/// act->sa_flags alongside other flags that are potentially unsupported by the kernel, and
/// an immediately subsequent sigaction() call specifying the same signal number and with a
/// non-NULL oldact argument yields SA_UNSUPPORTED clear in oldact->sa_flags, then
/// oldact->sa_flags may be used as a bitmask describing which of the potentially unsupported
/// flags are, in fact, supported." Asserted in a child: a handler registered with
/// SA_UNSUPPORTED, an undefined bit (0x200), SA_SIGINFO and SA_RESTART reads back with both
/// unknown bits clear and the two known flags kept (5.11+); before 5.11 the kernel stored
/// sa_flags as given, and both bits read back set (variant `absent`: the probe cannot tell
/// supported flags from unsupported ones). The case `ignored` registers SIG_IGN instead of a
/// handler: the same.
///
/// Kernel change: 5.11 — sigaction(2) clears the sa_flags bits it does not know, so SA_UNSUPPORTED reads back clear.
#[rstest]
#[case::handler(false)]
#[case::ignored(true)]
fn sigaction_reads_back_without_the_bits_it_does_not_support_since_5_11(#[case] ignore: bool) {
    let present = variant::since(5, 11, "sigaction(2) clears unsupported sa_flags bits (SA_UNSUPPORTED)");
    run_in_child("sigaction read-back", || {
        extern "C" fn handler(_: libc::c_int, _: *mut libc::siginfo_t, _: *mut libc::c_void) {}
        // SAFETY: a zeroed sigaction with an empty mask is a valid argument.
        let mut act: libc::sigaction = unsafe { std::mem::zeroed() };
        act.sa_sigaction = if ignore { libc::SIG_IGN } else { handler as *const () as usize };
        act.sa_flags = SA_UNSUPPORTED | UNKNOWN_SA_FLAG | libc::SA_SIGINFO | libc::SA_RESTART;
        // SAFETY: registering a valid action for SIGUSR1 and reading it back.
        let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
        unsafe {
            assert_eq!(libc::sigaction(libc::SIGUSR1, &act, std::ptr::null_mut()), 0, "registering the action");
            assert_eq!(libc::sigaction(libc::SIGUSR1, std::ptr::null(), &mut old), 0, "reading it back");
        }
        let flags = old.sa_flags;
        assert_eq!(flags & (libc::SA_SIGINFO | libc::SA_RESTART), libc::SA_SIGINFO | libc::SA_RESTART, "{flags:#x}");
        let unknown = flags & (SA_UNSUPPORTED | UNKNOWN_SA_FLAG);
        if present {
            assert_eq!(unknown, 0, "5.11+ clears the bits it does not support: read back {flags:#x}");
        } else {
            assert_eq!(unknown, SA_UNSUPPORTED | UNKNOWN_SA_FLAG, "before 5.11 sa_flags read back as given: {flags:#x}");
        }
    })
    .expect_success();
}
