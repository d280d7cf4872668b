//! memfd_secret(2) (5.14; enabled by default since 6.5): memory shared only by the processes
//! that map the file, removed from the kernel's direct map.

use std::os::fd::{AsRawFd, OwnedFd};

use fixtures::io::{fd_flags, ftruncate};
use fixtures::memory::{Mapping, page_size};
use fixtures::{assert_errno, run_in_child, skip, variant};
use nix::errno::Errno;

fn memfd_secret(flags: libc::c_uint) -> Result<OwnedFd, Errno> {
    // SAFETY: an integer argument; the result is a fresh descriptor.
    let r = unsafe { libc::syscall(libc::SYS_memfd_secret, flags) };
    if r == -1 { Err(Errno::last()) } else { Ok(fixtures::io::owned(r as libc::c_int)) }
}

/// Whether this kernel should answer memfd_secret(2), and why: built with CONFIG_SECRETMEM,
/// from 5.14, and (memfd_secret(2), HISTORY) "Before Linux 6.5, memfd_secret() was disabled by
/// default and only available if the system administrator turned it on using
/// "secretmem.enable=y" kernel parameter" (commit b758fe6df50d made it default on; the
/// parameter can still turn it off). `None` when the kernel's configuration is unknown here.
fn expected() -> Option<(bool, String)> {
    let v = fixtures::kernel_version();
    let config = fixtures::gate::kernel_config().ok()?;
    let cmdline = std::fs::read_to_string("/proc/cmdline").unwrap_or_default();
    let param = cmdline.split_whitespace().find_map(|w| w.strip_prefix("secretmem.enable=")).map(|p| matches!(p, "1" | "y" | "Y"));
    Some(if !config.enabled("CONFIG_SECRETMEM") {
        (false, format!("kernel {v} was built without CONFIG_SECRETMEM ({})", config.source))
    } else if !fixtures::kernel_at_least(5, 14) {
        (false, format!("memfd_secret(2) came with 5.14; kernel {v}"))
    } else if !fixtures::kernel_at_least(6, 5) {
        let on = param == Some(true);
        (on, format!("kernel {v} (before 6.5): secretmem.enable={} on the command line", if on { "1" } else { "unset/0" }))
    } else {
        let on = param != Some(false);
        (on, format!("kernel {v} (6.5+: on by default): secretmem.enable={}", if on { "default/1" } else { "0" }))
    })
}

/// memfd_secret(2): "The memory areas backing the file created with memfd_secret(2) are
/// visible only to the processes that have access to the file descriptor. The memory region is
/// removed from the kernel page tables"; "A copy of the file descriptor is inherited by the
/// child produced by fork(2) and refers to the same file"; NOTES: "The memory pages in this
/// region cannot be accessed via the direct map and they are disallowed in get_user_pages".
/// Asserted where the kernel offers it (variant `present`): O_CLOEXEC gives FD_CLOEXEC; after
/// ftruncate a MAP_SHARED mapping works and a forked child sees the parent's store; a
/// MAP_PRIVATE mapping is refused (EINVAL: secret memory is only shared); reading the page
/// through /proc/self/mem fails with EIO (no get_user_pages). Where it does not (no
/// CONFIG_SECRETMEM, before 5.14, or 5.14-6.4 without secretmem.enable=1; variant `absent`):
/// ENOSYS, "memfd_secret() is not implemented on this architecture, or has not been enabled on
/// the kernel command-line".
///
/// Kernel change: 6.5, commit b758fe6df50d — memfd_secret(2) is enabled by default (added in 5.14 behind secretmem.enable).
#[test]
fn memfd_secret_memory_is_shared_with_children_but_not_through_proc_pid_mem() {
    let Some((on, why)) = expected() else { skip!("the kernel configuration is not readable here: cannot tell whether memfd_secret(2) is built") };
    let r = memfd_secret(libc::O_CLOEXEC as libc::c_uint);
    if !on {
        variant::absent(&why);
        assert_errno!(r, Errno::ENOSYS, "{why}");
        return;
    }
    variant::present(&why);
    let fd = r.expect("memfd_secret(O_CLOEXEC)");
    assert_eq!(fd_flags(&fd) & libc::FD_CLOEXEC, libc::FD_CLOEXEC);
    let pg = page_size();
    ftruncate(&fd, pg as i64).unwrap();
    assert_errno!(Mapping::new(pg, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_PRIVATE, Some(std::os::fd::AsFd::as_fd(&fd)), 0), Errno::EINVAL, "a private mapping of secret memory");
    let m = Mapping::shared(&fd, pg);
    m.write(0, b"secret");
    run_in_child("child with the inherited mapping", || assert_eq!(m.read(0, 6), b"secret")).expect_success();
    let mem = std::fs::File::open("/proc/self/mem").unwrap();
    let mut buf = [0u8; 6];
    // SAFETY: reading into our own buffer from our own /proc/self/mem.
    let n = unsafe { libc::pread(mem.as_raw_fd(), buf.as_mut_ptr().cast(), 6, m.addr() as libc::off_t) };
    assert_eq!((n, Errno::last()), (-1, Errno::EIO), "/proc/self/mem of a secret page");
}
