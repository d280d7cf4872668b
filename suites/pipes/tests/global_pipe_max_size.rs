//! /proc/sys/fs/pipe-max-size: the system-wide ceiling for F_SETPIPE_SZ by unprivileged
//! processes. These tests change the value (restored by a guard) or depend on it not being
//! changed meanwhile, and so live in a global_ file, which nextest runs one test at a time.
//!
//! Where a test lowers the value, it lowers it only as far as the claim needs and only for
//! the few calls that observe it.

use fixtures::assert_errno;
use fixtures::facility::capability;
use fixtures::gate::Cap;
use fixtures::io::{pipe_size, set_pipe_size};
use fixtures::kinds::Kind;
use fixtures::memory::page_size;
use fixtures::privilege::drop_to_nobody;
use fixtures::sysctl::{self, SysctlGuard};
use fixtures::{needs, run_in_child};
use nix::errno::Errno;
use pipes::{blocking_pair, default_capacity};
use serial_test::serial;

const PIPE_MAX_SIZE: &str = "fs/pipe-max-size";

// The tests that lower the limit need `gate(sysctl::writable(PIPE_MAX_SIZE))` and a child
// that can become nobody (`cap(SETUID), cap(SETGID)`): set-up gates, reported as plain SKIPs
// (no variant). Their claims are about pipes under a given limit, not about changing it, and
// whenever they run they assert the same outcome. Only the tests of the knob itself state it
// with `sysctl(..)`, which reports `present`/`blocked`/`absent`.

/// pipe(7), "/proc/sys/fs/pipe-max-size" says a value below the page size makes write(2)
/// fail with EINVAL; every kernel this suite targets instead rounds it up to the page size
/// (fs/pipe.c, round_pipe_size()). Asserted: the write succeeds and the value reads back as
/// exactly one page. See docs/findings.md.
#[test]
#[serial(pipe_max_size)]
fn pipe_max_size_below_page_size_is_rounded_up_to_a_page() {
    // SKIP without root (no privilege to check); `blocked` when root cannot write it (a
    // container's read-only /proc/sys: the kernel has the knob, this environment denies it).
    needs!(sysctl(PIPE_MAX_SIZE));
    let _restore = SysctlGuard::save(PIPE_MAX_SIZE);
    let page = page_size() as u64;
    assert_eq!(sysctl::write(PIPE_MAX_SIZE, &(page - 1).to_string()), Ok(()));
    assert_eq!(sysctl::read_u64(PIPE_MAX_SIZE), page);
}

/// pipe(7), "/proc/sys/fs/pipe-max-size": "The value assigned to this file may be rounded
/// upward, to reflect the value actually employed for a convenient implementation. To
/// determine the rounded-up value, display the contents of this file after assigning a value
/// to it." Asserted: the kernel rounds to a power-of-two number of pages, like F_SETPIPE_SZ.
#[test]
#[serial(pipe_max_size)]
fn pipe_max_size_is_rounded_up_to_a_power_of_two_number_of_pages() {
    // SKIP without root (no privilege to check); `blocked` when root cannot write it (a
    // container's read-only /proc/sys: the kernel has the knob, this environment denies it).
    needs!(sysctl(PIPE_MAX_SIZE));
    let page = page_size() as u64;
    let _restore = SysctlGuard::save(PIPE_MAX_SIZE);
    assert_eq!(sysctl::write(PIPE_MAX_SIZE, &(16 * page + 1).to_string()), Ok(()));
    assert_eq!(sysctl::read_u64(PIPE_MAX_SIZE), 32 * page);
    assert_eq!(sysctl::write(PIPE_MAX_SIZE, &(3 * page).to_string()), Ok(()));
    assert_eq!(sysctl::read_u64(PIPE_MAX_SIZE), 4 * page);
}

/// fcntl(2) F_SETPIPE_SZ: "Attempts by an unprivileged process to set the pipe capacity
/// above the limit in /proc/sys/fs/pipe-max-size yield the error EPERM". The limit is not
/// changed here (the request fails before anything is allocated). Asserted in a child without
/// capabilities: EPERM for one byte above the limit, and the capacity is unchanged.
#[test]
#[serial(pipe_max_size)]
fn unprivileged_f_setpipe_sz_above_pipe_max_size_fails_eperm() {
    needs!(other_user);
    let max = sysctl::read_u64(PIPE_MAX_SIZE) as usize;
    run_in_child("unprivileged resizer", || {
        drop_to_nobody();
        let p = blocking_pair(Kind::Pipe);
        let before = pipe_size(p.tx()).unwrap();
        assert_errno!(set_pipe_size(p.tx(), max + 1), Errno::EPERM);
        assert_eq!(pipe_size(p.tx()), Ok(before));
    })
    .expect_success();
}

/// fcntl(2) F_SETPIPE_SZ: "An unprivileged process can adjust the pipe capacity to any value
/// between the system page size and the limit defined in /proc/sys/fs/pipe-max-size". The
/// limit is lowered to the default capacity (which changes nothing for new pipes) so that
/// reaching it costs nothing. Asserted in a child without capabilities: exactly the limit is
/// accepted, the next size up fails with EPERM.
#[test]
#[serial(pipe_max_size)]
fn unprivileged_f_setpipe_sz_up_to_pipe_max_size_succeeds() {
    needs!(gate(sysctl::writable(PIPE_MAX_SIZE)), cap(SETUID), cap(SETGID));
    let limit = default_capacity();
    let _restore = SysctlGuard::set(PIPE_MAX_SIZE, &limit.to_string());
    run_in_child("unprivileged resizer", || {
        drop_to_nobody();
        let p = blocking_pair(Kind::Pipe);
        assert_eq!(set_pipe_size(p.tx(), 4096), Ok(4096), "shrinking first, so that growing to the limit is a change");
        assert_eq!(set_pipe_size(p.tx(), limit), Ok(limit));
        assert_errno!(set_pipe_size(p.tx(), limit + 1), Errno::EPERM);
    })
    .expect_success();
}

/// fcntl(2) F_SETPIPE_SZ: "a privileged process (CAP_SYS_RESOURCE) can override the limit".
/// With the limit lowered to the default capacity, asserted: a root child grows its pipe to
/// twice the limit; a child without capabilities gets EPERM for the same request.
#[test]
#[serial(pipe_max_size)]
fn cap_sys_resource_may_exceed_pipe_max_size() {
    // The claim is about CAP_SYS_RESOURCE: `blocked` when root lacks it here.
    needs!(gate(sysctl::writable(PIPE_MAX_SIZE)), cap(SETUID), cap(SETGID), available(capability(Cap::SYS_RESOURCE)));
    let limit = default_capacity();
    let _restore = SysctlGuard::set(PIPE_MAX_SIZE, &limit.to_string());
    run_in_child("privileged resizer", || {
        let p = blocking_pair(Kind::Pipe);
        assert_eq!(set_pipe_size(p.tx(), 2 * limit), Ok(2 * limit));
    })
    .expect_success();
    run_in_child("unprivileged resizer", || {
        drop_to_nobody();
        let p = blocking_pair(Kind::Pipe);
        assert_errno!(set_pipe_size(p.tx(), 2 * limit), Errno::EPERM);
    })
    .expect_success();
}

/// Runs `body` in a child (`what`) while pipe-max-size is 4 pages (restored afterwards);
/// `body` gets that limit in bytes.
fn in_child_under_a_4_page_limit(what: &str, body: impl FnOnce(usize)) {
    let limit = 4 * page_size();
    let _restore = SysctlGuard::set(PIPE_MAX_SIZE, &limit.to_string());
    run_in_child(what, || body(limit)).expect_success();
}

/// pipe(7), "/proc/sys/fs/pipe-max-size": "Since Linux 4.9, the value on this file also acts
/// as a ceiling on the default capacity of a new pipe or newly opened FIFO." Asserted with the
/// limit at 4 pages: a new pipe of a child without capabilities has exactly 4 pages.
#[test]
#[serial(pipe_max_size)]
fn pipe_max_size_caps_the_default_capacity_of_unprivileged_pipes() {
    needs!(gate(sysctl::writable(PIPE_MAX_SIZE)), cap(SETUID), cap(SETGID));
    in_child_under_a_4_page_limit("unprivileged pipe creator", |limit| {
        drop_to_nobody();
        assert_eq!(pipe_size(blocking_pair(Kind::Pipe).rx()), Ok(limit));
    });
}

/// The ceiling of pipe-max-size on the default capacity applies only to processes without
/// CAP_SYS_RESOURCE (fs/pipe.c, alloc_pipe_info(): "pipe_bufs * PAGE_SIZE > max_size &&
/// !capable(CAP_SYS_RESOURCE)"), which pipe(7) does not say (see Findings); it matches
/// fcntl(2): "a privileged process (CAP_SYS_RESOURCE) can override the limit". Asserted with
/// the limit at 4 pages: a new pipe of a process with CAP_SYS_RESOURCE has the usual 16.
#[test]
#[serial(pipe_max_size)]
fn cap_sys_resource_is_exempt_from_the_default_capacity_ceiling() {
    // The claim is about CAP_SYS_RESOURCE: `blocked` when root lacks it here.
    needs!(gate(sysctl::writable(PIPE_MAX_SIZE)), available(capability(Cap::SYS_RESOURCE)));
    in_child_under_a_4_page_limit("privileged pipe creator", |_| {
        assert_eq!(pipe_size(blocking_pair(Kind::Pipe).rx()), Ok(default_capacity()));
    });
}

/// pipe(7): pipe-max-size is a ceiling on the default capacity "of a new pipe or newly opened
/// FIFO" — existing pipes keep theirs. Asserted: an unprivileged child's pipe made before the
/// limit is lowered still reports 16 pages afterwards, while its next new pipe gets the limit.
#[test]
#[serial(pipe_max_size)]
fn lowering_pipe_max_size_leaves_existing_pipes_alone() {
    needs!(gate(sysctl::writable(PIPE_MAX_SIZE)), cap(SETUID), cap(SETGID));
    let limit = 4 * page_size();
    let _restore = SysctlGuard::save(PIPE_MAX_SIZE);
    let (lowered, wait_lowered) = fixtures::sync::channel();
    let (made, wait_made) = fixtures::sync::channel();
    let mut child = fixtures::spawn("unprivileged pipe holder", || {
        drop_to_nobody();
        let old = blocking_pair(Kind::Pipe);
        assert_eq!(pipe_size(old.rx()), Ok(default_capacity()));
        made.notify();
        wait_lowered.wait();
        assert_eq!(pipe_size(old.rx()), Ok(default_capacity()), "the existing pipe was shrunk");
        assert_eq!(pipe_size(blocking_pair(Kind::Pipe).rx()), Ok(limit));
    });
    wait_made.wait();
    assert_eq!(sysctl::write(PIPE_MAX_SIZE, &limit.to_string()), Ok(()));
    lowered.notify();
    let outcome = child.join();
    drop(_restore);
    outcome.expect_success();
}
