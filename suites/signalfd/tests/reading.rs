//! signalfd(2), "read(2)": "If one or more of the signals specified in mask is pending for
//! the process, then the buffer supplied to read(2) is used to return one or more
//! signalfd_siginfo structures ... The read(2) returns information for as many signals as
//! are pending and will fit in the supplied buffer. The buffer must be at least
//! sizeof(struct signalfd_siginfo) bytes. The return value of the read(2) is the total number
//! of bytes read. As a consequence of the read(2), the signals are consumed, so that they are
//! no longer pending for the process ... If none of the signals in mask is pending for the
//! process, then the read(2) either blocks until one of the signals in mask is generated for
//! the process, or fails with the error EAGAIN if the file descriptor has been made
//! nonblocking."
//!
//! Every claim runs in a forked child that blocks the signals it reads.

use fixtures::poll::revents_now;
use fixtures::signals::rt;
use fixtures::{assert_errno, run_in_child, spawn, sync};
use nix::errno::Errno;
use signalfd::{RECORD, Record, block, blocked_reader, is_pending, kill, my_pid, read_records, signalfd};

const NONBLOCK: libc::c_int = libc::SFD_NONBLOCK | libc::SFD_CLOEXEC;

/// signalfd(2), read(2): "fails with the error EAGAIN if the file descriptor has been made
/// nonblocking" when no signal of the mask is pending. Asserted: EAGAIN, and poll(2) reports
/// nothing.
#[test]
fn a_read_without_a_pending_signal_fails_eagain() {
    run_in_child("nothing pending", || {
        let fd = blocked_reader(&[libc::SIGTERM]);
        assert_errno!(read_records(&fd, RECORD), Errno::EAGAIN);
        assert_eq!(revents_now(&fd, libc::POLLIN), 0, "poll with nothing pending");
    })
    .expect_success();
}

/// signalfd(2): a pending signal of the mask reads as one 128-byte signalfd_siginfo — "ssi_signo
/// The signal number", "ssi_code The signal code (SI_USER ...)", "ssi_pid The PID of the
/// sender", "ssi_uid The real user ID of the sender" — and "the signals are consumed".
/// Asserted in a child R with SIGTERM blocked: another process (R's child) sends SIGTERM with
/// kill(2); a read of exactly 128 bytes returns 128 bytes with ssi_signo SIGTERM, ssi_code
/// SI_USER, ssi_pid the sender and ssi_uid R's uid; SIGTERM is then no longer pending
/// (sigpending(2)) and the next read fails EAGAIN.
#[test]
fn a_pending_signal_reads_as_one_128_byte_record_and_is_consumed() {
    run_in_child("SIGTERM reader", || {
        let fd = blocked_reader(&[libc::SIGTERM]);
        let receiver = my_pid();
        // variant: none — the real uid is only compared with ssi_uid.
        let uid = nix::unistd::getuid().as_raw();
        let sender = spawn("SIGTERM sender", || kill(receiver as i32, libc::SIGTERM).unwrap());
        let sender_pid = sender.pid().as_raw() as u32;
        sender.expect_success();
        assert!(is_pending(libc::SIGTERM), "the kill(2) made SIGTERM pending");
        let mut buf = [0u8; RECORD];
        assert_eq!(fixtures::io::read_once(&fd, &mut buf), Ok(RECORD), "one read of 128 bytes");
        let r = Record::parse(&buf);
        assert_eq!(r, Record { signo: libc::SIGTERM as u32, code: libc::SI_USER, pid: sender_pid, uid, int: 0 }, "the record");
        assert!(!is_pending(libc::SIGTERM), "the read consumed SIGTERM");
        assert_errno!(read_records(&fd, RECORD), Errno::EAGAIN, "nothing left");
    })
    .expect_success();
}

/// signalfd(2): "The buffer must be at least sizeof(struct signalfd_siginfo) bytes"; ERRORS:
/// "EINVAL ... the size of the buffer ... is less than sizeof(struct signalfd_siginfo)".
/// Asserted with SIGTERM pending: reads of 1, 64 and 127 bytes fail EINVAL and leave SIGTERM
/// pending (a read of 128 bytes then returns it).
#[test]
fn a_buffer_under_128_bytes_fails_einval_and_consumes_nothing() {
    run_in_child("short buffers", || {
        let fd = blocked_reader(&[libc::SIGTERM]);
        kill(my_pid() as i32, libc::SIGTERM).unwrap();
        for len in [1, 64, RECORD - 1] {
            let mut buf = vec![0u8; len];
            assert_errno!(fixtures::io::read_once(&fd, &mut buf), Errno::EINVAL, "a read of {len} bytes");
            assert!(is_pending(libc::SIGTERM), "SIGTERM after the read of {len} bytes");
        }
        let got: Vec<u32> = read_records(&fd, RECORD).unwrap().iter().map(|r| r.signo).collect();
        assert_eq!(got, vec![libc::SIGTERM as u32]);
    })
    .expect_success();
}

/// signalfd(2): "The read(2) returns information for as many signals as are pending and will
/// fit in the supplied buffer." Asserted with SIGUSR1 and SIGUSR2 pending: a read of 256
/// bytes returns 256 bytes, two records, the lower-numbered signal first (standard signals
/// are delivered lowest number first, signal(7)); with both pending again, a read of 255
/// bytes returns one record and leaves the other pending.
#[test]
fn two_pending_signals_give_two_records_in_one_read() {
    run_in_child("two signals pending", || {
        let fd = blocked_reader(&[libc::SIGUSR1, libc::SIGUSR2]);
        let pid = my_pid() as i32;
        kill(pid, libc::SIGUSR2).unwrap();
        kill(pid, libc::SIGUSR1).unwrap();
        let got: Vec<u32> = read_records(&fd, 2 * RECORD).unwrap().iter().map(|r| r.signo).collect();
        assert_eq!(got, vec![libc::SIGUSR1 as u32, libc::SIGUSR2 as u32], "two records in one read of 256 bytes");
        kill(pid, libc::SIGUSR2).unwrap();
        kill(pid, libc::SIGUSR1).unwrap();
        let got: Vec<u32> = read_records(&fd, 2 * RECORD - 1).unwrap().iter().map(|r| r.signo).collect();
        assert_eq!(got, vec![libc::SIGUSR1 as u32], "a read of 255 bytes takes one record");
        assert!(is_pending(libc::SIGUSR2), "the record that did not fit stays pending");
    })
    .expect_success();
}

/// signalfd(2): realtime signals queue (signal(7): "Multiple instances of real-time signals
/// can be queued"), and ssi_int is "The integer sent by sigqueue(3)". Asserted: two
/// sigqueue(3) of SIGRTMIN+1 with the values 7 and 8 read back as two records, in that
/// order, with ssi_code SI_QUEUE and ssi_int 7 and 8.
#[test]
fn queued_realtime_signals_read_as_one_record_each_with_their_value() {
    run_in_child("realtime signals", || {
        let sig = rt(1);
        let fd = blocked_reader(&[sig]);
        for v in [7, 8] {
            let value = libc::sigval { sival_ptr: v as usize as *mut libc::c_void };
            // SAFETY: queueing a signal to ourselves.
            assert_eq!(unsafe { libc::sigqueue(my_pid() as i32, sig, value) }, 0, "sigqueue");
        }
        let got: Vec<(u32, i32, i32)> = read_records(&fd, 4 * RECORD).unwrap().iter().map(|r| (r.signo, r.code, r.int)).collect();
        assert_eq!(got, vec![(sig as u32, libc::SI_QUEUE, 7), (sig as u32, libc::SI_QUEUE, 8)]);
    })
    .expect_success();
}

/// signalfd(2): the descriptor accepts "the signals specified in mask" only. Asserted with
/// SIGUSR2 (not in the mask {SIGUSR1}) blocked and pending: a read fails EAGAIN, poll(2)
/// reports nothing, and SIGUSR2 stays pending.
#[test]
fn a_signal_outside_the_mask_is_not_reported() {
    run_in_child("SIGUSR2 pending, mask SIGUSR1", || {
        block(&[libc::SIGUSR1, libc::SIGUSR2]);
        let fd = signalfd(&[libc::SIGUSR1], NONBLOCK).unwrap();
        kill(my_pid() as i32, libc::SIGUSR2).unwrap();
        assert_errno!(read_records(&fd, RECORD), Errno::EAGAIN);
        assert_eq!(revents_now(&fd, libc::POLLIN), 0, "poll");
        assert!(is_pending(libc::SIGUSR2));
    })
    .expect_success();
}

/// signalfd(2): without O_NONBLOCK "the read(2) ... blocks until one of the signals in mask
/// is generated for the process". Asserted: a child blocked in read(2) on its signalfd
/// (proven asleep in the call) returns one SIGUSR1 record once the test sends SIGUSR1, with
/// ssi_pid the test process.
#[test]
fn a_blocking_read_waits_for_a_signal() {
    let (ready, wait_ready) = sync::channel();
    let test_pid = my_pid();
    let mut reader = spawn("blocked signalfd reader", || {
        block(&[libc::SIGUSR1]);
        let fd = signalfd(&[libc::SIGUSR1], libc::SFD_CLOEXEC).unwrap();
        ready.notify();
        let got: Vec<(u32, u32)> = read_records(&fd, RECORD).unwrap().iter().map(|r| (r.signo, r.pid)).collect();
        assert_eq!(got, vec![(libc::SIGUSR1 as u32, test_pid)]);
    });
    wait_ready.wait();
    reader.assert_blocked_in(&[libc::SYS_read], "read(2) on a signalfd with nothing pending");
    reader.signal(nix::sys::signal::Signal::SIGUSR1);
    reader.expect_success();
}
