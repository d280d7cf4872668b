//! /proc/sys/kernel/pty/max: the system-wide bound on the number of pseudoterminal pairs.
//! The test lowers it for one open(2) and restores it (a guard); it lives in a global_ file,
//! which nextest runs one test at a time.

use std::path::Path;

use fixtures::facility::pty;
use fixtures::io::open_cloexec;
use fixtures::sysctl::{self, SysctlGuard};
use fixtures::needs;
use nix::errno::Errno;
use serial_test::serial;

const PTY_MAX: &str = "kernel/pty/max";
const PTY_NR: &str = "kernel/pty/nr";

/// pty(7): "the limit is dynamically adjustable via /proc/sys/kernel/pty/max, and a
/// corresponding file, /proc/sys/kernel/pty/nr, indicates how many pseudoterminals are
/// currently in use"; Documentation/filesystems/devpts.rst: kernel.pty.max is the "global
/// limit" of "pty pairs in all instances" (kernel.pty.reserve of them kept for the initial
/// instance), and since commit e9aba5158a80 (3.4) an open of ptmx past it returns ENOSPC.
/// Asserted: with kernel.pty.max set to the number in use (kernel.pty.nr, this test's own pty
/// included), open(2) of /dev/ptmx fails ENOSPC; with the old value back, it succeeds. Other
/// processes may close ptys meanwhile, so the lowering is tried again (at most 20 times)
/// while an open still succeeds — each success is closed at once.
#[test]
#[serial(pty_max)]
fn opening_ptmx_fails_enospc_once_kernel_pty_max_pairs_are_in_use() {
    needs!(available(pty()), sysctl(PTY_MAX));
    let ptmx = Path::new("/dev/ptmx");
    let _held = open_cloexec(ptmx, libc::O_RDWR | libc::O_NOCTTY).expect("open /dev/ptmx");
    let guard = SysctlGuard::save(PTY_MAX);
    let mut refused = None;
    for _ in 0..20 {
        let nr = sysctl::read_u64(PTY_NR);
        assert!(nr >= 1, "kernel.pty.nr {nr} while this test holds a pty");
        sysctl::write(PTY_MAX, &nr.to_string()).expect("lower kernel.pty.max");
        match open_cloexec(ptmx, libc::O_RDWR | libc::O_NOCTTY) {
            Err(e) => {
                refused = Some((e, nr));
                break;
            }
            // Another process closed a pty between reading nr and opening: try again.
            Ok(extra) => drop(extra),
        }
    }
    drop(guard);
    let (e, nr) = refused.expect("open(/dev/ptmx) kept succeeding with kernel.pty.max = kernel.pty.nr");
    assert_eq!(e, Errno::ENOSPC, "open(/dev/ptmx) with kernel.pty.max = {nr} pairs in use");
    let again = open_cloexec(ptmx, libc::O_RDWR | libc::O_NOCTTY);
    assert!(again.is_ok(), "open(/dev/ptmx) with kernel.pty.max restored: {again:?}");
}
