//! Socket options of TCP and UDP sockets that can be set and read back: TCP_NODELAY, the
//! keepalive family, SO_RCVBUF/SO_SNDBUF, the read-only identity options, TCP_INFO.

use std::os::fd::AsRawFd;

use inet_sockets::*;
use nix::sys::socket::{Shutdown, shutdown};
use rstest::rstest;

/// tcp(7), TCP_NODELAY: "If set, disable the Nagle algorithm." It is off on a new socket
/// and reads back as set after setsockopt.
#[rstest]
fn tcp_nodelay_is_off_by_default_and_reads_back(#[values(Family::V4, Family::V6)] fam: Family) {
    require_family!(fam);
    let s = socket(fam, Proto::Tcp);
    assert_eq!(getsockopt_int(&s, libc::IPPROTO_TCP, libc::TCP_NODELAY), Ok(0));
    setsockopt_int(&s, libc::IPPROTO_TCP, libc::TCP_NODELAY, 1).unwrap();
    assert_eq!(getsockopt_int(&s, libc::IPPROTO_TCP, libc::TCP_NODELAY), Ok(1));
}

/// socket(7), SO_KEEPALIVE: "Enable sending of keep-alive messages on connection-oriented
/// sockets"; tcp(7): TCP_KEEPIDLE "The time (in seconds) the connection needs to remain
/// idle before TCP starts sending keepalive probes", TCP_KEEPINTVL "The time (in seconds)
/// between individual keepalive probes", TCP_KEEPCNT "The maximum number of keepalive
/// probes", whose system-wide defaults are tcp_keepalive_time, tcp_keepalive_intvl and
/// tcp_keepalive_probes. Asserted: the defaults equal those sysctls, and set values read
/// back exactly.
#[test]
fn keepalive_options_default_to_the_sysctls_and_read_back() {
    let s = socket(Family::V4, Proto::Tcp);
    let sysctl = |n: &str| fixtures::sysctl::read_u64(&format!("net/ipv4/{n}")) as i32;
    assert_eq!(getsockopt_int(&s, libc::SOL_SOCKET, libc::SO_KEEPALIVE), Ok(0));
    assert_eq!(getsockopt_int(&s, libc::IPPROTO_TCP, libc::TCP_KEEPIDLE), Ok(sysctl("tcp_keepalive_time")));
    assert_eq!(getsockopt_int(&s, libc::IPPROTO_TCP, libc::TCP_KEEPINTVL), Ok(sysctl("tcp_keepalive_intvl")));
    assert_eq!(getsockopt_int(&s, libc::IPPROTO_TCP, libc::TCP_KEEPCNT), Ok(sysctl("tcp_keepalive_probes")));
    for (level, opt, v) in [
        (libc::SOL_SOCKET, libc::SO_KEEPALIVE, 1),
        (libc::IPPROTO_TCP, libc::TCP_KEEPIDLE, 17),
        (libc::IPPROTO_TCP, libc::TCP_KEEPINTVL, 3),
        (libc::IPPROTO_TCP, libc::TCP_KEEPCNT, 4),
    ] {
        setsockopt_int(&s, level, opt, v).unwrap();
        assert_eq!(getsockopt_int(&s, level, opt), Ok(v), "option {opt} at level {level}");
    }
}

/// socket(7), SO_RCVBUF: "The kernel doubles this value (to allow space for bookkeeping
/// overhead) when it is set using setsockopt(2), and this doubled value is returned by
/// getsockopt(2)"; SO_SNDBUF likewise. tcp(7) says the same for TCP.
#[rstest]
fn so_rcvbuf_and_so_sndbuf_read_back_doubled(
    #[values(Proto::Tcp, Proto::Udp)] proto: Proto,
    #[values(libc::SO_RCVBUF, libc::SO_SNDBUF)] opt: libc::c_int,
) {
    let s = socket(Family::V4, proto);
    for v in [10_000, 65_536] {
        setsockopt_int(&s, libc::SOL_SOCKET, opt, v).unwrap();
        assert_eq!(getsockopt_int(&s, libc::SOL_SOCKET, opt), Ok(2 * v), "after setting {v}");
    }
}

/// socket(7): "the maximum allowed value is set by the /proc/sys/net/core/rmem_max file"
/// (wmem_max for SO_SNDBUF). A larger request is clamped to the maximum, which is then
/// doubled — for root too (only SO_RCVBUFFORCE/SO_SNDBUFFORCE may exceed it).
#[rstest]
#[case::rcvbuf(libc::SO_RCVBUF, "net/core/rmem_max")]
#[case::sndbuf(libc::SO_SNDBUF, "net/core/wmem_max")]
fn so_rcvbuf_and_so_sndbuf_are_clamped_to_the_sysctl_maximum(#[case] opt: libc::c_int, #[case] max_file: &str) {
    fixtures::require!(fixtures::gate::path_exists(&format!("/proc/sys/{max_file}")));
    let max = fixtures::sysctl::read_u64(max_file);
    if max >= (i32::MAX / 4) as u64 {
        fixtures::skip!("{max_file} is {max}: too large to exceed with an int");
    }
    let s = socket(Family::V4, Proto::Tcp);
    setsockopt_int(&s, libc::SOL_SOCKET, opt, (max * 2) as i32).unwrap();
    assert_eq!(getsockopt_int(&s, libc::SOL_SOCKET, opt), Ok((max * 2) as i32));
}

/// socket(7): "The minimum (doubled) value for this option is 256" (SO_RCVBUF) and "2048"
/// (SO_SNDBUF). A tiny request is raised to a fixed floor: 1 and 2 give the same value,
/// which is at least the documented minimum. (The kernel's floors are SOCK_MIN_RCVBUF and
/// SOCK_MIN_SNDBUF, about 2 KiB and 4.5 KiB, which include sizeof(struct sk_buff): larger
/// than the page says; see Findings.)
#[rstest]
#[case::rcvbuf(libc::SO_RCVBUF, 256)]
#[case::sndbuf(libc::SO_SNDBUF, 2048)]
fn tiny_socket_buffer_requests_are_raised_to_a_floor(#[values(Proto::Tcp, Proto::Udp)] proto: Proto, #[case] opt: libc::c_int, #[case] documented_min: i32) {
    let s = socket(Family::V4, proto);
    setsockopt_int(&s, libc::SOL_SOCKET, opt, 1).unwrap();
    let floor = getsockopt_int(&s, libc::SOL_SOCKET, opt).unwrap();
    setsockopt_int(&s, libc::SOL_SOCKET, opt, 2).unwrap();
    assert_eq!(getsockopt_int(&s, libc::SOL_SOCKET, opt), Ok(floor), "1 and 2 must both give the floor");
    assert!(floor >= documented_min, "floor {floor} is below the documented minimum {documented_min}");
}

/// socket(7): SO_TYPE "Gets the socket type as an integer (e.g., SOCK_STREAM)"; SO_DOMAIN
/// "Retrieves the socket domain as an integer, returning a value such as AF_INET6";
/// SO_PROTOCOL "Retrieves the socket protocol as an integer"; SO_ACCEPTCONN "The value 0
/// indicates that this is not a listening socket, the value 1 indicates that this is a
/// listening socket." Each is read-only: setting it fails with ENOPROTOOPT.
#[rstest]
fn identity_options_report_type_domain_protocol_and_listening(
    #[values(Family::V4, Family::V6)] fam: Family,
    #[values(Proto::Tcp, Proto::Udp)] proto: Proto,
) {
    require_family!(fam);
    let s = socket(fam, proto);
    let ipproto = if proto == Proto::Tcp { libc::IPPROTO_TCP } else { libc::IPPROTO_UDP };
    assert_eq!(getsockopt_int(&s, libc::SOL_SOCKET, libc::SO_TYPE), Ok(proto.socktype()));
    assert_eq!(getsockopt_int(&s, libc::SOL_SOCKET, libc::SO_DOMAIN), Ok(fam.af()));
    assert_eq!(getsockopt_int(&s, libc::SOL_SOCKET, libc::SO_PROTOCOL), Ok(ipproto));
    assert_eq!(getsockopt_int(&s, libc::SOL_SOCKET, libc::SO_ACCEPTCONN), Ok(0));
    if proto == Proto::Tcp {
        bind(&s, &fam.loopback(0)).unwrap();
        listen(&s, 1).unwrap();
        assert_eq!(getsockopt_int(&s, libc::SOL_SOCKET, libc::SO_ACCEPTCONN), Ok(1));
    }
    for opt in [libc::SO_TYPE, libc::SO_DOMAIN, libc::SO_PROTOCOL, libc::SO_ACCEPTCONN] {
        fixtures::assert_errno!(setsockopt_int(&s, libc::SOL_SOCKET, opt, 1), nix::errno::Errno::ENOPROTOOPT, "setting option {opt}");
    }
}

/// tcp(7), TCP_INFO: "Used to collect information about this socket. The kernel returns a
/// struct tcp_info". Its tcpi_state follows the connection: CLOSE for a new socket, LISTEN
/// after listen(2), ESTABLISHED after the handshake (on both sides), CLOSE_WAIT once the
/// peer's FIN has arrived.
#[rstest]
fn tcp_info_reports_the_connection_state(#[values(Family::V4, Family::V6)] fam: Family) {
    require_family!(fam);
    let s = socket(fam, Proto::Tcp);
    assert_eq!(tcp_state(&s), TCP_CLOSE, "new socket");
    bind(&s, &fam.loopback(0)).unwrap();
    listen(&s, 1).unwrap();
    assert_eq!(tcp_state(&s), TCP_LISTEN, "listening socket");
    let c = socket(fam, Proto::Tcp);
    connect(&c, &local_addr(&s)).unwrap();
    let (a, _) = accept_ready(&s);
    assert_eq!(tcp_state(&c), TCP_ESTABLISHED);
    assert_eq!(tcp_state(&a), TCP_ESTABLISHED);
    shutdown(c.as_raw_fd(), Shutdown::Write).unwrap();
    wait_for_events(&a, libc::POLLRDHUP, "the FIN");
    assert_eq!(tcp_state(&a), TCP_CLOSE_WAIT, "after receiving a FIN");
}
