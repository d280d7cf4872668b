//! SO_TIMESTAMPING on inet sockets (socket(7), SO_TIMESTAMPING; the kernel's
//! Documentation/networking/timestamping.rst): the flags added since 5.10 and the
//! SCM_TS_OPT_ID control message (6.13) that gives one send's transmit timestamp a key of
//! the caller's choosing. Transmit timestamps come back on the socket's error queue
//! (recvmsg(2) with MSG_ERRQUEUE): a (SOL_IP, IP_RECVERR) message whose struct
//! sock_extended_err has ee_errno ENOMSG, ee_origin SO_EE_ORIGIN_TIMESTAMPING and the key in
//! ee_data. Loopback takes software transmit timestamps (drivers/net/loopback.c calls
//! skb_tx_timestamp), so no hardware is needed.

use fixtures::net::{getsockopt_int, send, send_to, setsockopt_int};
use fixtures::poll::wait_for_events;
use fixtures::uapi::{
    SCM_TS_OPT_ID, SOF_TIMESTAMPING_OPT_ID, SOF_TIMESTAMPING_OPT_ID_TCP, SOF_TIMESTAMPING_OPT_RX_FILTER, SOF_TIMESTAMPING_OPT_TSONLY,
    SOF_TIMESTAMPING_SOFTWARE, SOF_TIMESTAMPING_TX_COMPLETION, SOF_TIMESTAMPING_TX_SOFTWARE,
};
use fixtures::{assert_errno, variant};
use inet_sockets::addr::{Family, Proto};
use inet_sockets::msg::{Cmsg, recv_msg_cmsgs, send_msg};
use inet_sockets::opts::SO_EE_ORIGIN_TIMESTAMPING;
use inet_sockets::sockets::{socket, tcp_pair, udp_bound};
use nix::errno::Errno;
use rstest::rstest;

/// The next transmit timestamp report on `fd`'s error queue (waited for, bounded): the
/// fields of its struct sock_extended_err (linux/errqueue.h) as (ee_errno, ee_origin,
/// ee_info, ee_data).
#[track_caller]
fn next_tx_timestamp(fd: &std::os::fd::OwnedFd) -> (u32, u8, u32, u32) {
    wait_for_events(fd, 0, "a report on the error queue (POLLERR)");
    let mut buf = [0u8; 64];
    let got = recv_msg_cmsgs(fd, &mut buf, libc::MSG_ERRQUEUE | libc::MSG_DONTWAIT).expect("recvmsg(MSG_ERRQUEUE)");
    assert_ne!(got.flags & libc::MSG_ERRQUEUE, 0, "msg_flags {:#x} lack MSG_ERRQUEUE", got.flags);
    let err = got.find(libc::SOL_IP, libc::IP_RECVERR);
    assert_eq!(err.len(), 1, "one (SOL_IP, IP_RECVERR) message in {:?}", got.cmsgs);
    let d = &err[0].data;
    assert!(d.len() >= 16, "sock_extended_err of {} bytes", d.len());
    let u = |at: usize| u32::from_ne_bytes(d[at..at + 4].try_into().unwrap());
    (u(0), d[4], u(8), u(12))
}

/// SCM_TS_OPT_ID (commit 4aecca4c7680, 6.13; Documentation/networking/timestamping.rst,
/// "SCM_TS_OPT_ID"): on a UDP socket with SOF_TIMESTAMPING_OPT_ID, a (SOL_SOCKET,
/// SCM_TS_OPT_ID) control message on sendmsg(2) sets the key of that send's timestamp: the
/// report's ee_data is the given 1234 (with ee_errno ENOMSG, ee_origin
/// SO_EE_ORIGIN_TIMESTAMPING, ee_info SCM_TSTAMP_SND 0), and the socket's own counter is not
/// advanced — the next plain send is reported with key 0. Before 6.13 the kernel does not know
/// the control message: sendmsg(2) fails EINVAL (variant `absent`).
///
/// Kernel change: 6.13, commit 4aecca4c7680 — SCM_TS_OPT_ID sets the timestamp key of one sendmsg(2) (EINVAL before).
#[test]
fn scm_ts_opt_id_sets_the_timestamp_key_of_one_send() {
    let (rx, to) = udp_bound(Family::V4);
    let tx = socket(Family::V4, Proto::Udp);
    let flags = SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_OPT_ID | SOF_TIMESTAMPING_OPT_TSONLY;
    setsockopt_int(&tx, libc::SOL_SOCKET, libc::SO_TIMESTAMPING, flags).unwrap();
    let sent = send_msg(&tx, b"keyed", &[Cmsg::u32(libc::SOL_SOCKET, SCM_TS_OPT_ID, 1234)], Some(&to), 0);
    if !variant::since(6, 13, "SCM_TS_OPT_ID") {
        assert_errno!(sent, Errno::EINVAL);
        return;
    }
    assert_eq!(sent, Ok(5));
    assert_eq!(next_tx_timestamp(&tx), (libc::ENOMSG as u32, SO_EE_ORIGIN_TIMESTAMPING, 0, 1234));
    send_to(&tx, b"plain", 0, &to).unwrap();
    assert_eq!(next_tx_timestamp(&tx), (libc::ENOMSG as u32, SO_EE_ORIGIN_TIMESTAMPING, 0, 0), "the socket's own counter");
    let mut b = [0u8; 8];
    assert_eq!(fixtures::net::recv(&rx, &mut b, libc::MSG_DONTWAIT), Ok(5), "the datagrams themselves arrive");
}

/// SO_TIMESTAMPING flags added since 5.10 (include/uapi/linux/net_tstamp.h;
/// Documentation/networking/timestamping.rst), on an established TCP connection — a TCP
/// socket takes SOF_TIMESTAMPING_OPT_ID only once connected (EINVAL in CLOSE or LISTEN on every
/// kernel, net/core/sock.c sock_set_timestamping). Each flag is accepted and reads back since
/// the kernel knows it; before, it is beyond SOF_TIMESTAMPING_MASK and setsockopt(2) fails
/// EINVAL (variant `absent`):
/// - `opt_id_tcp` (6.2; with OPT_ID): count the timestamp key in bytes from the start of the
///   connection rather than from the setsockopt;
/// - `opt_rx_filter` (6.12): report only the receive timestamps also asked for;
/// - `tx_completion` (6.15): a timestamp when the device completes the transmit.
///
/// Kernel change: 6.2 — SOF_TIMESTAMPING_OPT_ID_TCP is a known SO_TIMESTAMPING flag of TCP sockets (EINVAL before).
/// Kernel change: 6.12 — SOF_TIMESTAMPING_OPT_RX_FILTER is a known SO_TIMESTAMPING flag of TCP sockets (EINVAL before).
/// Kernel change: 6.15 — SOF_TIMESTAMPING_TX_COMPLETION is a known SO_TIMESTAMPING flag of TCP sockets (EINVAL before).
#[rstest]
#[case::opt_id_tcp(SOF_TIMESTAMPING_OPT_ID | SOF_TIMESTAMPING_OPT_ID_TCP, (6, 2))]
#[case::opt_rx_filter(SOF_TIMESTAMPING_OPT_RX_FILTER, (6, 12))]
#[case::tx_completion(SOF_TIMESTAMPING_TX_COMPLETION, (6, 15))]
fn new_so_timestamping_flags_are_known_on_tcp(#[case] flags: libc::c_int, #[case] since: (u32, u32)) {
    let listener = socket(Family::V4, Proto::Tcp);
    fixtures::net::bind(&listener, &Family::V4.loopback(0)).unwrap();
    fixtures::net::listen(&listener, 1).unwrap();
    assert_errno!(
        setsockopt_int(&listener, libc::SOL_SOCKET, libc::SO_TIMESTAMPING, SOF_TIMESTAMPING_OPT_ID),
        Errno::EINVAL,
        "OPT_ID on a listening TCP socket"
    );
    let (c, _s) = tcp_pair(Family::V4);
    let set = setsockopt_int(&c, libc::SOL_SOCKET, libc::SO_TIMESTAMPING, flags);
    if variant::since(since.0, since.1, &format!("SO_TIMESTAMPING flags {flags:#x}")) {
        assert_eq!(set, Ok(()));
        assert_eq!(getsockopt_int(&c, libc::SOL_SOCKET, libc::SO_TIMESTAMPING), Ok(flags));
        assert_eq!(send(&c, b"ts", 0), Ok(2), "a send with the flags set");
    } else {
        assert_errno!(set, Errno::EINVAL);
        assert_eq!(getsockopt_int(&c, libc::SOL_SOCKET, libc::SO_TIMESTAMPING), Ok(0), "unchanged");
    }
}
