//! F_SETSIG and F_GETSIG, and what the queued signal says. fcntl(2), F_SETSIG: "By using
//! F_SETSIG with a nonzero value, and setting SA_SIGINFO for the signal handler ..., extra
//! information about I/O events is passed to the handler in a siginfo_t structure."
//! sigaction(2): SIGIO/SIGPOLL "fills in si_band and si_fd"; si_code is one of POLL_IN,
//! POLL_OUT, POLL_MSG, POLL_ERR, POLL_PRI, POLL_HUP.

use std::os::fd::AsRawFd;
use fixtures::io::{set_status_flag};
use fixtures::kinds::Kind;
use fixtures::signals::{SignalCatcher, rt};
use fixtures::uapi::POLL_IN;
use fixtures::{assert_errno, needs, run_in_child};
use nix::errno::Errno;
use nix::unistd::getpid;
use rstest::rstest;
use rstest_reuse::apply;
use fixtures::cases::channel_kinds;
use signal_io::{with_pair_catching, queued, enable_signal_io, expected, get_sig, set_owner, set_sig, summary};

/// fcntl(2), F_GETSIG: "A value of zero means SIGIO is sent. Any other value (including
/// SIGIO) is the signal sent instead" — 0 by default; F_SETSIG values read back as given,
/// SIGIO included (it is not folded into 0).
#[test]
fn f_getsig_reads_back_what_f_setsig_set() {
    let p = Kind::Pipe.pair();
    assert_eq!(get_sig(p.rx()), 0);
    for sig in [rt(1), libc::SIGIO, libc::SIGUSR1, 0] {
        set_sig(p.rx(), sig as libc::c_long).unwrap();
        assert_eq!(get_sig(p.rx()), sig);
    }
}

/// fcntl(2), ERRORS: "EINVAL cmd is F_SETSIG and arg is not an allowable signal number."
/// (fs/fcntl.c: !valid_signal(arg), i.e. above _NSIG = 64; the setting is unchanged.)
#[rstest]
#[case::sixty_five(65)]
#[case::int_max(i32::MAX as libc::c_long)]
#[case::minus_one(-1)]
fn f_setsig_rejects_an_invalid_signal(#[case] sig: libc::c_long) {
    let p = Kind::Pipe.pair();
    set_sig(p.rx(), rt(2) as libc::c_long).unwrap();
    assert_errno!(set_sig(p.rx(), sig), Errno::EINVAL);
    assert_eq!(get_sig(p.rx()), rt(2));
}

/// fcntl(2), F_SETSIG: a realtime signal set with F_SETSIG is queued with the I/O event's
/// siginfo: si_signo the signal, si_fd the file descriptor, si_code POLL_IN for input and
/// si_band the matching poll bits (POLLIN|POLLRDNORM; fs/fcntl.c band_table) — exactly
/// one signal for one write.
#[apply(channel_kinds)]
#[rstest]
fn a_realtime_signal_carries_si_fd_si_band_and_si_code(#[case] kind: Kind) {
    needs!(available(kind.availability()));
    let sig = rt(1);
    with_pair_catching(kind, &[sig, libc::SIGIO], |p, c| {
        enable_signal_io(p.rx(), sig);
        p.send(b"x");
        let got = queued(c);
        assert_eq!(got, vec![expected(sig, POLL_IN, p.rx())]);
    });
}

/// fcntl(2): "Any other value (including SIGIO) is the signal to send instead, and in this
/// case additional info is available": F_SETSIG with SIGIO itself gives si_code POLL_IN,
/// si_fd and si_band, unlike the default 0.
#[test]
fn f_setsig_sigio_gives_siginfo() {
    with_pair_catching(Kind::Pipe, &[libc::SIGIO], |p, c| {
        enable_signal_io(p.rx(), libc::SIGIO);
        p.send(b"x");
        assert_eq!(
            c.take_pending().map(|i| summary(&i)),
            Some(expected(libc::SIGIO, POLL_IN, p.rx()))
        );
    });
}

/// fcntl(2), F_SETSIG: "A value of zero means to send the default SIGIO signal"; then
/// "there is no indication which file descriptors are pending". Linux sends it as a
/// kernel-generated signal (fs/fcntl.c, send_sigio_to_task: SEND_SIG_PRIV): si_code
/// SI_KERNEL and zero in the si_band and si_fd fields.
#[test]
fn f_setsig_zero_sends_plain_sigio_without_an_fd() {
    with_pair_catching(Kind::Pipe, &[libc::SIGIO], |p, c| {
        set_sig(p.rx(), rt(1) as libc::c_long).unwrap();
        enable_signal_io(p.rx(), 0);
        p.send(b"x");
        assert_eq!(
            c.take_pending().map(|i| summary(&i)),
            Some((libc::SIGIO, libc::SI_KERNEL, 0, 0))
        );
    });
}

/// fcntl(2) says the fd is given "If the si_code field indicates the source is SI_SIGIO".
/// Linux differs from fcntl(2): it uses SI_SIGIO only for signals that have codes of their
/// own (fs/fcntl.c, send_sigio_to_task: "In that case use SI_SIGIO instead to remove the
/// ambiguity"), e.g. SIGCHLD; any other signal gets the POLL_* code (previous tests). si_fd
/// and si_band are filled in either way. Pinned as observed (docs/findings.md).
#[test]
fn a_signal_with_codes_of_its_own_gets_si_sigio() {
    with_pair_catching(Kind::Pipe, &[libc::SIGCHLD], |p, c| {
        enable_signal_io(p.rx(), libc::SIGCHLD);
        p.send(b"x");
        let (signo, code, fd, band) = summary(&c.take_pending().expect("SIGCHLD"));
        assert_eq!(
            (signo, code, fd, band),
            (
                libc::SIGCHLD,
                libc::SI_SIGIO,
                p.rx().as_raw_fd(),
                signal_io::band_of(POLL_IN)
            )
        );
    });
}

/// fcntl(2), F_SETSIG: "the file descriptor provided in si_fd is the one that was specified
/// during the F_SETSIG operation". Linux differs from fcntl(2): it records the fd through
/// which O_ASYNC was switched on (fs/fcntl.c: si_fd comes from the fasync entry, whose fa_fd
/// is set by fasync_insert_entry when O_ASYNC is enabled). F_SETSIG through a duplicate B
/// and O_ASYNC through A give si_fd == A. Pinned as observed, not as conformance
/// (docs/findings.md).
#[test]
fn si_fd_is_the_fd_o_async_was_enabled_through() {
    let sig = rt(1);
    with_pair_catching(Kind::Pipe, &[sig], |p, c| {
        let a = p.rx();
        let b = a.try_clone_to_owned().unwrap();
        set_owner(&b, getpid().as_raw()).unwrap();
        set_sig(&b, sig as libc::c_long).unwrap();
        set_status_flag(a, libc::O_ASYNC, true).unwrap();
        p.send(b"x");
        assert_eq!(
            c.take_pending().map(|i| i.fd()),
            Some(a.as_raw_fd()),
            "si_fd of A (O_ASYNC), not B (F_SETSIG = {})",
            b.as_raw_fd()
        );
    });
}

/// fcntl(2), F_SETSIG: "If the file descriptor is duplicated (dup(2) or similar), and the
/// original file descriptor is closed, then I/O events will continue to be generated, but
/// the si_fd field will contain the number of the now closed file descriptor." The stale
/// number stays until O_ASYNC is switched off and on through the duplicate.
#[test]
fn si_fd_keeps_a_closed_number_after_dup_and_close() {
    let sig = rt(1);
    with_pair_catching(Kind::Pipe, &[sig], |p, c| {
        let a = p.take_rx();
        enable_signal_io(&a, sig);
        let d = a.try_clone().unwrap();
        let closed = a.as_raw_fd();
        drop(a);
        let write = || p.send(b"x");
        write();
        assert_eq!(
            c.take_pending().map(|i| i.fd()),
            Some(closed),
            "events continue, naming the closed fd"
        );
        set_status_flag(&d, libc::O_ASYNC, true).unwrap(); // already set: no change, still the old number
        write();
        assert_eq!(c.take_pending().map(|i| i.fd()), Some(closed));
        set_status_flag(&d, libc::O_ASYNC, false).unwrap();
        set_status_flag(&d, libc::O_ASYNC, true).unwrap();
        write();
        assert_eq!(
            c.take_pending().map(|i| i.fd()),
            Some(d.as_raw_fd()),
            "re-enabled through the duplicate"
        );
    });
}

/// fcntl(2), F_SETSIG: "Linux imposes a limit on the number of real-time signals that may
/// be queued to a process (see getrlimit(2) and signal(7)) and if this limit is reached,
/// then the kernel reverts to delivering SIGIO". With RLIMIT_SIGPENDING 0 nothing can be
/// queued: the event arrives as plain SIGIO (si_code SI_KERNEL), the realtime signal not
/// at all.
#[test]
fn a_full_realtime_signal_queue_falls_back_to_sigio() {
    run_in_child("RLIMIT_SIGPENDING 0", || {
        let sig = rt(1);
        let c = SignalCatcher::new(&[sig, libc::SIGIO]);
        nix::sys::resource::setrlimit(nix::sys::resource::Resource::RLIMIT_SIGPENDING, 0, 0).unwrap();
        let p = Kind::UnixDgram.pair();
        enable_signal_io(p.rx(), sig);
        p.send(b"x");
        let got: Vec<_> = c.drain().iter().map(|i| (i.signo, i.code)).collect();
        assert_eq!(got, vec![(libc::SIGIO, libc::SI_KERNEL)]);
    })
    .expect_success();
}
