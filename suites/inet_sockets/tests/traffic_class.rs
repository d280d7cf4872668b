//! The traffic class of outgoing packets: IP_TOS for IPv4, IPV6_TCLASS for IPv6 (what
//! OpenSSH's IPQoS sets on its connections). ip(7), IP_TOS: "Set or receive the
//! Type-Of-Service (TOS) field that is sent with every IP packet originating from this
//! socket". ipv6(7) does not describe IPV6_TCLASS; RFC 3542 §6.5, "Specifying/Receiving
//! the Traffic Class value", does: "The outgoing traffic class is normally set to 0", it is
//! set with setsockopt(IPV6_TCLASS), and with IPV6_RECVTCLASS enabled recvmsg() returns the
//! received one as an IPV6_TCLASS control message holding an integer. That the field is really carried is seen by a UDP receiver on loopback:
//! ip(7), IP_RECVTOS: "If enabled, the IP_TOS ancillary message is passed with incoming
//! packets. It contains a byte which specifies the Type of Service/Precedence field of the
//! packet header."
//!
//! The value used is 0x48 (DSCP AF21, OpenSSH's default for interactive sessions), whose two
//! ECN bits are clear: on TCP sockets the kernel keeps the ECN bits to itself
//! (net/ipv4/ip_sockglue.c, __ip_sock_set_tos), so only the DSCP part is the
//! application's. TCP has no per-packet control message for the received TOS; its
//! packets take the same path (ip_queue_xmit uses the socket's TOS).

use fixtures::net::{getsockopt_int, send_to, setsockopt_int};
use fixtures::needs;
use inet_sockets::addr::{Family, Proto};
use inet_sockets::cases::{families, families_and_transports};
use inet_sockets::msg::recv_msg_cmsgs;
use inet_sockets::sockets::{socket, udp_bound};
use rstest::rstest;
use rstest_reuse::apply;

/// AF21 (DSCP 18) in the TOS / traffic class byte.
const AF21: libc::c_int = 0x48;
/// AF41 (DSCP 34): a second, different value.
const AF41: libc::c_int = 0x88;

/// The option that sets the traffic class for `fam`: (level, IP_TOS or IPV6_TCLASS).
fn tos_option(fam: Family) -> (libc::c_int, libc::c_int) {
    match fam {
        Family::V4 => (libc::IPPROTO_IP, libc::IP_TOS),
        Family::V6 => (libc::IPPROTO_IPV6, libc::IPV6_TCLASS),
    }
}

/// ip(7), IP_TOS; RFC 3542 §6.5, IPV6_TCLASS ("normally set to 0"): a new socket sends
/// with traffic class 0; a value set reads back exactly, and so does a second one, on TCP
/// and UDP sockets of both families.
#[apply(families_and_transports)]
fn ip_tos_and_ipv6_tclass_read_back(#[case] fam: Family, #[case] proto: Proto) {
    needs!(available(fam.availability()));
    let s = socket(fam, proto);
    let (level, opt) = tos_option(fam);
    assert_eq!(getsockopt_int(&s, level, opt), Ok(0), "traffic class of a new socket");
    for v in [AF21, AF41] {
        setsockopt_int(&s, level, opt, v).unwrap();
        assert_eq!(getsockopt_int(&s, level, opt), Ok(v));
    }
}

/// ip(7), IP_RECVTOS (IPv6: IPV6_RECVTCLASS, RFC 3542 §6.5): every datagram is carried with
/// the sender's traffic class *at the time it is sent*, and the receiver gets it in a
/// control message (IPv4: IP_TOS, one byte; IPv6: IPV6_TCLASS, an int): 0 by default, then
/// 0x48, then 0x88 after the sender changed it.
#[apply(families)]
fn each_datagram_carries_the_senders_traffic_class_to_the_receiver(#[case] fam: Family) {
    needs!(available(fam.availability()));
    let (rx, to) = udp_bound(fam);
    let (tx, _) = udp_bound(fam);
    let (level, opt) = tos_option(fam);
    let recv_opt = match fam {
        Family::V4 => libc::IP_RECVTOS,
        Family::V6 => libc::IPV6_RECVTCLASS,
    };
    setsockopt_int(&rx, level, recv_opt, 1).unwrap();
    let mut seen = Vec::new();
    for v in [None, Some(AF21), Some(AF41)] {
        if let Some(v) = v {
            setsockopt_int(&tx, level, opt, v).unwrap();
        }
        assert_eq!(send_to(&tx, b"qos", 0, &to), Ok(3));
        fixtures::poll::wait_for_events(&rx, libc::POLLIN, "the datagram");
        let mut buf = [0u8; 16];
        let got = recv_msg_cmsgs(&rx, &mut buf, libc::MSG_DONTWAIT).expect("recvmsg");
        assert_eq!(got.len, 3);
        let cm = got.find(level, opt);
        assert_eq!(cm.len(), 1, "one traffic-class control message among {:?}", got.cmsgs);
        let value = match fam {
            Family::V4 => {
                assert_eq!(cm[0].data.len(), 1, "IP_TOS carries one byte");
                cm[0].data[0] as libc::c_int
            }
            Family::V6 => cm[0].as_u32() as libc::c_int,
        };
        seen.push(value);
    }
    assert_eq!(seen, vec![0, AF21, AF41], "traffic class of the three datagrams");
}
