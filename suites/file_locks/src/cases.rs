//! The suite's named parameter sets (rstest_reuse templates), defined once. A test applies
//! one with `#[apply(name)]` and takes the parameter as `#[case]`:
//!
//! ```ignore
//! #[apply(record_lock_kinds)]
//! fn setlkw_waits_until_the_conflicting_lock_is_released(#[case] kind: RecordLock) { .. }
//! ```

use rstest_reuse::template;

/// The two kinds of fcntl(2) byte-range locks and their commands: traditional
/// (process-associated) record locks and open file description locks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordLock {
    /// F_SETLK / F_OFD_SETLK.
    pub set: libc::c_int,
    /// F_SETLKW / F_OFD_SETLKW.
    pub wait: libc::c_int,
    /// F_GETLK / F_OFD_GETLK.
    pub get: libc::c_int,
}

impl RecordLock {
    /// Traditional record locks (fcntl(2), "Advisory record locking").
    pub const POSIX: RecordLock = RecordLock { set: libc::F_SETLK, wait: libc::F_SETLKW, get: libc::F_GETLK };
    /// Open file description locks (fcntl(2), "Open file description locks (non-POSIX)").
    pub const OFD: RecordLock = RecordLock { set: libc::F_OFD_SETLK, wait: libc::F_OFD_SETLKW, get: libc::F_OFD_GETLK };

    /// The pid F_GETLK reports for a holder of this kind of lock whose pid is `pid`: fcntl(2),
    /// "If the conflicting lock is an open file description lock, then l_pid is set to -1".
    pub fn reported_pid(self, pid: i32) -> i32 {
        if self == RecordLock::OFD { -1 } else { pid }
    }
}

/// Both kinds of byte-range lock: `case_1_posix_lock`, `case_2_ofd_lock`.
/// The two kinds fcntl(2) documents: "Advisory record locking" and "Open file description locks (non-POSIX)".
#[template]
#[export]
#[rstest]
#[case::posix_lock(file_locks::cases::RecordLock::POSIX)]
#[case::ofd_lock(file_locks::cases::RecordLock::OFD)]
pub fn record_lock_kinds(#[case] kind: RecordLock) {}
