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
//! every call, a closing handle for named semaphores, MAP_SHARED memory for unnamed
//! process-shared semaphores, and CLOCK_REALTIME/CLOCK_MONOTONIC deadlines.

// The wrappers below take the raw `sem_t` addresses the tests initialised (also across
// fork, as integers) and return the exact errno of each call; making them `unsafe fn` would
// only move the same unsafe block into every test.
#![allow(clippy::not_unsafe_ptr_arg_deref)]

use std::ffi::{CStr, CString};
use std::time::Duration;

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

/// The current time of `clock` plus `offset_ns` nanoseconds (may be negative).
pub fn clock_offset(clock: libc::clockid_t, offset_ns: i64) -> libc::timespec {
    let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: a valid out-parameter.
    assert_eq!(unsafe { libc::clock_gettime(clock, &mut now) }, 0);
    let total = now.tv_sec as i128 * 1_000_000_000 + now.tv_nsec as i128 + offset_ns as i128;
    libc::timespec { tv_sec: (total / 1_000_000_000) as libc::time_t, tv_nsec: (total % 1_000_000_000) as libc::c_long }
}

/// A CLOCK_REALTIME deadline `d` from now.
pub fn realtime_in(d: Duration) -> libc::timespec {
    clock_offset(libc::CLOCK_REALTIME, d.as_nanos() as i64)
}

/// A CLOCK_REALTIME deadline `d` ago.
pub fn realtime_ago(d: Duration) -> libc::timespec {
    clock_offset(libc::CLOCK_REALTIME, -(d.as_nanos() as i64))
}

/// An anonymous MAP_SHARED mapping, shared with every child forked after it is made.
pub struct SharedMem {
    addr: *mut u8,
    len: usize,
}

// SAFETY: plain shared memory; the tests synchronise their accesses.
unsafe impl Send for SharedMem {}
unsafe impl Sync for SharedMem {}

impl SharedMem {
    /// `len` bytes of zeroed MAP_SHARED|MAP_ANONYMOUS memory.
    pub fn new(len: usize) -> SharedMem {
        // SAFETY: a fresh anonymous mapping.
        let addr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        assert_ne!(addr, libc::MAP_FAILED, "mmap MAP_SHARED|MAP_ANONYMOUS: {}", Errno::last());
        SharedMem { addr: addr.cast(), len }
    }

    /// A pointer to a `T` at byte `offset` (aligned by the caller's layout).
    pub fn at<T>(&self, offset: usize) -> *mut T {
        assert!(offset + std::mem::size_of::<T>() <= self.len);
        // SAFETY: inside the mapping.
        unsafe { self.addr.add(offset).cast() }
    }
}

impl Drop for SharedMem {
    fn drop(&mut self) {
        // SAFETY: our own mapping.
        unsafe { libc::munmap(self.addr.cast(), self.len) };
    }
}

/// An unnamed semaphore initialised with sem_init(3) at the start of its own MAP_SHARED
/// page, destroyed and unmapped when dropped. With `pshared` it works across fork.
pub struct UnnamedSem {
    mem: SharedMem,
}

impl UnnamedSem {
    #[track_caller]
    pub fn new(pshared: bool, value: u32) -> UnnamedSem {
        let mem = SharedMem::new(4096);
        // SAFETY: the page is large enough and suitably aligned for a sem_t.
        let r = unsafe { libc::sem_init(mem.at::<libc::sem_t>(0), pshared as libc::c_int, value) };
        assert_eq!(r, 0, "sem_init: {}", Errno::last());
        UnnamedSem { mem }
    }

    pub fn as_ptr(&self) -> *mut libc::sem_t {
        self.mem.at(0)
    }

    /// The rest of the page, after the semaphore, as a shared array of u64 counters.
    pub fn slot(&self, i: usize) -> *mut u64 {
        self.mem.at(64 + 8 * i)
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

/// Wait (bounded) until `sig` is neither pending for process `pid` nor blocked in a
/// handler-less state, i.e. the kernel has delivered it; reads /proc/<pid>/status.
#[track_caller]
pub fn wait_signal_delivered(pid: nix::unistd::Pid, sig: nix::sys::signal::Signal) {
    let bit = 1u64 << (sig as i32 - 1);
    let deadline = std::time::Instant::now() + fixtures::scaled(fixtures::DEFAULT_DEADLINE);
    loop {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let pending = status
            .lines()
            .filter(|l| l.starts_with("SigPnd:") || l.starts_with("ShdPnd:"))
            .map(|l| u64::from_str_radix(l.split_whitespace().nth(1).unwrap_or("0"), 16).unwrap_or(0))
            .fold(0, |a, b| a | b);
        if pending & bit == 0 {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "{sig} stayed pending for process {pid}");
        std::thread::yield_now();
    }
}

/// Mode bits for an object that "another user" must not be able to use with `others`
/// permission (0, 4 = read, 6 = read/write). As root the test's child becomes nobody, so
/// the owner (root) keeps rw and the group/other classes get `others`; as an unprivileged
/// user the child is the owner itself, so the owner class gets `others`.
pub fn mode_for_other_user(others: u32) -> u32 {
    if fixtures::privilege::can_switch_user() { 0o600 | (others << 3) | others } else { others << 6 }
}
