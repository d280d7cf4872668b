//! The owner that receives SIGIO: fcntl(2), F_SETOWN, F_GETOWN, F_SETOWN_EX, F_GETOWN_EX.

use std::os::fd::AsRawFd;

use fixtures::io::{set_status_flag, status_flags};
use fixtures::kinds::Kind;
use fixtures::procfs::{gettid, nonexistent_pid};
use fixtures::signals::{SignalCatcher, rt};
use fixtures::uapi::{FOwnerEx, F_OWNER_PGRP, F_OWNER_PID, F_OWNER_TID, POLL_IN};
use fixtures::{assert_errno, run_in_child, spawn, sync, variant};
use nix::errno::Errno;
use nix::unistd::{getpgrp, getpid};
use rstest::rstest;
use signal_io::{
    expected, get_owner, get_owner_ex, set_owner, set_owner_ex, set_sig,
    summary,
};

/// fcntl(2), F_GETOWN: "Return ... the process ID or process group ID currently receiving
/// SIGIO and SIGURG signals"; a new open file description has none: 0. F_GETOWN_EX reports
/// pid 0 with type F_OWNER_TID: fs/fcntl.c, f_getown_ex maps the zero-initialised pid type
/// (PIDTYPE_PID) of a file that never had an owner to F_OWNER_TID.
#[rstest]
#[case::pipe(Kind::Pipe)]
#[case::unix_stream(Kind::UnixStream)]
#[case::tcp(Kind::Tcp)]
fn a_new_file_has_no_owner(#[case] kind: Kind) {
    let p = kind.pair();
    assert_eq!(get_owner(p.rx()), 0);
    assert_eq!(
        get_owner_ex(p.rx()),
        FOwnerEx {
            kind: F_OWNER_TID,
            pid: 0
        }
    );
}

/// fcntl(2), F_SETOWN: "A process ID is specified as a positive value; a process group ID
/// is specified as a negative value", and F_GETOWN returns them the same way. F_GETOWN_EX
/// reports the same owner as a type and a positive id ("unlike with F_SETOWN, a process
/// group ID is specified as a positive value here").
#[test]
fn f_getown_reads_back_a_process_or_a_negative_process_group() {
    run_in_child("owner read-back", || {
        let p = Kind::Pipe.pair();
        let (pid, pgrp) = (getpid().as_raw(), getpgrp().as_raw());
        set_owner(p.rx(), pid).unwrap();
        assert_eq!(get_owner(p.rx()), pid);
        assert_eq!(
            get_owner_ex(p.rx()),
            FOwnerEx {
                kind: F_OWNER_PID,
                pid
            }
        );
        set_owner(p.rx(), -pgrp).unwrap();
        assert_eq!(get_owner(p.rx()), -pgrp);
        assert_eq!(
            get_owner_ex(p.rx()),
            FOwnerEx {
                kind: F_OWNER_PGRP,
                pid: pgrp
            }
        );
    })
    .expect_success();
}

/// fcntl(2), BUGS, F_GETOWN: "if a (negative) process group ID to be returned by F_GETOWN
/// falls in the range -1 to -4095, then the return value is wrongly interpreted by glibc as
/// an error in the system call; that is, the return value of fcntl() will be -1, and errno
/// will contain the (positive) process group ID. ... Since glibc 2.11, glibc makes the
/// kernel F_GETOWN problem invisible by implementing F_GETOWN using F_GETOWN_EX." The man
/// page names i386, but the x86-64 convention treats -4095..-1 the same way: the raw
/// system call "fails" with errno = the group ID exactly when the ID is below 4096, while
/// glibc's fcntl(F_GETOWN) returns -pgrp either way. (Which branch runs depends on the
/// group ID the test gets: variant `in-errno-range` for a group ID up to 4095, where the
/// claim itself is checked, `above-errno-range` otherwise.)
#[test]
fn f_getown_of_a_group_id_below_4096_looks_like_an_error() {
    run_in_child("group owner", || {
        let p = Kind::Pipe.pair();
        let pgrp = getpgrp().as_raw();
        set_owner(p.rx(), -pgrp).unwrap();
        let raw = signal_io::raw_getown(p.rx());
        if pgrp <= 4095 {
            assert_eq!(raw, Err(pgrp), "group {pgrp}: -1 with errno = the group ID");
            variant::observed("in-errno-range", format_args!("process group {pgrp} <= 4095: the raw F_GETOWN returned -1, errno {pgrp}"));
        } else {
            assert_eq!(raw, Ok(-pgrp));
            variant::observed("above-errno-range", format_args!("process group {pgrp} > 4095: the raw F_GETOWN returned -{pgrp}"));
        }
        // SAFETY: F_GETOWN through glibc.
        assert_eq!(unsafe { libc::fcntl(p.rx().as_raw_fd(), libc::F_GETOWN) }, -pgrp);
    })
    .expect_success();
}

/// fcntl(2), F_GETOWN_EX: "Return the current file descriptor owner settings as defined
/// by a previous F_SETOWN_EX operation" — each type reads back as set; F_GETOWN shows a
/// group as a negative number and a thread as its (positive) id.
#[rstest]
#[case::thread(F_OWNER_TID)]
#[case::process(F_OWNER_PID)]
#[case::process_group(F_OWNER_PGRP)]
fn f_setown_ex_reads_back_through_both_getters(#[case] kind: libc::c_int) {
    run_in_child("owner_ex read-back", || {
        let p = Kind::Pipe.pair();
        let id = match kind {
            F_OWNER_TID => gettid(),
            F_OWNER_PID => getpid().as_raw(),
            _ => getpgrp().as_raw(),
        };
        set_owner_ex(p.rx(), kind, id).unwrap();
        assert_eq!(get_owner_ex(p.rx()), FOwnerEx { kind, pid: id });
        assert_eq!(
            get_owner(p.rx()),
            if kind == F_OWNER_PGRP { -id } else { id }
        );
    })
    .expect_success();
}

/// fcntl(2), F_SETOWN_EX: "The type field has one of the following values" — any other
/// type fails with EINVAL (fs/fcntl.c, f_setown_ex).
#[rstest]
#[case::three(3)]
#[case::negative(-1)]
fn f_setown_ex_rejects_an_unknown_type(#[case] kind: libc::c_int) {
    let p = Kind::Pipe.pair();
    assert_errno!(set_owner_ex(p.rx(), kind, getpid().as_raw()), Errno::EINVAL);
}

/// Commit f73127356f34 ("fs/fcntl: return -ESRCH in f_setown when pid/pgid can't be found",
/// following the POSIX.1-2008 fcntl page): "we want to return ESRCH if it doesn't refer to a
/// valid pid". An owner that does not exist is refused with ESRCH (fs/fcntl.c, f_setown and
/// f_setown_ex: find_vpid fails), for a process, a process group and F_SETOWN_EX; the
/// previous owner stays.
#[rstest]
#[case::process(false, false)]
#[case::process_group(true, false)]
#[case::owner_ex(false, true)]
fn a_nonexistent_owner_fails_esrch(#[case] group: bool, #[case] ex: bool) {
    run_in_child("nonexistent owner", || {
        let p = Kind::Pipe.pair();
        set_owner(p.rx(), getpid().as_raw()).unwrap();
        let ghost = nonexistent_pid().as_raw();
        let r = match (group, ex) {
            (_, true) => set_owner_ex(p.rx(), F_OWNER_PID, ghost),
            (true, false) => set_owner(p.rx(), -ghost),
            (false, false) => set_owner(p.rx(), ghost),
        };
        assert_errno!(r, Errno::ESRCH);
        assert_eq!(get_owner(p.rx()), getpid().as_raw());
    })
    .expect_success();
}

/// The owner, O_ASYNC and F_SETSIG live in the open file description (fs/fcntl.c: struct
/// file's f_owner; O_ASYNC is a file status flag, shared by duplicates per dup(2)): set
/// through one descriptor, they read back through a duplicate and in a forked child.
#[test]
fn the_owner_belongs_to_the_open_file_description() {
    let p = Kind::Pipe.pair();
    let dup = p.rx().try_clone_to_owned().unwrap();
    let me = getpid().as_raw();
    set_owner(&dup, me).unwrap();
    set_sig(&dup, rt(1) as libc::c_long).unwrap();
    set_status_flag(&dup, libc::O_ASYNC, true).unwrap();
    assert_eq!(get_owner(p.rx()), me);
    assert_eq!(signal_io::get_sig(p.rx()), rt(1));
    assert_eq!(status_flags(p.rx()) & libc::O_ASYNC, libc::O_ASYNC);
    run_in_child("reader of the inherited fd", || {
        assert_eq!(get_owner(p.rx()), me);
        assert_eq!(signal_io::get_sig(p.rx()), rt(1));
    })
    .expect_success();
    set_status_flag(p.rx(), libc::O_ASYNC, false).unwrap(); // no signals to this (multi-threaded) test process
}

/// fcntl(2): F_SETOWN sets "the process ID ... that will receive SIGIO": another process
/// named as owner receives it, with the fd in si_fd, although the I/O happens elsewhere.
#[test]
fn the_signal_goes_to_the_owner_not_to_the_process_doing_io() {
    let p = Kind::UnixDgram.pair();
    let sig = rt(2);
    let (ready, wait_ready) = sync::channel();
    let mut owner = spawn("owner", || {
        let c = SignalCatcher::new(&[sig]);
        ready.notify();
        assert_eq!(summary(&c.wait()), expected(sig, POLL_IN, p.rx()));
    });
    wait_ready.wait();
    // Set up and do the I/O in a child, so that a misdirected realtime signal (default
    // action: terminate) can only hit that child.
    run_in_child("writer", || {
        set_owner(p.rx(), owner.pid().as_raw()).unwrap();
        set_sig(p.rx(), sig as libc::c_long).unwrap();
        set_status_flag(p.rx(), libc::O_ASYNC, true).unwrap();
        p.send(b"x");
        set_status_flag(p.rx(), libc::O_ASYNC, false).unwrap();
    })
    .expect_success();
    owner.join().expect_success();
}

/// fcntl(2), F_SETOWN: "a process group ID is specified as a negative value" — and
/// F_SETOWN_EX F_OWNER_PGRP with a positive one: every member of the group receives the
/// signal (fs/fcntl.c, send_sigio walks the group's tasks).
#[rstest]
#[case::setown_negative(false)]
#[case::setown_ex_pgrp(true)]
fn a_process_group_owner_signals_every_member(#[case] ex: bool) {
    let p = Kind::Pipe.pair();
    let (ready, wait_ready) = sync::channel();
    let member = |lead: Option<libc::pid_t>| {
        let c = SignalCatcher::new(&[libc::SIGIO]);
        let leader = nix::unistd::Pid::from_raw(lead.unwrap_or(0));
        nix::unistd::setpgid(nix::unistd::Pid::from_raw(0), leader).expect("setpgid");
        ready.notify();
        assert_eq!(c.wait().signo, libc::SIGIO);
    };
    let mut leader = spawn("group leader", || member(None));
    wait_ready.wait();
    let lead = leader.pid().as_raw();
    let mut other = spawn("group member", || member(Some(lead)));
    wait_ready.wait();
    run_in_child("writer outside the group", || {
        if ex {
            set_owner_ex(p.rx(), F_OWNER_PGRP, lead).unwrap();
        } else {
            set_owner(p.rx(), -lead).unwrap();
        }
        assert_eq!(get_owner(p.rx()), -lead);
        set_status_flag(p.rx(), libc::O_ASYNC, true).unwrap();
        p.send(b"x");
        set_status_flag(p.rx(), libc::O_ASYNC, false).unwrap();
    })
    .expect_success();
    leader.join().expect_success();
    other.join().expect_success();
}

/// fcntl(2), F_SETOWN_EX: "F_OWNER_TID Send the signal to the thread whose thread ID ... is
/// specified in pid" — the signal is pending for that thread only, invisible to the other
/// thread; with F_OWNER_PID it is pending for the process, so the other thread takes it.
#[rstest]
#[case::thread(F_OWNER_TID)]
#[case::process(F_OWNER_PID)]
fn f_owner_tid_targets_one_thread(#[case] kind: libc::c_int) {
    run_in_child("two threads", || {
        let sig = rt(3);
        let c = SignalCatcher::new(&[sig]); // blocked before the thread starts: it inherits the mask
        let p = Kind::Pipe.pair();
        let (tid_tx, tid_rx) = std::sync::mpsc::channel();
        let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
        let t = std::thread::spawn(move || {
            tid_tx.send(gettid()).unwrap();
            go_rx.recv().unwrap();
            SignalCatcher::new(&[sig]).take_pending().map(|i| summary(&i))
        });
        let tid = tid_rx.recv().unwrap();
        let id = if kind == F_OWNER_TID {
            tid
        } else {
            getpid().as_raw()
        };
        set_owner_ex(p.rx(), kind, id).unwrap();
        set_sig(p.rx(), sig as libc::c_long).unwrap();
        set_status_flag(p.rx(), libc::O_ASYNC, true).unwrap();
        p.send(b"x");
        let main_saw = c.take_pending().map(|i| summary(&i));
        go_tx.send(()).unwrap();
        let thread_saw = t.join().unwrap();
        let want = Some(expected(sig, POLL_IN, p.rx()));
        if kind == F_OWNER_TID {
            assert_eq!(
                (main_saw, thread_saw),
                (None, want),
                "only the owner thread has it"
            );
        } else {
            assert_eq!(
                (main_saw, thread_saw),
                (want, None),
                "process-directed: the main thread took it"
            );
        }
    })
    .expect_success();
}
