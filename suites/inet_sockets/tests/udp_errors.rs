//! Asynchronous UDP errors: ICMP port unreachable as ECONNREFUSED (udp(7)), and the
//! IP_RECVERR error queue (ip(7)).
//!
//! The destination port has no socket (see `closed_udp_port`); the kernel answers each
//! datagram with an ICMP port unreachable over loopback, which is never rate limited for
//! the loopback device (net/ipv4/icmp.c, icmpv4_xrlim_allow()).

use std::os::fd::OwnedFd;

use fixtures::net::{connect, recv, send, send_to, setsockopt_int, so_error};
use fixtures::poll::{revents, wait_for_events};
use fixtures::{NEGATIVE_WAIT, assert_errno, needs};
use inet_sockets::addr::{Family, Proto};
use inet_sockets::sockets::{closed_udp_port, socket};
use inet_sockets::cases::families;
use inet_sockets::msg::recv_msg_cmsgs;
use rstest_reuse::apply;
use nix::errno::Errno;
use rstest::rstest;

/// A UDP socket connected to a closed port, after one datagram whose ICMP error has been
/// received (poll reports POLLERR). Returns (socket, keeper of the port).
fn connected_and_refused(fam: Family) -> (OwnedFd, OwnedFd) {
    let (keeper, target) = closed_udp_port(fam);
    let u = socket(fam, Proto::Udp);
    connect(&u, &target).unwrap();
    assert_eq!(send(&u, b"probe", 0), Ok(5), "the first datagram is sent without error");
    let r = wait_for_events(&u, 0, "the ICMP port unreachable");
    assert_ne!(r & libc::POLLERR, 0, "revents {r:#x}");
    (u, keeper)
}

/// udp(7), ERRORS: "ECONNREFUSED No receiver was associated with the destination address.
/// This might be caused by a previous packet sent over the socket." On a connected socket
/// the ICMP port unreachable of an earlier datagram is reported once, by whichever call
/// comes next — send(2), recv(2) or getsockopt(SO_ERROR) — and is then cleared.
#[apply(families)]
fn connected_udp_reports_port_unreachable_as_econnrefused_once(
    #[case] fam: Family,
    #[values(
        /// send
        "send",
        /// recv
        "recv",
        /// so_error
        "so_error",
    )]
    reported_by: &str,
) {
    needs!(available(fam.availability()));
    let (u, _keeper) = connected_and_refused(fam);
    let mut b = [0u8; 8];
    match reported_by {
        "send" => assert_errno!(send(&u, b"again", 0), Errno::ECONNREFUSED),
        "recv" => assert_errno!(recv(&u, &mut b, libc::MSG_DONTWAIT), Errno::ECONNREFUSED),
        "so_error" => assert_eq!(so_error(&u), libc::ECONNREFUSED),
        _ => unreachable!(),
    }
    assert_eq!(so_error(&u), 0, "the error is reported only once");
    assert_errno!(recv(&u, &mut b, libc::MSG_DONTWAIT), Errno::EAGAIN);
}

/// udp(7), "Error handling" says "All fatal errors will be passed to the user as an error
/// return even when the socket is not connected. This includes asynchronous errors received
/// from the network." Linux differs from udp(7) here: it does not do that for ICMP errors on
/// an unconnected socket without IP_RECVERR (net/ipv4/udp.c, __udp4_lib_err(): "if (!harderr ||
/// sk->sk_state != TCP_ESTABLISHED) goto out" unless recverr is set; net/ipv6/udp.c the
/// same). Asserted: a connected socket sending to the same closed port gets its error (so
/// the ICMP machinery works), but the unconnected sender never sees POLLERR within the
/// negative wait and its SO_ERROR stays 0. See docs/findings.md.
#[apply(families)]
fn unconnected_udp_does_not_report_port_unreachable(#[case] fam: Family) {
    needs!(available(fam.availability()));
    let (_keeper, target) = closed_udp_port(fam);
    let u = socket(fam, Proto::Udp);
    assert_eq!(send_to(&u, b"probe", 0, &target), Ok(5));
    let (_control, _k2) = connected_and_refused(fam);
    assert_eq!(revents(&u, 0, fixtures::deadline::poll_ms(NEGATIVE_WAIT)) & libc::POLLERR, 0, "POLLERR on an unconnected socket");
    assert_eq!(so_error(&u), 0);
    assert_eq!(send_to(&u, b"again", 0, &target), Ok(5));
}

/// ip(7), IP_RECVERR: "When enabled on a datagram socket, all generated errors will be
/// queued in a per-socket error queue ... received by calling recvmsg(2) with the
/// MSG_ERRQUEUE flag set. The sock_extended_err structure describing the error will be
/// passed in an ancillary message with the type IP_RECVERR and the level IPPROTO_IP. This
/// is useful for reliable error handling on unconnected sockets." "ee_origin is set to
/// SO_EE_ORIGIN_ICMP for errors received as an ICMP packet"; "ee_type and ee_code are set
/// from the type and code fields of the ICMP header"; "The payload of the packet causing
/// the error is returned as normal data." For IPv6 the same with IPV6_RECVERR,
/// SO_EE_ORIGIN_ICMP6 and ICMPv6 type 1 (destination unreachable) code 4 (port
/// unreachable, RFC 4443); for IPv4 ICMP type 3 code 3 (RFC 792).
#[apply(families)]
fn ip_recverr_queues_the_port_unreachable_of_an_unconnected_socket(#[case] fam: Family) {
    needs!(available(fam.availability()));
    let (_keeper, target) = closed_udp_port(fam);
    let u = socket(fam, Proto::Udp);
    let (level, opt, origin, icmp_type, icmp_code) = match fam {
        Family::V4 => (libc::IPPROTO_IP, libc::IP_RECVERR, libc::SO_EE_ORIGIN_ICMP, 3u8, 3u8),
        Family::V6 => (libc::IPPROTO_IPV6, libc::IPV6_RECVERR, libc::SO_EE_ORIGIN_ICMP6, 1u8, 4u8),
    };
    setsockopt_int(&u, level, opt, 1).unwrap();
    assert_eq!(send_to(&u, b"probe", 0, &target), Ok(5));
    wait_for_events(&u, 0, "the queued ICMP error");

    let mut data = [0u8; 64];
    let got = recv_msg_cmsgs(&u, &mut data, libc::MSG_ERRQUEUE | libc::MSG_DONTWAIT).expect("recvmsg(MSG_ERRQUEUE)");
    assert_eq!(&data[..got.len], b"probe", "the payload of the offending datagram");
    assert_ne!(got.flags & libc::MSG_ERRQUEUE, 0, "msg_flags lacks MSG_ERRQUEUE");
    let c = got.cmsgs.first().expect("no control message");
    assert_eq!((c.level, c.ty), (level, opt), "control message level/type");
    assert!(c.data.len() >= std::mem::size_of::<libc::sock_extended_err>(), "{} bytes of control data", c.data.len());
    // SAFETY: the control data holds at least one sock_extended_err (checked above).
    let ee = unsafe { std::ptr::read_unaligned(c.data.as_ptr().cast::<libc::sock_extended_err>()) };
    assert_eq!(ee.ee_errno, libc::ECONNREFUSED as u32);
    assert_eq!(ee.ee_origin, origin);
    assert_eq!((ee.ee_type, ee.ee_code), (icmp_type, icmp_code));
    assert_errno!(
        recv_msg_cmsgs(&u, &mut data, libc::MSG_ERRQUEUE | libc::MSG_DONTWAIT).map(|r| r.len),
        Errno::EAGAIN,
        "one datagram, one queued error"
    );
}
