//! The abstract namespace (unix(7), "abstract", "Abstract sockets") and autobind
//! (unix(7), "Autobind feature"): names that live in no filesystem, are defined by their
//! length, vanish with the socket, and ignore permissions.

use fixtures::cases::socket_types;
use fixtures::net::SockType;
use std::os::fd::{AsRawFd, OwnedFd};

use fixtures::net::bind;
use fixtures::privilege::drop_to_nobody;
use fixtures::{Scratch, assert_errno, run_in_child};
use nix::errno::Errno;
use rstest::rstest;
use serial_test::{parallel, serial};
use unix_sockets::addr::{FAMILY_LEN, UnixAddr, UnixAddrExt, getsockname};
use unix_sockets::calls::{set_umask, socket};
use unix_sockets::cases::{reaches, types_and_named_kinds};
use unix_sockets::AddrKind;
use unix_sockets::pairs::{Reach, named_socket, serve};
use libc::socklen_t;
use rstest_reuse::apply;

/// True if `fd` (listening or datagram, nonblocking) has something pending.
fn got_something(fd: &OwnedFd) -> bool {
    fixtures::poll::revents(fd, libc::POLLIN, 0) & libc::POLLIN != 0
}

/// unix(7): an abstract address "is distinguished (from a pathname socket) by the fact that
/// sun_path[0] is a null byte" and "The name has no connection with filesystem pathnames."
/// A name that spells a path in the scratch directory after its NUL creates nothing there.
#[apply(socket_types)]
#[rstest]
#[parallel]
fn an_abstract_bind_creates_no_file(#[case] ty: SockType) {
    let s = Scratch::new();
    let lookalike = s.join("sock");
    let addr = UnixAddr::abstract_name(lookalike.as_os_str().as_encoded_bytes());
    let fd = socket(ty, 0);
    assert_eq!(bind(&fd, &addr), Ok(()));
    assert!(!lookalike.exists());
    assert_eq!(std::fs::read_dir(s.path()).unwrap().count(), 0);
}

/// unix(7): "The socket's address in this namespace is given by the additional bytes in
/// sun_path that are covered by the specified length of the address structure." The same
/// bytes with two more NULs covered by addrlen are a different name: both binds succeed and
/// each name reaches its own socket.
#[apply(socket_types)]
#[rstest]
#[parallel]
fn an_abstract_name_is_defined_by_addrlen(#[case] ty: SockType) {
    let base = fixtures::names::unique("len");
    let short = UnixAddr::abstract_name(base.as_bytes());
    let mut padded = base.clone().into_bytes();
    padded.extend_from_slice(b"\0\0");
    let long = UnixAddr::abstract_name(&padded);
    let a = socket(ty, libc::SOCK_NONBLOCK);
    let b = socket(ty, libc::SOCK_NONBLOCK);
    assert_eq!(bind(&a, &short), Ok(()));
    assert_eq!(bind(&b, &long), Ok(()), "a longer addrlen is another name");
    serve(ty, &a);
    serve(ty, &b);
    assert_eq!(Reach::of(ty).attempt(&long), Ok(()));
    assert!(got_something(&b) && !got_something(&a), "the padded name reached only its socket");
    assert_eq!(getsockname(&b), long);
    assert_eq!(getsockname(&a), short);
}

/// unix(7), "abstract": "(Null bytes in the name have no special significance.)" Names that
/// differ only after an embedded NUL are distinct, and getsockname(2) returns every byte.
#[apply(socket_types)]
#[rstest]
#[parallel]
fn embedded_nuls_are_part_of_an_abstract_name(#[case] ty: SockType) {
    let base = fixtures::names::unique("nul");
    let name = |tail: &[u8]| {
        let mut v = base.clone().into_bytes();
        v.push(0);
        v.extend_from_slice(tail);
        UnixAddr::abstract_name(&v)
    };
    let (x, y) = (name(b"x"), name(b"y"));
    let a = socket(ty, libc::SOCK_NONBLOCK);
    let b = socket(ty, libc::SOCK_NONBLOCK);
    assert_eq!(bind(&a, &x), Ok(()));
    assert_eq!(bind(&b, &y), Ok(()));
    let got = getsockname(&a);
    assert_eq!(got, x);
    assert_eq!(got.len(), FAMILY_LEN + 1 + base.len() as socklen_t + 2, "addrlen covers the NUL and the byte after it");
    serve(ty, &a);
    serve(ty, &b);
    assert_eq!(Reach::of(ty).attempt(&y), Ok(()));
    assert!(got_something(&b) && !got_something(&a));
}

/// unix(7), ERRORS: "EADDRINUSE The specified local address is already in use." An abstract
/// name held by an open socket cannot be bound again.
#[apply(socket_types)]
#[rstest]
#[parallel]
fn binding_an_abstract_name_in_use_fails_eaddrinuse(#[case] ty: SockType) {
    let addr = UnixAddr::unique_abstract("inuse");
    let a = socket(ty, 0);
    assert_eq!(bind(&a, &addr), Ok(()));
    let b = socket(ty, 0);
    assert_errno!(bind(&b, &addr), Errno::EADDRINUSE);
}

/// unix(7): "Abstract sockets automatically disappear when all open references to the socket
/// are closed." While a duplicate descriptor keeps the socket open the name stays taken; once
/// the last one is closed the name is unreachable (ECONNREFUSED) and free to bind, with no
/// unlink(2).
#[apply(socket_types)]
#[rstest]
#[parallel]
fn an_abstract_name_disappears_with_the_last_reference(#[case] ty: SockType) {
    let addr = UnixAddr::unique_abstract("gone");
    let a = socket(ty, 0);
    assert_eq!(bind(&a, &addr), Ok(()));
    serve(ty, &a);
    let dup = a.try_clone().unwrap();
    drop(a);
    assert_errno!(bind(socket(ty, 0), &addr), Errno::EADDRINUSE, "a duplicate still references the socket");
    drop(dup);
    assert_errno!(Reach::of(ty).attempt(&addr), Errno::ECONNREFUSED);
    assert_eq!(bind(socket(ty, 0), &addr), Ok(()));
}

/// unix(7), "abstract": the name is given by the bytes after the leading null byte, and
/// "has no connection with filesystem pathnames". net/unix/af_unix.c looks abstract names
/// up per socket type (unix_abstract_hash() mixes
/// in sk_type), unlike pathnames, which live in the filesystem: sockets of different types
/// can hold the same abstract name at once, and a socket of a third type finds none of them
/// (ECONNREFUSED where a pathname gives EPROTOTYPE, see connect_rules).
#[rstest]
#[parallel]
#[case::stream_and_dgram(SockType::Stream, SockType::Dgram, SockType::Seqpacket)]
#[case::stream_and_seqpacket(SockType::Stream, SockType::Seqpacket, SockType::Dgram)]
#[case::dgram_and_seqpacket(SockType::Dgram, SockType::Seqpacket, SockType::Stream)]
fn sockets_of_different_types_can_share_an_abstract_name(#[case] first: SockType, #[case] second: SockType, #[case] third: SockType) {
    let addr = UnixAddr::unique_abstract("shared");
    let a = socket(first, 0);
    let b = socket(second, 0);
    assert_eq!(bind(&a, &addr), Ok(()));
    assert_eq!(bind(&b, &addr), Ok(()));
    serve(first, &a);
    serve(second, &b);
    assert_eq!(Reach::of(first).attempt(&addr), Ok(()));
    assert_eq!(Reach::of(second).attempt(&addr), Ok(()));
    assert_errno!(Reach::of(third).attempt(&addr), Errno::ECONNREFUSED);
}

/// unix(7), "Abstract sockets": "Socket permissions have no meaning for abstract sockets:
/// the process umask(2) has no effect when binding an abstract socket, and changing the
/// ownership and permissions of the object (via fchown(2) and fchmod(2)) has no effect on
/// the accessibility of the socket." The socket is bound under umask 0777 and fchmod'ed to
/// 0; a child running as nobody still reaches it.
#[apply(socket_types)]
#[rstest]
#[serial]
fn permissions_have_no_meaning_for_abstract_sockets(#[case] ty: SockType) {
    let addr = UnixAddr::unique_abstract("perm");
    let fd = socket(ty, 0);
    run_in_child("bind under umask 0777", || {
        set_umask(0o777);
        assert_eq!(bind(&fd, &addr), Ok(()));
    })
    .expect_success();
    assert_eq!(getsockname(&fd), addr, "the child bound the shared socket");
    // SAFETY: fchmod on our own descriptor.
    assert_eq!(fixtures::sys(unsafe { libc::fchmod(fd.as_raw_fd(), 0) }), Ok(0));
    serve(ty, &fd);
    run_in_child("reach as nobody", || {
        drop_to_nobody();
        assert_eq!(Reach::of(ty).attempt(&addr), Ok(()));
    })
    .expect_success();
}

/// unix(7), "Autobind feature": "If a bind(2) call specifies addrlen as sizeof(sa_family_t)
/// ... then the socket is autobound to an abstract address. The address consists of a null
/// byte followed by 5 bytes in the character set [0-9a-f]."
#[apply(socket_types)]
#[rstest]
#[parallel]
fn bind_with_only_sun_family_autobinds_to_five_hex_digits(#[case] ty: SockType) {
    let fd = socket(ty, 0);
    assert_eq!(bind(&fd, &UnixAddr::unnamed()), Ok(()));
    let got = getsockname(&fd);
    assert_eq!(got.len(), FAMILY_LEN + 6, "{got:?}");
    assert_eq!(got.path_bytes()[0], 0, "abstract");
    let name = got.abstract_bytes();
    assert!(name.iter().all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c)), "{name:?}");
}

/// unix(7), "Autobind feature": the kernel picks an address for each socket ("a limit of
/// 2^20 autobind addresses"): names of live autobound sockets are distinct, and each one
/// reaches its own socket.
#[apply(socket_types)]
#[rstest]
#[parallel]
fn autobound_names_are_distinct_and_reachable(#[case] ty: SockType) {
    let socks: Vec<OwnedFd> = (0..8).map(|_| socket(ty, libc::SOCK_NONBLOCK)).collect();
    let mut names = Vec::new();
    for s in &socks {
        bind(s, &UnixAddr::unnamed()).unwrap();
        serve(ty, s);
        names.push(getsockname(s));
    }
    for (i, n) in names.iter().enumerate() {
        assert!(names[..i].iter().all(|m| m != n), "duplicate autobind name {n:?}");
    }
    assert_eq!(Reach::of(ty).attempt(&names[5]), Ok(()));
    assert!(got_something(&socks[5]));
    assert!(!got_something(&socks[4]));
}

/// Linux differs from bind(2), ERRORS ("EINVAL The socket is already bound to an address"):
/// net/unix/af_unix.c, unix_autobind() returns success at once when the socket already has
/// an address, so bind(2) with addrlen == sizeof(sa_family_t) on a bound socket does not fail
/// with EINVAL (unlike any other second bind) and keeps the first name. See docs/findings.md.
#[apply(types_and_named_kinds)]
#[rstest]
#[parallel]
fn autobind_request_on_a_bound_socket_succeeds_and_keeps_the_name(#[case] ty: SockType, #[case] kind: AddrKind) {
    let (fd, name, _s) = named_socket(ty, 0, kind, "first");
    assert_eq!(bind(&fd, &UnixAddr::unnamed()), Ok(()));
    assert_eq!(getsockname(&fd), name);
}

/// Make a named peer for `how` to reach, then reach it from `fd` (the first use of `fd`).
fn first_use(how: Reach, fd: &OwnedFd) -> OwnedFd {
    let peer_addr = UnixAddr::unique_abstract("peer");
    let peer = socket(how.ty(), 0);
    bind(&peer, &peer_addr).unwrap();
    serve(how.ty(), &peer);
    assert_eq!(how.from(fd, &peer_addr), Ok(()));
    peer
}

/// unix(7), "Autobind feature": "or the SO_PASSCRED socket option was specified for a socket
/// that was not explicitly bound to an address, then the socket is autobound". Linux differs
/// from that reading: the name is given when the socket is first connected or sends, not by
/// setsockopt(2) itself (SO_PASSCRED: "When this option is set and the socket is not yet
/// connected, a unique name ... will be generated automatically"): still unnamed after
/// setsockopt, autobound after connect(2)/sendto(2). See docs/findings.md.
#[apply(reaches)]
#[rstest]
#[parallel]
fn so_passcred_autobinds_an_unbound_socket_on_first_use(#[case] how: Reach) {
    let fd = socket(how.ty(), 0);
    assert_eq!(fixtures::net::setsockopt_int(&fd, libc::SOL_SOCKET, libc::SO_PASSCRED, 1), Ok(()));
    assert_eq!(getsockname(&fd).len(), FAMILY_LEN, "setsockopt alone does not bind");
    let _peer = first_use(how, &fd);
    let got = getsockname(&fd);
    assert_eq!(got.len(), FAMILY_LEN + 6, "autobound on first use: {got:?}");
    assert_eq!(got.path_bytes()[0], 0);
}

/// unix(7), "unnamed": "A stream socket that has not been bound to a pathname using bind(2)
/// has no name." Without SO_PASSCRED, connecting or sending does not give a socket a name:
/// its address stays sizeof(sa_family_t) long.
#[apply(reaches)]
#[rstest]
#[parallel]
fn without_so_passcred_first_use_leaves_a_socket_unnamed(#[case] how: Reach) {
    let fd = socket(how.ty(), 0);
    let _peer = first_use(how, &fd);
    assert_eq!(getsockname(&fd).len(), FAMILY_LEN);
}
