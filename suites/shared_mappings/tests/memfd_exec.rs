//! Executable and non-executable memfds: MFD_EXEC, MFD_NOEXEC_SEAL, F_SEAL_EXEC and the
//! vm.memfd_noexec sysctl (Linux 6.3; Documentation/userspace-api/mfd_noexec.rst, "Introduction
//! of non-executable mfd"). Not yet in memfd_create(2) of man-pages 6.03.
//!
//! On kernels before 6.3 the flags are unknown bits, which memfd_create(2) rejects: "EINVAL
//! flags included unknown bits." Those kernels are checked for exactly that, not skipped.

use std::os::fd::AsRawFd;

use fixtures::{assert_errno, kernel_at_least, require, skip};
use nix::errno::Errno;
use shared_mappings::*;

fn mode(fd: &impl std::os::fd::AsFd) -> u32 {
    stat(fd).1 & 0o7777
}

fn fchmod(fd: &impl AsRawFd, mode: libc::mode_t) -> Result<(), Errno> {
    // SAFETY: plain fchmod.
    fixtures::sys(unsafe { libc::fchmod(fd.as_raw_fd(), mode) }).map(drop)
}

/// mfd_noexec.rst (the flag added by commit 105ff5339f49, "mm/memfd: add MFD_NOEXEC_SEAL and
/// MFD_EXEC", 6.3): "MFD_NOEXEC_SEAL: When MFD_NOEXEC_SEAL bit is set in the flags, memfd is
/// created with NX. F_SEAL_EXEC is set and the memfd can't be modified to add X later.
/// MFD_ALLOW_SEALING is also implied." Asserted: no execute bits (mode 0666), seals exactly
/// F_SEAL_EXEC (so further seals may be added), and chmod +x fails with EPERM. Before 6.3:
/// EINVAL (memfd_create(2): "EINVAL flags included unknown bits").
#[test]
fn mfd_noexec_seal_creates_a_non_executable_exec_sealed_memfd() {
    let r = memfd("ipcspec-noexec", libc::MFD_NOEXEC_SEAL);
    if !kernel_at_least(6, 3) {
        assert_errno!(r, Errno::EINVAL, "MFD_NOEXEC_SEAL before Linux 6.3");
        return;
    }
    let m = r.expect("memfd_create(MFD_NOEXEC_SEAL)");
    assert_eq!(mode(&m), 0o666);
    assert_eq!(seals(&m), Ok(libc::F_SEAL_EXEC));
    assert_errno!(fchmod(&m, 0o755), Errno::EPERM, "adding execute permission");
    assert_eq!(add_seals(&m, libc::F_SEAL_GROW), Ok(()), "sealing is allowed (MFD_ALLOW_SEALING implied)");
}

/// mfd_noexec.rst (commit 105ff5339f49, 6.3): "MFD_EXEC: When MFD_EXEC bit is set in the
/// flags, memfd is created with X." — mode 0777; without MFD_ALLOW_SEALING its seals stay
/// locked (F_SEAL_SEAL; memfd_create(2): "the initial set of seals will be F_SEAL_SEAL" unless
/// MFD_ALLOW_SEALING is given). Before 6.3: EINVAL ("flags included unknown bits").
#[test]
fn mfd_exec_creates_an_executable_memfd() {
    let r = memfd("ipcspec-exec", libc::MFD_EXEC);
    if !kernel_at_least(6, 3) {
        assert_errno!(r, Errno::EINVAL, "MFD_EXEC before Linux 6.3");
        return;
    }
    let m = r.expect("memfd_create(MFD_EXEC)");
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
/// touching 0111 fails with EPERM), while the other permission bits still can.
#[test]
fn f_seal_exec_freezes_the_execute_bits_only() {
    require!(fixtures::gate::kernel(6, 3), "F_SEAL_EXEC");
    let m = memfd("ipcspec-sealexec", libc::MFD_EXEC | libc::MFD_ALLOW_SEALING).unwrap();
    add_seals(&m, libc::F_SEAL_EXEC).unwrap();
    assert_errno!(fchmod(&m, 0o666), Errno::EPERM, "removing execute permission");
    assert_eq!(fchmod(&m, 0o755), Ok(()), "changing only write permission");
    assert_eq!(mode(&m), 0o755);
}

/// mfd_noexec.rst, vm.memfd_noexec: "0: MEMFD_NOEXEC_SCOPE_EXEC memfd_create() without
/// MFD_EXEC nor MFD_NOEXEC_SEAL acts like MFD_EXEC was set. 1: MEMFD_NOEXEC_SCOPE_NOEXEC_SEAL
/// memfd_create() without MFD_EXEC nor MFD_NOEXEC_SEAL acts like MFD_NOEXEC_SEAL was set."
/// The flags it refers to came with commit 105ff5339f49 (6.3). Before 6.3 the sysctl does
/// not exist and a memfd is always executable ("memfds have always had their execute bit
/// set"). Value 2 is skipped: its meaning changed within the 6.x series.
#[test]
fn a_memfd_without_exec_flags_follows_vm_memfd_noexec() {
    let path = "/proc/sys/vm/memfd_noexec";
    if !kernel_at_least(6, 3) {
        assert!(!std::path::Path::new(path).exists(), "{path} exists before Linux 6.3");
        let m = memfd("ipcspec-default", 0).unwrap();
        assert_eq!(mode(&m), 0o777);
        return;
    }
    let v = fixtures::sysctl::read_u64("vm/memfd_noexec");
    let m = memfd("ipcspec-default", 0);
    match v {
        0 => {
            let m = m.unwrap();
            assert_eq!((mode(&m), seals(&m)), (0o777, Ok(libc::F_SEAL_SEAL)), "like MFD_EXEC");
        }
        1 => {
            let m = m.unwrap();
            assert_eq!((mode(&m), seals(&m)), (0o666, Ok(libc::F_SEAL_EXEC)), "like MFD_NOEXEC_SEAL");
        }
        other => skip!("vm.memfd_noexec is {other}: enforcement mode, whose behaviour differs between 6.x releases"),
    }
}
