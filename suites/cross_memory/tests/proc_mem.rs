//! /proc/<pid>/mem, the file interface to another process's memory: proc(5), "This file
//! can be used to access the pages of a process's memory through open(2), read(2), and
//! lseek(2). Permission to access this file is governed by a ptrace access mode
//! PTRACE_MODE_ATTACH_FSCREDS check".

use std::os::unix::fs::FileExt;

use cross_memory::calls::{iov, iov_of, vm_read, vm_readv_allowed, vm_write, vm_writev_allowed};
use cross_memory::ptrace_access::{child_access, uid_of};
use cross_memory::target::Target;
use fixtures::memory::{Mapping, page_size};
use fixtures::{needs, privilege, run_in_child, skip, variant};
use nix::unistd::Pid;

fn open_mem(pid: Pid, write: bool) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new().read(true).write(write).open(format!("/proc/{pid}/mem"))
}

/// proc(5), /proc/pid/mem: reading at an offset equal to an address returns the bytes of
/// that address in the process — the same bytes process_vm_readv(2) returns, across a page
/// boundary.
#[test]
fn pread_of_proc_pid_mem_returns_the_processs_bytes() {
    needs!(available(vm_readv_allowed()), available(child_access()));
    let pg = page_size();
    let m = Mapping::pages(2, libc::PROT_READ | libc::PROT_WRITE);
    let t = Target::start(|| {
        m.bytes()[pg - 3..pg + 3].copy_from_slice(b"across");
    });
    let f = open_mem(t.pid(), false).expect("open /proc/<child>/mem");
    let mut via_file = [0u8; 6];
    f.read_exact_at(&mut via_file, (m.addr() + pg - 3) as u64).unwrap();
    assert_eq!(&via_file, b"across");
    let mut via_vm = [0u8; 6];
    assert_eq!(vm_read(t.pid(), &[iov_of(&mut via_vm)], &[iov(m.addr() + pg - 3, 6)], 0), Ok(6));
    assert_eq!(via_file, via_vm);
    t.finish();
}

/// The effective "proc_mem.force_override" (commit 41e8149c8892, "proc: add config & param
/// to block forcing mem writes", 6.12, backported to stable): whether a write through
/// /proc/<pid>/mem may override page protections (FOLL_FORCE) always, only for the
/// writer that is the target's active ptracer, or never.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ForceOverride {
    Always,
    Ptrace,
    Never,
}

/// The kernel command line's proc_mem.force_override= if valid (an invalid value keeps the
/// Kconfig choice), else the CONFIG_PROC_MEM_* choice of the running kernel's
/// configuration; a configuration without any of the three options predates the commit
/// (or its backport) and always forces. `Err` (a skip reason) when the configuration
/// cannot be read.
fn force_override() -> Result<ForceOverride, String> {
    let cmdline = std::fs::read_to_string("/proc/cmdline").unwrap_or_default();
    let param = cmdline.split_whitespace().filter_map(|a| a.strip_prefix("proc_mem.force_override=")).next_back();
    match param {
        Some("always") => return Ok(ForceOverride::Always),
        Some("ptrace") => return Ok(ForceOverride::Ptrace),
        Some("never") => return Ok(ForceOverride::Never),
        _ => {}
    }
    // variant: none here — the caller reports the setting (`always`, `ptrace`, `never`).
    let c = fixtures::gate::kernel_config()?;
    let options = ["CONFIG_PROC_MEM_ALWAYS_FORCE", "CONFIG_PROC_MEM_FORCE_PTRACE", "CONFIG_PROC_MEM_NO_FORCE"];
    Ok(match options.map(|o| c.enabled(o)) {
        [_, _, true] => ForceOverride::Never,
        [_, true, _] => ForceOverride::Ptrace,
        [true, _, _] => ForceOverride::Always,
        _ if options.iter().all(|o| c.get(o).is_none()) => ForceOverride::Always,
        _ => return Err(format!("{} sets none of {options:?}", c.source)),
    })
}

/// ptrace(2) PTRACE_SEIZE of `pid` by the calling thread; the tracee keeps running.
fn seize(pid: Pid) {
    // SAFETY: integer arguments.
    let r = unsafe { libc::ptrace(libc::PTRACE_SEIZE, pid.as_raw(), 0, 0) };
    assert_eq!(r, 0, "PTRACE_SEIZE of the target: {}", nix::errno::Errno::last());
}

/// Stop a seized tracee (PTRACE_INTERRUPT), wait for the stop, and detach: it runs on.
fn unseize(pid: Pid) {
    // SAFETY: integer arguments; waitpid writes our status variable.
    unsafe {
        assert_eq!(libc::ptrace(libc::PTRACE_INTERRUPT, pid.as_raw(), 0, 0), 0, "PTRACE_INTERRUPT");
        let mut status = 0;
        assert_eq!(libc::waitpid(pid.as_raw(), &mut status, libc::__WALL), pid.as_raw(), "waitpid for the stop");
        assert!(libc::WIFSTOPPED(status), "the tracee stopped (status {status:#x})");
        assert_eq!(libc::ptrace(libc::PTRACE_DETACH, pid.as_raw(), 0, 0), 0, "PTRACE_DETACH");
    }
}

/// Unlike process_vm_writev(2), which fails with EFAULT on a read-only page (partial.rs),
/// a write through /proc/<pid>/mem overrides the page protection (it uses FOLL_FORCE, as a
/// debugger's breakpoint insertion does): the target finds the new bytes in its read-only
/// mapping. Since commit 41e8149c8892 (6.12, backported to stable) this is configurable
/// (kernel-parameters.txt, "proc_mem.force_override=": "'always': traditional behavior
/// always allows mem overrides", "'ptrace': only allow mem overrides for active ptracers",
/// "'never': never allow mem overrides"; default from CONFIG_PROC_MEM_*). Asserted per the
/// running kernel's setting: a write by a process that is not the target's ptracer
/// overrides with "always" and fails with EIO otherwise; the same write by the target's
/// attached ptracer (PTRACE_SEIZE) overrides with "always" and "ptrace" and fails with EIO
/// with "never". Skipped when the kernel's configuration cannot be read. Variant: the
/// setting, `always` (also a kernel that predates the option: it always forces), `ptrace`,
/// or `never` (lacking: no write through /proc/<pid>/mem overrides a protection).
///
/// Kernel change: 6.12, commit 41e8149c8892 — proc_mem.force_override (always, ptrace, never) decides whether a write through /proc/<pid>/mem overrides a protection.
#[test]
fn a_write_through_proc_pid_mem_overrides_read_only_protection() {
    needs!(available(vm_writev_allowed()), available(child_access()));
    let mode = match force_override() {
        Ok(m) => m,
        Err(reason) => skip!("{reason}"),
    };
    match mode {
        ForceOverride::Always => variant::observed("always", "proc_mem.force_override is always (or predates the option): every writer overrides"),
        ForceOverride::Ptrace => variant::observed("ptrace", "proc_mem.force_override is ptrace: only the target's ptracer overrides"),
        ForceOverride::Never => variant::lacking("never", "proc_mem.force_override is never: no write through /proc/<pid>/mem overrides a protection"),
    }
    let by_other_ok = mode == ForceOverride::Always;
    let by_tracer_ok = mode != ForceOverride::Never;
    let m = Mapping::pages(1, libc::PROT_READ | libc::PROT_WRITE);
    m.bytes()[..16].copy_from_slice(b"readonly........");
    let mut want = *b"readonly........";
    if by_other_ok {
        want[..8].copy_from_slice(b"OVERRIDE");
    }
    if by_tracer_ok {
        want[8..].copy_from_slice(b"BY_TRACE");
    }
    let t = Target::start_with(
        || {
            m.protect(0, 1, libc::PROT_READ);
        },
        || assert_eq!(&m.bytes()[..16], &want, "the read-only page after the writes ({mode:?})"),
    );
    let data = *b"OVERRIDE";
    let rc = vm_write(t.pid(), &[iov(data.as_ptr() as usize, 8)], &[iov(m.addr(), 8)], 0);
    assert_eq!(rc, Err(nix::errno::Errno::EFAULT), "process_vm_writev must not override the protection");
    let f = open_mem(t.pid(), true).expect("open /proc/<child>/mem for writing");
    let plain = f.write_at(&data, m.addr() as u64).map_err(|e| e.raw_os_error());
    assert_eq!(plain, if by_other_ok { Ok(8) } else { Err(Some(libc::EIO)) }, "write by a non-ptracer ({mode:?})");
    seize(t.pid());
    let traced = f.write_at(b"BY_TRACE", (m.addr() + 8) as u64).map_err(|e| e.raw_os_error());
    unseize(t.pid());
    assert_eq!(traced, if by_tracer_ok { Ok(8) } else { Err(Some(libc::EIO)) }, "write by the ptracer ({mode:?})");
    t.finish();
}

/// proc(5): access to /proc/pid/mem is a PTRACE_MODE_ATTACH check, so a process of another
/// user without CAP_SYS_PTRACE cannot open it: EACCES (the same check process_vm_readv(2)
/// reports as EPERM). As root the target is this test process, opened by a child that
/// became nobody; as nobody, PID 1 when it belongs to another user.
#[test]
fn proc_pid_mem_of_another_users_process_cannot_be_opened() {
    needs!(other_user);
    // variant: none — root or not only picks the target (this root process, or PID 1 of
    // another user); EACCES is asserted for an opener without capabilities either way.
    let target = if nix::unistd::getuid().is_root() {
        Pid::this()
    } else {
        match uid_of(Pid::from_raw(1)) {
            Some(u) if u != nix::unistd::getuid().as_raw() => Pid::from_raw(1),
            _ => skip!("no process of another user to target: PID 1 runs as this uid or is invisible"),
        }
    };
    run_in_child("opener of another user's mem", || {
        privilege::drop_to_nobody();
        let e = open_mem(target, false).expect_err("opening another user's /proc/<pid>/mem must fail");
        assert_eq!(e.raw_os_error(), Some(libc::EACCES), "{e}");
    })
    .expect_success();
}

/// Reading /proc/<pid>/mem at an address the process has not mapped fails with EIO
/// (fs/proc/base.c, mem_rw(): when access_remote_vm() copies nothing the result is -EIO),
/// where process_vm_readv(2) reports EFAULT.
#[test]
fn pread_of_proc_pid_mem_at_an_unmapped_address_fails_eio() {
    needs!(available(vm_readv_allowed()), available(child_access()));
    let m = Mapping::pages(1, libc::PROT_READ | libc::PROT_WRITE);
    let t = Target::start(|| {
        m.unmap(0, 1);
    });
    let f = open_mem(t.pid(), false).unwrap();
    let mut b = [0u8; 4];
    let e = f.read_at(&mut b, m.addr() as u64).expect_err("read of an unmapped address");
    assert_eq!(e.raw_os_error(), Some(libc::EIO), "{e}");
    assert_eq!(
        vm_read(t.pid(), &[iov_of(&mut b)], &[iov(m.addr(), 4)], 0),
        Err(nix::errno::Errno::EFAULT)
    );
    t.finish();
}
