//! /proc/sys/fs/pipe-max-size: the system-wide ceiling for F_SETPIPE_SZ by unprivileged
//! processes. These tests change the value (restored by a guard) and so live in a global_
//! file, which nextest runs one test at a time.

use fixtures::require;
use fixtures::sysctl::{self, SysctlGuard};
use serial_test::serial;

/// pipe(7), "/proc/sys/fs/pipe-max-size" says a value below the page size makes write(2)
/// fail with EINVAL; every kernel this suite targets instead rounds it up to the page size
/// (fs/pipe.c, round_pipe_size()). Asserted: the write succeeds and the value reads back as
/// exactly one page. See docs/findings.md.
#[test]
#[serial(pipe_max_size)]
fn pipe_max_size_below_page_size_is_rounded_up_to_a_page() {
    require!(sysctl::writable("fs/pipe-max-size"));
    let _restore = SysctlGuard::save("fs/pipe-max-size");
    let page = nix::unistd::sysconf(nix::unistd::SysconfVar::PAGE_SIZE).unwrap().unwrap();
    assert_eq!(sysctl::write("fs/pipe-max-size", &(page - 1).to_string()), Ok(()));
    assert_eq!(sysctl::read_u64("fs/pipe-max-size"), page as u64);
}
