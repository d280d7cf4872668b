//! The errors process_vm_readv(2) lists: EFAULT for local memory, EINVAL, ESRCH.

use cross_memory::calls::{iov, iov_of, vm_read, vm_read_n, vm_readv_allowed, vm_write, vm_writev_allowed};
use cross_memory::ptrace_access::child_access;
use cross_memory::target::Target;
use fixtures::memory::Mapping;
use fixtures::procfs::nonexistent_pid;
use fixtures::{assert_errno, needs, run_in_child, spawn};
use nix::errno::Errno;
use nix::unistd::Pid;
use cross_memory::cases::iovec_sides;
use rstest::rstest;
use rstest_reuse::apply;

/// A target holding 16 bytes of 'r' at the returned address.
fn target() -> (Mapping, Target) {
    let m = Mapping::pages(1, libc::PROT_READ | libc::PROT_WRITE);
    m.bytes().fill(b'r');
    let t = Target::start(|| {});
    (m, t)
}

/// A local page that cannot be written: PROT_NONE, or (in a child) unmapped.
fn inaccessible_local() -> Mapping {
    let m = Mapping::pages(1, libc::PROT_READ | libc::PROT_WRITE);
    m.protect(0, 1, libc::PROT_NONE);
    m
}

/// process_vm_readv(2), ERRORS: "EFAULT The memory described by local_iov is outside the
/// caller's accessible address space"; "If ... local_iov is invalid, or the addresses refer
/// to regions that are inaccessible to the local process, none of the vectors will be
/// processed and an error will be returned immediately." Checked with a PROT_NONE local page
/// and with a kernel address.
#[rstest]
#[case::prot_none_page(None)]
#[case::kernel_address(Some(0xffff_ffff_ff00_0000usize))]
fn readv_into_inaccessible_local_memory_fails_efault(#[case] addr: Option<usize>) {
    needs!(available(vm_readv_allowed()), available(child_access()));
    let (m, t) = target();
    let bad = inaccessible_local();
    let local = [iov(addr.unwrap_or(bad.addr()), 16)];
    assert_errno!(vm_read(t.pid(), &local, &[iov(m.addr(), 16)], 0), Errno::EFAULT);
    t.finish();
}

/// process_vm_readv(2) says that with an inaccessible local region "none of the vectors will
/// be processed and an error will be returned immediately". Linux checks only that the
/// local vectors lie in user space beforehand (import_iovec()); a local element on a
/// PROT_NONE page is found during the copy, so local [good 8 bytes, PROT_NONE page] returns
/// a partial 8 with the good element filled. Asserted as Linux behaves; see Findings.
#[test]
fn readv_with_an_inaccessible_second_local_iovec_is_partial() {
    needs!(available(vm_readv_allowed()), available(child_access()));
    let (m, t) = target();
    let bad = inaccessible_local();
    let mut good = [0u8; 8];
    let local = [iov_of(&mut good), iov(bad.addr(), 8)];
    assert_eq!(vm_read(t.pid(), &local, &[iov(m.addr(), 16)], 0), Ok(8));
    assert_eq!(&good, b"rrrrrrrr");
    t.finish();
}

/// process_vm_readv(2): "The count arguments and local_iov are checked before doing any
/// transfers": a local_iov or remote_iov *array* pointer to inaccessible memory fails with
/// EFAULT (the arrays are copied in first).
#[apply(iovec_sides)]
#[rstest]
fn an_inaccessible_iovec_array_fails_efault(#[case] on_local_side: bool) {
    needs!(available(vm_readv_allowed()), available(child_access()));
    let (m, t) = target();
    let bad = inaccessible_local();
    let mut buf = [0u8; 16];
    let good_local = [iov_of(&mut buf)];
    let good_remote = [iov(m.addr(), 16)];
    let bad_arr = bad.addr() as *const libc::iovec;
    let (l, r) = if on_local_side { (bad_arr, good_remote.as_ptr()) } else { (good_local.as_ptr(), bad_arr) };
    assert_errno!(vm_read_n(t.pid(), l, 1, r, 1, 0), Errno::EFAULT);
    assert_eq!(buf, [0u8; 16]);
    t.finish();
}

/// process_vm_readv(2): "The flags argument is currently unused and must be set to 0";
/// ERRORS: "EINVAL flags is not 0." — for both calls.
#[rstest]
fn nonzero_flags_fail_einval(#[values(1, 0x8000_0000)] flags: libc::c_ulong) {
    needs!(available(vm_readv_allowed()), available(vm_writev_allowed()), available(child_access()));
    let (m, t) = target();
    let mut buf = [0u8; 4];
    let remote = [iov(m.addr(), 4)];
    assert_errno!(vm_read(t.pid(), &[iov_of(&mut buf)], &remote, flags), Errno::EINVAL);
    assert_errno!(vm_write(t.pid(), &[iov_of(&mut buf)], &remote, flags), Errno::EINVAL);
    t.finish();
}

/// process_vm_readv(2): "The values specified in the liovcnt and riovcnt arguments must be
/// less than or equal to IOV_MAX (defined in <limits.h> or accessible via the call
/// sysconf(_SC_IOV_MAX))"; ERRORS: "EINVAL liovcnt or riovcnt is too large." IOV_MAX
/// single-byte elements on either side are accepted; one more fails.
#[apply(iovec_sides)]
#[rstest]
fn more_than_iov_max_iovecs_fail_einval(#[case] on_local_side: bool) {
    needs!(available(vm_readv_allowed()), available(child_access()));
    let max = nix::unistd::sysconf(nix::unistd::SysconfVar::IOV_MAX).unwrap().unwrap() as usize;
    let (m, t) = target();
    let mut buf = vec![0u8; max + 1];
    let many_local: Vec<_> = (0..=max).map(|i| iov(buf.as_mut_ptr() as usize + i, 1)).collect();
    let many_remote: Vec<_> = (0..=max).map(|i| iov(m.addr() + i % 16, 1)).collect();
    let one_local = [iov(buf.as_mut_ptr() as usize, max + 1)];
    let one_remote = [iov(m.addr(), max.min(16))];
    let (l, r): (&[libc::iovec], &[libc::iovec]) =
        if on_local_side { (&many_local, &one_remote) } else { (&one_local, &many_remote) };
    assert_errno!(vm_read(t.pid(), l, r, 0), Errno::EINVAL, "{} elements", max + 1);
    let (l, r) = if on_local_side { (&l[..max], r) } else { (l, &r[..max]) };
    assert!(vm_read(t.pid(), l, r, 0).is_ok(), "IOV_MAX elements must be accepted");
    t.finish();
}

/// process_vm_readv(2), ERRORS: "EINVAL The sum of the iov_len values of either local_iov or
/// remote_iov overflows a ssize_t value." A single iov_len above SSIZE_MAX already does,
/// on either side.
#[apply(iovec_sides)]
#[rstest]
fn an_iov_len_above_ssize_max_fails_einval(#[case] on_local_side: bool) {
    needs!(available(vm_readv_allowed()), available(child_access()));
    let (m, t) = target();
    let mut buf = [0u8; 16];
    let huge = isize::MAX as usize + 1;
    let (l, r) = if on_local_side {
        ([iov(buf.as_mut_ptr() as usize, huge)], [iov(m.addr(), 16)])
    } else {
        ([iov_of(&mut buf)], [iov(m.addr(), huge)])
    };
    assert_errno!(vm_read(t.pid(), &l, &r, 0), Errno::EINVAL);
    t.finish();
}

/// process_vm_readv(2), ERRORS: "EINVAL The sum of the iov_len values of either local_iov or
/// remote_iov overflows a ssize_t value." For lengths whose *sum* overflows while each fits, Linux
/// does not return EINVAL. Local vectors are range-checked one by one (import_iovec():
/// access_ok() fails for a length reaching past user space) and give EFAULT; remote
/// lengths are not summed at all, so the transfer proceeds and stops when the local buffer
/// is full. Asserted as Linux behaves; see Findings.
#[test]
fn iov_lengths_whose_sum_overflows_ssize_max_do_not_give_einval() {
    needs!(available(vm_readv_allowed()), available(child_access()));
    let (m, t) = target();
    let mut buf = [0u8; 16];
    let half = isize::MAX as usize / 2 + 1;
    let local = [iov(buf.as_mut_ptr() as usize, half), iov(buf.as_mut_ptr() as usize, half)];
    assert_errno!(vm_read(t.pid(), &local, &[iov(m.addr(), 16)], 0), Errno::EFAULT, "local sum overflow");
    let remote = [iov(m.addr(), half), iov(m.addr(), half)];
    assert_eq!(vm_read(t.pid(), &[iov_of(&mut buf)], &remote, 0), Ok(16), "remote sum overflow");
    assert_eq!(&buf, b"rrrrrrrrrrrrrrrr");
    t.finish();
}

/// process_vm_readv(2), ERRORS: "ESRCH No process with ID pid exists." — for a pid no
/// process can have (pid_max), and for a child that has exited and been reaped.
#[test]
fn a_nonexistent_or_reaped_process_fails_esrch() {
    needs!(available(vm_readv_allowed()), available(vm_writev_allowed()));
    let m = Mapping::pages(1, libc::PROT_READ | libc::PROT_WRITE);
    let mut buf = [0u8; 4];
    let remote = [iov(m.addr(), 4)];
    assert_errno!(vm_read(nonexistent_pid(), &[iov_of(&mut buf)], &remote, 0), Errno::ESRCH);
    let mut c = spawn("exits at once", || {});
    let pid = c.pid();
    c.join().expect_success();
    assert_errno!(vm_read(pid, &[iov_of(&mut buf)], &remote, 0), Errno::ESRCH, "reaped child {pid}");
    assert_errno!(vm_write(pid, &[iov_of(&mut buf)], &remote, 0), Errno::ESRCH, "reaped child {pid}");
}

/// A zombie has released its address space: a child that exited but was not yet reaped
/// (waitid(2) with WNOWAIT leaves it "in a waitable state") fails with ESRCH as well
/// (mm/process_vm_access.c: a task without an mm gives -ESRCH).
#[test]
fn a_zombie_process_fails_esrch() {
    needs!(available(vm_readv_allowed()));
    run_in_child("parent of a zombie", || {
        let m = Mapping::pages(1, libc::PROT_READ | libc::PROT_WRITE);
        // SAFETY: fork in a single-threaded child; the grandchild exits at once.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            unsafe { libc::_exit(0) };
        }
        // SAFETY: a zeroed siginfo out-parameter.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        let r = unsafe { libc::waitid(libc::P_PID, pid as libc::id_t, &mut info, libc::WEXITED | libc::WNOWAIT) };
        assert_eq!(r, 0, "waitid: {}", Errno::last());
        assert_eq!(fixtures::procfs::process_state(Pid::from_raw(pid)), Some('Z'));
        let mut buf = [0u8; 4];
        assert_errno!(vm_read(Pid::from_raw(pid), &[iov_of(&mut buf)], &[iov(m.addr(), 4)], 0), Errno::ESRCH);
        // SAFETY: reaping our own child.
        unsafe { libc::waitpid(pid, std::ptr::null_mut(), 0) };
    })
    .expect_success();
}
