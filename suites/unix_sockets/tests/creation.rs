//! socket(2) and socketpair(2) for AF_UNIX: the three types, the flags folded into the type
//! argument, and the errors for what the UNIX domain does not support.

use fixtures::cases::socket_types;
use std::os::fd::{AsRawFd, OwnedFd};

use fixtures::io::{fd_flags, status_flags};
use fixtures::limits::set_nofile_soft_limit;
use fixtures::net::{recv, send};
use fixtures::procfs::lowest_free_fd;
use fixtures::{assert_errno, run_in_child};
use nix::errno::Errno;
use rstest::rstest;
use serial_test::{parallel, serial};
use unix_sockets::calls::{Maker, recv_vec, socket, socketpair, try_socket, try_socketpair};
use unix_sockets::cases::{makers, socket_types_by_maker};
use fixtures::net::SockType;
use libc::c_int;
use rstest_reuse::apply;

/// SOCK_PACKET (10), obsolete in every domain (socket(2)).
const SOCK_PACKET: c_int = 10;

/// Assert, on every descriptor `m` makes of `ty` with `flags`, whether the O_NONBLOCK file
/// status flag and the FD_CLOEXEC descriptor flag are set.
#[track_caller]
fn assert_flags_of_each_made(ty: SockType, m: Maker, flags: c_int, nonblock: bool, cloexec: bool) {
    for fd in m.make(ty, flags) {
        assert_eq!(status_flags(&fd) & libc::O_NONBLOCK != 0, nonblock, "O_NONBLOCK of a {ty:?} made with flags {flags:#x}");
        assert_eq!(fd_flags(&fd) & libc::FD_CLOEXEC != 0, cloexec, "FD_CLOEXEC of a {ty:?} made with flags {flags:#x}");
    }
}

/// socket(2): "SOCK_NONBLOCK Set the O_NONBLOCK file status flag on the open file
/// description ... referred to by the new file descriptor"; socketpair(2) takes the same
/// type argument ("For further details of these arguments, see socket(2)"). Asserted on
/// every new descriptor, and a receive then fails with EAGAIN instead of blocking.
#[apply(socket_types_by_maker)]
#[rstest]
#[parallel]
fn sock_nonblock_sets_o_nonblock(#[case] ty: SockType, m: Maker) {
    assert_flags_of_each_made(ty, m, libc::SOCK_NONBLOCK, true, false);
    if let Maker::Socketpair = m {
        let fds = m.make(ty, libc::SOCK_NONBLOCK);
        let mut b = [0u8; 1];
        assert_errno!(recv(&fds[0], &mut b, 0), Errno::EAGAIN);
    }
}

/// socket(2): "SOCK_CLOEXEC Set the close-on-exec (FD_CLOEXEC) flag on the new file
/// descriptor" (socketpair(2) likewise). Asserted: FD_CLOEXEC set, O_NONBLOCK not.
#[apply(socket_types_by_maker)]
#[rstest]
#[parallel]
fn sock_cloexec_sets_fd_cloexec(#[case] ty: SockType, m: Maker) {
    assert_flags_of_each_made(ty, m, libc::SOCK_CLOEXEC, false, true);
}

/// socket(2): the flags are opt-in ("the type argument ... may include the bitwise OR of
/// any of the following values"): without them a new socket is blocking and is kept
/// across execve.
#[apply(socket_types_by_maker)]
#[rstest]
#[parallel]
fn without_flags_a_socket_is_blocking_and_inheritable(#[case] ty: SockType, m: Maker) {
    assert_flags_of_each_made(ty, m, 0, false, false);
}

/// socket(2): "The file descriptor returned by a successful call will be the
/// lowest-numbered file descriptor not currently open for the process"; socketpair(2)
/// fills sv with the two lowest. Checked in a single-threaded child after punching holes.
#[apply(makers)]
#[rstest]
#[serial]
fn new_sockets_take_the_lowest_free_descriptors(m: Maker) {
    run_in_child("socket numbering", move || {
        // Make two holes below the current top.
        let keep: Vec<OwnedFd> = (0..4).map(|_| socket(SockType::Dgram, 0)).collect();
        let holes = [keep[0].as_raw_fd(), keep[2].as_raw_fd()];
        let mut keep = keep;
        drop(keep.remove(2));
        drop(keep.remove(0));
        let first = lowest_free_fd();
        assert_eq!(first, holes[0]);
        let fds = m.make(SockType::Stream, 0);
        assert_eq!(fds[0].as_raw_fd(), holes[0]);
        if fds.len() == 2 {
            assert_eq!(fds[1].as_raw_fd(), holes[1], "the second socket of the pair takes the next hole");
        }
    })
    .expect_success();
}

/// unix(7), ERRORS: "ESOCKTNOSUPPORT Unknown socket type." Types that exist in socket(2) but
/// not in the UNIX domain (SOCK_RDM, SOCK_PACKET) and type 0 are refused with exactly that
/// errno, by socket(2) and socketpair(2) alike.
#[apply(makers)]
#[rstest]
#[parallel]
#[case::sock_rdm(libc::SOCK_RDM)]
#[case::sock_packet(SOCK_PACKET)]
#[case::type_0(0)]
fn unsupported_socket_types_fail_esocktnosupport(#[case] ty: libc::c_int, m: Maker) {
    assert_errno!(m.try_make(libc::AF_UNIX, ty, 0), Errno::ESOCKTNOSUPPORT, "type {ty}");
}

/// socket(2), ERRORS: "EINVAL Unknown protocol, or protocol family not available" and
/// "EINVAL Invalid flags in type". A type number beyond every defined type and a type with
/// an undefined flag bit are rejected by the generic socket layer with EINVAL.
#[apply(makers)]
#[rstest]
#[parallel]
#[case::type_beyond_sock_max(11)]
#[case::undefined_flag_bit(libc::SOCK_STREAM | 0x10)]
#[case::o_append_as_flag(libc::SOCK_STREAM | libc::O_APPEND)]
fn invalid_type_arguments_fail_einval(#[case] ty: libc::c_int, m: Maker) {
    assert_errno!(m.try_make(libc::AF_UNIX, ty, 0), Errno::EINVAL, "type {ty:#x}");
}

/// unix(7), ERRORS: "EPROTONOSUPPORT Passed protocol is not AF_UNIX." Any protocol other
/// than 0 and PF_UNIX is refused.
#[apply(socket_types_by_maker)]
#[rstest]
#[parallel]
fn a_foreign_protocol_fails_eprotonosupport(#[case] ty: SockType, m: Maker) {
    assert_errno!(m.try_make(libc::AF_UNIX, ty.raw(), libc::IPPROTO_TCP), Errno::EPROTONOSUPPORT);
}

/// unix(7), ERRORS: the protocol must be AF_UNIX (or 0): passing PF_UNIX itself is
/// accepted, and the socket then reports protocol 0 through SO_PROTOCOL like any other
/// (net/unix/af_unix.c, unix_create(): `if (protocol && protocol != PF_UNIX)`).
#[apply(socket_types)]
#[rstest]
#[parallel]
fn protocol_pf_unix_is_accepted_as_zero(#[case] ty: SockType) {
    let fd = try_socket(libc::AF_UNIX, ty.raw(), libc::PF_UNIX).expect("socket(AF_UNIX, ty, PF_UNIX)");
    assert_eq!(fixtures::net::getsockopt_int(&fd, libc::SOL_SOCKET, libc::SO_PROTOCOL), Ok(0));
    assert_eq!(fixtures::net::getsockopt_int(&fd, libc::SOL_SOCKET, libc::SO_TYPE), Ok(ty.raw()));
}

/// unix(7) lists SOCK_STREAM, SOCK_DGRAM and SOCK_SEQPACKET as the valid types; yet
/// net/unix/af_unix.c, unix_create(): "Believe it or not BSD has AF_UNIX, SOCK_RAW though
/// nothing uses it": Linux accepts SOCK_RAW in the UNIX domain and makes a datagram socket
/// of it. Asserted: SO_TYPE reads SOCK_DGRAM, and the pair keeps datagram boundaries.
#[apply(makers)]
#[rstest]
#[parallel]
fn sock_raw_creates_a_datagram_socket(m: Maker) {
    match m {
        Maker::Socket => {
            let fd = try_socket(libc::AF_UNIX, libc::SOCK_RAW, 0).expect("socket(AF_UNIX, SOCK_RAW)");
            assert_eq!(fixtures::net::getsockopt_int(&fd, libc::SOL_SOCKET, libc::SO_TYPE), Ok(libc::SOCK_DGRAM));
        }
        Maker::Socketpair => {
            let (a, b) = try_socketpair(libc::AF_UNIX, libc::SOCK_RAW, 0).expect("socketpair(AF_UNIX, SOCK_RAW)");
            assert_eq!(fixtures::net::getsockopt_int(&a, libc::SOL_SOCKET, libc::SO_TYPE), Ok(libc::SOCK_DGRAM));
            assert_eq!(send(&a, b"ab", 0), Ok(2));
            assert_eq!(send(&a, b"cd", 0), Ok(2));
            assert_eq!(recv_vec(&b, 16, libc::MSG_DONTWAIT).as_deref(), Ok(&b"ab"[..]));
        }
    }
}

/// socketpair(2), ERRORS: "EOPNOTSUPP The specified protocol does not support creation of
/// socket pairs." Socket pairs are an AF_UNIX facility: AF_INET refuses them for every type.
#[rstest]
#[parallel]
#[case::sock_stream(libc::SOCK_STREAM)]
#[case::sock_dgram(libc::SOCK_DGRAM)]
fn socketpair_outside_af_unix_fails_eopnotsupp(#[case] ty: libc::c_int) {
    assert_errno!(try_socketpair(libc::AF_INET, ty, 0), Errno::EOPNOTSUPP);
}

fn raw_socketpair(domain: c_int, ty: c_int, protocol: c_int, sv: &mut [c_int; 2]) -> Result<(), Errno> {
    // SAFETY: sv has room for two descriptors.
    fixtures::sys(unsafe { libc::socketpair(domain, ty, protocol, sv.as_mut_ptr()) }).map(drop)
}

/// socketpair(2), RETURN VALUE: "On error, -1 is returned, errno is set to indicate the
/// error, and sv is left unchanged. On Linux (and other systems), socketpair() does not
/// modify sv on failure." That holds for the errors found before any descriptor is
/// reserved: invalid flags (EINVAL) and no free descriptor (EMFILE, in a child whose
/// RLIMIT_NOFILE leaves room for only one).
#[rstest]
#[serial]
#[case::invalid_flags_einval("flags")]
#[case::no_descriptor_emfile("emfile")]
fn socketpair_failing_before_reserving_descriptors_leaves_sv_unchanged(#[case] how: &str) {
    run_in_child("socketpair that fails early", move || {
        let mut sv = [-7, -9];
        if how == "flags" {
            assert_errno!(raw_socketpair(libc::AF_UNIX, libc::SOCK_STREAM | 0x10, 0, &mut sv), Errno::EINVAL);
        } else {
            // Only the lowest free number stays allocatable.
            set_nofile_soft_limit(lowest_free_fd() as u64 + 1);
            assert_errno!(raw_socketpair(libc::AF_UNIX, libc::SOCK_STREAM, 0, &mut sv), Errno::EMFILE);
        }
        assert_eq!(sv, [-7, -9]);
    })
    .expect_success();
}

/// Linux differs from socketpair(2), which promises that sv is left unchanged on failure
/// ("On Linux (and other systems), socketpair() does not modify sv on failure"): the kernel
/// reserves the two descriptors and writes their numbers to sv before it creates the sockets
/// (net/socket.c, __sys_socketpair()), so a failure from the family or the protocol —
/// EAFNOSUPPORT, EOPNOTSUPP, EPROTONOSUPPORT, ESOCKTNOSUPPORT — leaves the two (already
/// released) lowest free numbers in sv. Asserted in a child, where the numbers are known.
/// See docs/findings.md.
#[rstest]
#[serial]
#[case::unknown_family(9999, libc::SOCK_STREAM, 0, Errno::EAFNOSUPPORT)]
#[case::af_inet_has_no_pairs(libc::AF_INET, libc::SOCK_STREAM, 0, Errno::EOPNOTSUPP)]
#[case::foreign_protocol(libc::AF_UNIX, libc::SOCK_STREAM, libc::IPPROTO_TCP, Errno::EPROTONOSUPPORT)]
#[case::unsupported_type(libc::AF_UNIX, libc::SOCK_RDM, 0, Errno::ESOCKTNOSUPPORT)]
fn socketpair_failing_after_reserving_descriptors_writes_sv(
    #[case] domain: c_int,
    #[case] ty: c_int,
    #[case] protocol: c_int,
    #[case] errno: Errno,
) {
    run_in_child("socketpair that fails late", move || {
        let free: Vec<c_int> = (0..).filter(|fd| !fixtures::procfs::fd_is_open(fixtures::io::raw_fd(*fd))).take(2).collect();
        let mut sv = [-7, -9];
        assert_errno!(raw_socketpair(domain, ty, protocol, &mut sv), errno);
        assert_eq!(sv[..], free[..], "sv holds the two reserved numbers");
        assert!(!fixtures::procfs::fd_is_open(fixtures::io::raw_fd(sv[0])) && !fixtures::procfs::fd_is_open(fixtures::io::raw_fd(sv[1])), "released again");
    })
    .expect_success();
}

/// socketpair(2): "creates an unnamed pair of connected sockets"; the two sockets "are
/// indistinguishable": each end reads what the other wrote, in both directions, with no
/// connect(2) or accept(2).
#[apply(socket_types)]
#[rstest]
#[parallel]
fn socketpair_ends_are_connected_both_ways(#[case] ty: SockType) {
    let (a, b) = socketpair(ty, 0);
    assert_eq!(send(&a, b"to b", 0), Ok(4));
    assert_eq!(send(&b, b"to a", 0), Ok(4));
    assert_eq!(recv_vec(&b, 16, libc::MSG_DONTWAIT).as_deref(), Ok(&b"to b"[..]));
    assert_eq!(recv_vec(&a, 16, libc::MSG_DONTWAIT).as_deref(), Ok(&b"to a"[..]));
}
