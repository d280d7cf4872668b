//! Executable and non-executable memfds: MFD_EXEC, MFD_NOEXEC_SEAL, F_SEAL_EXEC and the
//! vm.memfd_noexec sysctl (Linux 6.3; Documentation/userspace-api/mfd_noexec.rst, "Introduction
//! of non-executable mfd"). Not yet in memfd_create(2) of man-pages 6.03.
//!
//! On kernels before 6.3 the flags are unknown bits, which memfd_create(2) rejects: "EINVAL
//! flags included unknown bits." Those kernels are checked for exactly that, not skipped.
//!
//! Variants: the tests of one 6.3 feature report `present` (6.3+) or `absent` (older: the
//! documented EINVAL asserted, the test passes); the vm.memfd_noexec test adds the sysctl's
//! value (`exec` for 0, `noexec-seal` for 1).

use std::os::fd::{AsFd, OwnedFd};

use fixtures::{assert_errno, gate, run_in_child, skip, variant};
use fixtures::memory::Mapping;
use nix::errno::Errno;
use nix::sys::stat::{Mode, fchmod};
use shared_mappings::files::stat;
use shared_mappings::memfd::{add_seals, memfd, seals};

fn mode(fd: impl AsFd) -> u32 {
    stat(fd).1 & 0o7777
}

fn chmod(fd: impl AsFd, mode: libc::mode_t) -> Result<(), Errno> {
    fchmod(fd, Mode::from_bits_truncate(mode))
}

/// memfd_create(2) with `flags` of Linux 6.3 (`what`): the memfd from 6.3 on (variant
/// `present`); before 6.3 the flags are unknown bits, and the documented "EINVAL flags
/// included unknown bits" is asserted instead (variant `absent`, `None`).
fn memfd_with_6_3_flags(name: &str, flags: libc::c_uint, what: &str) -> Option<OwnedFd> {
    let r = memfd(name, flags);
    if !variant::since(6, 3, what) {
        assert_errno!(r, Errno::EINVAL, "{what} before Linux 6.3");
        return None;
    }
    Some(r.unwrap_or_else(|e| panic!("memfd_create({what}): {e}")))
}

/// mfd_noexec.rst (the flag added by commit 105ff5339f49, "mm/memfd: add MFD_NOEXEC_SEAL and
/// MFD_EXEC", 6.3): "MFD_NOEXEC_SEAL: When MFD_NOEXEC_SEAL bit is set in the flags, memfd is
/// created with NX. F_SEAL_EXEC is set and the memfd can't be modified to add X later.
/// MFD_ALLOW_SEALING is also implied." Asserted: no execute bits (mode 0666), seals exactly
/// F_SEAL_EXEC (so further seals may be added), and chmod +x fails with EPERM. Before 6.3:
/// EINVAL (memfd_create(2): "EINVAL flags included unknown bits").
///
/// Kernel change: 6.3, commit 105ff5339f49 — MFD_NOEXEC_SEAL: a non-executable memfd, sealed against exec but open to further seals.
#[test]
fn mfd_noexec_seal_creates_a_non_executable_exec_sealed_memfd() {
    let Some(m) = memfd_with_6_3_flags("ipcspec-noexec", libc::MFD_NOEXEC_SEAL, "MFD_NOEXEC_SEAL") else { return };
    assert_eq!(mode(&m), 0o666);
    assert_eq!(seals(&m), Ok(libc::F_SEAL_EXEC));
    assert_errno!(chmod(&m, 0o755), Errno::EPERM, "adding execute permission");
    assert_eq!(add_seals(&m, libc::F_SEAL_GROW), Ok(()), "sealing is allowed (MFD_ALLOW_SEALING implied)");
}

/// mfd_noexec.rst (commit 105ff5339f49, 6.3): "MFD_EXEC: When MFD_EXEC bit is set in the
/// flags, memfd is created with X." — mode 0777; without MFD_ALLOW_SEALING its seals stay
/// locked (F_SEAL_SEAL; memfd_create(2): "the initial set of seals will be F_SEAL_SEAL" unless
/// MFD_ALLOW_SEALING is given). Before 6.3: EINVAL ("flags included unknown bits").
///
/// Kernel change: 6.3, commit 105ff5339f49 — MFD_EXEC: an explicitly executable memfd.
#[test]
fn mfd_exec_creates_an_executable_memfd() {
    let Some(m) = memfd_with_6_3_flags("ipcspec-exec", libc::MFD_EXEC, "MFD_EXEC") else { return };
    assert_eq!(mode(&m), 0o777);
    assert_eq!(seals(&m), Ok(libc::F_SEAL_SEAL));
}

/// MFD_EXEC and MFD_NOEXEC_SEAL (commit 105ff5339f49, 6.3) contradict each other: together
/// they fail with EINVAL (mm/memfd.c: "Invalid if both EXEC and NOEXEC_SEAL are set"); before
/// 6.3 both are unknown bits, which gives EINVAL as well (memfd_create(2): "EINVAL flags
/// included unknown bits").
#[test]
fn mfd_exec_together_with_mfd_noexec_seal_fails_einval() {
    assert_errno!(memfd("ipcspec-both", libc::MFD_EXEC | libc::MFD_NOEXEC_SEAL), Errno::EINVAL);
}

/// F_SEAL_EXEC (commit 6fd7353829ca, "mm/memfd: add F_SEAL_EXEC", Linux 6.3; mfd_noexec.rst:
/// "the memfd can't be modified to add X later") — more precisely, once the seal is set the
/// execute bits cannot change either way (mm/shmem.c, shmem_setattr(): a mode change
/// touching 0111 fails with EPERM), while the other permission bits still can. Before 6.3
/// (variant `absent`) the seal is an unknown bit: F_ADD_SEALS fails with EINVAL (fcntl(2):
/// "arg includes an unrecognized sealing bit"), asserted on a sealable memfd.
///
/// Kernel change: 6.3, commit 6fd7353829ca — F_SEAL_EXEC freezes a memfd's execute bits.
#[test]
fn f_seal_exec_freezes_the_execute_bits_only() {
    if !variant::since(6, 3, "F_SEAL_EXEC") {
        let m = memfd("ipcspec-sealexec", libc::MFD_ALLOW_SEALING).unwrap();
        assert_errno!(add_seals(&m, libc::F_SEAL_EXEC), Errno::EINVAL, "F_SEAL_EXEC before Linux 6.3");
        return;
    }
    let m = memfd("ipcspec-sealexec", libc::MFD_EXEC | libc::MFD_ALLOW_SEALING).unwrap();
    add_seals(&m, libc::F_SEAL_EXEC).unwrap();
    assert_errno!(chmod(&m, 0o666), Errno::EPERM, "removing execute permission");
    assert_eq!(chmod(&m, 0o755), Ok(()), "changing only write permission");
    assert_eq!(mode(&m), 0o755);
}

/// mfd_noexec.rst, vm.memfd_noexec: "0: MEMFD_NOEXEC_SCOPE_EXEC memfd_create() without
/// MFD_EXEC nor MFD_NOEXEC_SEAL acts like MFD_EXEC was set. 1: MEMFD_NOEXEC_SCOPE_NOEXEC_SEAL
/// memfd_create() without MFD_EXEC nor MFD_NOEXEC_SEAL acts like MFD_NOEXEC_SEAL was set."
/// The flags it refers to came with commit 105ff5339f49 (6.3). Before 6.3 the sysctl does
/// not exist and a memfd is always executable ("memfds have always had their execute bit
/// set"). Value 2 is skipped: its meaning changed within the 6.x series.
///
/// Kernel change: 6.3 — vm.memfd_noexec chooses what memfd_create(2) without MFD_EXEC/MFD_NOEXEC_SEAL gives.
#[test]
fn a_memfd_without_exec_flags_follows_vm_memfd_noexec() {
    let path = "/proc/sys/vm/memfd_noexec";
    if !variant::since(6, 3, "vm.memfd_noexec") {
        assert!(!std::path::Path::new(path).exists(), "{path} exists before Linux 6.3");
        let m = memfd("ipcspec-default", 0).unwrap();
        assert_eq!(mode(&m), 0o777);
        return;
    }
    let v = fixtures::sysctl::read_u64("vm/memfd_noexec");
    let m = memfd("ipcspec-default", 0);
    match v {
        0 => {
            variant::observed("exec", "vm.memfd_noexec is 0: a memfd without flags is executable");
            let m = m.unwrap();
            assert_eq!((mode(&m), seals(&m)), (0o777, Ok(libc::F_SEAL_SEAL)), "like MFD_EXEC");
        }
        1 => {
            variant::observed("noexec-seal", "vm.memfd_noexec is 1: a memfd without flags is non-executable and exec-sealed");
            let m = m.unwrap();
            assert_eq!((mode(&m), seals(&m)), (0o666, Ok(libc::F_SEAL_EXEC)), "like MFD_NOEXEC_SEAL");
        }
        other => skip!("vm.memfd_noexec is {other}: enforcement mode, whose behaviour differs between 6.x releases"),
    }
}

/// F_SEAL_EXEC on an executable memfd "implies SEAL_WRITE, making W^X from the start" (mm/memfd.c,
/// memfd_add_seals(): F_SEAL_EXEC on a memfd with execute bits adds F_SEAL_SHRINK, F_SEAL_GROW,
/// F_SEAL_WRITE and F_SEAL_FUTURE_WRITE); commit 3b041514cb6e ("memfd: deny writeable mappings
/// when implying SEAL_WRITE") made that implied F_SEAL_WRITE obey the rule of an explicit one —
/// fcntl(2), F_SEAL_WRITE: "fails with EBUSY if any writable, shared mapping exists".
/// Asserted on an MFD_EXEC|MFD_ALLOW_SEALING memfd with a writable MAP_SHARED mapping: EBUSY and
/// the seals unchanged (0); after munmap F_SEAL_EXEC succeeds and the implied seals are there
/// (F_SEAL_EXEC|F_SEAL_FUTURE_WRITE|F_SEAL_WRITE|F_SEAL_GROW|F_SEAL_SHRINK, 0x3e). Where the
/// fix is known to be (mainline 7.1; stable 6.12.93 — Debian 6.12's changelog; 6.18.y, whose
/// first patch level was not found: 6.18.44 is the first seen with it) the test requires EBUSY
/// (variant `ebusy`); on a kernel known to lack it F_ADD_SEALS succeeds with the mapping still
/// writable (variant `sealed-while-mapped`, lacking); without F_SEAL_EXEC at all (before 6.3,
/// variant `absent`) MFD_EXEC is an unknown flag: EINVAL.
///
/// Kernel change: 7.1, commit 3b041514cb6e — F_SEAL_EXEC on an executable memfd fails EBUSY while a writable shared mapping exists.
#[test]
fn f_seal_exec_on_an_executable_memfd_fails_ebusy_while_mapped_writable() {
    let r = memfd("ipcspec-exec-busy", libc::MFD_EXEC | libc::MFD_ALLOW_SEALING);
    if !fixtures::kernel_at_least(6, 3) {
        variant::absent(format_args!("MFD_EXEC and F_SEAL_EXEC came with 6.3; kernel {}", fixtures::kernel_version()));
        assert_errno!(r, Errno::EINVAL, "MFD_EXEC before 6.3");
        return;
    }
    let m = r.expect("memfd_create(MFD_EXEC|MFD_ALLOW_SEALING)");
    let implied = libc::F_SEAL_EXEC | libc::F_SEAL_FUTURE_WRITE | libc::F_SEAL_WRITE | libc::F_SEAL_GROW | libc::F_SEAL_SHRINK;
    let fixed = gate::has_fix((7, 1), &[(6, 12, 93), (6, 18, 44)], &[]);
    run_in_child("writable shared mapping of an executable memfd", || {
        fixtures::io::ftruncate(&m, 4096).unwrap();
        let rw = Mapping::shared(&m, 4096);
        let r = add_seals(&m, libc::F_SEAL_EXEC);
        match (fixed, r) {
            (Some(true) | None, Err(Errno::EBUSY)) => {
                variant::observed("ebusy", "the implied F_SEAL_WRITE is refused while a writable shared mapping exists");
                assert_eq!(seals(&m), Ok(0), "a refused F_ADD_SEALS adds nothing");
                drop(rw);
                assert_eq!(add_seals(&m, libc::F_SEAL_EXEC), Ok(()), "accepted once unmapped");
                assert_eq!(seals(&m), Ok(implied));
            }
            (Some(false) | None, Ok(())) => {
                variant::lacking("sealed-while-mapped", "F_SEAL_EXEC (and what it implies) is set while the mapping stays writable");
                rw.bytes()[0] = 1;
                assert_eq!(rw.bytes()[0], 1, "the mapping is still writable");
            }
            (fixed, r) => panic!("F_ADD_SEALS(F_SEAL_EXEC) with a writable shared mapping: {r:?}, but the fix is {fixed:?} here (kernel {})", fixtures::kernel_version()),
        }
    })
    .expect_success();
}
