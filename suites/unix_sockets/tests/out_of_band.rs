//! Out-of-band data (MSG_OOB). unix(7), "Sockets API": "UNIX domain sockets do not support
//! the transmission of out-of-band data (the MSG_OOB flag for send(2) and recv(2))." That is
//! still true for datagram and seqpacket sockets; stream sockets gained it in Linux 5.15
//! (the AF_UNIX_OOB option, on by default). See Findings.
//!
//! The stream tests report the variant they verified: `present` (MSG_OOB works on streams)
//! or `absent` (the kernel refuses it, as unix(7) says). The later tests follow the changes
//! to AF_UNIX out-of-band data since 5.15 (SIOCATMARK, MSG_PEEK, a consumed urgent byte,
//! end of file after it), several backported to Debian's stable kernels: each decides from
//! what the kernel does, checks that against where the fix is (`fixtures::gate::has_fix`
//! with the stable versions), and reports a variant named for the behaviour it saw.

use fixtures::cases::message_types;
use std::os::fd::OwnedFd;

use fixtures::gate::kernel_and_patch;
use fixtures::net::{recv, send};
use fixtures::uapi::SIOCATMARK;
use fixtures::{assert_errno, kernel_at_least, variant};
use nix::errno::Errno;
use rstest::rstest;
use serial_test::parallel;
use unix_sockets::calls::{ioctl_int, recv_vec, socketpair};

use fixtures::net::SockType;
use rstest_reuse::apply;

/// unix(7), "Sockets API": no MSG_OOB for datagram and seqpacket sockets; unix(7), ERRORS:
/// "EOPNOTSUPP ... tried to use the out-of-band data option." Both send(2) and recv(2).
#[apply(message_types)]
#[rstest]
#[parallel]
fn msg_oob_on_message_sockets_fails_eopnotsupp(
    #[case] ty: SockType,
    #[values(
        /// send
        "send",
        /// recv
        "recv"
    )]
    call: &str,
) {
    let (a, b) = socketpair(ty, 0);
    if call == "send" {
        assert_errno!(send(&a, b"x", libc::MSG_OOB), Errno::EOPNOTSUPP);
    } else {
        send(&a, b"x", 0).unwrap();
        let mut buf = [0u8; 4];
        assert_errno!(recv(&b, &mut buf, libc::MSG_OOB | libc::MSG_DONTWAIT), Errno::EOPNOTSUPP);
    }
}

/// Whether AF_UNIX stream sockets take MSG_OOB here, reported as `present`/`absent`: since
/// Linux 5.15 (commit 314001f0bf92, "af_unix: Add OOB support") when CONFIG_AF_UNIX_OOB is on
/// (its default; Debian's kernels have it). A kernel whose configuration is readable and
/// says the option is not set refuses MSG_OOB as before 5.15.
fn stream_oob() -> bool {
    match oob_here() {
        Ok(why) => {
            variant::present(why);
            true
        }
        Err(why) => {
            variant::absent(why);
            false
        }
    }
}

/// Whether AF_UNIX stream sockets have MSG_OOB here, reporting `absent` when they have not
/// (the tests of the later changes to out-of-band data report their own variant when they
/// have).
fn oob_or_absent() -> bool {
    oob_here().map_err(variant::absent).is_ok()
}

/// Sends `data` on `a` as out-of-band data (send(2) with MSG_OOB, all of it) and returns
/// true; where AF_UNIX streams have no MSG_OOB ([`oob_or_absent`], reporting `absent`),
/// asserts that the send is refused with EOPNOTSUPP and returns false.
fn oob_sent_or_refused(a: &OwnedFd, data: &[u8]) -> bool {
    if !oob_or_absent() {
        assert_errno!(send(a, data, libc::MSG_OOB), Errno::EOPNOTSUPP);
        return false;
    }
    assert_eq!(send(a, data, libc::MSG_OOB), Ok(data.len()));
    true
}

/// Whether AF_UNIX stream sockets have MSG_OOB here (as [`stream_oob`], without reporting):
/// `Ok(why)` or `Err(why not)`.
fn oob_here() -> Result<String, String> {
    let v = fixtures::gate::kernel_version();
    if !kernel_at_least(5, 15) {
        return Err(format!("MSG_OOB on AF_UNIX streams was added in 5.15; kernel {v}"));
    }
    if let Ok(c) = fixtures::gate::kernel_config()
        && c.get("CONFIG_AF_UNIX_OOB") == Some("n")
    {
        return Err(format!("kernel {v} is built without CONFIG_AF_UNIX_OOB ({})", c.source));
    }
    Ok(format!("MSG_OOB on AF_UNIX streams: added in 5.15 (CONFIG_AF_UNIX_OOB), kernel {v}"))
}

/// Version dependent. Before Linux 5.15, unix(7) ("UNIX domain sockets do not support the
/// transmission of out-of-band data") holds for streams too: send(2) with MSG_OOB fails with
/// EOPNOTSUPP. Since 5.15 Linux differs from unix(7): a stream sends the last byte of a MSG_OOB
/// send as urgent data, as TCP does (recv(2): "MSG_OOB This flag requests receipt of
/// out-of-band data that would not be received in the normal data stream"): the receiver polls
/// POLLPRI, recv(MSG_OOB) returns that one byte, and the normal stream carries the rest without
/// it.
///
/// Kernel change: 5.15, commit 314001f0bf92 — AF_UNIX stream sockets take MSG_OOB: one urgent byte, POLLPRI, recv(MSG_OOB) (EOPNOTSUPP before).
#[test]
#[parallel]
fn msg_oob_on_a_stream_depends_on_the_kernel_version() {
    let (a, b) = socketpair(SockType::Stream, 0);
    if !stream_oob() {
        assert_errno!(send(&a, b"hello", libc::MSG_OOB), Errno::EOPNOTSUPP);
        return;
    }
    assert_eq!(send(&a, b"hello", libc::MSG_OOB), Ok(5));
    assert_eq!(fixtures::poll::revents(&b, libc::POLLPRI, 0) & libc::POLLPRI, libc::POLLPRI);
    assert_eq!(recv_vec(&b, 8, libc::MSG_OOB | libc::MSG_DONTWAIT).as_deref(), Ok(&b"o"[..]));
    assert_eq!(recv_vec(&b, 8, libc::MSG_DONTWAIT).as_deref(), Ok(&b"hell"[..]));
}

/// unix(7): "UNIX domain sockets do not support the transmission of out-of-band data (the
/// MSG_OOB flag for send(2) and recv(2))" — true before commit 314001f0bf92 ("af_unix: Add
/// OOB support", 5.15): there MSG_OOB is refused with EOPNOTSUPP. Since then Linux differs
/// from unix(7): recv(MSG_OOB) on a stream with no urgent byte pending fails with EINVAL (as
/// for TCP).
/// Reports `present` (EINVAL) or `absent` (EOPNOTSUPP).
///
/// Kernel change: 5.15, commit 314001f0bf92 — recv(MSG_OOB) on an AF_UNIX stream without urgent data fails EINVAL, as on TCP (EOPNOTSUPP before).
#[test]
#[parallel]
fn recv_msg_oob_without_urgent_data_on_a_stream() {
    let (a, b) = socketpair(SockType::Stream, 0);
    send(&a, b"plain", 0).unwrap();
    let mut buf = [0u8; 8];
    let expected = if stream_oob() { Errno::EINVAL } else { Errno::EOPNOTSUPP };
    assert_errno!(recv(&b, &mut buf, libc::MSG_OOB | libc::MSG_DONTWAIT), expected);
    assert_eq!(recv_vec(&b, 8, libc::MSG_DONTWAIT).as_deref(), Ok(&b"plain"[..]));
}

/// sockatmark(3): "returns a value indicating whether or not the socket referred to by the
/// file descriptor fd is at the out-of-band mark" — ioctl(SIOCATMARK) underneath (tcp(7):
/// "SIOCATMARK Returns true (i.e., a nonzero value) if the inbound data stream is at the
/// urgent mark"). AF_UNIX streams answer it since they carry out-of-band data (net/unix/
/// af_unix.c, unix_ioctl(); 5.15 with CONFIG_AF_UNIX_OOB): after send("hello", MSG_OOB) the
/// reader is not at the mark (0) until it has read "hell" (1), and the urgent byte is "o".
/// Without out-of-band support the request is unknown to AF_UNIX and the socket layer
/// answers ENOTTY (variant `absent`).
///
/// Kernel change: 5.15 — ioctl(SIOCATMARK) on an AF_UNIX stream reports the out-of-band mark (ENOTTY before).
#[test]
#[parallel]
fn siocatmark_on_a_stream_reports_the_oob_mark() {
    let (a, b) = socketpair(SockType::Stream, 0);
    if !stream_oob() {
        assert_errno!(ioctl_int(&b, SIOCATMARK), Errno::ENOTTY);
        return;
    }
    assert_eq!(send(&a, b"hello", libc::MSG_OOB), Ok(5));
    assert_eq!(ioctl_int(&b, SIOCATMARK), Ok(0), "\"hell\" comes before the mark");
    assert_eq!(recv_vec(&b, 4, libc::MSG_DONTWAIT).as_deref(), Ok(&b"hell"[..]));
    assert_eq!(ioctl_int(&b, SIOCATMARK), Ok(1), "at the mark");
    assert_eq!(recv_vec(&b, 1, libc::MSG_OOB | libc::MSG_DONTWAIT).as_deref(), Ok(&b"o"[..]));
}

/// SIOCATMARK on AF_UNIX datagram and seqpacket sockets, which have no out-of-band data
/// (unix(7): "UNIX domain sockets do not support the transmission of out-of-band data"):
/// refused with EOPNOTSUPP since "af_unix: Reject SIOCATMARK on non-stream sockets"
/// (CVE-2026-52928; mainline 7.1, stable 6.18.30, and by Debian's changelogs 6.1.177 and
/// 6.12.88; the mainline commit is not verified) — variant `refused`. Kernels with
/// out-of-band support but without that fix answer 0 ("not at the mark") on any socket
/// (variant `answered`, lacking the refusal); kernels without out-of-band support do not know
/// the request at all: ENOTTY (variant `absent`). Decided from the answer and checked against
/// where the fix is: a refusal on a series with no known fix fails.
///
/// Kernel change: 7.1 — ioctl(SIOCATMARK) on AF_UNIX datagram and seqpacket sockets fails EOPNOTSUPP instead of answering 0 (stable 6.1.177, 6.12.88, 6.18.30).
#[apply(message_types)]
#[rstest]
#[parallel]
fn siocatmark_on_a_message_socket_fails_eopnotsupp(#[case] ty: SockType) {
    let (a, b) = socketpair(ty, 0);
    send(&a, b"x", 0).unwrap();
    let fix = fixtures::gate::has_fix((7, 1), &[(6, 1, 177), (6, 12, 88), (6, 18, 30)], &[(5, 10)]);
    let k = kernel_and_patch();
    match ioctl_int(&b, SIOCATMARK) {
        Err(Errno::EOPNOTSUPP) => {
            assert_eq!(fix, Some(true), "SIOCATMARK refused on {k}, which has no known fix");
            variant::observed("refused", format_args!("SIOCATMARK refused on a {ty:?} socket; {k}"));
        }
        Ok(0) => {
            assert_eq!(fix, Some(false), "SIOCATMARK answered on {k}, which has the fix");
            assert!(oob_here().is_ok(), "only kernels with out-of-band support know SIOCATMARK");
            variant::lacking("answered", format_args!("SIOCATMARK answers 0 on a {ty:?} socket; {k}"));
        }
        Err(Errno::ENOTTY) => {
            let why = oob_here().expect_err("a kernel with out-of-band support knows SIOCATMARK");
            variant::absent(format_args!("no SIOCATMARK on AF_UNIX: {why}"));
        }
        other => panic!("SIOCATMARK on a {ty:?} socket, {k}: {other:?}"),
    }
}

/// recv(2), MSG_PEEK: "causes the receive operation to return data from the beginning of the
/// receive queue without removing that data from the queue" — and the urgent byte is not part
/// of the normal data (recv(2), MSG_OOB: "out-of-band data that would not be received in the
/// normal data stream"). After send("a", MSG_OOB) and send("b"), a peek returns "b": commits
/// 22dd70eb2c3d ("af_unix: Don't peek OOB data without MSG_OOB", 6.9) and "af_unix: Read
/// with MSG_PEEK loops if the first unread byte is OOB" (6.10; stable 6.1.95 and 6.6.35 carry
/// both) — variant `skips-oob`. Earlier out-of-band kernels peek the urgent byte "a" (variant
/// `returns-oob`, lacking); kernels without out-of-band support refuse the send (`absent`).
/// Either way recv(MSG_OOB) then gives "a" and a (blocking, bounded) recv "b" — not a
/// nonblocking one: kernels before 6.10 (Debian's 6.1) fail that with EAGAIN while the
/// consumed urgent byte is at the head (see the next test).
///
/// Kernel change: 6.10, commit 22dd70eb2c3d — recv(MSG_PEEK) on an AF_UNIX stream skips the urgent byte instead of returning it (stable 6.1.95, 6.6.35).
#[test]
#[parallel]
fn msg_peek_skips_the_oob_byte() {
    let (a, b) = socketpair(SockType::Stream, 0);
    if !oob_sent_or_refused(&a, b"a") {
        return;
    }
    assert_eq!(send(&a, b"b", 0), Ok(1));
    let fix = fixtures::gate::has_fix((6, 10), &[(6, 1, 95), (6, 6, 35)], &[]);
    let k = kernel_and_patch();
    let peeked = recv_vec(&b, 1, libc::MSG_PEEK | libc::MSG_DONTWAIT).expect("peek");
    if peeked == b"b" {
        assert_eq!(fix, Some(true), "the peek skips the urgent byte on {k}, which has no known fix");
        variant::observed("skips-oob", format_args!("MSG_PEEK skips the urgent byte; {k}"));
    } else {
        assert_eq!(peeked, b"a");
        assert_eq!(fix, Some(false), "the peek returns the urgent byte on {k}, which has the fixes");
        variant::lacking("returns-oob", format_args!("MSG_PEEK returns the urgent byte; {k}"));
    }
    assert_eq!(recv_vec(&b, 1, libc::MSG_OOB | libc::MSG_DONTWAIT).as_deref(), Ok(&b"a"[..]));
    let rest = fixtures::within("reading \"b\" after the urgent byte", || recv_vec(&b, 4, 0));
    assert_eq!(rest.as_deref(), Ok(&b"b"[..]));
}

/// recv(2) with MSG_DONTWAIT: EAGAIN only when "the receive operation would block". After
/// send("hello", MSG_OOB), send("world"), recv → "hell" and recv(MSG_OOB) → "o", the consumed
/// urgent byte's buffer stays at the head of the queue (to answer SIOCATMARK); since
/// "af_unix: Don't stop recv(MSG_DONTWAIT) if consumed OOB skb is at the head." (6.10; in
/// stable 6.9.8, not in Debian's 6.1; commit not verified) a nonblocking read skips it and
/// returns "world" (variant `next-data`). Before, that read failed EAGAIN although "world"
/// was queued, and only the next read returned it (variant `eagain`, lacking). Kernels
/// without out-of-band support refuse the send (`absent`).
///
/// Kernel change: 6.10 — a nonblocking recv on an AF_UNIX stream whose consumed urgent byte is at the head returns the next data instead of EAGAIN.
#[test]
#[parallel]
fn a_nonblocking_read_after_the_consumed_oob_byte_returns_the_next_data() {
    let (a, b) = socketpair(SockType::Stream, 0);
    if !oob_sent_or_refused(&a, b"hello") {
        return;
    }
    assert_eq!(send(&a, b"world", 0), Ok(5));
    assert_eq!(recv_vec(&b, 10, libc::MSG_DONTWAIT).as_deref(), Ok(&b"hell"[..]));
    assert_eq!(recv_vec(&b, 1, libc::MSG_OOB | libc::MSG_DONTWAIT).as_deref(), Ok(&b"o"[..]));
    let fix = fixtures::gate::has_fix((6, 10), &[(6, 9, 8)], &[(6, 1)]);
    let k = kernel_and_patch();
    match recv_vec(&b, 5, libc::MSG_DONTWAIT) {
        Ok(data) => {
            assert_eq!(data, b"world");
            assert_eq!(fix, Some(true), "the read skips the consumed urgent byte on {k}, which has no known fix");
            variant::observed("next-data", format_args!("the consumed urgent byte does not stop a nonblocking read; {k}"));
        }
        Err(Errno::EAGAIN) => {
            assert_eq!(fix, Some(false), "EAGAIN with data queued on {k}, which has the fix");
            variant::lacking("eagain", format_args!("the consumed urgent byte makes a nonblocking read fail EAGAIN; {k}"));
            assert_eq!(recv_vec(&b, 5, libc::MSG_DONTWAIT).as_deref(), Ok(&b"world"[..]), "the next read gets it");
        }
        Err(e) => panic!("recv after the consumed urgent byte, {k}: {e}"),
    }
}

/// recv(2): "When a stream socket peer has performed an orderly shutdown, the return value
/// will be 0". A peer that received its urgent byte (recv(MSG_OOB)) and then closed has read
/// everything, so the other end reads end of file — since "af_unix: Don't set -ECONNRESET for
/// consumed OOB skb." (6.16; stable 6.1.143 and 6.12.36; commit not verified), variant `eof`.
/// Before, the consumed urgent byte's buffer left in the closing peer's queue counted as
/// unread data and the read failed ECONNRESET (variant `econnreset`, lacking). Kernels without
/// out-of-band support refuse the send (`absent`).
///
/// Kernel change: 6.16 — a peer that closed after reading its urgent byte gives end of file, not ECONNRESET (stable 6.1.143, 6.12.36).
#[test]
#[parallel]
fn closing_after_reading_the_oob_byte_gives_the_peer_end_of_file() {
    let (a, b) = socketpair(SockType::Stream, 0);
    if !oob_sent_or_refused(&a, b"x") {
        return;
    }
    assert_eq!(recv_vec(&b, 1, libc::MSG_OOB | libc::MSG_DONTWAIT).as_deref(), Ok(&b"x"[..]));
    drop(b);
    let fix = fixtures::gate::has_fix((6, 16), &[(6, 1, 143), (6, 12, 36)], &[]);
    let k = kernel_and_patch();
    match recv_vec(&a, 1, libc::MSG_DONTWAIT) {
        Ok(data) => {
            assert_eq!(data, b"", "end of file");
            assert_eq!(fix, Some(true), "end of file on {k}, which has no known fix");
            variant::observed("eof", format_args!("a consumed urgent byte is not unread data; {k}"));
        }
        Err(Errno::ECONNRESET) => {
            assert_eq!(fix, Some(false), "ECONNRESET on {k}, which has the fix");
            variant::lacking("econnreset", format_args!("the consumed urgent byte counts as unread data; {k}"));
        }
        Err(e) => panic!("recv after the peer closed, {k}: {e}"),
    }
}
