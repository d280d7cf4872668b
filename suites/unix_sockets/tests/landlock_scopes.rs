//! Landlock (landlock(7)) and AF_UNIX: a sandboxed process can be kept from connecting to
//! sockets created outside its Landlock domain — abstract ones by a scope (ABI 6, Linux 6.12),
//! pathname ones by an access right (ABI 9, Linux 7.1). The sandbox is made in a child
//! (landlock_restrict_self(2) needs no_new_privs and confines the caller for good); the
//! sockets "outside" are made by the test process before.
//!
//! Landlock must be built in and enabled at boot: without it the test asserts the refusal of
//! the ABI query (ENOSYS: not built; EOPNOTSUPP: not enabled) and reports `absent`; a Landlock
//! of a lower ABI refuses the ruleset (`absent` as well); a seccomp filter that answers EPERM
//! skips (`blocked`).

use std::os::fd::OwnedFd;

use fixtures::net::{SockAddr, bind, connect, listen, send_to, socket};
use fixtures::{Scratch, assert_errno, spawn, sys, variant};
use nix::errno::Errno;
use serial_test::serial;

/// struct landlock_ruleset_attr (include/uapi/linux/landlock.h) as of ABI 6: the handled
/// filesystem and network access rights and the scopes.
#[repr(C)]
#[derive(Default)]
struct RulesetAttr {
    handled_access_fs: u64,
    handled_access_net: u64,
    scoped: u64,
}

/// LANDLOCK_CREATE_RULESET_VERSION, LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET,
/// LANDLOCK_ACCESS_FS_RESOLVE_UNIX (include/uapi/linux/landlock.h).
const LANDLOCK_CREATE_RULESET_VERSION: u32 = 1 << 0;
const LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET: u64 = 1 << 0;
const LANDLOCK_ACCESS_FS_RESOLVE_UNIX: u64 = 1 << 16;

/// landlock_create_ruleset(2) with `attr` (its full 24 bytes), returning the ruleset fd.
fn create_ruleset(attr: &RulesetAttr) -> Result<libc::c_int, Errno> {
    // SAFETY: the raw system call with a pointer to a struct of the size passed.
    sys(unsafe {
        libc::syscall(libc::SYS_landlock_create_ruleset, attr as *const RulesetAttr, std::mem::size_of::<RulesetAttr>(), 0)
    } as libc::c_int)
}

/// The Landlock ABI version here (landlock_create_ruleset(NULL, 0,
/// LANDLOCK_CREATE_RULESET_VERSION)), or the errno of the refusal.
fn landlock_abi() -> Result<i32, Errno> {
    // SAFETY: the documented version query: no pointer is dereferenced.
    sys(unsafe {
        libc::syscall(libc::SYS_landlock_create_ruleset, std::ptr::null::<RulesetAttr>(), 0, LANDLOCK_CREATE_RULESET_VERSION)
    } as libc::c_int)
}

/// The ABI if Landlock works here; otherwise the documented refusal is asserted, `absent`
/// reported and `None` returned (EPERM, a seccomp filter: `blocked` and skip).
fn landlock_or_absent(needed: i32, what: &str) -> Option<i32> {
    match landlock_abi() {
        Ok(abi) => Some(abi),
        Err(Errno::ENOSYS) => {
            variant::absent(format_args!("{what} needs Landlock ABI {needed}: the kernel has no Landlock (ENOSYS)"));
            None
        }
        Err(Errno::EOPNOTSUPP) => {
            variant::absent(format_args!("{what} needs Landlock ABI {needed}: Landlock is built in but not enabled (EOPNOTSUPP)"));
            None
        }
        Err(Errno::EPERM) => {
            variant::blocked("landlock_create_ruleset(2) is denied here (EPERM)");
            fixtures::gate::report_skip("landlock_create_ruleset(2) is denied here (EPERM)");
            None
        }
        Err(e) => panic!("the Landlock ABI query failed: {e}"),
    }
}

/// In a child: confine this process to a new Landlock domain with `attr` (no_new_privs
/// first, as landlock_restrict_self(2) requires without CAP_SYS_ADMIN).
fn restrict_self(attr: &RulesetAttr) {
    // SAFETY: prctl with integer arguments.
    assert_eq!(unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) }, 0, "PR_SET_NO_NEW_PRIVS");
    let fd = create_ruleset(attr).expect("landlock_create_ruleset");
    // SAFETY: the raw system call on the ruleset descriptor just made.
    let r = unsafe { libc::syscall(libc::SYS_landlock_restrict_self, fd, 0) };
    assert_eq!(r, 0, "landlock_restrict_self: {}", Errno::last());
}

/// A Landlock feature (its uapi `name`) that came with ABI `abi` (Linux `kernel`): `what`
/// it is and what it `does` (for the variant's explanation).
struct Feature {
    name: &'static str,
    abi: i32,
    kernel: &'static str,
    what: &'static str,
    does: &'static str,
}

impl Feature {
    /// Whether the feature can be used here. Without a working Landlock, as
    /// [`landlock_or_absent`] (the refusal asserted, `absent` or `blocked` reported): false.
    /// With a Landlock of a lower ABI: `absent` reported, landlock_create_ruleset(2) with
    /// `attr` (which asks for the feature) asserted to fail with `refused`, false. Otherwise
    /// `present` reported, true.
    fn is_usable(&self, attr: &RulesetAttr, refused: Errno) -> bool {
        let Some(abi) = landlock_or_absent(self.abi, self.name) else { return false };
        if abi < self.abi {
            variant::absent(format_args!("Landlock ABI {abi}: {} came with ABI {} ({})", self.what, self.abi, self.kernel));
            assert_errno!(create_ruleset(attr), refused);
            return false;
        }
        variant::present(format_args!("Landlock ABI {abi} {}", self.does));
        true
    }
}

/// A stream socket bound to `addr` and listening with `backlog`.
fn listening(addr: &SockAddr, backlog: libc::c_int) -> OwnedFd {
    let l = bound(libc::SOCK_STREAM, addr);
    listen(&l, backlog).unwrap();
    l
}

/// An AF_UNIX socket of type `ty` bound to `addr`.
fn bound(ty: libc::c_int, addr: &SockAddr) -> OwnedFd {
    let fd = socket(libc::AF_UNIX, ty, 0).unwrap();
    bind(&fd, addr).unwrap();
    fd
}

/// landlock(7), "Scoped access" (man-pages 6.20): "LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET: Restrict
/// a sandboxed process from connecting to an abstract UNIX socket created by a process outside
/// the related Landlock domain" (ABI 6, Linux 6.12). A child confined with that scope gets
/// EPERM from connect(2) to a stream listener and from sendto(2) to a datagram socket that the
/// test process bound to abstract names, while a listener it binds itself inside the domain
/// stays reachable (variant `present`). On an older Landlock the scope is unknown: a ruleset
/// attribute that sets it is larger than the kernel's and has nonzero trailing bytes, so
/// landlock_create_ruleset(2) fails E2BIG (variant `absent`).
///
/// Kernel change: 6.12, commit 21d52e295 — Landlock's LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (ABI 6) keeps a sandboxed process from connecting to abstract sockets made outside its domain (EPERM).
#[test]
#[serial]
fn landlock_scope_keeps_abstract_sockets_outside_the_domain_out_of_reach() {
    let attr = RulesetAttr { scoped: LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET, ..RulesetAttr::default() };
    let scope = Feature {
        name: "LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET",
        abi: 6,
        kernel: "6.12",
        what: "abstract-socket scoping",
        does: "scopes abstract AF_UNIX sockets",
    };
    if !scope.is_usable(&attr, Errno::E2BIG) {
        return;
    }
    let stream_addr = SockAddr::unique_abstract("ll-stream");
    let _l = listening(&stream_addr, 4);
    let dgram_addr = SockAddr::unique_abstract("ll-dgram");
    let _r = bound(libc::SOCK_DGRAM, &dgram_addr);
    let mut child = spawn("sandboxed client", || {
        restrict_self(&attr);
        let c = socket(libc::AF_UNIX, libc::SOCK_STREAM, 0).unwrap();
        assert_errno!(connect(&c, &stream_addr), Errno::EPERM, "a listener made outside the domain");
        let d = socket(libc::AF_UNIX, libc::SOCK_DGRAM, 0).unwrap();
        assert_errno!(send_to(&d, b"x", 0, &dgram_addr), Errno::EPERM, "a datagram socket made outside the domain");
        let inside_addr = SockAddr::unique_abstract("ll-inside");
        let _inside = listening(&inside_addr, 1);
        let c2 = socket(libc::AF_UNIX, libc::SOCK_STREAM, 0).unwrap();
        assert_eq!(connect(&c2, &inside_addr), Ok(()), "a listener made inside the domain");
    });
    child.join().expect_success();
    // Unconfined, the test process still reaches its own listener.
    let c = socket(libc::AF_UNIX, libc::SOCK_STREAM, 0).unwrap();
    assert_eq!(connect(&c, &stream_addr), Ok(()));
}

/// include/uapi/linux/landlock.h (Linux 7.1, Landlock ABI 9): "LANDLOCK_ACCESS_FS_RESOLVE_UNIX:
/// Look up pathname UNIX domain sockets ... restricts both calls to connect(2) as well as calls
/// to sendmsg(2) with an explicit recipient address"; it "applies only to connections to UNIX
/// server sockets which were created outside of the newly created Landlock domain"; "If a
/// resolution attempt is denied, the operation returns an EACCES error". A child whose domain
/// handles the right and grants it nowhere gets EACCES connecting to a pathname listener and
/// sending to a pathname datagram socket the test process made, while its own pathname
/// listener and the test's abstract listener stay reachable (variant `present`). A Landlock
/// of ABI below 9 does not know the right: landlock_create_ruleset(2) fails EINVAL (variant
/// `absent`).
///
/// Kernel change: 7.1 — Landlock's LANDLOCK_ACCESS_FS_RESOLVE_UNIX (ABI 9) keeps a sandboxed process from connecting to pathname sockets made outside its domain (EACCES).
#[test]
#[serial]
fn landlock_resolve_unix_keeps_pathname_sockets_outside_the_domain_out_of_reach() {
    let attr = RulesetAttr { handled_access_fs: LANDLOCK_ACCESS_FS_RESOLVE_UNIX, ..RulesetAttr::default() };
    let right = Feature {
        name: "LANDLOCK_ACCESS_FS_RESOLVE_UNIX",
        abi: 9,
        kernel: "7.1",
        what: "LANDLOCK_ACCESS_FS_RESOLVE_UNIX",
        does: "governs pathname AF_UNIX sockets",
    };
    if !right.is_usable(&attr, Errno::EINVAL) {
        return;
    }
    let s = Scratch::new();
    let stream_addr = SockAddr::unix(&s.join("stream"));
    let _l = listening(&stream_addr, 4);
    let dgram_addr = SockAddr::unix(&s.join("dgram"));
    let _r = bound(libc::SOCK_DGRAM, &dgram_addr);
    let abstract_addr = SockAddr::unique_abstract("ll-abstract");
    let _la = listening(&abstract_addr, 4);
    let inside_path = s.join("inside");
    let mut child = spawn("sandboxed client", || {
        restrict_self(&attr);
        let c = socket(libc::AF_UNIX, libc::SOCK_STREAM, 0).unwrap();
        assert_errno!(connect(&c, &stream_addr), Errno::EACCES, "a pathname listener made outside the domain");
        let d = socket(libc::AF_UNIX, libc::SOCK_DGRAM, 0).unwrap();
        assert_errno!(send_to(&d, b"x", 0, &dgram_addr), Errno::EACCES, "a pathname datagram socket made outside");
        let c3 = socket(libc::AF_UNIX, libc::SOCK_STREAM, 0).unwrap();
        assert_eq!(connect(&c3, &abstract_addr), Ok(()), "abstract names are not looked up in the filesystem");
        let inside_addr = SockAddr::unix(&inside_path);
        let _inside = listening(&inside_addr, 1);
        let c2 = socket(libc::AF_UNIX, libc::SOCK_STREAM, 0).unwrap();
        assert_eq!(connect(&c2, &inside_addr), Ok(()), "a listener made inside the domain");
    });
    child.join().expect_success();
}
