//! Named semaphores: sem_open(3), sem_close(3), sem_unlink(3) with the exact errno, and the
//! file behind a name.

use std::ffi::{CStr, CString};
use std::path::PathBuf;

use fixtures::{IpcName, sys};
use nix::errno::Errno;

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
pub fn create(name: &IpcName, value: u32) -> NamedSem {
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

/// The path of a named semaphore's file: /dev/shm/sem.NAME (sem_overview(7)).
pub fn dev_shm_path(name: &IpcName) -> PathBuf {
    PathBuf::from(format!("/dev/shm/sem.{}", name.bare()))
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
        crate::calls::post(self.0)
    }
    pub fn wait(&self) -> Result<(), Errno> {
        crate::calls::wait(self.0)
    }
    pub fn trywait(&self) -> Result<(), Errno> {
        crate::calls::trywait(self.0)
    }
    pub fn value(&self) -> i32 {
        crate::calls::value(self.0)
    }
}

impl Drop for NamedSem {
    fn drop(&mut self) {
        let _g = ForkGuard::hold();
        // SAFETY: the address came from sem_open and is closed once.
        unsafe { libc::sem_close(self.0) };
    }
}
