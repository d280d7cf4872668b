//! The operations on a semaphore, by address (named or unnamed alike, also across fork as
//! an integer), each returning the exact errno.

// The wrappers take the raw `sem_t` addresses the tests initialised and return the exact
// errno of each call; making them `unsafe fn` would only move the same unsafe block into
// every test.
#![allow(clippy::not_unsafe_ptr_arg_deref)]

use fixtures::facility::Availability;
use fixtures::sys;
use nix::errno::Errno;

/// sem_post(3).
pub fn post(s: *mut libc::sem_t) -> Result<(), Errno> {
    // SAFETY: `s` points to an initialised semaphore.
    sys(unsafe { libc::sem_post(s) }).map(|_| ())
}

/// sem_wait(3), once (EINTR is returned, not retried: some claims are about it).
pub fn wait(s: *mut libc::sem_t) -> Result<(), Errno> {
    // SAFETY: as above.
    sys(unsafe { libc::sem_wait(s) }).map(|_| ())
}

/// sem_trywait(3).
pub fn trywait(s: *mut libc::sem_t) -> Result<(), Errno> {
    // SAFETY: as above.
    sys(unsafe { libc::sem_trywait(s) }).map(|_| ())
}

/// sem_timedwait(3) with an absolute CLOCK_REALTIME deadline.
pub fn timedwait(s: *mut libc::sem_t, abs: &libc::timespec) -> Result<(), Errno> {
    // SAFETY: as above; `abs` is a valid timespec.
    sys(unsafe { libc::sem_timedwait(s, abs) }).map(|_| ())
}

type SemClockwait = unsafe extern "C" fn(*mut libc::sem_t, libc::clockid_t, *const libc::timespec) -> libc::c_int;

/// sem_clockwait (glibc 2.30+), looked up at run time so that the binary still loads
/// with a C library that lacks it; `None` when it is missing.
fn sem_clockwait_fn() -> Option<SemClockwait> {
    // SAFETY: dlsym with a valid symbol name; the symbol has the declared C signature.
    let p = unsafe { libc::dlsym(libc::RTLD_DEFAULT, c"sem_clockwait".as_ptr()) };
    if p.is_null() { None } else { Some(unsafe { std::mem::transmute::<*mut libc::c_void, SemClockwait>(p) }) }
}

/// Probe: the C library has sem_clockwait (`present`), or not (`absent`: glibc before 2.30;
/// there is no call whose failure could be asserted). For `needs!(available(..))`.
pub fn sem_clockwait_available() -> Availability {
    Availability::absent_unless(
        sem_clockwait_fn().map(drop).ok_or_else(|| "the C library has no sem_clockwait (glibc < 2.30)".to_string()),
        "sem_clockwait is in the C library (glibc 2.30+)",
    )
}

/// sem_clockwait(3): `Err(ENOSYS)` if the C library does not have it.
pub fn clockwait(s: *mut libc::sem_t, clock: libc::clockid_t, abs: &libc::timespec) -> Result<(), Errno> {
    let f = sem_clockwait_fn().ok_or(Errno::ENOSYS)?;
    // SAFETY: as for sem_timedwait.
    sys(unsafe { f(s, clock, abs) }).map(|_| ())
}

/// sem_getvalue(3); panics if it fails (glibc never fails it).
pub fn value(s: *mut libc::sem_t) -> i32 {
    let mut v: libc::c_int = -12345;
    // SAFETY: as above; `v` is a valid out-parameter.
    let r = unsafe { libc::sem_getvalue(s, &mut v) };
    assert_eq!(r, 0, "sem_getvalue: {}", Errno::last());
    v
}
