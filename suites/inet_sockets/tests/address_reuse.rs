//! SO_REUSEADDR and SO_REUSEPORT (socket(7), ip(7)).

use fixtures::io::read_to_eof;
use fixtures::net::{accept_ready, bind, connect, listen, local_addr, setsockopt_int};
use fixtures::{assert_errno, needs, privilege, run_in_child};
use inet_sockets::addr::{Family, Proto};
use inet_sockets::sockets::socket;
use inet_sockets::tcp::{TCP_TIME_WAIT, set_linger};
use inet_sockets::cases::{families, families_and_transports, transports};
use rstest_reuse::apply;
use nix::errno::Errno;
use rstest::rstest;

fn reuse_socket(fam: Family, proto: Proto, opt: libc::c_int) -> std::os::fd::OwnedFd {
    let s = socket(fam, proto);
    setsockopt_int(&s, libc::SOL_SOCKET, opt, 1).unwrap();
    s
}

/// True if /proc/net/tcp(6) lists a socket with local port `port` in state `st`.
fn proc_net_tcp_has(fam: Family, port: u16, st: u8) -> bool {
    let file = if fam == Family::V4 { "/proc/net/tcp" } else { "/proc/net/tcp6" };
    let text = std::fs::read_to_string(file).unwrap();
    text.lines().skip(1).any(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        let local_port = f[1].rsplit(':').next().and_then(|p| u16::from_str_radix(p, 16).ok());
        local_port == Some(port) && u8::from_str_radix(f[3], 16).ok() == Some(st)
    })
}

/// ip(7): "A TCP local socket address that has been bound is unavailable for some time
/// after closing, unless the SO_REUSEADDR flag has been set." The server side closes first
/// and so keeps the connection in TIME_WAIT on the listening port; once that is so (the
/// client's close with SO_LINGER returns only after its FIN was acknowledged, i.e. after
/// the server side entered TIME_WAIT — /proc/net/tcp confirms state 06), a new bind to the
/// port fails with EADDRINUSE without SO_REUSEADDR and succeeds with it (the listener had
/// SO_REUSEADDR set too, as servers that restart do).
///
/// In a private network namespace where one can be had: a port in TIME_WAIT may be reused
/// as the local port of another process's outgoing connection, whose bound socket would
/// then make the SO_REUSEADDR bind fail (seen once in a VM running many tests at once).
/// Where no namespace can be made (a container), the claim runs in the shared one.
#[apply(families)]
fn so_reuseaddr_allows_binding_a_port_held_in_time_wait(#[case] fam: Family) {
    needs!(available(fam.availability()));
    // variant: none — the private namespace only shields the port from other processes;
    // the same assertions run in it and in the shared one.
    let private = fixtures::ns::netns_available().is_ok();
    run_in_child("TIME_WAIT on the server port", || {
        if private {
            fixtures::ns::enter_netns().expect("a private network namespace (the probe made one)");
        }
        let l = reuse_socket(fam, Proto::Tcp, libc::SO_REUSEADDR);
        bind(&l, &fam.loopback(0)).unwrap();
        listen(&l, 4).unwrap();
        let addr = local_addr(&l);
        let c = socket(fam, Proto::Tcp);
        connect(&c, &addr).unwrap();
        let (s, _) = accept_ready(&l);
        drop(l);
        drop(s); // active close on the server side
        assert_eq!(read_to_eof(&c), b"", "the client sees the server's FIN");
        set_linger(&c, true, 5);
        drop(c); // waits until the client's FIN is acknowledged
        assert!(proc_net_tcp_has(fam, addr.port(), TCP_TIME_WAIT), "no TIME_WAIT socket on port {}", addr.port());

        let plain = socket(fam, Proto::Tcp);
        assert_errno!(bind(&plain, &addr), Errno::EADDRINUSE, "bind without SO_REUSEADDR");
        let reuse = reuse_socket(fam, Proto::Tcp, libc::SO_REUSEADDR);
        assert_eq!(bind(&reuse, &addr), Ok(()), "bind with SO_REUSEADDR");
        assert_eq!(listen(&reuse, 1), Ok(()));
    })
    .expect_success();
}

/// socket(7), SO_REUSEADDR: "For AF_INET sockets this means that a socket may bind, except
/// when there is an active listening socket bound to the address." Both sockets have
/// SO_REUSEADDR: while the first is only bound, the second may bind the same address; once
/// the first listens, the second bind fails with EADDRINUSE.
#[apply(families)]
fn so_reuseaddr_does_not_allow_binding_over_an_active_listener(
    #[case] fam: Family,
    #[values(
        /// only_bound
        (false, Ok(())),
        /// listening
        (true, Err(Errno::EADDRINUSE)),
    )]
    first_socket: (bool, Result<(), Errno>),
) {
    needs!(available(fam.availability()));
    let (first_listens, expected) = first_socket;
    let a = reuse_socket(fam, Proto::Tcp, libc::SO_REUSEADDR);
    bind(&a, &fam.loopback(0)).unwrap();
    if first_listens {
        listen(&a, 1).unwrap();
    }
    let b = reuse_socket(fam, Proto::Tcp, libc::SO_REUSEADDR);
    assert_eq!(bind(&b, &local_addr(&a)), expected);
}

/// socket(7), SO_REUSEPORT: "Permits multiple AF_INET or AF_INET6 sockets to be bound to an
/// identical socket address. This option must be set on each socket (including the first
/// socket) prior to calling bind(2) ... This option can be employed with both TCP and UDP
/// sockets." Two sockets with the option share the address (and both TCP ones can listen).
#[apply(families_and_transports)]
fn so_reuseport_lets_two_sockets_bind_the_same_address(#[case] fam: Family, #[case] proto: Proto) {
    needs!(available(fam.availability()));
    let a = reuse_socket(fam, proto, libc::SO_REUSEPORT);
    bind(&a, &fam.loopback(0)).unwrap();
    let addr = local_addr(&a);
    let b = reuse_socket(fam, proto, libc::SO_REUSEPORT);
    assert_eq!(bind(&b, &addr), Ok(()));
    assert_eq!(local_addr(&b), addr);
    if proto == Proto::Tcp {
        assert_eq!(listen(&a, 1), Ok(()));
        assert_eq!(listen(&b, 1), Ok(()));
    }
}

/// socket(7), SO_REUSEPORT: "This option must be set on each socket (including the first
/// socket) prior to calling bind(2)": if either socket lacks it, the second bind fails
/// with EADDRINUSE.
#[apply(transports)]
fn so_reuseport_must_be_set_on_every_socket(
    #[case] proto: Proto,
    #[values(
        /// first
        (false, true),
        /// second
        (true, false),
    )]
    without_it: (bool, bool),
) {
    let (on_first, on_second) = without_it;
    let fam = Family::V4;
    let a = socket(fam, proto);
    setsockopt_int(&a, libc::SOL_SOCKET, libc::SO_REUSEPORT, on_first as i32).unwrap();
    bind(&a, &fam.loopback(0)).unwrap();
    let b = socket(fam, proto);
    setsockopt_int(&b, libc::SOL_SOCKET, libc::SO_REUSEPORT, on_second as i32).unwrap();
    assert_errno!(bind(&b, &local_addr(&a)), Errno::EADDRINUSE);
}

/// socket(7), SO_REUSEPORT: "To prevent port hijacking, all of the processes binding to the
/// same address must have the same effective UID." A child running as another user
/// (nobody) with SO_REUSEPORT set cannot bind the address a root-owned SO_REUSEPORT socket
/// holds: EADDRINUSE. Needs root (to have a second uid).
#[apply(families_and_transports)]
fn so_reuseport_is_refused_to_another_user(#[case] fam: Family, #[case] proto: Proto) {
    needs!(available(fam.availability()), root, other_user);
    let a = reuse_socket(fam, proto, libc::SO_REUSEPORT);
    bind(&a, &fam.loopback(0)).unwrap();
    let addr = local_addr(&a);
    run_in_child("SO_REUSEPORT as nobody", || {
        privilege::drop_to_nobody();
        let b = reuse_socket(fam, proto, libc::SO_REUSEPORT);
        assert_errno!(bind(&b, &addr), Errno::EADDRINUSE);
    })
    .expect_success();
}
