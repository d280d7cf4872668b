//! The parent-death signal. prctl(2), PR_SET_PDEATHSIG: "Set the parent-death signal of the
//! calling process to arg2 ... This is the signal that the calling process will get when its
//! parent dies." "The parent-death signal setting is cleared for the child of a fork(2). It is
//! also ... cleared upon execution of a set-user-ID or set-group-ID binary, or a binary that
//! has associated capabilities; otherwise, this value is preserved across execve(2)."
//! PR_GET_PDEATHSIG: "Return the current value of the parent process death signal".
//!
//! The child B whose parent A exits is adopted by a subreaper R made for the purpose, which
//! reaps it ([`signal_io::parent_death::orphaned`]). The signal is sent from A's exit
//! (kernel/exit.c, forget_original_parent: group_send_sig_info(SEND_SIG_NOINFO)), so its
//! siginfo says si_code SI_USER and si_pid A.

use fixtures::exec::exec_probe;
use fixtures::{run_in_child, skip};
use signal_io::parent_death::{DEATH_SIGNAL, await_and_report, block, get_pdeathsig, orphaned, raw_fork_status, say_ready, set_pdeathsig};
use std::os::fd::AsRawFd;

/// prctl(2), PR_SET_PDEATHSIG (file comment). B sets SIGUSR1 as its parent-death signal
/// (PR_GET_PDEATHSIG reads it back) and blocks it; when its parent A exits, B takes exactly
/// that signal, with si_code SI_USER and si_pid A, and its parent is then the subreaper.
#[test]
fn the_parent_death_signal_arrives_when_the_parent_exits() {
    orphaned(
        |report| {
            block(DEATH_SIGNAL);
            set_pdeathsig(DEATH_SIGNAL);
            say_ready(report);
            await_and_report(report);
        },
        |o| {
            assert_eq!(o.pdeathsig_when_ready, DEATH_SIGNAL, "PR_GET_PDEATHSIG after PR_SET_PDEATHSIG");
            assert_eq!(o.report.signo, DEATH_SIGNAL, "the signal B took after its parent exited: {o:?}");
            assert_eq!(o.report.code, libc::SI_USER, "si_code: {o:?}");
            assert_eq!(o.report.sender, o.parent, "si_pid is the parent that died: {o:?}");
            assert_eq!(o.report.parent_after, o.reaper, "B was adopted by the subreaper: {o:?}");
        },
    );
}

/// prctl(2), PR_SET_PDEATHSIG: "this value is preserved across execve(2)" of a binary that
/// is neither set-user-ID, set-group-ID nor has capabilities. B sets SIGUSR1, blocks it (the
/// mask survives execve too) and execs the test binary itself as the probe
/// `pdeathsig-wait`: after the exec PR_GET_PDEATHSIG still reads SIGUSR1, and the probe takes
/// SIGUSR1 from its parent's exit (si_code SI_USER, si_pid the parent). Skipped if the kernel
/// made the exec a secure one (AT_SECURE), where the page says the setting is cleared.
#[test]
fn the_parent_death_signal_is_kept_across_execve() {
    orphaned(
        |report| {
            block(DEATH_SIGNAL);
            set_pdeathsig(DEATH_SIGNAL);
            let fd = report.as_raw_fd();
            // SAFETY: clearing FD_CLOEXEC on our own descriptor so the probe inherits it.
            assert_eq!(unsafe { libc::fcntl(fd, libc::F_SETFD, 0) }, 0);
            exec_probe(&["pdeathsig-wait", &fd.to_string()]);
        },
        |o| {
            if o.report.secure != 0 {
                skip!("the exec of the probe was a secure exec (AT_SECURE): not an ordinary binary here");
            }
            assert_eq!(o.pdeathsig_when_ready, DEATH_SIGNAL, "PR_GET_PDEATHSIG after execve");
            assert_eq!(o.report.signo, DEATH_SIGNAL, "the signal the exec'd program took: {o:?}");
            assert_eq!(o.report.code, libc::SI_USER, "si_code: {o:?}");
            assert_eq!(o.report.sender, o.parent, "si_pid is the parent that died: {o:?}");
        },
    );
}

/// prctl(2): "The parent-death signal setting is cleared for the child of a fork(2)." A
/// process with SIGUSR1 as its parent-death signal forks (a raw fork(2)): PR_GET_PDEATHSIG
/// reads 0 in the child, and still SIGUSR1 in the parent.
#[test]
fn the_parent_death_signal_is_not_inherited_by_fork() {
    run_in_child("process with a parent-death signal", || {
        set_pdeathsig(DEATH_SIGNAL);
        assert_eq!(get_pdeathsig(), DEATH_SIGNAL);
        assert_eq!(raw_fork_status(get_pdeathsig), 0, "PR_GET_PDEATHSIG in the child of fork");
        assert_eq!(get_pdeathsig(), DEATH_SIGNAL, "the parent keeps its own setting");
    })
    .expect_success();
}
