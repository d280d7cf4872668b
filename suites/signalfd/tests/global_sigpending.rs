//! How many signals a signalfd can report: the pending signals of the process, bounded for
//! queued (realtime, sigqueue(3)) signals by RLIMIT_SIGPENDING.

use fixtures::signals::rt;
use fixtures::{assert_errno, run_in_child, sys};
use nix::errno::Errno;
use signalfd::{RECORD, blocked_reader, my_pid, read_records};

/// The number of signals queued for this process's real user ID: the first field of "SigQ"
/// in /proc/self/status (proc_pid_status(5): "SigQ: This field contains two slash-separated
/// numbers that relate to queued signals for the real user ID of this process").
fn queued_for_my_user() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("SigQ:")).expect("SigQ in /proc/self/status");
    line[5..].trim().split('/').next().unwrap().parse().unwrap()
}

fn sigqueue(sig: libc::c_int, v: usize) -> Result<(), Errno> {
    let value = libc::sigval { sival_ptr: v as *mut libc::c_void };
    // SAFETY: queueing a signal to ourselves.
    sys(unsafe { libc::sigqueue(my_pid() as i32, sig, value) }).map(drop)
}

/// getrlimit(2), RLIMIT_SIGPENDING: "a limit on the number of signals that may be queued for
/// the real user ID of the calling process ... the limit is enforced only for sigqueue(3)";
/// sigqueue(3), ERRORS: "EAGAIN The limit of signals which may be queued has been reached";
/// signalfd(2) reads the pending signals, one record per queued realtime signal. Asserted in
/// a child (in a user namespace of its own where possible, whose count of queued signals is
/// its own since 5.14), with the soft limit set to the signals already queued for its user
/// (SigQ) plus 2: two sigqueue(3)s of SIGRTMIN+1 succeed, the third fails EAGAIN, and the
/// signalfd reads exactly two records, with the values 1 and 2.
#[test]
fn rlimit_sigpending_bounds_the_queued_signals_a_signalfd_reports() {
    run_in_child("signals queued under RLIMIT_SIGPENDING", || {
        // variant: none — the namespace only keeps other processes' signals out of the count;
        // the assertions are the same without it.
        let _ = fixtures::ns::enter_user_ns(Some((nix::unistd::getuid().as_raw(), nix::unistd::getgid().as_raw())));
        let sig = rt(1);
        let fd = blocked_reader(&[sig]);
        let limit = queued_for_my_user() + 2;
        let mut hard = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        // SAFETY: reading the current limits into a struct we own.
        sys(unsafe { libc::getrlimit(libc::RLIMIT_SIGPENDING, &mut hard) }).unwrap();
        let rl = libc::rlimit { rlim_cur: limit, rlim_max: hard.rlim_max };
        // SAFETY: setting a soft limit at or below the hard one.
        sys(unsafe { libc::setrlimit(libc::RLIMIT_SIGPENDING, &rl) }).unwrap();
        assert_eq!(sigqueue(sig, 1), Ok(()), "first sigqueue");
        assert_eq!(sigqueue(sig, 2), Ok(()), "second sigqueue");
        assert_errno!(sigqueue(sig, 3), Errno::EAGAIN, "a third sigqueue with RLIMIT_SIGPENDING {limit}");
        let got: Vec<(u32, i32)> = read_records(&fd, 4 * RECORD).unwrap().iter().map(|r| (r.signo, r.int)).collect();
        assert_eq!(got, vec![(sig as u32, 1), (sig as u32, 2)]);
    })
    .expect_success();
}
