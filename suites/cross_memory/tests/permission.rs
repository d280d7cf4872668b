//! Who may transfer data to and from whom: process_vm_readv(2) "Permission to read from or
//! write to another process is governed by a ptrace access mode
//! PTRACE_MODE_ATTACH_REALCREDS check; see ptrace(2)", and ERRORS "EPERM The caller does
//! not have permission to access the address space of the process pid."
//!
//! Readers that must lack privilege run in children that drop to uid 65534 with no
//! capabilities, so the claims hold in the root and in the unprivileged run alike.

use cross_memory::*;
use fixtures::memory::Mapping;
use fixtures::sync::channel;
use fixtures::{assert_errno, privilege, require, run_in_child, skip, spawn};
use nix::errno::Errno;
use nix::unistd::Pid;
use rstest::rstest;

/// In the calling process: try to read 4 bytes at `addr` of `pid`.
fn read4(pid: Pid, addr: usize) -> Result<[u8; 4], Errno> {
    let mut b = [0u8; 4];
    vm_read(pid, &[iov_of(&mut b)], &[iov(addr, 4)], 0).map(|n| {
        assert_eq!(n, 4);
        b
    })
}

/// ptrace(2), step (3): "Deny access if neither of the following is true: The real,
/// effective, and saved-set user IDs of the target match the caller's user ID, and the
/// real, effective, and saved-set group IDs of the target match the caller's group ID. The
/// caller has the CAP_SYS_PTRACE capability in the user namespace of the target." A process
/// without capabilities running as another uid reads and writes neither: EPERM. As root
/// the target is this (root) test process, read from a child that became nobody; as
/// nobody the target is PID 1 when it belongs to another user.
#[test]
fn transfers_with_a_process_of_another_user_fail_eperm() {
    fixtures::require!(vm_readv_allowed());
    fixtures::require!(vm_writev_allowed());
    require!(privilege::other_user_reachable());
    let me = Pid::this();
    let target = if nix::unistd::getuid().is_root() {
        me
    } else {
        match uid_of(Pid::from_raw(1)) {
            Some(u) if u != nix::unistd::getuid().as_raw() => Pid::from_raw(1),
            _ => skip!("no process of another user to target: PID 1 runs as this uid or is invisible"),
        }
    };
    let word = *b"root";
    run_in_child("reader of another user's process", || {
        privilege::drop_to_nobody();
        assert_errno!(read4(target, word.as_ptr() as usize), Errno::EPERM);
        let data = *b"evil";
        assert_errno!(
            vm_write(target, &[iov(data.as_ptr() as usize, 4)], &[iov(word.as_ptr() as usize, 4)], 0),
            Errno::EPERM
        );
    })
    .expect_success();
    assert_eq!(&word, b"root");
}

/// ptrace(2), step (4): "Deny access if the target process "dumpable" attribute has a value
/// other than 1 (SUID_DUMP_USER; see the discussion of PR_SET_DUMPABLE in prctl(2)), and the
/// caller does not have the CAP_SYS_PTRACE capability". A reader without capabilities and
/// a target of the same uid that is its own child (so Yama's default "descendant" rule
/// allows it): the read succeeds while the target is dumpable, and fails with EPERM once it
/// called prctl(PR_SET_DUMPABLE, 0).
#[rstest]
#[case::dumpable(1, Ok(*b"data"))]
#[case::not_dumpable(0, Err(Errno::EPERM))]
fn a_non_dumpable_process_of_the_same_user_cannot_be_read(
    #[case] target_dumpable: libc::c_ulong,
    #[case] expected: Result<[u8; 4], Errno>,
) {
    fixtures::require!(vm_readv_allowed());
    require!(privilege::other_user_reachable());
    if expected.is_ok() && yama_scope().unwrap_or(0) >= 2 {
        skip!("Yama ptrace_scope {} denies attaching without CAP_SYS_PTRACE", yama_scope().unwrap());
    }
    let buf = Mapping::pages(1, libc::PROT_READ | libc::PROT_WRITE);
    run_in_child("unprivileged reader", || {
        privilege::drop_to_nobody();
        let t = Target::start(|| {
            buf.bytes()[..4].copy_from_slice(b"data");
            set_dumpable(target_dumpable);
            0
        });
        assert_eq!(read4(t.pid(), buf.addr()), expected);
        t.finish();
    })
    .expect_success();
}

/// ptrace(2), steps (3) and (4) both yield to "the CAP_SYS_PTRACE capability": a root
/// reader reads a target that runs as another user *and* is not dumpable. Needs root.
#[test]
fn cap_sys_ptrace_overrides_uid_and_dumpable_checks() {
    fixtures::require!(vm_readv_allowed());
    require!(fixtures::gate::capability(fixtures::gate::Cap::SYS_PTRACE));
    require!(privilege::other_user_reachable());
    if yama_scope() == Some(3) {
        skip!("Yama ptrace_scope 3 forbids attaching for everyone");
    }
    let buf = Mapping::pages(1, libc::PROT_READ | libc::PROT_WRITE);
    let t = Target::start(|| {
        privilege::drop_to_nobody();
        set_dumpable(0);
        buf.bytes()[..4].copy_from_slice(b"priv");
        0
    });
    assert_eq!(read4(t.pid(), buf.addr()), Ok(*b"priv"));
    t.finish();
}

/// prctl(2), PR_SET_DUMPABLE: "Normally, the "dumpable" attribute is set to 1. However, it is
/// reset to the current value contained in the file /proc/sys/fs/suid_dumpable (which by
/// default has the value 0), in the following circumstances: The process's effective user
/// or group ID is changed." A root child that switches to uid 65534 has dumpable ==
/// suid_dumpable afterwards; unless that is 1, an unprivileged reader of the same uid is
/// then refused with EPERM, and allowed once the target sets dumpable back to 1. (Reader
/// and target are siblings: with Yama ptrace_scope >= 1 the positive half is skipped.)
#[test]
fn changing_uid_resets_dumpable_to_suid_dumpable() {
    fixtures::require!(vm_readv_allowed());
    require!(fixtures::gate::root(), "the target must change its uid");
    require!(privilege::other_user_reachable());
    let suid_dumpable = fixtures::sysctl::read_u64("fs/suid_dumpable") as i32;
    let buf = Mapping::pages(1, libc::PROT_READ | libc::PROT_WRITE);
    let (report, reported) = channel();
    let (go, wait_go) = channel();
    let (redone, wait_redone) = channel();
    let (fin, wait_fin) = channel();
    let target = spawn("target that changes uid", || {
        buf.bytes()[..4].copy_from_slice(b"tgt!");
        assert_eq!(dumpable(), 1, "dumpable before the uid change");
        privilege::drop_to_nobody();
        report.send_u64(dumpable() as u64);
        wait_go.wait();
        set_dumpable(1);
        redone.notify();
        wait_fin.wait();
    });
    assert_eq!(reported.recv_u64() as i32, suid_dumpable, "dumpable after setresuid");
    let tpid = target.pid();
    let sibling_ok = yama_scope().unwrap_or(0) == 0;
    run_in_child("unprivileged reader", || {
        privilege::drop_to_nobody();
        if suid_dumpable != 1 {
            assert_errno!(read4(tpid, buf.addr()), Errno::EPERM, "target not dumpable");
        }
        go.notify();
        wait_redone.wait();
        if sibling_ok {
            assert_eq!(read4(tpid, buf.addr()), Ok(*b"tgt!"), "target dumpable again");
        }
    })
    .expect_success();
    fin.notify();
    target.expect_success();
}

/// ptrace(2), /proc/sys/kernel/yama/ptrace_scope: 0 "No additional restrictions on
/// operations that perform PTRACE_MODE_ATTACH checks"; 1 "the calling process must either
/// have the CAP_SYS_PTRACE capability ... or it must have a predefined relationship with the
/// target process. By default, the predefined relationship is that the target process must
/// be a descendant of the caller"; 2 "Only processes with CAP_SYS_PTRACE"; 3 "No process
/// may trace". Without Yama the classic rules apply, as with 0. A reader without
/// capabilities reads a dumpable *sibling* of the same uid: allowed with no Yama or scope
/// 0, EPERM otherwise.
#[test]
fn a_sibling_of_the_same_user_may_be_read_only_as_yama_permits() {
    fixtures::require!(vm_readv_allowed());
    require!(privilege::other_user_reachable());
    let scope = yama_scope();
    let expected = if scope.unwrap_or(0) == 0 { Ok(*b"sibl") } else { Err(Errno::EPERM) };
    let buf = Mapping::pages(1, libc::PROT_READ | libc::PROT_WRITE);
    let (ready, wait_ready) = channel();
    let (done, wait_done) = channel();
    let target = spawn("sibling target", || {
        privilege::drop_to_nobody();
        set_dumpable(1);
        buf.bytes()[..4].copy_from_slice(b"sibl");
        ready.notify();
        wait_done.wait();
    });
    wait_ready.wait();
    let tpid = target.pid();
    run_in_child("sibling reader", || {
        privilege::drop_to_nobody();
        assert_eq!(read4(tpid, buf.addr()), expected, "Yama ptrace_scope {scope:?}");
    })
    .expect_success();
    done.notify();
    target.expect_success();
}

/// ptrace(2), Yama scope 1: a process may name another as its tracer with
/// prctl(PR_SET_PTRACER, pid) (prctl(2): "This is only meaningful when the Yama LSM is
/// enabled and in mode 1"), which lets that non-ancestor attach — and so read its memory.
/// Only meaningful with ptrace_scope 1; skipped otherwise.
#[test]
fn pr_set_ptracer_lets_a_named_sibling_read_under_yama_scope_1() {
    fixtures::require!(vm_readv_allowed());
    require!(privilege::other_user_reachable());
    if yama_scope() != Some(1) {
        skip!("Yama ptrace_scope is {:?}, not 1", yama_scope());
    }
    let buf = Mapping::pages(1, libc::PROT_READ | libc::PROT_WRITE);
    let (reader_pid, wait_reader_pid) = channel();
    let (ready, wait_ready) = channel();
    let (done, wait_done) = channel();
    let target = spawn("target naming its tracer", || {
        privilege::drop_to_nobody();
        set_dumpable(1);
        buf.bytes()[..4].copy_from_slice(b"name");
        let r = wait_reader_pid.recv_u64();
        // SAFETY: plain prctl.
        assert_eq!(unsafe { libc::prctl(libc::PR_SET_PTRACER, r as libc::c_ulong, 0, 0, 0) }, 0);
        ready.notify();
        wait_done.wait();
    });
    let tpid = target.pid();
    run_in_child("named reader", || {
        privilege::drop_to_nobody();
        reader_pid.send_u64(Pid::this().as_raw() as u64);
        wait_ready.wait();
        assert_eq!(read4(tpid, buf.addr()), Ok(*b"name"));
    })
    .expect_success();
    done.notify();
    target.expect_success();
}
