//! Suite `posix_sem`: POSIX semaphores, named and unnamed, as glibc implements them on
//! Linux (a 32-bit futex word in shared memory; named semaphores are files `sem.NAME` in
//! the tmpfs mounted on /dev/shm).
//!
//! Topics (one test file each):
//! - `open_rules`: sem_open(3) with and without O_CREAT/O_EXCL, the initial value,
//!   SEM_VALUE_MAX, the same name opened twice in one process, another process by name.
//! - `names`: the name rules of sem_overview(7): one leading slash, NAME_MAX-4 characters,
//!   "/" alone, inner slashes, the file /dev/shm/sem.NAME.
//! - `permissions`: mode and umask, owner, EACCES for another user on open and unlink.
//! - `values`: post/wait/trywait arithmetic, sem_getvalue(3), EOVERFLOW at SEM_VALUE_MAX.
//! - `blocking`: sem_wait(3) blocking until a post from another process, wake-one,
//!   sem_timedwait/sem_clockwait timeouts and EINVAL, EINTR and SA_RESTART (signal(7)).
//! - `unnamed`: sem_init(3)/sem_destroy(3), pshared semaphores in MAP_SHARED memory and in
//!   a POSIX shared memory object, thread-shared semaphores.
//! - `unlink`: sem_unlink(3): the name goes at once, open handles keep working.
//! - `counting`: many posters and waiters lose no post; mutual exclusion of a shared
//!   counter across processes.
//!
//! Sources: sem_overview(7), sem_open(3), sem_wait(3), sem_post(3), sem_init(3),
//! sem_getvalue(3), sem_unlink(3), sem_destroy(3), the glibc manual's "Functions for Waiting
//! According to a Specific Clock" (sem_clockwait, glibc 2.30+)
//! (sem_wait(3) of later man-pages), signal(7) "Interruption of system calls and library
//! functions by signal handlers", POSIX.1-2024 <semaphore.h>.
//!
//! Helpers shared by the test files live here: raw wrappers that return the errno of
//! every call, a closing handle for named semaphores, and unnamed semaphores in MAP_SHARED
//! memory ([`fixtures::memory::Mapping`]). Deadlines on a clock come from
//! [`fixtures::clock`].

// The wrappers below take the raw `sem_t` addresses the tests initialised (also across
// fork, as integers) and return the exact errno of each call; making them `unsafe fn` would
// only move the same unsafe block into every test.
#![allow(clippy::not_unsafe_ptr_arg_deref)]

use std::ffi::{CStr, CString};

use fixtures::memory::Mapping;
use fixtures::sys;
use nix::errno::Errno;

/// SEM_VALUE_MAX of glibc on Linux (INT_MAX), the largest value a semaphore can hold.
pub const SEM_VALUE_MAX: u32 = i32::MAX as u32;

/// glibc's sem_open(3) and sem_close(3) take an internal lock (the table of mapped
/// semaphores) that fork(2) does not reset: a child forked while another thread of the
/// test process (plain `cargo test` runs tests as threads) is inside sem_open would
/// deadlock in its own sem_open. Every sem_open/sem_close of the suite holds this mutex,
/// and a pthread_atfork(3) handler takes it around every fork, so no fork happens while a
/// thread is inside those calls.
static mut FORK_GUARD: libc::pthread_mutex_t = libc::PTHREAD_MUTEX_INITIALIZER;

extern "C" fn lock_fork_guard() {
    // SAFETY: a statically initialised mutex.
    unsafe { libc::pthread_mutex_lock(&raw mut FORK_GUARD) };
}

extern "C" fn unlock_fork_guard() {
    // SAFETY: called by the thread that locked it (atfork parent/child handlers).
    unsafe { libc::pthread_mutex_unlock(&raw mut FORK_GUARD) };
}

/// Holds [`FORK_GUARD`] while alive.
struct ForkGuard;

impl ForkGuard {
    fn hold() -> ForkGuard {
        static ONCE: std::sync::Once = std::sync::Once::new();
        // SAFETY: registering plain handlers that only lock and unlock the mutex.
        ONCE.call_once(|| unsafe {
            libc::pthread_atfork(Some(lock_fork_guard), Some(unlock_fork_guard), Some(unlock_fork_guard));
        });
        lock_fork_guard();
        ForkGuard
    }
}

impl Drop for ForkGuard {
    fn drop(&mut self) {
        unlock_fork_guard();
    }
}

/// sem_open(3) with O_CREAT's extra arguments; `Err(errno)` when it returns SEM_FAILED.
pub fn sem_open(name: &CStr, oflag: libc::c_int, mode: u32, value: u32) -> Result<NamedSem, Errno> {
    let _g = ForkGuard::hold();
    // SAFETY: a valid C string; the variadic mode and value are passed as C expects them.
    let p = unsafe { libc::sem_open(name.as_ptr(), oflag, mode as libc::c_uint, value as libc::c_uint) };
    if p == libc::SEM_FAILED { Err(Errno::last()) } else { Ok(NamedSem(p)) }
}

/// sem_open(3) of an existing semaphore (no O_CREAT).
pub fn sem_open_existing(name: &CStr) -> Result<NamedSem, Errno> {
    let _g = ForkGuard::hold();
    // SAFETY: a valid C string.
    let p = unsafe { libc::sem_open(name.as_ptr(), 0) };
    if p == libc::SEM_FAILED { Err(Errno::last()) } else { Ok(NamedSem(p)) }
}

/// sem_open(3) with O_CREAT|O_EXCL, mode 0600 and `value`; panics on failure.
#[track_caller]
pub fn create(name: &fixtures::IpcName, value: u32) -> NamedSem {
    sem_open(name.as_cstr(), libc::O_CREAT | libc::O_EXCL, 0o600, value)
        .unwrap_or_else(|e| panic!("sem_open({}, O_CREAT|O_EXCL): {e}", name.as_str()))
}

/// sem_unlink(3) of an arbitrary name.
pub fn sem_unlink(name: &CStr) -> Result<(), Errno> {
    // SAFETY: a valid C string.
    sys(unsafe { libc::sem_unlink(name.as_ptr()) }).map(|_| ())
}

/// A C string from a Rust string (test names never contain NUL).
pub fn cstr(s: &str) -> CString {
    CString::new(s).unwrap()
}

/// A semaphore address from sem_open(3), closed with sem_close(3) when dropped.
#[derive(Debug)]
pub struct NamedSem(*mut libc::sem_t);

// SAFETY: a sem_t is made to be used from several threads.
unsafe impl Send for NamedSem {}
unsafe impl Sync for NamedSem {}

impl NamedSem {
    pub fn as_ptr(&self) -> *mut libc::sem_t {
        self.0
    }
    pub fn post(&self) -> Result<(), Errno> {
        post(self.0)
    }
    pub fn wait(&self) -> Result<(), Errno> {
        wait(self.0)
    }
    pub fn trywait(&self) -> Result<(), Errno> {
        trywait(self.0)
    }
    pub fn value(&self) -> i32 {
        value(self.0)
    }
}

impl Drop for NamedSem {
    fn drop(&mut self) {
        let _g = ForkGuard::hold();
        // SAFETY: the address came from sem_open and is closed once.
        unsafe { libc::sem_close(self.0) };
    }
}

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
pub fn sem_clockwait_fn() -> Option<SemClockwait> {
    // SAFETY: dlsym with a valid symbol name; the symbol has the declared C signature.
    let p = unsafe { libc::dlsym(libc::RTLD_DEFAULT, c"sem_clockwait".as_ptr()) };
    if p.is_null() { None } else { Some(unsafe { std::mem::transmute::<*mut libc::c_void, SemClockwait>(p) }) }
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

/// An unnamed semaphore initialised with sem_init(3) at the start of its own MAP_SHARED
/// page, destroyed and unmapped when dropped. With `pshared` it works across fork.
pub struct UnnamedSem {
    mem: Mapping,
}

impl UnnamedSem {
    #[track_caller]
    pub fn new(pshared: bool, value: u32) -> UnnamedSem {
        let mem = Mapping::anonymous(4096, true);
        // SAFETY: the page is large enough and suitably aligned for a sem_t.
        let r = unsafe { libc::sem_init(mem.ptr_at::<libc::sem_t>(0), pshared as libc::c_int, value) };
        assert_eq!(r, 0, "sem_init: {}", Errno::last());
        UnnamedSem { mem }
    }

    pub fn as_ptr(&self) -> *mut libc::sem_t {
        self.mem.ptr_at(0)
    }

    /// The rest of the page, after the semaphore, as a shared array of u64 counters.
    pub fn slot(&self, i: usize) -> *mut u64 {
        self.mem.ptr_at(64 + 8 * i)
    }
}

impl Drop for UnnamedSem {
    fn drop(&mut self) {
        // SAFETY: initialised by sem_init, destroyed once, no waiter left (children are
        // reaped before the semaphore drops).
        unsafe { libc::sem_destroy(self.as_ptr()) };
    }
}

/// The path of a named semaphore's file: /dev/shm/sem.NAME (sem_overview(7)).
pub fn dev_shm_path(name: &fixtures::IpcName) -> std::path::PathBuf {
    std::path::PathBuf::from(format!("/dev/shm/sem.{}", name.bare()))
}
