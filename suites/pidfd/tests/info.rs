//! The pidfd ioctls: a process's namespaces (6.11) and PIDFD_GET_INFO (6.13) with the fields
//! later releases added. Before an ioctl existed the kernel answers ENOTTY (ioctl(2):
//! "ENOTTY The specified operation does not apply to the kind of object that the file
//! descriptor fd references"): pidfds had no ioctls at all before 6.11. On 6.11 and 6.12
//! PIDFD_GET_INFO, which passes a pointer, meets the namespace ioctls' check first (fs/pidfs.c,
//! pidfd_ioctl(): "if (arg) return -EINVAL;" before the command is looked at): EINVAL.

use fixtures::ns::ns_inode;
use fixtures::{assert_errno, needs, variant};
use nix::errno::Errno;
use nix::unistd::{getegid, geteuid, getgid, getuid};
use pidfd::calls::{Waited, inode, pidfd_open, pidfds_usable, waitid};
use pidfd::held::{Ending, Held};
use pidfd::info::*;
use rstest::rstest;

/// What PIDFD_GET_INFO gives on a kernel that does not have it (before 6.13): EINVAL on 6.11
/// and 6.12 (the namespace ioctls refuse any argument), ENOTTY before 6.11 (no pidfd ioctls).
fn without_get_info() -> Errno {
    if fixtures::kernel_at_least(6, 11) { Errno::EINVAL } else { Errno::ENOTTY }
}

/// Whether this kernel has the PIDFD_INFO_* flag `bit`, added in `major.minor` as `what`
/// (reports the variant: `variant::since`). Where it has not, asserts how `r`, the answer to
/// a request of the flag, shows that: before 6.13 PIDFD_GET_INFO fails ([`without_get_info`]);
/// later kernels leave the flag out of the returned mask and `field` (what it fills) 0.
fn has_info_flag((major, minor): (u32, u32), what: &str, r: Result<PidfdInfo, Errno>, bit: u64, field: fn(&PidfdInfo) -> u64) -> bool {
    if variant::since(major, minor, what) {
        return true;
    }
    if !fixtures::kernel_at_least(6, 13) {
        assert_errno!(r, without_get_info(), "PIDFD_GET_INFO before 6.13");
    } else {
        let i = r.expect("PIDFD_GET_INFO");
        assert_eq!((i.mask & bit, field(&i)), (0, 0), "mask {:#x}", i.mask);
    }
    false
}

/// <linux/pidfd.h> (6.11): ioctl(pidfd, PIDFD_GET_<NS>_NAMESPACE, 0) returns a descriptor of
/// the process's namespace of that type — the same namespace /proc/<pid>/ns/<ns> names (equal
/// inode numbers, namespaces(7)). Checked on a child for its IPC, mount, network, UTS, user,
/// PID and cgroup namespaces. Before 6.11 (variant `absent`): ENOTTY.
///
/// Kernel change: 6.11 — PIDFD_GET_*_NAMESPACE ioctls open a process's namespaces from its pidfd.
#[rstest]
#[case::ipc(PIDFD_GET_IPC_NAMESPACE)]
#[case::mnt(PIDFD_GET_MNT_NAMESPACE)]
#[case::net(PIDFD_GET_NET_NAMESPACE)]
#[case::uts(PIDFD_GET_UTS_NAMESPACE)]
#[case::user(PIDFD_GET_USER_NAMESPACE)]
#[case::pid(PIDFD_GET_PID_NAMESPACE)]
#[case::cgroup(PIDFD_GET_CGROUP_NAMESPACE)]
fn pidfd_get_namespace_opens_the_namespace_of_the_process(#[case] which: NsIoctl) {
    needs!(gate(pidfds_usable()));
    let child = Held::fork(0);
    let fd = pidfd_open(child.pid(), 0).unwrap();
    let r = namespace_of(&fd, which);
    if !variant::since(6, 11, "PIDFD_GET_*_NAMESPACE") {
        assert_errno!(r, Errno::ENOTTY, "PIDFD_GET_{}_NAMESPACE before 6.11", which.proc_name);
        return;
    }
    let ns = r.unwrap_or_else(|e| panic!("PIDFD_GET_{}_NAMESPACE: {e}", which.proc_name));
    assert_eq!(inode(&ns), ns_inode(child.pid(), which.proc_name));
}

/// <linux/pidfd.h> (6.13, commit cdda1f26e74b): ioctl(pidfd, PIDFD_GET_INFO, &info) fills
/// struct pidfd_info; "PIDFD_INFO_PID ... PIDFD_INFO_CREDS: Always returned, even if not
/// requested". Asserted for a child, with nothing requested: the mask has PID and CREDS, pid
/// and tgid are the child's, ppid is the test process, the real and effective ids are the
/// test's. Before 6.13 (variant `absent`): EINVAL on 6.11 and 6.12, ENOTTY before (see above).
///
/// Kernel change: 6.13, commit cdda1f26e74b — PIDFD_GET_INFO: pid, parent and credentials from a pidfd.
#[test]
fn pidfd_get_info_gives_pid_parent_and_credentials() {
    needs!(gate(pidfds_usable()));
    let child = Held::fork(0);
    let fd = pidfd_open(child.pid(), 0).unwrap();
    let r = get_info(&fd, 0, SIZE_VER0);
    if !variant::since(6, 13, "PIDFD_GET_INFO") {
        assert_errno!(r, without_get_info(), "PIDFD_GET_INFO before 6.13");
        return;
    }
    let i = r.expect("PIDFD_GET_INFO");
    assert_eq!(i.mask & (PIDFD_INFO_PID | PIDFD_INFO_CREDS), PIDFD_INFO_PID | PIDFD_INFO_CREDS, "mask {:#x}", i.mask);
    let pid = child.pid() as u32;
    assert_eq!((i.pid, i.tgid, i.ppid), (pid, pid, std::process::id()));
    assert_eq!((i.ruid, i.euid, i.rgid, i.egid), (getuid().as_raw(), geteuid().as_raw(), getgid().as_raw(), getegid().as_raw()));
}

/// <linux/pidfd.h> (6.15, commit 7477d7dce48a): "PIDFD_INFO_EXIT ... Only returned if
/// requested": once the process has been reaped, PIDFD_GET_INFO with PIDFD_INFO_EXIT still
/// answers, with exit_code the wait status. Asserted: a child that exits with 7, reaped by
/// waitid(P_PIDFD): the mask has PIDFD_INFO_EXIT and exit_code is 0x700; without
/// PIDFD_INFO_EXIT the reaped process gives ESRCH. Before 6.15 (variant `absent`): a reaped
/// process gives ESRCH whatever is asked (6.13, 6.14), or EINVAL/ENOTTY (no PIDFD_GET_INFO,
/// before 6.13: see above).
///
/// Kernel change: 6.15, commit 7477d7dce48a — PIDFD_INFO_EXIT: the exit status stays readable from a pidfd after reaping.
#[test]
fn pidfd_info_exit_keeps_the_wait_status_after_reaping() {
    needs!(gate(pidfds_usable()));
    let mut child = Held::fork(7);
    let fd = pidfd_open(child.pid(), 0).unwrap();
    child.release();
    assert_eq!(waitid(&fd, libc::WEXITED), Ok(Some(Waited { pid: child.pid(), code: libc::CLD_EXITED, status: 7 })));
    let r = get_info(&fd, PIDFD_INFO_EXIT, SIZE_VER1);
    if !variant::since(6, 15, "PIDFD_INFO_EXIT") {
        let old = if fixtures::kernel_at_least(6, 13) { Errno::ESRCH } else { without_get_info() };
        assert_errno!(r, old, "PIDFD_INFO_EXIT of a reaped process before 6.15");
        return;
    }
    let i = r.expect("PIDFD_GET_INFO(PIDFD_INFO_EXIT) of a reaped child");
    assert_eq!((i.mask & PIDFD_INFO_EXIT, i.exit_code), (PIDFD_INFO_EXIT, 7 << 8), "mask {:#x}", i.mask);
    assert_errno!(get_info(&fd, 0, SIZE_VER1), Errno::ESRCH, "a reaped process without PIDFD_INFO_EXIT");
}

/// <linux/pidfd.h> (6.16, commit 1d8db6fd698d): PIDFD_INFO_COREDUMP, "Only returned if
/// requested", with coredump_mask values PIDFD_COREDUMPED, PIDFD_COREDUMP_SKIP ("coredumping
/// generation was skipped"), PIDFD_COREDUMP_USER ("coredump was done as the user"),
/// PIDFD_COREDUMP_ROOT. For a live process that has not dumped core the kernel reports how it
/// would be dumped (fs/pidfs.c, pidfd_info(): its dumpable setting): a dumpable child gives
/// PIDFD_COREDUMP_USER, a child that made itself non-dumpable (prctl(2) PR_SET_DUMPABLE 0)
/// PIDFD_COREDUMP_SKIP; neither has PIDFD_COREDUMPED. Before 6.16 (variant `absent`): the
/// request bit is ignored (the mask lacks it, coredump_mask stays 0), or EINVAL/ENOTTY before
/// 6.13 (see above).
///
/// Kernel change: 6.16, commit 1d8db6fd698d — PIDFD_INFO_COREDUMP: how a process dumps (or dumped) core.
#[test]
fn pidfd_info_coredump_reports_how_a_live_process_would_dump() {
    needs!(gate(pidfds_usable()));
    let dumpable = Held::fork(0);
    let not_dumpable = Held::fork_with(
        // SAFETY: prctl with integer arguments, in the child.
        || unsafe {
            libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0);
        },
        Ending::Exit(0),
    );
    let d = pidfd_open(dumpable.pid(), 0).unwrap();
    let n = pidfd_open(not_dumpable.pid(), 0).unwrap();
    let (rd, rn) = (get_info(&d, PIDFD_INFO_COREDUMP, SIZE_VER1), get_info(&n, PIDFD_INFO_COREDUMP, SIZE_VER1));
    if !has_info_flag((6, 16), "PIDFD_INFO_COREDUMP", rd, PIDFD_INFO_COREDUMP, |i| u64::from(i.coredump_mask)) {
        return;
    }
    let (d, n) = (rd.expect("PIDFD_GET_INFO(COREDUMP), dumpable"), rn.expect("PIDFD_GET_INFO(COREDUMP), not dumpable"));
    assert_eq!(d.mask & PIDFD_INFO_COREDUMP, PIDFD_INFO_COREDUMP, "mask {:#x}", d.mask);
    assert_eq!(d.coredump_mask, PIDFD_COREDUMP_USER, "a dumpable process");
    assert_eq!(n.mask & PIDFD_INFO_COREDUMP, PIDFD_INFO_COREDUMP, "mask {:#x}", n.mask);
    assert_eq!(n.coredump_mask, PIDFD_COREDUMP_SKIP, "a process with PR_SET_DUMPABLE 0");
}

/// <linux/pidfd.h> (6.19, commit 036375522be8 for its coredump_signal part):
/// "PIDFD_INFO_SUPPORTED_MASK: Want/got supported mask flags" — with the 88-byte struct
/// (PIDFD_INFO_SIZE_VER3) the kernel reports in supported_mask every PIDFD_INFO_* flag it
/// knows. Asserted: the returned mask has PIDFD_INFO_SUPPORTED_MASK, and supported_mask holds
/// at least PID, CREDS, CGROUPID, EXIT, COREDUMP and SUPPORTED_MASK (0x3f). Before 6.19
/// (variant `absent`): the bit is ignored (not in the mask, supported_mask stays 0), or
/// EINVAL/ENOTTY before 6.13 (see above).
///
/// Kernel change: 6.19, commit 036375522be8 — PIDFD_INFO_SUPPORTED_MASK: which pidfd_info fields a kernel fills.
#[test]
fn pidfd_info_supported_mask_lists_the_flags_the_kernel_knows() {
    needs!(gate(pidfds_usable()));
    let child = Held::fork(0);
    let fd = pidfd_open(child.pid(), 0).unwrap();
    let r = get_info(&fd, PIDFD_INFO_SUPPORTED_MASK, SIZE_VER3);
    if !has_info_flag((6, 19), "PIDFD_INFO_SUPPORTED_MASK", r, PIDFD_INFO_SUPPORTED_MASK, |i| i.supported_mask) {
        return;
    }
    let i = r.expect("PIDFD_GET_INFO(PIDFD_INFO_SUPPORTED_MASK)");
    assert_eq!(i.mask & PIDFD_INFO_SUPPORTED_MASK, PIDFD_INFO_SUPPORTED_MASK, "mask {:#x}", i.mask);
    assert_eq!(i.supported_mask & 0x3f, 0x3f, "supported_mask {:#x}", i.supported_mask);
}

/// <linux/pidfd.h> (7.1, commit 701f7f4fbabb): "PIDFD_INFO_COREDUMP_CODE: Always returned if
/// PIDFD_INFO_COREDUMP is requested" — coredump_code, the si_code of the signal that made the
/// process dump core. What a kernel fills is listed in supported_mask (6.19): asserted that
/// it has PIDFD_INFO_COREDUMP_CODE from 7.1 on, and not before (variant `absent`: 6.19 and
/// 7.0 list the other flags only; older kernels have no supported_mask: the bit is not
/// returned, or EINVAL/ENOTTY before 6.13). The value itself needs a process that really dumped
/// core through a handler that records it (the coredump socket, kernel.core_pattern "@..."),
/// which would change system-wide state: not asserted here.
///
/// Kernel change: 7.1, commit 701f7f4fbabb — PIDFD_INFO_COREDUMP_CODE: the si_code of a core-dumping signal.
#[test]
fn pidfd_info_coredump_code_is_a_supported_field() {
    needs!(gate(pidfds_usable()));
    let child = Held::fork(0);
    let fd = pidfd_open(child.pid(), 0).unwrap();
    let r = get_info(&fd, PIDFD_INFO_COREDUMP | PIDFD_INFO_COREDUMP_CODE | PIDFD_INFO_SUPPORTED_MASK, SIZE_VER3);
    // Before 7.1: neither in the returned mask nor in supported_mask.
    let unsupported = |i: &PidfdInfo| i.supported_mask & PIDFD_INFO_COREDUMP_CODE;
    if !has_info_flag((7, 1), "PIDFD_INFO_COREDUMP_CODE", r, PIDFD_INFO_COREDUMP_CODE, unsupported) {
        return;
    }
    let i = r.expect("PIDFD_GET_INFO");
    assert_eq!(i.supported_mask & PIDFD_INFO_COREDUMP_CODE, PIDFD_INFO_COREDUMP_CODE, "supported_mask {:#x}", i.supported_mask);
}
