//! The mark (SO_MARK) and priority (SO_PRIORITY) of packets, as UDP over loopback carries
//! them from a sender to a receiver: who may set them, how a receiver asks for them
//! (SO_RCVMARK 5.19, SO_RCVPRIORITY 6.14: a control message with each datagram) and the
//! per-send SO_PRIORITY control message (6.14). socket(7) of man-pages 6.20 documents
//! SO_MARK and SO_PRIORITY; the newer options are net/core/sock.c and the kernel's selftest
//! tools/testing/selftests/net/so_rcv_listener.c. Each test asserts the old answer
//! (ENOPROTOOPT for an unknown option, EINVAL for an unknown control message, EPERM) where
//! the kernel lacks the change, and reports which it saw.

use fixtures::caps::drop_effective;
use fixtures::gate::Cap;
use fixtures::net::{SockAddr, getsockopt_int, send_to, setsockopt_int, so_rcvmark_as_nobody};
use fixtures::poll::wait_for_events;
use fixtures::privilege::drop_to_nobody;
use fixtures::uapi::{SO_RCVMARK, SO_RCVPRIORITY};
use fixtures::{assert_errno, kernel_at_least, needs, run_in_child, variant};
use inet_sockets::addr::{Family, Proto};
use inet_sockets::msg::{Cmsg, Received, recv_msg_cmsgs, send_msg};
use inet_sockets::sockets::{socket, udp_bound};
use nix::errno::Errno;

/// Wait (bounded) for the next datagram on `rx` and receive it with its control messages.
#[track_caller]
fn next_datagram(rx: &std::os::fd::OwnedFd, want: &[u8]) -> Received {
    wait_for_events(rx, libc::POLLIN, "a datagram");
    let mut buf = [0u8; 64];
    let got = recv_msg_cmsgs(rx, &mut buf, libc::MSG_DONTWAIT).expect("recvmsg after POLLIN");
    assert_eq!(&buf[..got.len], want, "the datagram");
    got
}

/// The int carried by the only (SOL_SOCKET, `ty`) control message of `got`.
#[track_caller]
fn only_int(got: &Received, ty: libc::c_int) -> u32 {
    let found = got.find(libc::SOL_SOCKET, ty);
    assert_eq!(found.len(), 1, "one (SOL_SOCKET, {ty}) control message in {:?}", got.cmsgs);
    found[0].as_u32()
}

/// A UDP receiver (and its address) with the SO_RCV* option `opt` turned on — `None`, after
/// asserting ENOPROTOOPT (variant `absent`), on a kernel older than `since`, where `name` is unknown.
#[track_caller]
fn receiver_asking_for(opt: libc::c_int, name: &str, since: (u32, u32)) -> Option<(std::os::fd::OwnedFd, SockAddr)> {
    let (rx, to) = udp_bound(Family::V4);
    let set = setsockopt_int(&rx, libc::SOL_SOCKET, opt, 1);
    if !variant::since(since.0, since.1, name) {
        assert_errno!(set, Errno::ENOPROTOOPT);
        return None;
    }
    assert_eq!(set, Ok(()));
    Some((rx, to))
}

/// With `opt` turned off again, a datagram from `tx` arrives without a (SOL_SOCKET, `ty`)
/// control message.
#[track_caller]
fn turned_off_no_message_comes(rx: &std::os::fd::OwnedFd, opt: libc::c_int, tx: &std::os::fd::OwnedFd, to: &SockAddr, ty: libc::c_int) {
    setsockopt_int(rx, libc::SOL_SOCKET, opt, 0).unwrap();
    send_to(tx, b"plain", 0, to).unwrap();
    assert_eq!(next_datagram(rx, b"plain").find(libc::SOL_SOCKET, ty), Vec::<&Cmsg>::new());
}

/// SO_RCVMARK ("net: SO_RCVMARK socket option for SO_MARK with recvmsg()", 5.19; not in
/// socket(7) of man-pages 6.20): a receiver that sets it gets, with each datagram, a control message
/// (SOL_SOCKET, SO_MARK) holding the packet's mark — the SO_MARK of the sending socket over
/// loopback, 0 for a sender without a mark. The sender sets mark 0x5a where it may (CAP_NET_ADMIN,
/// or CAP_NET_RAW since 5.17); without the privilege its mark stays 0 and 0 arrives. Without
/// SO_RCVMARK no such message comes. Before 5.19 the option is unknown: ENOPROTOOPT (variant
/// `absent`).
///
/// Kernel change: 5.19 — SO_RCVMARK delivers the packet mark as a (SOL_SOCKET, SO_MARK) control message with each datagram (ENOPROTOOPT before).
#[test]
fn so_rcvmark_delivers_the_mark_of_each_datagram() {
    let Some((rx, to)) = receiver_asking_for(SO_RCVMARK, "SO_RCVMARK", (5, 19)) else { return };
    let tx = socket(Family::V4, Proto::Udp);
    // variant: none — whether the sender may mark its packets decides the mark expected.
    let mark = match setsockopt_int(&tx, libc::SOL_SOCKET, libc::SO_MARK, 0x5a) {
        Ok(()) => 0x5a,
        Err(Errno::EPERM) => 0,
        Err(e) => panic!("setsockopt(SO_MARK): {e}"),
    };
    send_to(&tx, b"marked", 0, &to).unwrap();
    assert_eq!(only_int(&next_datagram(&rx, b"marked"), libc::SO_MARK), mark);
    turned_off_no_message_comes(&rx, SO_RCVMARK, &tx, &to, libc::SO_MARK);
}

/// Who may set SO_RCVMARK on an inet socket: commit 1f86123b9749 ("net: align SO_RCVMARK
/// required privileges with SO_MARK", 5.19) required CAP_NET_RAW or CAP_NET_ADMIN; its revert
/// (6.4; stable 6.1.36 and 6.3.10 by Debian's changelogs) lets anyone set it again. A child
/// that has dropped to nobody sets it on a UDP socket: success (variant `unprivileged`) or
/// EPERM (variant `privileged`, lacking), decided from the answer and checked against where
/// the revert is. Before 5.19 the option is unknown (ENOPROTOOPT, variant `absent`).
///
/// Kernel change: 6.4 — SO_RCVMARK needs no privilege on inet sockets again (the CAP_NET_ADMIN/CAP_NET_RAW check of 5.19's 1f86123b9749 reverted; stable 6.1.36, 6.3.10).
#[test]
fn so_rcvmark_on_udp_needs_no_privilege() {
    so_rcvmark_as_nobody(|| socket(Family::V4, Proto::Udp));
}

/// socket(7) of man-pages 6.20, SO_MARK: "Changing the mark requires the CAP_NET_ADMIN or
/// CAP_NET_RAW capability" — CAP_NET_RAW alone is enough since 5.17; before, only
/// CAP_NET_ADMIN was (EPERM with CAP_NET_RAW alone, variant `absent`). A root child drops
/// CAP_NET_ADMIN from its effective set and marks a UDP socket: the mark reads back and a
/// datagram it sends carries it (seen through SO_RCVMARK where the kernel has it, 5.19);
/// once CAP_NET_RAW is dropped too, EPERM on every kernel. Root only (a container's root
/// has CAP_NET_RAW without CAP_NET_ADMIN: the case the change is for).
///
/// Kernel change: 5.17 — setsockopt(SO_MARK) is allowed with CAP_NET_RAW alone (CAP_NET_ADMIN was needed before).
#[test]
fn so_mark_on_udp_can_be_set_with_cap_net_raw_alone() {
    needs!(cap(NET_RAW));
    let since = variant::since(5, 17, "SO_MARK with CAP_NET_RAW");
    // variant: none — SO_RCVMARK (5.19) only adds a second look at the mark.
    let rcvmark = kernel_at_least(5, 19);
    let (rx, to) = udp_bound(Family::V4);
    if rcvmark {
        setsockopt_int(&rx, libc::SOL_SOCKET, SO_RCVMARK, 1).unwrap();
    }
    run_in_child("CAP_NET_RAW without CAP_NET_ADMIN", || {
        drop_effective(Cap::NET_ADMIN);
        let s = socket(Family::V4, Proto::Udp);
        let set = setsockopt_int(&s, libc::SOL_SOCKET, libc::SO_MARK, 0x17);
        if since {
            assert_eq!(set, Ok(()));
            assert_eq!(getsockopt_int(&s, libc::SOL_SOCKET, libc::SO_MARK), Ok(0x17));
            send_to(&s, b"raw", 0, &to).unwrap();
        } else {
            assert_errno!(set, Errno::EPERM);
        }
        drop_effective(Cap::NET_RAW);
        assert_errno!(setsockopt_int(&s, libc::SOL_SOCKET, libc::SO_MARK, 0x18), Errno::EPERM);
    })
    .expect_success();
    if since && rcvmark {
        assert_eq!(only_int(&next_datagram(&rx, b"raw"), libc::SO_MARK), 0x17);
    }
}

/// SO_RCVPRIORITY (commit e45469e594b2, "sock: Introduce SO_RCVPRIORITY socket option",
/// 6.14): a receiver that sets it gets, with each datagram, a control message (SOL_SOCKET,
/// SO_PRIORITY) holding the packet's priority — over loopback the SO_PRIORITY of the
/// sending socket (socket(7): "Set the protocol-defined priority for all packets to be sent
/// on this socket"; 0..=6 need no privilege). Without SO_RCVPRIORITY no such message
/// comes. Before 6.14 the option is unknown: ENOPROTOOPT (variant `absent`).
///
/// Kernel change: 6.14, commit e45469e594b2 — SO_RCVPRIORITY delivers the packet priority as a (SOL_SOCKET, SO_PRIORITY) control message (ENOPROTOOPT before).
#[test]
fn so_rcvpriority_delivers_the_priority_of_each_datagram() {
    let Some((rx, to)) = receiver_asking_for(SO_RCVPRIORITY, "SO_RCVPRIORITY", (6, 14)) else { return };
    assert_eq!(getsockopt_int(&rx, libc::SOL_SOCKET, SO_RCVPRIORITY), Ok(1));
    let tx = socket(Family::V4, Proto::Udp);
    setsockopt_int(&tx, libc::SOL_SOCKET, libc::SO_PRIORITY, 3).unwrap();
    send_to(&tx, b"three", 0, &to).unwrap();
    assert_eq!(only_int(&next_datagram(&rx, b"three"), libc::SO_PRIORITY), 3);
    turned_off_no_message_comes(&rx, SO_RCVPRIORITY, &tx, &to, libc::SO_PRIORITY);
}

/// A (SOL_SOCKET, SO_PRIORITY) control message on sendmsg(2) sets the priority of that one
/// send (commit a32f3e9d1ed1, "sock: support SO_PRIORITY cmsg", 6.14): with priority 5 in
/// the control message of a socket whose own priority is 0, the receiver (SO_RCVPRIORITY)
/// sees 5 for that datagram and 0 for the next plain one. Like the option, values above 6
/// need CAP_NET_ADMIN or CAP_NET_RAW: EPERM for nobody. Before 6.14 the kernel does not know
/// the control message: sendmsg(2) fails EINVAL (net/core/sock.c __sock_cmsg_send, default
/// case) (variant `absent`).
///
/// Kernel change: 6.14, commit a32f3e9d1ed1 — sendmsg(2) takes a (SOL_SOCKET, SO_PRIORITY) control message for one send (EINVAL before).
#[test]
fn so_priority_control_message_sets_the_priority_of_one_send() {
    let (rx, to) = udp_bound(Family::V4);
    let tx = socket(Family::V4, Proto::Udp);
    let sent = send_msg(&tx, b"five", &[Cmsg::int(libc::SOL_SOCKET, libc::SO_PRIORITY, 5)], Some(&to), 0);
    if !variant::since(6, 14, "the SO_PRIORITY control message") {
        assert_errno!(sent, Errno::EINVAL);
        return;
    }
    assert_eq!(sent, Ok(4));
    setsockopt_int(&rx, libc::SOL_SOCKET, SO_RCVPRIORITY, 1).unwrap();
    // The first datagram was sent before SO_RCVPRIORITY was set: receive it without the
    // message, then send again.
    next_datagram(&rx, b"five");
    assert_eq!(send_msg(&tx, b"five", &[Cmsg::int(libc::SOL_SOCKET, libc::SO_PRIORITY, 5)], Some(&to), 0), Ok(4));
    assert_eq!(only_int(&next_datagram(&rx, b"five"), libc::SO_PRIORITY), 5);
    send_to(&tx, b"zero", 0, &to).unwrap();
    assert_eq!(only_int(&next_datagram(&rx, b"zero"), libc::SO_PRIORITY), 0, "the socket's own priority");
    run_in_child("nobody", || {
        drop_to_nobody();
        let s = socket(Family::V4, Proto::Udp);
        assert_errno!(send_msg(&s, b"x", &[Cmsg::int(libc::SOL_SOCKET, libc::SO_PRIORITY, 7)], Some(&to), 0), Errno::EPERM);
        assert_eq!(send_msg(&s, b"six", &[Cmsg::int(libc::SOL_SOCKET, libc::SO_PRIORITY, 6)], Some(&to), 0), Ok(3));
    })
    .expect_success();
    assert_eq!(only_int(&next_datagram(&rx, b"six"), libc::SO_PRIORITY), 6);
}
