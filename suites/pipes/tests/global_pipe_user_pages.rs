//! /proc/sys/fs/pipe-user-pages-soft. pipe(7): "The soft limit on the total size (in pages)
//! of all pipes created or set by a single unprivileged user ... So long as the total number of
//! pages allocated to pipe buffers for this user is at this limit, individual pipes created by
//! a user will be limited to one page, and attempts to increase a pipe's capacity will be
//! denied." The default, 16384 pages, "permits creating up to 1024 pipes with the default
//! capacity".
//!
//! No limit is changed. A root child becomes a fresh uid that owns no other pipe (so its page
//! count starts at zero and no other test's user is pushed over the limit), raises its
//! descriptor limit, and creates default pipes until the kernel hands out a small one. Pipe
//! pages are only reserved, not allocated, so a thousand empty pipes cost little. The file is
//! global_ because the expected sizes depend on pipe-max-size, which other global tests lower.

use std::os::fd::OwnedFd;

use fixtures::assert_errno;
use fixtures::io::{pipe_size, set_pipe_size};
use fixtures::memory::page_size;
use fixtures::privilege::{become_user, can_switch_user};
use fixtures::facility::Availability;
use fixtures::{kernel_version, needs, run_in_child, sysctl, variant};
use nix::errno::Errno;
use serial_test::serial;

/// What a fresh user's pipes look like once the soft limit is reached (pairs of read and
/// write ends made by pipe2(2): a thousand of them, so plain descriptors).
struct OverTheLimit {
    soft: usize,
    default_pages: usize,
    full: Vec<(OwnedFd, OwnedFd)>,
    small: (OwnedFd, OwnedFd),
}

impl OverTheLimit {
    /// The pages the user's pipes hold, as the kernel counts them (sum of capacities).
    fn user_pages(&self) -> usize {
        let page = page_size();
        self.full.iter().chain(std::iter::once(&self.small)).map(|(r, _)| pipe_size(r).unwrap() / page).sum()
    }
}

/// Whether the soft-limit claims can be checked here: pipe-user-pages-soft is 0 (the soft
/// limit is switched off, so the behaviour the claims are about cannot happen): `absent`;
/// no privilege, or a limit this test cannot reach: unknown (a plain SKIP).
fn soft_limit() -> Availability {
    // variant: none — can_switch_user only decides whether the claim can be checked at all
    // (no privilege: SKIP); it never changes the outcome asserted. The soft limit's state is
    // reported by needs!(available(..)) (present/absent).
    if !can_switch_user() {
        return Availability::Unknown("needs root with CAP_SETUID to act as a fresh user whose pipe pages start at zero (pushing a shared user over the limit would starve parallel tests)".into());
    }
    let soft = sysctl::read_u64("fs/pipe-user-pages-soft");
    if soft == 0 {
        return Availability::Absent("pipe-user-pages-soft is 0: the soft limit is switched off here".into());
    }
    if soft > 65536 {
        return Availability::Unknown(format!("pipe-user-pages-soft is {soft}: too many pipes needed to reach it"));
    }
    let hard = sysctl::read_u64("fs/pipe-user-pages-hard");
    if hard != 0 && hard <= soft + 64 {
        return Availability::Unknown(format!("pipe-user-pages-hard ({hard}) would be hit before the soft limit ({soft})"));
    }
    Availability::Present(format!("pipe-user-pages-soft is {soft} pages: the soft limit is on"))
}

/// In a root child: become a uid nobody else uses, create default pipes until one is
/// smaller, and `check` what the user has then. `tag` keeps the uids of tests in one process
/// apart.
fn as_a_fresh_user_over_the_soft_limit(tag: u32, check: impl FnOnce(&OverTheLimit)) {
    run_in_child("fresh user filling its pipe quota", || check(&push_a_fresh_user_over_the_soft_limit(tag))).expect_success();
}

fn push_a_fresh_user_over_the_soft_limit(tag: u32) -> OverTheLimit {
    let soft = sysctl::read_u64("fs/pipe-user-pages-soft") as usize;
    let max = sysctl::read_u64("fs/pipe-max-size") as usize;
    let default_pages = (max / page_size()).min(16);
    let expected_full = soft / default_pages;
    let fds = (2 * expected_full + 256) as libc::rlim_t;
    let lim = libc::rlimit { rlim_cur: fds, rlim_max: fds };
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) }, 0, "raise RLIMIT_NOFILE to {fds}");
    let uid = 0x7000_0000 + (std::process::id() << 3) + tag;
    become_user(uid, uid);
    let mut full = Vec::with_capacity(expected_full);
    loop {
        let (rx, tx) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).expect("pipe2 as the fresh user");
        if pipe_size(&rx).unwrap() < default_pages * page_size() {
            return OverTheLimit { soft, default_pages, full, small: (rx, tx) };
        }
        full.push((rx, tx));
        assert!(full.len() <= expected_full + 1, "{} default pipes and still no small one", full.len());
    }
}

/// The size of a pipe made by a user at the soft limit. pipe(7) says one page; the patch "pipe:
/// increase minimum default pipe size to 2 pages" (Alex Xu, August 2021, merged for Linux 5.14
/// and taken into stable series) made it PIPE_MIN_DEF_BUFFERS = 2 pages, so that a writer to a
/// non-empty pipe need not block (see Findings). The 5.10 series has it from 5.10.58 (Debian's
/// bullseye changelog lists it under ChangeLog-5.10.58): there the size follows the patch
/// level. On other series before 5.14 either size is possible, depending on whether the
/// stable kernel has the backport. Reports the variant seen: `two-pages` or `one-page`.
fn assert_minimum_size(size: usize) {
    let page = page_size();
    let fixed = fixtures::gate::has_fix((5, 14), &[(5, 10, 58)], &[]);
    let why = fixtures::gate::kernel_and_patch();
    if fixed == Some(true) {
        assert_eq!(size, 2 * page, "a pipe over the soft limit has PIPE_MIN_DEF_BUFFERS (2) pages");
        variant::observed("two-pages", format_args!("PIPE_MIN_DEF_BUFFERS (5.14, 5.10.58), {why}"));
    } else if fixed == Some(false) {
        assert_eq!(size, page, "a pipe over the soft limit has one page before 5.10.58");
        variant::observed("one-page", format_args!("{why} without the 5.14 patch: one page, as pipe(7) says"));
    } else if size == 2 * page {
        variant::observed("two-pages", format_args!("kernel {} carries the 5.14 patch (backport)", kernel_version()));
    } else {
        assert_eq!(size, page, "a pipe over the soft limit has 1 or 2 pages");
        variant::observed("one-page", format_args!("kernel {} without the 5.14 patch: one page, as pipe(7) says", kernel_version()));
    }
}

/// pipe(7), "/proc/sys/fs/pipe-user-pages-soft": "individual pipes created by a user will be
/// limited to one page" once the user's total reaches the limit; the default limit "permits
/// creating up to 1024 pipes with the default capacity". Asserted: the fresh user gets exactly
/// soft/16 full pipes (the kernel compares "user_bufs > soft_limit", fs/pipe.c), then small
/// ones (see assert_minimum_size for the size and its variants `two-pages` / `one-page`).
///
/// Kernel change: 5.14 — a pipe made by a user over pipe-user-pages-soft gets 2 pages (PIPE_MIN_DEF_BUFFERS), not 1 (stable 5.10.58).
#[test]
#[serial(pipe_user_pages)]
fn a_user_at_the_soft_limit_gets_minimum_size_pipes() {
    needs!(available(soft_limit()));
    as_a_fresh_user_over_the_soft_limit(0, |over| {
        assert_eq!(over.full.len(), over.soft / over.default_pages, "number of default-size pipes");
        let small = pipe_size(&over.small.0).unwrap();
        assert_minimum_size(small);
        let (another, _tx) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).unwrap();
        assert_eq!(pipe_size(&another), Ok(small), "the next pipe over the limit has the same minimum size");
    });
}

/// pipe(7): at the soft limit "attempts to increase a pipe's capacity will be denied";
/// fcntl(2) ERRORS: "EPERM cmd is F_SETPIPE_SZ and the soft or hard user pipe limit has been
/// reached". Asserted: growing the small pipe to 4 pages (well below pipe-max-size) fails
/// with EPERM and its capacity is unchanged.
#[test]
#[serial(pipe_user_pages)]
fn a_user_at_the_soft_limit_cannot_grow_a_pipe() {
    needs!(available(soft_limit()));
    as_a_fresh_user_over_the_soft_limit(1, |over| {
        let before = pipe_size(&over.small.0).unwrap();
        assert_errno!(set_pipe_size(&over.small.1, 4 * page_size()), Errno::EPERM);
        assert_eq!(pipe_size(&over.small.0), Ok(before));
    });
}

/// pipe(7), BUGS (b): "Starting with Linux 4.9, checks against the limits are performed only
/// when increasing a pipe's capacity; an unprivileged user can always decrease a pipe's
/// capacity." And the limit applies only "so long as" the user is at it. Asserted: shrinking
/// full pipes to one page succeeds, and once the user's pages plus a default pipe fit under
/// the limit again, the next new pipe has the default capacity.
#[test]
#[serial(pipe_user_pages)]
fn a_user_at_the_soft_limit_can_shrink_pipes_and_so_get_back_under_it() {
    needs!(available(soft_limit()));
    as_a_fresh_user_over_the_soft_limit(2, |over| {
        let page = page_size();
        let mut shrunk = 0;
        while over.user_pages() + over.default_pages > over.soft {
            let (_, tx) = &over.full[shrunk];
            assert_eq!(set_pipe_size(tx, page), Ok(page), "shrinking pipe {shrunk}");
            shrunk += 1;
        }
        let (rx, _tx) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).unwrap();
        assert_eq!(pipe_size(&rx), Ok(over.default_pages * page), "after shrinking {shrunk} pipes");
    });
}
