//! Suite `futex`: futexes, the kernel side of process-shared locks and POSIX semaphores in
//! shared memory (futex(2), futex(7)) — the calls and flags added since 5.10, each checked on
//! futex words in MAP_SHARED memory between processes where the claim allows it.
//!
//! Topics (one test file each):
//! - `pi_locks`: FUTEX_LOCK_PI2 (5.14), a priority-inheritance lock whose timeout is measured
//!   against CLOCK_MONOTONIC.
//! - `waitv`: futex_waitv(2) (5.16), waiting on several futexes at once.
//! - `futex2`: the futex2 calls futex_wait/futex_wake (6.7) and FUTEX2_NUMA (6.16).
//! - `private_hash`: prctl(2) PR_FUTEX_HASH (6.17), the process-private futex hash.
//! - `access.rs`: FUTEX_FD is gone (a futex cannot be polled); a private futex is not woken from
//!   another process.
//!
//! Sources: futex(2), futex_waitv(2), FUTEX_LOCK_PI2(2const), PR_FUTEX_HASH(2const) and its
//! GET/SET_SLOTS pages of man-pages 6.20; <linux/futex.h> and <linux/prctl.h> of the Debian
//! 6.12 and 7.2 headers; the syscall table (futex_waitv 449, futex_wake 454, futex_wait 455).
//!
//! Helpers: the raw calls with the exact errno, and [`Words`], futex words in memory shared
//! with forked children.

use fixtures::memory::Mapping;
use nix::errno::Errno;

/// futex(2) operations and flags (<linux/futex.h>).
pub const FUTEX_WAKE: libc::c_int = 1;
pub const FUTEX_LOCK_PI: libc::c_int = 6;
pub const FUTEX_UNLOCK_PI: libc::c_int = 7;
pub const FUTEX_TRYLOCK_PI: libc::c_int = 8;
pub const FUTEX_LOCK_PI2: libc::c_int = 13;
pub const FUTEX_WAITERS: u32 = 0x8000_0000;
pub const FUTEX_TID_MASK: u32 = 0x3fff_ffff;

/// futex2 flags (<linux/futex.h>, 6.7; NUMA 6.16).
pub const FUTEX2_SIZE_U32: libc::c_uint = 0x02;
pub const FUTEX2_NUMA: libc::c_uint = 0x04;
pub const FUTEX2_PRIVATE: libc::c_uint = 128;
pub const FUTEX_NO_NODE: u32 = u32::MAX;
/// The legacy name futex_waitv(2) uses for FUTEX2_SIZE_U32.
pub const FUTEX_32: u32 = 0x02;

/// x86_64 system call numbers the libc crate may lack.
pub const SYS_FUTEX_WAKE: libc::c_long = 454;
pub const SYS_FUTEX_WAIT: libc::c_long = 455;

/// prctl(2) PR_FUTEX_HASH (<linux/prctl.h>, 6.17).
pub const PR_FUTEX_HASH: libc::c_int = 78;
pub const PR_FUTEX_HASH_SET_SLOTS: libc::c_ulong = 1;
pub const PR_FUTEX_HASH_GET_SLOTS: libc::c_ulong = 2;

fn ret(r: libc::c_long) -> Result<libc::c_long, Errno> {
    if r == -1 { Err(Errno::last()) } else { Ok(r) }
}

/// futex(2) as one raw call on word `i`: futex(uaddr, op, val, timeout, NULL, 0).
pub fn futex(words: &Words, i: usize, op: libc::c_int, val: u32, timeout: Option<&libc::timespec>) -> Result<libc::c_long, Errno> {
    let t = timeout.map_or(std::ptr::null(), |t| t as *const libc::timespec);
    // SAFETY: a futex word inside our mapping; the kernel validates the rest.
    ret(unsafe { libc::syscall(libc::SYS_futex, words.at(i), op, val, t, std::ptr::null::<u32>(), 0) })
}

/// struct futex_waitv of futex_waitv(2).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct FutexWaitv {
    pub val: u64,
    pub uaddr: u64,
    pub flags: u32,
    pub reserved: u32,
}

/// futex_waitv(2) as one raw call, without a timeout.
pub fn futex_waitv(waiters: &mut [FutexWaitv]) -> Result<libc::c_long, Errno> {
    // SAFETY: an array of `len` waiters, no timeout.
    ret(unsafe {
        libc::syscall(libc::SYS_futex_waitv, waiters.as_mut_ptr(), waiters.len() as libc::c_uint, 0, std::ptr::null::<libc::timespec>(), 0)
    })
}

/// futex_wake(2) (futex2) on word `i`: futex_wake(uaddr, mask, nr, flags).
pub fn futex_wake(words: &Words, i: usize, mask: u64, nr: libc::c_int, flags: libc::c_uint) -> Result<libc::c_long, Errno> {
    // SAFETY: a futex word inside our mapping (with FUTEX2_NUMA the next word too).
    ret(unsafe { libc::syscall(SYS_FUTEX_WAKE, words.at(i), mask, nr, flags) })
}

/// futex_wait(2) (futex2) on word `i`: futex_wait(uaddr, val, mask, flags, NULL, 0), no timeout.
pub fn futex_wait(words: &Words, i: usize, val: u64, mask: u64, flags: libc::c_uint) -> Result<libc::c_long, Errno> {
    // SAFETY: a futex word inside our mapping.
    ret(unsafe { libc::syscall(SYS_FUTEX_WAIT, words.at(i), val, mask, flags, std::ptr::null::<libc::timespec>(), 0) })
}

/// Futex words (u32) in one page of MAP_SHARED anonymous memory: shared with every child
/// forked after it is made, so that a futex operation in one process meets the other's.
pub struct Words(Mapping);

impl Words {
    pub fn new() -> Words {
        Words(Mapping::anonymous(fixtures::memory::page_size(), true))
    }

    /// The address of word `i` (the last word of the page is 1023).
    pub fn at(&self, i: usize) -> *mut u32 {
        self.0.ptr_at::<u32>(4 * i)
    }

    pub fn get(&self, i: usize) -> u32 {
        // SAFETY: a word inside our mapping.
        unsafe { std::ptr::read_volatile(self.at(i)) }
    }

    pub fn set(&self, i: usize, v: u32) {
        // SAFETY: a word inside our mapping.
        unsafe { std::ptr::write_volatile(self.at(i), v) }
    }
}

impl Default for Words {
    fn default() -> Self {
        Words::new()
    }
}
