//! Who may transfer data to and from whom: process_vm_readv(2) "Permission to read from or
//! write to another process is governed by a ptrace access mode
//! PTRACE_MODE_ATTACH_REALCREDS check; see ptrace(2)", and ERRORS "EPERM The caller does
//! not have permission to access the address space of the process pid."
//!
//! Readers that must lack privilege run in children that drop to uid 65534 with no
//! capabilities, so the claims hold in the root and in the unprivileged run alike.

use cross_memory::calls::{iov, iov_of, vm_read, vm_readv_allowed, vm_write, vm_writev_allowed};
use cross_memory::ptrace_access::{dumpable, report_yama_scope, set_dumpable, uid_of, yama_scope};
use cross_memory::target::Target;
use fixtures::memory::Mapping;
use fixtures::sync::channel;
use fixtures::{assert_errno, needs, privilege, run_in_child, skip, spawn, variant};
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
    needs!(available(vm_readv_allowed()), available(vm_writev_allowed()), other_user);
    let me = Pid::this();
    // variant: none — root or not only picks the target (this root process, or PID 1 of
    // another user); EPERM is asserted for a reader without capabilities either way.
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
/// called prctl(PR_SET_DUMPABLE, 0). With Yama's ptrace_scope 2 or 3 the reader, lacking
/// CAP_SYS_PTRACE, may not attach to anything: both cases then assert EPERM and report the
/// lacking variant `blocked` (the dumpable rule is masked by Yama); otherwise nothing is
/// reported.
#[rstest]
#[case::dumpable(1, Ok(*b"data"))]
#[case::not_dumpable(0, Err(Errno::EPERM))]
fn a_non_dumpable_process_of_the_same_user_cannot_be_read(
    #[case] target_dumpable: libc::c_ulong,
    #[case] expected: Result<[u8; 4], Errno>,
) {
    needs!(available(vm_readv_allowed()), other_user);
    let expected = match yama_scope() {
        Some(scope @ (2 | 3)) => {
            variant::blocked(format_args!("Yama ptrace_scope {scope} denies attaching without CAP_SYS_PTRACE: EPERM whatever the dumpable flag"));
            Err(Errno::EPERM)
        }
        _ => expected,
    };
    let buf = Mapping::pages(1, libc::PROT_READ | libc::PROT_WRITE);
    run_in_child("unprivileged reader", || {
        privilege::drop_to_nobody();
        let t = Target::start(|| {
            buf.bytes()[..4].copy_from_slice(b"data");
            set_dumpable(target_dumpable);
        });
        assert_eq!(read4(t.pid(), buf.addr()), expected);
        t.finish();
    })
    .expect_success();
}

/// ptrace(2), steps (3) and (4) both yield to "the CAP_SYS_PTRACE capability": a root
/// reader reads a target that runs as another user *and* is not dumpable. Needs root.
/// Yama's ptrace_scope 3 ("No process may trace any other process") denies even that: the
/// read's EPERM is then asserted and the lacking variant `blocked` reported.
#[test]
fn cap_sys_ptrace_overrides_uid_and_dumpable_checks() {
    needs!(available(vm_readv_allowed()), cap(SYS_PTRACE), other_user);
    let expected = if yama_scope() == Some(3) {
        variant::blocked("Yama ptrace_scope 3 forbids attaching for everyone, CAP_SYS_PTRACE included: EPERM");
        Err(Errno::EPERM)
    } else {
        Ok(*b"priv")
    };
    let buf = Mapping::pages(1, libc::PROT_READ | libc::PROT_WRITE);
    let t = Target::start(|| {
        privilege::drop_to_nobody();
        set_dumpable(0);
        buf.bytes()[..4].copy_from_slice(b"priv");
    });
    assert_eq!(read4(t.pid(), buf.addr()), expected);
    t.finish();
}

/// prctl(2), PR_SET_DUMPABLE: "Normally, the "dumpable" attribute is set to 1. However, it is
/// reset to the current value contained in the file /proc/sys/fs/suid_dumpable (which by
/// default has the value 0), in the following circumstances: The process's effective user
/// or group ID is changed." A root child that switches to uid 65534 has dumpable ==
/// suid_dumpable afterwards; unless that is 1, an unprivileged reader of the same uid is
/// then refused with EPERM, and allowed once the target sets dumpable back to 1. (Reader
/// and target are siblings: with Yama ptrace_scope >= 1 the positive half is skipped.)
/// Variants: the value seen, `suid-dumpable-0`, `suid-dumpable-1` (the EPERM half is not
/// checked) or `suid-dumpable-2`, and the Yama scope ([`report_yama_scope`]: with anything
/// but `no-yama`/`yama-0` the positive half is not checked).
#[test]
fn changing_uid_resets_dumpable_to_suid_dumpable() {
    needs!(available(vm_readv_allowed()), root, other_user);
    let suid_dumpable = fixtures::sysctl::read_u64("fs/suid_dumpable") as i32;
    let why = format!("fs/suid_dumpable is {suid_dumpable}: dumpable after the uid change");
    match suid_dumpable {
        0 => variant::observed("suid-dumpable-0", &why),
        1 => variant::observed("suid-dumpable-1", &why),
        2 => variant::observed("suid-dumpable-2", &why),
        other => panic!("fs/suid_dumpable {other} is not one of the documented values 0, 1, 2"),
    }
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
    let sibling_ok = report_yama_scope().unwrap_or(0) == 0;
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
/// 0, EPERM otherwise. Variant: the scope ([`report_yama_scope`]).
#[test]
fn a_sibling_of_the_same_user_may_be_read_only_as_yama_permits() {
    needs!(available(vm_readv_allowed()), other_user);
    let scope = report_yama_scope();
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
/// Variants: `present` (scope 1: the named sibling reads, the claim proper); `absent`
/// (lacking: no Yama, where PR_SET_PTRACER is an unknown option and fails with EINVAL,
/// asserted); `yama-0` (scope 0: the sibling reads, named or not); `yama-2` / `yama-3`
/// (lacking: only CAP_SYS_PTRACE, or nobody, may attach, so the named sibling gets EPERM,
/// asserted).
#[test]
fn pr_set_ptracer_lets_a_named_sibling_read_under_yama_scope_1() {
    needs!(available(vm_readv_allowed()), other_user);
    let expected = match yama_scope() {
        None => {
            run_in_child("PR_SET_PTRACER without Yama", || {
                // SAFETY: plain prctl; without Yama no LSM knows the option.
                let r = unsafe { libc::prctl(libc::PR_SET_PTRACER, 0 as libc::c_ulong, 0, 0, 0) };
                assert_eq!((r, Errno::last()), (-1, Errno::EINVAL), "prctl(PR_SET_PTRACER) without Yama");
            })
            .expect_success();
            variant::absent("Yama is not active here: prctl(PR_SET_PTRACER) fails EINVAL (asserted)");
            return;
        }
        Some(0) => {
            variant::observed("yama-0", "Yama ptrace_scope 0: a same-uid sibling may read, named or not");
            Ok(*b"name")
        }
        Some(1) => {
            variant::present("Yama ptrace_scope 1: PR_SET_PTRACER lets the named sibling attach");
            Ok(*b"name")
        }
        Some(2) => {
            variant::lacking("yama-2", "Yama ptrace_scope 2: only CAP_SYS_PTRACE may attach; the named sibling gets EPERM");
            Err(Errno::EPERM)
        }
        Some(3) => {
            variant::lacking("yama-3", "Yama ptrace_scope 3: nobody may attach; the named sibling gets EPERM");
            Err(Errno::EPERM)
        }
        Some(n) => panic!("Yama ptrace_scope {n} is not one of the documented values 0..=3"),
    };
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
        assert_eq!(read4(tpid, buf.addr()), expected);
    })
    .expect_success();
    done.notify();
    target.expect_success();
}
