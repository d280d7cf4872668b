//! Suite `inet_sockets`: TCP and UDP over IPv4 and IPv6, as the kernel gives them to a
//! program.
//!
//! Topics (one test file each):
//! - `byteorder`: the network byte order of ports and addresses inside
//!   `sockaddr_in`/`sockaddr_in6` as the kernel fills them in (ip(7), ipv6(7)).
//! - `binding`: loopback and wildcard addresses, the whole of 127.0.0.0/8, ephemeral
//!   ports, EADDRINUSE, EADDRNOTAVAIL, privileged ports (ip(7), socket(7)).
//! - `dual_stack`: IPv6 sockets and IPv4 peers, IPV6_V6ONLY (ipv6(7)).
//! - `address_reuse`: SO_REUSEADDR with TIME_WAIT, SO_REUSEPORT and its same-uid rule.
//! - `tcp_connection`, `tcp_close`, `tcp_options`, `tcp_urgent`: tcp(7), socket(7),
//!   connect(2), listen(2), shutdown(2), send(2), recv(2).
//! - `receive_flags`: MSG_PEEK, MSG_DONTWAIT, MSG_TRUNC on TCP and UDP (recv(2)).
//! - `udp_datagrams`, `udp_errors`, `udp_broadcast`: udp(7), ip(7).
//! - `async_connect`, `sendfile`: nonblocking connect(2), sendfile(2).
//! - `sol_socket_options`, `mark_and_priority`, `timestamping`, `socket_memory`,
//!   `ip_options`: options and control messages added or restricted since Linux 5.10, each
//!   asserting the new answer where the kernel has the change and the old one where it has
//!   not, and reporting which (socket(7) of man-pages 6.20, IP_LOCAL_PORT_RANGE(2const), the
//!   commits named in each test). New TCP options (TCP_IS_MPTCP, TCP_RTO_MAX_MS,
//!   TCP_RTO_MIN_US, TCP_DELACK_MAX_US, TCP-AO, the size of struct tcp_info) are in
//!   `tcp_options`, SO_PEEK_OFF on TCP in `receive_flags`; `socket_families`: AF_DECnet gone
//!   (6.1), IPPROTO_SMC (6.11, where SMC is available).
//! - `netns_loopback.rs`: loopback belongs to a network namespace: TCP and UDP on it are
//!   unreachable from another one.
//! - `defer_accept.rs`: TCP_DEFER_ACCEPT (tcp(7)): a listener is not woken by a connection
//!   until data arrives or the deferring period is over; the value in retransmission periods.
//! - `traffic_class.rs`: IP_TOS / IPV6_TCLASS read back and are carried by every datagram
//!   (IP_RECVTOS / IPV6_RECVTCLASS on the receiver; ip(7), RFC 3542 §6.5).
//! - `socket_timeouts.rs`: SO_RCVTIMEO / SO_SNDTIMEO end a blocking recv or send on TCP with
//!   EAGAIN after the timeout (socket(7)).
//!
//! The C library's conversions (htonl(3), inet_pton(3), inet_ntop(3), inet_aton(3),
//! getaddrinfo(3), getnameinfo(3)) are not claims of this suite: glibc answers them without
//! asking the kernel, so no kernel could make such a test fail (issue 15).
//!
//! Rules every test here keeps: traffic stays on loopback (127.0.0.0/8, ::1) or inside a
//! network namespace the test creates in a child; every bind uses port 0 (the only exception
//! is a bind below ip_unprivileged_port_start that must fail with EACCES and so never holds
//! a port); IPv6 is probed and a test SKIPs with the reason where it is unavailable,
//! reporting the lacking variant `absent` (no IPv6 in the kernel) or `blocked` (denied
//! here) through `needs!(available(fam.availability()))` (and `present` where IPv6 works).
//!
//! Tests that depend on the *last* close of a socket (RST on close, SO_LINGER, TIME_WAIT)
//! create their sockets inside a forked child: under plain `cargo test` another test's child
//! forked meanwhile would hold copies of the parent's descriptors and delay the close.
//!
//! The helpers, one module per concern: [`addr`] (address families and transports, special
//! addresses), [`sockets`] (loopback sockets, listeners and pairs, ports nobody listens on,
//! the ephemeral port range), [`tcp`] (TCP states, SO_LINGER, the urgent mark), [`msg`]
//! (sendmsg/recvmsg with control messages, option buffers of any size), [`opts`] (option
//! numbers and flags newer than the libc crate) and [`cases`] (the suite's named parameter
//! sets). The socket address type and the socket calls (exact
//! errno) are [`fixtures::net`]'s, bounded waits [`fixtures::poll`]'s.

pub mod addr;
pub mod cases;
pub mod msg;
pub mod opts;
pub mod sockets;
pub mod tcp;
