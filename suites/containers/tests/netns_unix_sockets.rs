//! AF_UNIX addresses and namespaces. network_namespaces(7): "network namespaces isolate
//! the UNIX domain abstract socket namespace (see unix(7))"; a pathname socket, on the
//! other hand, is a file (unix(7): "bound to a filesystem pathname"), found through the
//! filesystem — so it crosses network namespaces and follows mount namespaces. This is why
//! `docker run --network=host` exposes the host's abstract sockets to a container, and a
//! bind-mounted socket file (e.g. /var/run/docker.sock) works with any --network.

use std::path::Path;

use containers::cases::unix_socket_types;
use containers::sandbox::{enter, mount_points, mount_tmpfs, namespaces, sandbox};
use containers::sock::{accept, connected_to, listener, recv, send, unix_socket};
use fixtures::names::unique;
use fixtures::net::{SockAddr, bind, connect, send_to};
use fixtures::ns::{join, ns_inode};
use fixtures::{Agent, Scratch, assert_errno, needs, spawn};
use nix::errno::Errno;
use rstest::rstest;
use rstest_reuse::apply;

/// Reach `a` from a fresh socket of `ty`: connect(2) for stream and seqpacket, a datagram
/// sent with sendto(2) for dgram.
fn reach(ty: libc::c_int, a: &SockAddr) -> Result<(), Errno> {
    let s = unix_socket(ty);
    if ty == libc::SOCK_DGRAM { send_to(&s, b"ping", libc::MSG_NOSIGNAL, a).map(drop) } else { connect(&s, a) }
}

/// A stream server that runs `setup` (entering its namespaces), listens on `a` and sends
/// `greeting` to its first client; returned once it listens.
#[track_caller]
fn greeting_server(what: &str, a: &SockAddr, greeting: &[u8], setup: impl FnOnce()) -> Agent<(), ()> {
    let server = Agent::<(), ()>::spawn(what, |serve| {
        setup();
        let l = listener(libc::SOCK_STREAM, a);
        serve.ready(());
        send(accept(&l), greeting);
    });
    server.ready::<()>();
    server
}

/// network_namespaces(7) and unix(7): an abstract name bound in one network namespace does
/// not exist in another. From a new network namespace, connect(2) (stream, seqpacket) and
/// sendto(2) (datagram) to the outer name fail with ECONNREFUSED, the error unix(7) gives
/// for "The remote address specified by connect(2) was not a listening socket" (the name
/// is not found); from the outer namespace the same call succeeds.
#[apply(unix_socket_types)]
fn abstract_name_is_unreachable_from_another_network_namespace(#[case] ty: libc::c_int) {
    needs!(available(namespaces()));
    let a = SockAddr::abstract_unix(unique("abstract").as_bytes());
    sandbox("abstract name across network namespaces", || {
        let _l = listener(ty, &a);
        reach(ty, &a).expect("reachable in its own network namespace");
        spawn("in a new network namespace", || {
            let before = ns_inode("self", "net");
            enter(libc::CLONE_NEWNET);
            assert_ne!(ns_inode("self", "net"), before);
            assert_errno!(reach(ty, &a), Errno::ECONNREFUSED, "abstract name of another network namespace");
        })
        .expect_success();
    });
}

/// network_namespaces(7): each network namespace has its own abstract socket namespace, so
/// the same name can be bound once in each: bind(2) of a name already bound outside
/// succeeds in a new network namespace (while a second bind in the same namespace is
/// EADDRINUSE), and a client in each namespace reaches its own namespace's socket.
#[test]
fn same_abstract_name_binds_once_in_each_network_namespace() {
    needs!(available(namespaces()));
    let a = SockAddr::abstract_unix(unique("twice").as_bytes());
    sandbox("one abstract name, two namespaces", || {
        let outer = listener(libc::SOCK_STREAM, &a);
        assert_errno!(bind(unix_socket(libc::SOCK_STREAM), &a), Errno::EADDRINUSE, "second bind in the same namespace");
        let inner = Agent::<(), ()>::spawn("server in a new network namespace", |serve| {
            enter(libc::CLONE_NEWNET);
            let l = listener(libc::SOCK_STREAM, &a);
            serve.ready(());
            serve.wait_release();
            let client = spawn("client inside", || assert_eq!(recv(connected_to(&a), 16), b"inner server"));
            send(accept(&l), b"inner server");
            client.expect_success();
        });
        inner.ready::<()>();
        let c = connected_to(&a);
        send(accept(&outer), b"outer server");
        assert_eq!(recv(&c, 16), b"outer server");
        inner.expect_success();
    });
}

/// network_namespaces(7) with setns(2): a process that joins another network namespace
/// reaches that namespace's abstract sockets, and no longer its old one's.
#[test]
fn abstract_name_is_reachable_after_setns_into_its_network_namespace() {
    needs!(available(namespaces()));
    let a = SockAddr::abstract_unix(unique("joined").as_bytes());
    sandbox("setns into the server's network namespace", || {
        let server = greeting_server("server in a new network namespace", &a, b"joined", || enter(libc::CLONE_NEWNET));
        assert_errno!(connect(unix_socket(libc::SOCK_STREAM), &a), Errno::ECONNREFUSED, "outside, before joining");
        let pid = server.pid();
        spawn("joiner", || {
            join(pid, "net", libc::CLONE_NEWNET);
            assert_eq!(recv(connected_to(&a), 16), b"joined");
        })
        .expect_success();
        server.expect_success();
    });
}

/// unix(7): a pathname socket is "bound to a filesystem pathname"; the network namespace
/// plays no part in finding it. A client in a new network namespace connects (stream,
/// seqpacket) or sends (datagram) to a socket bound outside, through the shared path, and
/// the bytes arrive.
#[apply(unix_socket_types)]
fn pathname_socket_is_reachable_across_network_namespaces(#[case] ty: libc::c_int) {
    needs!(available(namespaces()));
    let s = Scratch::new();
    let a = SockAddr::unix(&s.join("sock"));
    sandbox("pathname socket across network namespaces", || {
        let l = listener(ty, &a);
        spawn("client in a new network namespace", || {
            enter(libc::CLONE_NEWNET);
            let c = unix_socket(ty);
            if ty == libc::SOCK_DGRAM {
                assert_eq!(send_to(&c, b"across", libc::MSG_NOSIGNAL, &a), Ok(6));
            } else {
                connect(&c, &a).expect("connect through the path");
                send(&c, b"across");
            }
        })
        .expect_success();
        let got = if ty == libc::SOCK_DGRAM { recv(&l, 16) } else { recv(accept(&l), 16) };
        assert_eq!(got, b"across");
    });
}

/// Pathname sockets follow the filesystem, so the mount namespace: a socket bound inside a
/// tmpfs that only one mount namespace has is ENOENT from outside (connect(2): the path
/// does not exist there), and reachable after setns(2) into that mount namespace — by a
/// client that stays in its own network namespace while the server is in another.
#[test]
fn pathname_socket_follows_the_mount_namespace() {
    needs!(available(namespaces()));
    let (_s, [dir]) = mount_points(["private"]);
    let a = SockAddr::unix(&dir.join("sock"));
    sandbox("pathname socket in a private mount", || {
        let server = greeting_server("server in new mount and network namespaces", &a, b"private", || {
            enter(libc::CLONE_NEWNS | libc::CLONE_NEWNET);
            mount_tmpfs(Path::new(&dir), "mode=0700");
        });
        assert_errno!(connect(unix_socket(libc::SOCK_STREAM), &a), Errno::ENOENT, "outside the server's mount namespace");
        let pid = server.pid();
        spawn("joiner of the mount namespace only", || {
            let net = ns_inode("self", "net");
            join(pid, "mnt", libc::CLONE_NEWNS);
            assert_eq!(ns_inode("self", "net"), net, "still in the outer network namespace");
            assert_eq!(recv(connected_to(&a), 16), b"private");
        })
        .expect_success();
        server.expect_success();
    });
}
