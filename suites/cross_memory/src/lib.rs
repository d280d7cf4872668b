//! Suite `cross_memory`: reading and writing another process's memory with
//! process_vm_readv(2)/process_vm_writev(2) and /proc/<pid>/mem, and the "ptrace access
//! mode" checks that govern both (ptrace(2), "Ptrace access mode checking"; prctl(2),
//! PR_SET_DUMPABLE; Yama's /proc/sys/kernel/yama/ptrace_scope).
//!
//! Topics (one test file each):
//! - `transfer`: data moves between address spaces, scatter/gather in array order, sizes
//!   across page boundaries, zero-length vectors, copy-on-write after fork.
//! - `partial`: partial transfers at inaccessible remote memory, and protections that
//!   process_vm_writev does not override.
//! - `errors`: EFAULT, EINVAL, ESRCH as process_vm_readv(2) lists them.
//! - `permission`: EPERM without ptrace access: other users, non-dumpable processes,
//!   CAP_SYS_PTRACE, the same thread group, Yama.
//! - `proc_mem`: /proc/<pid>/mem as the alternative interface.
//!
//! The remote process is always a forked child (a [`Target`]): it sets up its memory,
//! reports an address over a pipe, and waits to be released, so the parent can inspect it
//! while it is stopped at a known point. Addresses of memory allocated before the fork are
//! the same in both processes.
//!
//! Helpers shared by the test files live here: iovecs, the two system calls with their
//! exact errno, the [`Target`] process, and the ptrace access gates. Mappings come from
//! [`fixtures::memory`].

use fixtures::sync::{Notifier, Waiter, channel};
use fixtures::{Forked, spawn, sys_size};
use nix::errno::Errno;
use nix::unistd::Pid;

/// An iovec for `len` bytes at `addr`.
pub fn iov(addr: usize, len: usize) -> libc::iovec {
    libc::iovec { iov_base: addr as *mut libc::c_void, iov_len: len }
}

/// An iovec covering a mutable buffer.
pub fn iov_of(buf: &mut [u8]) -> libc::iovec {
    iov(buf.as_mut_ptr() as usize, buf.len())
}

/// process_vm_readv(2) with raw vectors; the exact errno on failure.
pub fn vm_read(pid: Pid, local: &[libc::iovec], remote: &[libc::iovec], flags: libc::c_ulong) -> Result<usize, Errno> {
    vm_read_n(pid, local.as_ptr(), local.len(), remote.as_ptr(), remote.len(), flags)
}

/// process_vm_writev(2) with raw vectors; the exact errno on failure.
pub fn vm_write(pid: Pid, local: &[libc::iovec], remote: &[libc::iovec], flags: libc::c_ulong) -> Result<usize, Errno> {
    // SAFETY: the kernel validates every address; the vectors are readable for their length.
    sys_size(unsafe {
        libc::process_vm_writev(pid.as_raw(), local.as_ptr(), local.len() as _, remote.as_ptr(), remote.len() as _, flags)
    })
}

/// process_vm_readv(2) with explicit (possibly bogus) array pointers and counts. Only the
/// kernel dereferences them, and it validates them: that is what the callers test.
#[allow(clippy::not_unsafe_ptr_arg_deref)]
pub fn vm_read_n(
    pid: Pid,
    local: *const libc::iovec,
    liovcnt: usize,
    remote: *const libc::iovec,
    riovcnt: usize,
    flags: libc::c_ulong,
) -> Result<usize, Errno> {
    // SAFETY: the kernel validates the arrays and every address (this is what is tested).
    sys_size(unsafe { libc::process_vm_readv(pid.as_raw(), local, liovcnt as _, remote, riovcnt as _, flags) })
}

/// A forked child whose memory the test inspects. The child runs `setup` (which changes
/// its own memory and returns a value for the parent, typically an address), reports the
/// value, and waits until the parent calls [`Target::finish`]; then it runs `check` (e.g.
/// verifying what the parent wrote into it) and exits.
pub struct Target {
    child: Forked,
    release: Option<Notifier>,
    value: u64,
}

impl Target {
    pub fn start(setup: impl FnOnce() -> u64) -> Target {
        Target::start_with(setup, || {})
    }

    pub fn start_with(setup: impl FnOnce() -> u64, check: impl FnOnce()) -> Target {
        let (report, reported) = channel();
        let (release, released): (Notifier, Waiter) = channel();
        let child = spawn("target process", || {
            let v = setup();
            report.send_u64(v);
            released.wait();
            check();
        });
        drop(report);
        drop(released);
        let value = reported.recv_u64();
        Target { child, release: Some(release), value }
    }

    pub fn pid(&self) -> Pid {
        self.child.pid()
    }

    /// The value `setup` returned.
    pub fn value(&self) -> u64 {
        self.value
    }

    /// Release the child, let it run `check`, and require that it succeeds.
    #[track_caller]
    pub fn finish(mut self) {
        self.release.take().unwrap().notify();
        let o = self.child.join();
        o.expect_success();
    }
}

/// /proc/sys/kernel/yama/ptrace_scope, or None when Yama is not built in.
pub fn yama_scope() -> Option<u32> {
    std::fs::read_to_string("/proc/sys/kernel/yama/ptrace_scope").ok().and_then(|s| s.trim().parse().ok())
}

/// Gate: this process may read its own (dumpable, same-uid) children. Yama's ptrace_scope
/// 2 allows that only with CAP_SYS_PTRACE, and 3 never; 0, 1 (children are descendants)
/// and no Yama at all allow it.
pub fn child_access() -> Result<(), String> {
    match yama_scope() {
        Some(3) => Err("Yama ptrace_scope is 3: no process may attach to another".to_string()),
        Some(2) if !fixtures::gate::has_cap(fixtures::gate::Cap::SYS_PTRACE) => {
            Err("Yama ptrace_scope is 2: attaching needs CAP_SYS_PTRACE".to_string())
        }
        _ => Ok(()),
    }
}

/// prctl(PR_SET_DUMPABLE, v) in the calling process.
pub fn set_dumpable(v: libc::c_ulong) {
    // SAFETY: plain prctl.
    let r = unsafe { libc::prctl(libc::PR_SET_DUMPABLE, v, 0, 0, 0) };
    assert_eq!(r, 0, "prctl(PR_SET_DUMPABLE, {v}): {}", Errno::last());
}

/// prctl(PR_GET_DUMPABLE).
pub fn dumpable() -> libc::c_int {
    // SAFETY: plain prctl.
    unsafe { libc::prctl(libc::PR_GET_DUMPABLE, 0, 0, 0, 0) }
}

/// The real uid of process `pid` (from /proc/<pid>/status), if it exists.
pub fn uid_of(pid: Pid) -> Option<u32> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines().find_map(|l| l.strip_prefix("Uid:")).and_then(|v| v.split_whitespace().next()?.parse().ok())
}
