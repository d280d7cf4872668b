//! /proc/sys/fs/pipe-max-size: the system-wide ceiling for F_SETPIPE_SZ by unprivileged
//! processes. These tests change the value (restored by a guard) or depend on it not being
//! changed meanwhile, and so live in a global_ file, which nextest runs one test at a time.
//!
//! Where a test lowers the value, it lowers it only as far as the claim needs and only for
//! the few calls that observe it.

use std::os::fd::AsFd;

use fixtures::assert_errno;
use fixtures::io::{pipe_size, set_pipe_size};
use fixtures::memory::page_size;
use fixtures::privilege::{can_switch_user, drop_to_nobody};
use fixtures::sysctl::{self, SysctlGuard};
use fixtures::{require, run_in_child};
use nix::errno::Errno;
use pipes::default_capacity;
use serial_test::serial;

const PIPE_MAX_SIZE: &str = "fs/pipe-max-size";

fn new_pipe() -> (std::os::fd::OwnedFd, std::os::fd::OwnedFd) {
    nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).expect("pipe2")
}

fn require_root_that_can_switch_user() -> Result<(), String> {
    sysctl::writable(PIPE_MAX_SIZE)?;
    if can_switch_user() { Ok(()) } else { Err("needs CAP_SETUID/CAP_SETGID to run a child as nobody".into()) }
}

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

/// pipe(7), "/proc/sys/fs/pipe-max-size": "The value assigned to this file may be rounded
/// upward, to reflect the value actually employed for a convenient implementation. To
/// determine the rounded-up value, display the contents of this file after assigning a value
/// to it." Asserted: the kernel rounds to a power-of-two number of pages, like F_SETPIPE_SZ.
#[test]
#[serial(pipe_max_size)]
fn pipe_max_size_is_rounded_up_to_a_power_of_two_number_of_pages() {
    require!(sysctl::writable(PIPE_MAX_SIZE));
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
    require!(fixtures::privilege::other_user_reachable());
    let max = sysctl::read_u64(PIPE_MAX_SIZE) as usize;
    run_in_child("unprivileged resizer", || {
        drop_to_nobody();
        let (_rx, tx) = new_pipe();
        let before = pipe_size(tx.as_fd()).unwrap();
        assert_errno!(set_pipe_size(tx.as_fd(), max + 1), Errno::EPERM);
        assert_eq!(pipe_size(tx.as_fd()), Ok(before));
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
    require!(require_root_that_can_switch_user());
    let limit = default_capacity();
    let _restore = SysctlGuard::set(PIPE_MAX_SIZE, &limit.to_string());
    run_in_child("unprivileged resizer", || {
        drop_to_nobody();
        let (_rx, tx) = new_pipe();
        assert_eq!(
            set_pipe_size(tx.as_fd(), 4096),
            Ok(4096),
            "shrinking first, so that growing to the limit is a change"
        );
        assert_eq!(set_pipe_size(tx.as_fd(), limit), Ok(limit));
        assert_errno!(set_pipe_size(tx.as_fd(), limit + 1), Errno::EPERM);
    })
    .expect_success();
}

/// fcntl(2) F_SETPIPE_SZ: "a privileged process (CAP_SYS_RESOURCE) can override the limit".
/// With the limit lowered to the default capacity, asserted: a root child grows its pipe to
/// twice the limit; a child without capabilities gets EPERM for the same request.
#[test]
#[serial(pipe_max_size)]
fn cap_sys_resource_may_exceed_pipe_max_size() {
    require!(require_root_that_can_switch_user());
    require!(fixtures::gate::capability(fixtures::gate::Cap::SYS_RESOURCE));
    let limit = default_capacity();
    let _restore = SysctlGuard::set(PIPE_MAX_SIZE, &limit.to_string());
    run_in_child("privileged resizer", || {
        let (_rx, tx) = new_pipe();
        assert_eq!(set_pipe_size(tx.as_fd(), 2 * limit), Ok(2 * limit));
    })
    .expect_success();
    run_in_child("unprivileged resizer", || {
        drop_to_nobody();
        let (_rx, tx) = new_pipe();
        assert_errno!(set_pipe_size(tx.as_fd(), 2 * limit), Errno::EPERM);
    })
    .expect_success();
}

/// pipe(7), "/proc/sys/fs/pipe-max-size": "Since Linux 4.9, the value on this file also acts
/// as a ceiling on the default capacity of a new pipe or newly opened FIFO." Asserted with the
/// limit at 4 pages: a new pipe of a child without capabilities has exactly 4 pages.
#[test]
#[serial(pipe_max_size)]
fn pipe_max_size_caps_the_default_capacity_of_unprivileged_pipes() {
    require!(require_root_that_can_switch_user());
    let limit = 4 * page_size();
    let _restore = SysctlGuard::set(PIPE_MAX_SIZE, &limit.to_string());
    run_in_child("unprivileged pipe creator", || {
        drop_to_nobody();
        let (rx, _tx) = new_pipe();
        assert_eq!(pipe_size(rx.as_fd()), Ok(limit));
    })
    .expect_success();
}

/// The ceiling of pipe-max-size on the default capacity applies only to processes without
/// CAP_SYS_RESOURCE (fs/pipe.c, alloc_pipe_info(): "pipe_bufs * PAGE_SIZE > max_size &&
/// !capable(CAP_SYS_RESOURCE)"), which pipe(7) does not say (see Findings); it matches
/// fcntl(2): "a privileged process (CAP_SYS_RESOURCE) can override the limit". Asserted with
/// the limit at 4 pages: a new pipe of a process with CAP_SYS_RESOURCE has the usual 16.
#[test]
#[serial(pipe_max_size)]
fn cap_sys_resource_is_exempt_from_the_default_capacity_ceiling() {
    require!(sysctl::writable(PIPE_MAX_SIZE));
    require!(fixtures::gate::capability(fixtures::gate::Cap::SYS_RESOURCE));
    let limit = 4 * page_size();
    let _restore = SysctlGuard::set(PIPE_MAX_SIZE, &limit.to_string());
    run_in_child("privileged pipe creator", || {
        let (rx, _tx) = new_pipe();
        assert_eq!(pipe_size(rx.as_fd()), Ok(default_capacity()));
    })
    .expect_success();
}

/// pipe(7): pipe-max-size is a ceiling on the default capacity "of a new pipe or newly opened
/// FIFO" — existing pipes keep theirs. Asserted: an unprivileged child's pipe made before the
/// limit is lowered still reports 16 pages afterwards, while its next new pipe gets the limit.
#[test]
#[serial(pipe_max_size)]
fn lowering_pipe_max_size_leaves_existing_pipes_alone() {
    require!(require_root_that_can_switch_user());
    let limit = 4 * page_size();
    let _restore = SysctlGuard::save(PIPE_MAX_SIZE);
    let (lowered, wait_lowered) = fixtures::sync::channel();
    let (made, wait_made) = fixtures::sync::channel();
    let mut child = fixtures::spawn("unprivileged pipe holder", || {
        drop_to_nobody();
        let (old_rx, _old_tx) = new_pipe();
        assert_eq!(pipe_size(old_rx.as_fd()), Ok(default_capacity()));
        made.notify();
        wait_lowered.wait();
        assert_eq!(pipe_size(old_rx.as_fd()), Ok(default_capacity()), "the existing pipe was shrunk");
        let (new_rx, _new_tx) = new_pipe();
        assert_eq!(pipe_size(new_rx.as_fd()), Ok(limit));
    });
    wait_made.wait();
    assert_eq!(sysctl::write(PIPE_MAX_SIZE, &limit.to_string()), Ok(()));
    lowered.notify();
    let outcome = child.join();
    drop(_restore);
    outcome.expect_success();
}
