//! proc(5), "/proc/locks": "This file shows current file locks (flock(2) and fcntl(2)) and
//! leases (fcntl(2))", one line per lock: class, ADVISORY/MANDATORY, READ/WRITE, the owner's
//! PID, "major:minor:inode", first and last byte ("EOF" for to the end of the file).

use file_locks::leases::{lease_file, set_lease};
use file_locks::locks::{open_file, open_rw, range};
use file_locks::owner::owners_of_new_file;
use file_locks::proc_locks::{ProcLock, proc_locks_for, proc_locks_id};
use fixtures::{kernel_at_least, kernel_version, variant};
use rstest::rstest;

#[derive(Clone, Copy, Debug)]
enum Kind {
    FlockShared,
    FlockExclusive,
    PosixWrite,
    PosixReadToEof,
    OfdWrite,
}

/// Each kind of lock appears as one line for the file with the fields proc(5) documents:
/// "FLOCK This is a BSD file lock created using flock(2)", "POSIX This is a POSIX byte-range
/// lock", "OFDLCK This is an open file description (OFD) lock"; "READ ... or a BSD shared
/// lock", "WRITE ... or a BSD exclusive lock"; the PID of the owner, where "the value -1 is
/// displayed in this field for OFD locks. (Before Linux 4.14, a bug meant that the PID of the
/// process that initially acquired the lock was displayed instead of the value -1.)"; the
/// range, where "For BSD locks, this value is always 0" and "the value shown is always EOF".
/// The line disappears when the owner exits. Variant (the `ofd_write` case only): `fixed`
/// (4.14+: -1) or `unfixed` (older: the pid of the process that took the lock).
///
/// Kernel change: 4.14 — /proc/locks shows -1 as the pid of an OFD lock (before: the pid of the process that took it).
#[rstest]
#[case::flock_shared(Kind::FlockShared, ("FLOCK", "READ", "0", "EOF"))]
#[case::flock_exclusive(Kind::FlockExclusive, ("FLOCK", "WRITE", "0", "EOF"))]
#[case::posix_write(Kind::PosixWrite, ("POSIX", "WRITE", "10", "19"))]
#[case::posix_read_to_eof(Kind::PosixReadToEof, ("POSIX", "READ", "5", "EOF"))]
#[case::ofd_write(Kind::OfdWrite, ("OFDLCK", "WRITE", "10", "19"))]
fn proc_locks_shows_each_kind_of_lock(#[case] kind: Kind, #[case] expected: (&str, &str, &str, &str)) {
    let (_s, path, [owner]) = owners_of_new_file(b"0123456789", ["lock owner"]);
    let r = match kind {
        Kind::FlockShared => owner.flock(libc::LOCK_SH),
        Kind::FlockExclusive => owner.flock(libc::LOCK_EX),
        Kind::PosixWrite => owner.setlk(libc::F_SETLK, libc::F_WRLCK, 10, 10),
        Kind::PosixReadToEof => owner.setlk(libc::F_SETLK, libc::F_RDLCK, 5, 0),
        Kind::OfdWrite => owner.setlk(libc::F_OFD_SETLK, libc::F_WRLCK, 10, 10),
    };
    assert_eq!(r, Ok(()));
    let id = proc_locks_id(open_rw(&path));
    let pid = match kind {
        Kind::OfdWrite if kernel_at_least(4, 14) => {
            variant::observed("fixed", format_args!("the OFD lock's pid field is -1 (fixed in 4.14), kernel {}", kernel_version()));
            -1
        }
        Kind::OfdWrite => {
            variant::observed("unfixed", format_args!("before 4.14 the OFD lock shows the pid that took it, kernel {}", kernel_version()));
            owner.pid() as i64
        }
        _ => owner.pid() as i64,
    };
    let (class, access, start, end) = expected;
    let want = ProcLock {
        blocked: false,
        class: class.into(),
        mode: "ADVISORY".into(),
        access: access.into(),
        pid,
        id: id.clone(),
        start: start.into(),
        end: end.into(),
    };
    assert_eq!(proc_locks_for(&id), vec![want]);
    owner.exit();
    assert_eq!(proc_locks_for(&id), vec![], "the lock outlived its owner");
}

/// A request blocked in F_SETLKW or flock(2) is listed too, right after the lock it waits
/// for, marked "->" and with the waiter's pid and requested range (fs/locks.c, locks_show:
/// the blocked requests of each lock are printed with the " ->" prefix).
#[rstest]
#[case::posix_waiter(false)]
#[case::flock_waiter(true)]
fn proc_locks_lists_a_blocked_request_with_an_arrow(#[case] use_flock: bool) {
    let (_s, path, [holder, waiter]) = owners_of_new_file(b"0123456789", ["holder", "waiter"]);
    if use_flock {
        assert_eq!(holder.flock(libc::LOCK_EX), Ok(()));
        waiter.start_flock(libc::LOCK_SH);
    } else {
        assert_eq!(holder.setlk(libc::F_SETLK, libc::F_WRLCK, 0, 10), Ok(()));
        waiter.start_fcntl(libc::F_SETLKW, range(libc::F_RDLCK, 5, 1));
    }
    waiter.assert_blocked("the waiting lock request");
    let id = proc_locks_id(open_rw(&path));
    let lines = proc_locks_for(&id);
    assert_eq!(lines.len(), 2, "{lines:?}");
    let (class, held_range, wanted_range) =
        if use_flock { ("FLOCK", ("0", "EOF"), ("0", "EOF")) } else { ("POSIX", ("0", "9"), ("5", "5")) };
    assert_eq!(
        (lines[0].blocked, lines[0].class.as_str(), lines[0].access.as_str(), lines[0].pid),
        (false, class, "WRITE", holder.pid() as i64)
    );
    assert_eq!((lines[0].start.as_str(), lines[0].end.as_str()), held_range);
    assert_eq!(
        (lines[1].blocked, lines[1].class.as_str(), lines[1].access.as_str(), lines[1].pid),
        (true, class, "READ", waiter.pid() as i64)
    );
    assert_eq!((lines[1].start.as_str(), lines[1].end.as_str()), wanted_range);
}

/// proc(5): /proc/locks shows "leases (fcntl(2))" as well: class LEASE, state ACTIVE (not being
/// broken), READ for a read lease, the pid of the process that took it, 0 to EOF (fs/locks.c,
/// lock_get_status). Variant: `enabled`, or `disabled` (lacking: fs/leases-enable is 0, the
/// refused F_SETLEASE is asserted instead; see [`file_locks::leases::leases_variant`]).
#[test]
fn proc_locks_shows_a_lease() {
    let Some((_s, path)) = lease_file() else { return };
    let fd = open_file(&path, libc::O_RDONLY);
    assert_eq!(set_lease(&fd, libc::F_RDLCK), Ok(()));
    let id = proc_locks_id(&fd);
    let lines = proc_locks_for(&id);
    assert_eq!(lines.len(), 1, "{lines:?}");
    let l = &lines[0];
    assert_eq!(
        (l.class.as_str(), l.mode.as_str(), l.access.as_str(), l.pid, l.start.as_str(), l.end.as_str()),
        ("LEASE", "ACTIVE", "READ", std::process::id() as i64, "0", "EOF")
    );
}
