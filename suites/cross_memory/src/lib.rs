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
//!
//! Every test that calls process_vm_readv(2) or process_vm_writev(2) first requires
//! [`vm_readv_allowed`] / [`vm_writev_allowed`]: Docker before 23.0 denies both calls in its
//! default seccomp profile with EPERM before the kernel looks at the arguments (moby#18971;
//! allowed again on kernels >= 4.8 by moby#42083), which would turn every claim here into a
//! failure — or, for the EPERM claims of `permission`, into a pass for the wrong reason.

use std::sync::OnceLock;

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

/// Which of the two calls a gate probes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum VmCall {
    Readv,
    Writev,
}

impl VmCall {
    fn name(self) -> &'static str {
        match self {
            VmCall::Readv => "process_vm_readv",
            VmCall::Writev => "process_vm_writev",
        }
    }

    /// Transfer 8 bytes between two buffers of the calling process, through its own pid.
    /// ptrace(2), "Ptrace access mode checking", step 1: "If the calling thread and the
    /// target thread are in the same thread group, access is always allowed", so the kernel
    /// itself cannot refuse this with EPERM: only a seccomp filter (which runs before the
    /// system call) can.
    fn probe_own_memory(self) -> Result<usize, Errno> {
        let src = *b"vmprobe!";
        let mut dst = [0u8; 8];
        let me = Pid::this();
        let (local, remote) = match self {
            VmCall::Readv => ([iov_of(&mut dst)], [iov(src.as_ptr() as usize, 8)]),
            VmCall::Writev => ([iov(src.as_ptr() as usize, 8)], [iov_of(&mut dst)]),
        };
        let r = match self {
            VmCall::Readv => vm_read(me, &local, &remote, 0),
            VmCall::Writev => vm_write(me, &local, &remote, 0),
        };
        std::hint::black_box(&dst);
        r
    }
}

/// The seccomp mode of a /proc/<pid>/status text (proc(5): "Seccomp: Seccomp mode of the
/// process ... 0 means SECCOMP_MODE_DISABLED; 1 means SECCOMP_MODE_STRICT; 2 means
/// SECCOMP_MODE_FILTER"), None when the line is missing (kernel without CONFIG_SECCOMP).
fn seccomp_mode_in(status: &str) -> Option<u32> {
    status.lines().find_map(|l| l.strip_prefix("Seccomp:")).and_then(|v| v.trim().parse().ok())
}

/// The verdict of a gate from the probe's result and /proc/self/status: SKIP only when the
/// transfer on the caller's own memory failed with EPERM *and* a seccomp filter is active.
/// EPERM without a filter is a kernel defect the tests must report, so the gate stays open
/// (as it does for every other result: the tests assert those).
fn seccomp_verdict(call: VmCall, probe: Result<usize, Errno>, status: &str) -> Result<(), String> {
    match (probe, seccomp_mode_in(status)) {
        (Err(Errno::EPERM), Some(2)) => Err(format!(
            "{} is denied by a seccomp filter here (EPERM on the calling process's own memory, \
             Seccomp: 2; docker < 23's default profile)",
            call.name()
        )),
        _ => Ok(()),
    }
}

fn vm_call_allowed(call: VmCall) -> Result<(), String> {
    let probe = call.probe_own_memory();
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    seccomp_verdict(call, probe, &status)
}

/// Gate: process_vm_readv(2) is not denied by a seccomp filter (see the crate comment).
/// Probed once per process with a read of the caller's own memory; seccomp filters are
/// inherited across fork(2), so the verdict holds for the test's children too.
pub fn vm_readv_allowed() -> Result<(), String> {
    static VERDICT: OnceLock<Result<(), String>> = OnceLock::new();
    VERDICT.get_or_init(|| vm_call_allowed(VmCall::Readv)).clone()
}

/// Gate: process_vm_writev(2) is not denied by a seccomp filter; as [`vm_readv_allowed`].
pub fn vm_writev_allowed() -> Result<(), String> {
    static VERDICT: OnceLock<Result<(), String>> = OnceLock::new();
    VERDICT.get_or_init(|| vm_call_allowed(VmCall::Writev)).clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILTERED: &str = "Name:\tx\nNoNewPrivs:\t0\nSeccomp:\t2\nSeccomp_filters:\t1\nSpeculation_Store_Bypass:\tx\n";
    const UNFILTERED: &str = "Name:\tx\nSeccomp:\t0\nSeccomp_filters:\t0\n";

    /// proc(5) /proc/pid/status: "Seccomp: Seccomp mode of the process (since Linux 3.8)
    /// ... 0 means SECCOMP_MODE_DISABLED; 1 means SECCOMP_MODE_STRICT; 2 means
    /// SECCOMP_MODE_FILTER" — and Seccomp_filters is a different field.
    #[test]
    fn the_seccomp_mode_is_read_from_its_own_line() {
        assert_eq!(seccomp_mode_in(FILTERED), Some(2));
        assert_eq!(seccomp_mode_in(UNFILTERED), Some(0));
        assert_eq!(seccomp_mode_in("Seccomp_filters:\t3\n"), None);
        assert_eq!(seccomp_mode_in(""), None);
    }

    /// ptrace(2) "Ptrace access mode checking": a thread of the same thread group is always
    /// allowed, so process_vm_readv(2) of one's own memory can fail with EPERM only when a
    /// seccomp(2) filter denies the call; only that case is a SKIP.
    #[test]
    fn only_eperm_under_a_seccomp_filter_skips() {
        let skip = seccomp_verdict(VmCall::Readv, Err(Errno::EPERM), FILTERED).unwrap_err();
        assert!(skip.starts_with("process_vm_readv is denied by a seccomp filter here"), "{skip}");
        assert!(seccomp_verdict(VmCall::Writev, Err(Errno::EPERM), FILTERED).unwrap_err().starts_with("process_vm_writev"));
        // EPERM without a filter is a real failure, left to the tests to report.
        assert_eq!(seccomp_verdict(VmCall::Readv, Err(Errno::EPERM), UNFILTERED), Ok(()));
        assert_eq!(seccomp_verdict(VmCall::Readv, Err(Errno::EPERM), ""), Ok(()));
        // Any other result under a filter (allowed, or another errno) runs the tests.
        assert_eq!(seccomp_verdict(VmCall::Readv, Ok(8), FILTERED), Ok(()));
        assert_eq!(seccomp_verdict(VmCall::Readv, Err(Errno::ENOSYS), FILTERED), Ok(()));
        assert_eq!(seccomp_verdict(VmCall::Writev, Err(Errno::EFAULT), FILTERED), Ok(()));
    }

    /// process_vm_readv(2) RETURN VALUE: "the number of bytes read" — the probes move all 8
    /// bytes of the caller's own memory where no seccomp(2) filter is active.
    #[test]
    fn the_probes_succeed_here_without_a_filter() {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        for call in [VmCall::Readv, VmCall::Writev] {
            let r = call.probe_own_memory();
            if seccomp_mode_in(&status) != Some(2) {
                assert_eq!(r, Ok(8), "{call:?}");
                assert_eq!(vm_call_allowed(call), Ok(()));
            }
        }
    }
}
