//! process_vm_readv(2) and process_vm_writev(2): iovecs, the calls with their exact errno,
//! and whether this environment lets them through (a seccomp filter may deny them).

use std::sync::OnceLock;

use fixtures::facility::Availability;
use fixtures::sys_size;
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

/// Whether `call` can be used here: a transfer of the caller's own memory answered by
/// the kernel is `present`; EPERM under a seccomp filter (docker < 23's default profile) or
/// an ENOSYS from a kernel built with the calls is `blocked`, an ENOSYS from a kernel built
/// without CONFIG_CROSS_MEMORY_ATTACH `absent` ([`fixtures::facility::syscall_configured`];
/// process_vm_readv/writev were added in Linux 3.2). EPERM without a filter is a kernel
/// defect the tests must report, so the gate stays open, as it does for every other answer:
/// the tests assert those.
fn vm_call_availability(call: VmCall) -> Availability {
    fixtures::facility::syscall_configured(call.name(), (3, 2), "CONFIG_CROSS_MEMORY_ATTACH", || call.probe_own_memory())
}

/// Gate: process_vm_readv(2) is not denied by a seccomp filter (see the crate comment).
/// Probed once per process with a read of the caller's own memory; seccomp filters are
/// inherited across fork(2), so the verdict holds for the test's children too.
pub fn vm_readv_allowed() -> Availability {
    static VERDICT: OnceLock<Availability> = OnceLock::new();
    VERDICT.get_or_init(|| vm_call_availability(VmCall::Readv)).clone()
}

/// Gate: process_vm_writev(2) is not denied by a seccomp filter; as [`vm_readv_allowed`].
pub fn vm_writev_allowed() -> Availability {
    static VERDICT: OnceLock<Availability> = OnceLock::new();
    VERDICT.get_or_init(|| vm_call_availability(VmCall::Writev)).clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILTERED: &str = "Name:\tx\nNoNewPrivs:\t0\nSeccomp:\t2\nSeccomp_filters:\t1\nSpeculation_Store_Bypass:\tx\n";
    const UNFILTERED: &str = "Name:\tx\nSeccomp:\t0\nSeccomp_filters:\t0\n";

    fn seccomp_mode_in(status: &str) -> Option<u32> {
        fixtures::procfs::status_field_in(status, "Seccomp")?.parse().ok()
    }

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
    /// seccomp(2) filter denies the call; only that case is a SKIP (`blocked`).
    #[test]
    fn only_eperm_under_a_seccomp_filter_skips() {
        let v = fixtures::gate::KernelVersion::parse("6.1.0").unwrap();
        let sort = |call: VmCall, answer, status| {
            fixtures::facility::sort_syscall_answer(call.name(), (3, 2), answer, seccomp_mode_in(status), v)
        };
        let skip = sort(VmCall::Readv, Err(Errno::EPERM), FILTERED);
        assert!(matches!(&skip, Availability::Blocked(w) if w.starts_with("process_vm_readv is denied by a seccomp filter here")), "{skip:?}");
        assert!(matches!(sort(VmCall::Writev, Err(Errno::EPERM), FILTERED), Availability::Blocked(w) if w.starts_with("process_vm_writev")));
        // EPERM without a filter is a real failure, left to the tests to report.
        assert!(sort(VmCall::Readv, Err(Errno::EPERM), UNFILTERED).is_present());
        assert!(sort(VmCall::Readv, Err(Errno::EPERM), "").is_present());
        // Any other result under a filter but ENOSYS (allowed, or another errno) runs the tests.
        assert!(sort(VmCall::Readv, Ok(()), FILTERED).is_present());
        assert!(sort(VmCall::Writev, Err(Errno::EFAULT), FILTERED).is_present());
    }

    /// process_vm_readv(2) RETURN VALUE: "the number of bytes read" — the probes move all 8
    /// bytes of the caller's own memory where no seccomp(2) filter is active. Under a filter
    /// they either still do (the filter allows the call) or fail with EPERM, and then the
    /// gate is closed: that case reports the lacking variant `blocked`.
    #[test]
    fn the_probes_succeed_here_without_a_filter() {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        for call in [VmCall::Readv, VmCall::Writev] {
            let r = call.probe_own_memory();
            if seccomp_mode_in(&status) == Some(2) && r == Err(Errno::EPERM) {
                fixtures::variant::blocked(format_args!("{} is denied by a seccomp filter here", call.name()));
                assert!(matches!(vm_call_availability(call), Availability::Blocked(_)), "{call:?}: EPERM under a filter must close the gate");
            } else {
                assert_eq!(r, Ok(8), "{call:?}");
                assert!(vm_call_availability(call).is_present());
            }
        }
    }
}
