//! Socket options of TCP and UDP sockets that can be set and read back: TCP_NODELAY, the
//! keepalive family, SO_RCVBUF/SO_SNDBUF, the read-only identity options, TCP_INFO.

use fixtures::net::{accept_ready, bind, connect, getsockopt_int, listen, local_addr, setsockopt_int};
use fixtures::{assert_errno, kernel_at_least, needs, variant};
use inet_sockets::msg::getsockopt_bytes;
use inet_sockets::opts::{TCP_AO_INFO, TCP_DELACK_MAX_US, TCP_IS_MPTCP, TCP_RTO_MAX_MS, TCP_RTO_MIN_US};
use nix::errno::Errno;
use fixtures::poll::await_events;
use std::os::fd::AsRawFd;

use inet_sockets::addr::{Family, Proto};
use inet_sockets::sockets::socket;
use inet_sockets::tcp::{TCP_CLOSE, TCP_CLOSE_WAIT, TCP_ESTABLISHED, TCP_LISTEN, tcp_state};
use inet_sockets::cases::{families, families_and_transports, transports};
use rstest_reuse::apply;
use nix::sys::socket::{Shutdown, shutdown};
use rstest::rstest;

/// tcp(7), TCP_NODELAY: "If set, disable the Nagle algorithm." It is off on a new socket
/// and reads back as set after setsockopt.
#[apply(families)]
fn tcp_nodelay_is_off_by_default_and_reads_back(#[case] fam: Family) {
    needs!(available(fam.availability()));
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
    // variant: none — the sysctls only supply the expected defaults; the claim is that the
    // options equal them, whatever they are.
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
#[apply(transports)]
fn so_rcvbuf_and_so_sndbuf_read_back_doubled(
    #[case] proto: Proto,
    #[values(
        /// so_rcvbuf
        libc::SO_RCVBUF,
        /// so_sndbuf
        libc::SO_SNDBUF,
    )]
    opt: libc::c_int,
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
    // variant: none — the sysctl only sets the expected value; where it is not visible or
    // too large to exceed the claim cannot be checked (a skip), it has no other outcome.
    needs!(path(&format!("/proc/sys/{max_file}")));
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
#[apply(transports)]
fn tiny_socket_buffer_requests_are_raised_to_a_floor(
    #[case] proto: Proto,
    #[values(
        /// rcvbuf
        (libc::SO_RCVBUF, 256),
        /// sndbuf
        (libc::SO_SNDBUF, 2048),
    )]
    buffer: (libc::c_int, i32),
) {
    let (opt, documented_min) = buffer;
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
#[apply(families_and_transports)]
fn identity_options_report_type_domain_protocol_and_listening(#[case] fam: Family, #[case] proto: Proto) {
    needs!(available(fam.availability()));
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
        assert_errno!(setsockopt_int(&s, libc::SOL_SOCKET, opt, 1), Errno::ENOPROTOOPT, "setting option {opt}");
    }
}

/// tcp(7), TCP_INFO: "Used to collect information about this socket. The kernel returns a
/// struct tcp_info". Its tcpi_state follows the connection: CLOSE for a new socket, LISTEN
/// after listen(2), ESTABLISHED after the handshake (on both sides), CLOSE_WAIT once the
/// peer's FIN has arrived.
#[apply(families)]
fn tcp_info_reports_the_connection_state(#[case] fam: Family) {
    needs!(available(fam.availability()));
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
    await_events(&a, libc::POLLRDHUP, "the FIN");
    assert_eq!(tcp_state(&a), TCP_CLOSE_WAIT, "after receiving a FIN");
}

/// TCP_IS_MPTCP (include/uapi/linux/tcp.h, "Is MPTCP being used?"; "tcp: socket option to
/// check for MPTCP fallback to TCP", posted to net-next in May 2024, so 6.10): whether the
/// socket is a Multipath TCP socket that has not fallen back to TCP. A plain TCP socket reads
/// 0 and an MPTCP socket (socket(2) with IPPROTO_MPTCP, mptcp(7)) reads 1 — where this kernel
/// offers MPTCP (CONFIG_MPTCP, net.mptcp.enabled); the option is read-only for TCP
/// (setsockopt(2): ENOPROTOOPT). Before the option: ENOPROTOOPT on getsockopt(2) too (variant
/// `absent`).
///
/// Kernel change: 6.10 — getsockopt(TCP_IS_MPTCP) tells an MPTCP socket (1) from a plain TCP one (0) (ENOPROTOOPT before).
#[apply(families)]
fn tcp_is_mptcp_is_0_for_plain_tcp_and_1_for_mptcp(#[case] fam: Family) {
    needs!(available(fam.availability()));
    let s = socket(fam, Proto::Tcp);
    let got = getsockopt_int(&s, libc::IPPROTO_TCP, TCP_IS_MPTCP);
    if !variant::since(6, 10, "TCP_IS_MPTCP") {
        assert_errno!(got, Errno::ENOPROTOOPT);
        return;
    }
    assert_eq!(got, Ok(0));
    assert_errno!(setsockopt_int(&s, libc::IPPROTO_TCP, TCP_IS_MPTCP, 1), Errno::ENOPROTOOPT, "read-only");
    // variant: none — an MPTCP socket is one more case where this kernel offers MPTCP.
    if let Ok(m) = fixtures::net::socket(fam.af(), libc::SOCK_STREAM, libc::IPPROTO_MPTCP) {
        assert_eq!(getsockopt_int(&m, libc::IPPROTO_TCP, TCP_IS_MPTCP), Ok(1), "an MPTCP socket");
    }
}

/// TCP_RTO_MAX_MS (include/uapi/linux/tcp.h, "max rto time in ms"; 6.15, with the sysctl
/// net.ipv4.tcp_rto_max_ms, Documentation/networking/ip-sysctl.rst: "Maximal TCP
/// retransmission timeout (in ms) ... 1000 - 120,000"): a new socket reads the sysctl's value;
/// a value from 1000 to 120000 ms reads back; 999 and 120001 fail EINVAL. Before 6.15 the
/// option is unknown: ENOPROTOOPT (getsockopt(2): "The option is unknown at the level
/// indicated"; variant `absent`).
///
/// Kernel change: 6.15 — TCP_RTO_MAX_MS caps the retransmission timeout of one socket, 1000..=120000 ms (ENOPROTOOPT before).
#[test]
fn tcp_rto_max_ms_defaults_to_the_sysctl_and_takes_1_to_120_seconds() {
    let s = socket(Family::V4, Proto::Tcp);
    let got = getsockopt_int(&s, libc::IPPROTO_TCP, TCP_RTO_MAX_MS);
    if !variant::since(6, 15, "TCP_RTO_MAX_MS") {
        assert_errno!(got, Errno::ENOPROTOOPT);
        assert!(!std::path::Path::new("/proc/sys/net/ipv4/tcp_rto_max_ms").exists(), "the sysctl came with the option");
        return;
    }
    // variant: none — where /proc/sys/net is not visible the default is not compared.
    if std::path::Path::new("/proc/sys/net/ipv4/tcp_rto_max_ms").exists() {
        assert_eq!(got, Ok(fixtures::sysctl::read_u64("net/ipv4/tcp_rto_max_ms") as i32), "the sysctl's value");
    }
    for v in [5000, 1000, 120000] {
        assert_eq!(setsockopt_int(&s, libc::IPPROTO_TCP, TCP_RTO_MAX_MS, v), Ok(()), "{v} ms");
        assert_eq!(getsockopt_int(&s, libc::IPPROTO_TCP, TCP_RTO_MAX_MS), Ok(v));
    }
    for bad in [999, 120001] {
        assert_errno!(setsockopt_int(&s, libc::IPPROTO_TCP, TCP_RTO_MAX_MS, bad), Errno::EINVAL, "{bad} ms");
    }
}

/// TCP_RTO_MIN_US and TCP_DELACK_MAX_US (include/uapi/linux/tcp.h, "min rto time in us",
/// "max delayed ack time in us"; version not verified, after 6.12 and by 6.18): the minimum
/// retransmission timeout and the maximum delayed-ACK time of one socket, in microseconds. A
/// new socket reads 200000 for both (net/ipv4/tcp.c tcp_init_sock: icsk_rto_min =
/// TCP_RTO_MIN, icsk_delack_max = TCP_DELACK_MAX, 200 ms); 40000 (a whole number of jiffies
/// at HZ 100, 250 and 1000) reads back; 0 (below TCP_TIMEOUT_MIN, 2 jiffies) and 300000
/// (above 200 ms) fail EINVAL (setsockopt(2)). Before them: ENOPROTOOPT (variant `absent`).
///
/// Kernel change: 6.15 — TCP_RTO_MIN_US and TCP_DELACK_MAX_US set the minimum RTO and the maximum delayed-ACK time of one socket in µs (ENOPROTOOPT before; version not verified).
#[rstest]
#[case::rto_min_us(TCP_RTO_MIN_US)]
#[case::delack_max_us(TCP_DELACK_MAX_US)]
fn tcp_rto_min_us_and_delack_max_us_default_to_200_ms(#[case] opt: libc::c_int) {
    let s = socket(Family::V4, Proto::Tcp);
    let got = getsockopt_int(&s, libc::IPPROTO_TCP, opt);
    if !variant::since(6, 15, "TCP_RTO_MIN_US and TCP_DELACK_MAX_US") {
        assert_errno!(got, Errno::ENOPROTOOPT);
        return;
    }
    assert_eq!(got, Ok(200_000), "a new socket");
    assert_eq!(setsockopt_int(&s, libc::IPPROTO_TCP, opt, 40_000), Ok(()));
    assert_eq!(getsockopt_int(&s, libc::IPPROTO_TCP, opt), Ok(40_000));
    for bad in [0, 300_000] {
        assert_errno!(setsockopt_int(&s, libc::IPPROTO_TCP, opt, bad), Errno::EINVAL, "{bad} µs");
    }
    assert_eq!(getsockopt_int(&s, libc::IPPROTO_TCP, opt), Ok(40_000), "unchanged by the refused values");
}

/// tcp(7), TCP_INFO: "the kernel returns a struct tcp_info as defined in <linux/tcp.h>" —
/// copying at most the size of the kernel's own struct and setting optlen to it, so a
/// program learns which fields this kernel fills from the length. The struct grew since 5.10:
/// 232 bytes, 240 with tcpi_rcv_wnd and tcpi_rehash (6.2), 248 with the tcpi_total_rto
/// counters (6.7), 280 with the AccECN counters (by 6.18; versions from the uapi headers of
/// Debian's kernels, not verified further). Asserted: the optlen of TCP_INFO with a 512-byte
/// buffer is the size for this kernel (between 6.13 and 6.17 either of the last two); the
/// variant names it.
///
/// Kernel change: 6.2 — struct tcp_info grows to 240 bytes (tcpi_rcv_wnd, tcpi_rehash; version not verified).
/// Kernel change: 6.7 — struct tcp_info grows to 248 bytes (tcpi_total_rto, tcpi_total_rto_recoveries, tcpi_total_rto_time; version not verified).
/// Kernel change: 6.18 — struct tcp_info grows to 280 bytes (AccECN counters; version not verified).
#[test]
fn tcp_info_length_tells_which_fields_the_kernel_fills() {
    let (c, _s) = inet_sockets::sockets::tcp_pair(Family::V4);
    let (r, len, bytes) = getsockopt_bytes(&c, libc::IPPROTO_TCP, libc::TCP_INFO, 512);
    assert_eq!(r, Ok(()));
    assert_eq!(bytes.len(), len);
    assert_eq!(bytes[0], TCP_ESTABLISHED, "tcpi_state");
    let v = fixtures::kernel_version();
    let expected: &[usize] = if kernel_at_least(6, 18) {
        &[280]
    } else if kernel_at_least(6, 13) {
        &[248, 280]
    } else if kernel_at_least(6, 7) {
        &[248]
    } else if kernel_at_least(6, 2) {
        &[240]
    } else {
        &[232]
    };
    assert!(expected.contains(&len), "struct tcp_info of {len} bytes on kernel {v}, expected {expected:?}");
    match len {
        232 => variant::lacking("232-bytes", format_args!("struct tcp_info of 5.10–6.1; kernel {v}")),
        240 => variant::lacking("240-bytes", format_args!("struct tcp_info with tcpi_rcv_wnd (6.2); kernel {v}")),
        248 => variant::lacking("248-bytes", format_args!("struct tcp_info with tcpi_total_rto (6.7); kernel {v}")),
        _ => variant::observed("280-bytes", format_args!("struct tcp_info with the AccECN counters; kernel {v}")),
    }
}

/// TCP-AO, the TCP Authentication Option (RFC 5925; Documentation/networking/tcp_ao.rst;
/// 6.7, CONFIG_TCP_AO): getsockopt(TCP_AO_INFO) with a zeroed struct tcp_ao_info_opt (48
/// bytes) on a socket that has no TCP-AO keys fails ENOENT (getsockopt(2); net/ipv4/tcp_ao.c,
/// tcp_ao_get_sock_info: "if (!ao) return -ENOENT"), and nonzero reserved bits fail EINVAL —
/// where the kernel is built with CONFIG_TCP_AO (variant `present`). Without it, or before 6.7,
/// the option is unknown: ENOPROTOOPT (variant `absent`). Decided from the kernel's
/// configuration where readable (SKIP where it is not and the kernel is 6.7 or later).
///
/// Kernel change: 6.7 — TCP-AO socket options (TCP_AO_ADD_KEY … TCP_AO_INFO) with CONFIG_TCP_AO (ENOPROTOOPT without).
#[test]
fn tcp_ao_info_without_keys_fails_enoent_where_tcp_ao_is_built_in() {
    let s = socket(Family::V4, Proto::Tcp);
    let mut opt = [0u8; 48];
    let (r, _, _) = getsockopt_bytes(&s, libc::IPPROTO_TCP, TCP_AO_INFO, opt.len());
    let v = fixtures::kernel_version();
    if !kernel_at_least(6, 7) {
        variant::absent(format_args!("TCP-AO came with 6.7; kernel {v}"));
        assert_eq!(r, Err(Errno::ENOPROTOOPT));
        return;
    }
    let config = match fixtures::gate::kernel_config() {
        Ok(c) => c,
        Err(why) => fixtures::skip!("{why}: whether CONFIG_TCP_AO is set decides the answer"),
    };
    if !config.enabled("CONFIG_TCP_AO") {
        variant::absent(format_args!("kernel {v} is built without CONFIG_TCP_AO ({})", config.source));
        assert_eq!(r, Err(Errno::ENOPROTOOPT));
        return;
    }
    variant::present(format_args!("TCP-AO: 6.7, CONFIG_TCP_AO; kernel {v}"));
    assert_eq!(r, Err(Errno::ENOENT), "a socket without TCP-AO keys");
    opt[0] = 0x80; // a reserved bit of the first word
    assert_eq!(inet_sockets::msg::getsockopt_into(&s, libc::IPPROTO_TCP, TCP_AO_INFO, &mut opt), Err(Errno::EINVAL), "a reserved bit set");
}
