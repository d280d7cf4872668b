//! Closing one side of a pseudoterminal: the master sees EIO once the last slave descriptor
//! is gone; closing the master hangs up the slave (SIGHUP to the controlling process, EOF on
//! read, EIO on write); a session leader's exit hangs up its foreground group.
//!
//! Each test runs inside [`isolated`]: the claims need every copy of a descriptor closed,
//! which the test can only guarantee for descriptors opened in a process of its own.

use std::time::Duration;

use fixtures::deadline::{DEFAULT_DEADLINE, poll_ms, scaled};
use fixtures::facility::pty;
use fixtures::io::{write_all, write_once};
use fixtures::poll::revents;
use fixtures::signals::SignalCatcher;
use fixtures::sync::channel;
use fixtures::{assert_errno, isolated, needs, spawn};
use nix::errno::Errno;
use nix::sys::signal::Signal;
use nix::unistd::tcsetpgrp;
use pty::pair::Pty;
use pty::reads::{read_to_end, read_up_to};
use pty::session::{new_process_group, take_controlling_terminal};

/// The master's view after the slave side closed: what the slave wrote is still delivered,
/// then read(2) fails with EIO (drivers/tty/n_tty.c, n_tty_read: pending input first, then
/// "if (test_bit(TTY_OTHER_CLOSED, &tty->flags)) retval = -EIO"). This is how script(1)-like
/// relays detect the end of their child.
#[test]
fn master_reads_pending_output_then_eio_after_the_last_slave_close() {
    needs!(available(pty()));
    isolated(|| {
        let Pty { master, slave, .. } = Pty::open();
        write_all(&slave, b"last words\n");
        drop(slave);
        let (data, end) = read_to_end(&master);
        assert_eq!(data, b"last words\r\n");
        assert_eq!(end, Err(Errno::EIO));
    });
}

/// poll(2) on the master reports POLLHUP once the last slave descriptor is closed
/// (drivers/tty/n_tty.c, n_tty_poll: "if (test_bit(TTY_OTHER_CLOSED, &tty->flags)) mask |=
/// EPOLLHUP").
#[test]
fn master_polls_pollhup_after_the_last_slave_close() {
    needs!(available(pty()));
    isolated(|| {
        let Pty { master, slave, .. } = Pty::open();
        assert_eq!(revents(&master, libc::POLLIN, poll_ms(Duration::ZERO)), 0, "POLLHUP/POLLIN while the slave is open");
        drop(slave);
        assert_ne!(revents(&master, libc::POLLIN, poll_ms(DEFAULT_DEADLINE)) & libc::POLLHUP, 0);
    });
}

/// POSIX.1-2017 XBD 11.1.10 "Modem Disconnect": after a hangup "any subsequent read from the
/// terminal device shall return the value of zero, indicating end-of-file ... any subsequent
/// write() to the terminal device shall return -1, with errno set to [EIO]". Closing the
/// master hangs up the slave (drivers/tty/pty.c, pty_close: tty_vhangup(tty->link)); poll
/// reports POLLHUP.
#[test]
fn after_the_master_closes_the_slave_reads_eof_and_writes_fail_eio() {
    needs!(available(pty()));
    isolated(|| {
        let Pty { master, slave, .. } = Pty::open();
        drop(master);
        assert_ne!(revents(&slave, libc::POLLIN, poll_ms(DEFAULT_DEADLINE)) & libc::POLLHUP, 0);
        assert_eq!(read_up_to(&slave, 64), Ok(vec![]));
        assert_errno!(write_once(&slave, b"x"), Errno::EIO);
    });
}

/// setsid(2) NOTES: "If a session has a controlling terminal, and the CLOCAL flag for that
/// terminal is not set, and a terminal hangup occurs, then the session leader is sent a
/// SIGHUP signal." Closing the master is such a hangup; Linux sends SIGHUP and then SIGCONT
/// to the session leader (drivers/tty/tty_jobctrl.c, tty_signal_session_leader: "Send SIGHUP
/// and SIGCONT to the session leader"). The leader's slave then reads end of file.
#[test]
fn closing_the_master_sends_sighup_and_sigcont_to_the_session_leader() {
    needs!(available(pty()));
    isolated(|| {
        let Pty { master, slave, .. } = Pty::open();
        let m = std::os::fd::AsRawFd::as_raw_fd(&master);
        let (ready, wait_ready) = channel();
        let leader = spawn("session leader", || {
            // SAFETY: dropping the inherited copy of the master, which would keep it open.
            unsafe { libc::close(m) };
            let catcher = SignalCatcher::new(&[Signal::SIGHUP, Signal::SIGCONT]);
            take_controlling_terminal(&slave);
            ready.notify();
            let mut got = vec![catcher.wait().signo, catcher.wait().signo];
            got.sort();
            assert_eq!(got, vec![libc::SIGHUP, libc::SIGCONT]);
            assert_eq!(read_up_to(&slave, 64), Ok(vec![]), "the hung-up slave must read end of file");
        });
        wait_ready.wait();
        drop(master);
        leader.expect_success();
    });
}

/// setsid(2) NOTES: "If a process that is a session leader terminates, then a SIGHUP signal is
/// sent to each process in the foreground process group of the controlling terminal."
///
/// The foreground job outlives the leader, so it is reparented: the isolated child makes
/// itself a child subreaper (prctl(2) PR_SET_CHILD_SUBREAPER) to reap it, and the job clears
/// its parent-death signal so the leader's exit does not kill it. The job reports through a
/// pipe whether SIGHUP arrived (bounded by the default deadline).
#[test]
fn session_leader_exit_sends_sighup_to_the_foreground_group() {
    needs!(available(pty()));
    isolated(|| {
        // SAFETY: plain prctl on this (single-threaded) child.
        assert_eq!(unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1) }, 0);
        let p = Pty::open();
        let (report, wait_report) = channel();
        let (job_pid_tx, job_pid_rx) = channel();
        let leader = spawn("session leader", || {
            take_controlling_terminal(p.s());
            let (job_ready, wait_job) = channel();
            let job = spawn("foreground job", || {
                // SAFETY: plain prctl; the job must survive its parent's exit.
                unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, 0) };
                let catcher = SignalCatcher::new(&[Signal::SIGHUP]);
                new_process_group();
                job_ready.notify();
                let got = catcher.wait_for(DEFAULT_DEADLINE).map(|i| i.signo).unwrap_or(0);
                report.send(&[got as u8]);
                fixtures::child::exit_now(0);
            });
            wait_job.wait();
            tcsetpgrp(p.s(), job.pid()).expect("tcsetpgrp to the job");
            job_pid_tx.send_u64(job.pid().as_raw() as u64);
            std::mem::forget(job); // the job must outlive this leader; the subreaper reaps it
        });
        let job_pid = job_pid_rx.recv_u64() as libc::pid_t;
        leader.expect_success();
        assert_eq!(wait_report.recv(1), vec![libc::SIGHUP as u8], "the foreground job got no SIGHUP");
        reap_within(job_pid, DEFAULT_DEADLINE);
    });
}

/// Reap a (reparented) child, bounded: wait for its pidfd to become readable (it exited),
/// then collect it with waitpid.
fn reap_within(pid: libc::pid_t, limit: Duration) {
    // SAFETY: pidfd_open on our own (adopted) child; we own the returned fd.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) } as libc::c_int;
    assert!(fd >= 0, "pidfd_open({pid}): {}", Errno::last());
    let fd = fixtures::io::owned(fd);
    let exited = revents(&fd, libc::POLLIN, poll_ms(limit)) != 0;
    drop(fd);
    // SAFETY: killing and reaping our own child.
    unsafe {
        if !exited {
            libc::kill(pid, libc::SIGKILL);
        }
        let mut status = 0;
        libc::waitpid(pid, &mut status, 0);
    }
    assert!(exited, "the adopted job {pid} did not exit within {:?}", scaled(limit));
}
