//! Waiting for record locks: F_SETLKW and F_OFD_SETLKW blocking, wake-up, signals, and
//! deadlock detection (fcntl(2), "Advisory record locking", "Open file description locks").

use file_locks::cases::{RecordLock, record_lock_kinds};
use file_locks::interrupt::signal_a_waiting_lock_request;
use file_locks::locks::{range, setlk};
use file_locks::owner::{Owner, owners_of_new_file};
use fixtures::assert_errno;
use nix::errno::Errno;
use nix::sys::signal::Signal;
use rstest::rstest;
use rstest_reuse::apply;

const WR: libc::c_int = libc::F_WRLCK;
const UN: libc::c_int = libc::F_UNLCK;

/// fcntl(2), F_SETLKW: "As for F_SETLK, but if a conflicting lock is held on the file, then
/// wait for that lock to be released." The waiter stays blocked (bounded proof) until the
/// holder unlocks, then owns the lock (another process sees its pid). Same for F_OFD_SETLKW.
#[apply(record_lock_kinds)]
fn setlkw_waits_until_the_conflicting_lock_is_released(#[case] kind: RecordLock) {
    let (_s, path, [holder]) = owners_of_new_file(b"", ["holder"]);
    assert_eq!(holder.setlk(kind.set, WR, 0, 10), Ok(()));
    let waiter = Owner::new("waiter", &path);
    waiter.start_fcntl(kind.wait, range(WR, 5, 1));
    waiter.assert_blocked("F_SETLKW on a locked range");
    assert_eq!(holder.setlk(kind.set, UN, 0, 10), Ok(()));
    assert_eq!(waiter.reply().result, Ok(()));
    let got = holder.getlk(libc::F_GETLK, WR, 0, 10);
    assert_eq!(got.conflict(), (WR, 5, 1, kind.reported_pid(waiter.pid())));
}

/// fcntl(2), F_SETLKW waits for "that lock to be released": releasing part of the holder's
/// lock that does not cover the waiter's range leaves the waiter blocked; releasing the part
/// it needs grants it.
#[test]
fn setlkw_waits_until_its_own_range_is_free() {
    let (_s, path, [holder]) = owners_of_new_file(b"", ["holder"]);
    assert_eq!(holder.setlk(libc::F_SETLK, WR, 0, 20), Ok(()));
    let waiter = Owner::new("waiter", &path);
    waiter.start_fcntl(libc::F_SETLKW, range(WR, 10, 1));
    waiter.assert_blocked("F_SETLKW on [10,11)");
    assert_eq!(holder.setlk(libc::F_SETLK, UN, 0, 5), Ok(()));
    waiter.assert_still_blocked("F_SETLKW on [10,11) after [0,5) was released");
    assert_eq!(holder.setlk(libc::F_SETLK, UN, 10, 5), Ok(()));
    assert_eq!(waiter.reply().result, Ok(()));
}

/// fcntl(2), F_SETLKW: "If a signal is caught while waiting, then the call is interrupted and
/// (after the signal handler has returned) returns immediately (with return value -1 and
/// errno set to EINTR". signal(7) lists "the F_SETLKW and F_OFD_SETLKW operations of fcntl(2)"
/// among the calls restarted under SA_RESTART: then the wait goes on (bounded proof after the
/// signal) until the lock is released.
#[apply(record_lock_kinds)]
fn signal_during_setlkw(#[case] kind: RecordLock, #[values(false, true)] restart: bool) {
    let (_s, path, [holder]) = owners_of_new_file(b"", ["holder"]);
    assert_eq!(holder.setlk(kind.set, WR, 0, 1), Ok(()));
    signal_a_waiting_lock_request(&path, "F_SETLKW", restart, |fd| setlk(fd, kind.wait, WR, 0, 1), || {
        assert_eq!(holder.setlk(kind.set, UN, 0, 1), Ok(()));
    });
}

/// fcntl(2): "When placing locks with F_SETLKW, the kernel detects deadlocks, whereby two or
/// more processes have their lock requests mutually blocked by locks held by the other
/// processes ... it causes one of the blocking lock requests to immediately fail with the
/// error EDEADLK". A holds byte 0 and waits for byte 1; B holds byte 1 and asks for byte 0:
/// B's request fails at once, and when B lets go A gets its lock.
#[test]
fn f_setlkw_detects_a_two_process_deadlock() {
    let (_s, _path, [a, b]) = owners_of_new_file(b"", ["A", "B"]);
    assert_eq!(a.setlk(libc::F_SETLK, WR, 0, 1), Ok(()));
    assert_eq!(b.setlk(libc::F_SETLK, WR, 1, 1), Ok(()));
    a.start_fcntl(libc::F_SETLKW, range(WR, 1, 1));
    a.assert_blocked("A's F_SETLKW on byte 1");
    assert_errno!(b.setlk(libc::F_SETLKW, WR, 0, 1), Errno::EDEADLK);
    assert_eq!(b.setlk(libc::F_SETLK, UN, 1, 1), Ok(()));
    assert_eq!(a.reply().result, Ok(()));
}

/// fcntl(2): "Circular deadlocks involving more than two processes are also detected." A waits
/// for B, B waits for C; C's request for A's byte closes the circle and fails with EDEADLK.
#[test]
fn f_setlkw_detects_a_three_process_deadlock() {
    let (_s, _path, [a, b, c]) = owners_of_new_file(b"", ["A", "B", "C"]);
    for (o, byte) in [(&a, 0), (&b, 1), (&c, 2)] {
        assert_eq!(o.setlk(libc::F_SETLK, WR, byte, 1), Ok(()));
    }
    a.start_fcntl(libc::F_SETLKW, range(WR, 1, 1));
    a.assert_blocked("A waiting for B");
    b.start_fcntl(libc::F_SETLKW, range(WR, 2, 1));
    b.assert_blocked("B waiting for C");
    assert_errno!(c.setlk(libc::F_SETLKW, WR, 0, 1), Errno::EDEADLK);
    c.exit();
    assert_eq!(b.reply().result, Ok(()));
}

/// fcntl(2): "In the current implementation, no deadlock detection is performed for open file
/// description locks." Two processes crossing their F_OFD_SETLKW requests both stay blocked
/// (bounded proof); killing one lets the other through.
#[test]
fn ofd_locks_have_no_deadlock_detection() {
    let (_s, _path, [a, b]) = owners_of_new_file(b"", ["A", "B"]);
    assert_eq!(a.setlk(libc::F_OFD_SETLK, WR, 0, 1), Ok(()));
    assert_eq!(b.setlk(libc::F_OFD_SETLK, WR, 1, 1), Ok(()));
    a.start_fcntl(libc::F_OFD_SETLKW, range(WR, 1, 1));
    a.assert_blocked("A's F_OFD_SETLKW on byte 1");
    b.start_fcntl(libc::F_OFD_SETLKW, range(WR, 0, 1));
    b.assert_blocked("B's F_OFD_SETLKW on byte 0 (no EDEADLK)");
    a.signal(Signal::SIGKILL);
    assert_eq!(b.reply().result, Ok(()));
}
