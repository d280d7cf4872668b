//! SCM_CREDENTIALS and SO_PASSCRED (unix(7), "Socket options" and "Ancillary messages"):
//! when the kernel attaches the sender's credentials, which ids they carry, and which ids a
//! sender may claim.

use fixtures::cases::{connection_types, socket_types};
use fixtures::net::SockType;
use std::os::fd::{AsRawFd, OwnedFd};

use ancillary::cmsg::{cmsg_space, credentials, recvmsg, rights, sendmsg, space_for_fds};
use ancillary::{abstract_listener, pipe, same_description, socketpair};
use fixtures::net::{getsockopt_int, setsockopt_int};
use fixtures::privilege::{NOBODY, drop_to_nobody};
use fixtures::sync::channel;
use fixtures::{assert_errno, needs, run_in_child, spawn, variant};
use nix::errno::Errno;
use nix::unistd::{getgid, getpid, getuid};
use rstest::rstest;
use rstest_reuse::apply;
use serial_test::{parallel, serial};

/// A socket pair of `ty` whose receiving end `b` has SO_PASSCRED set.
fn passcred_pair(ty: SockType) -> (OwnedFd, OwnedFd) {
    let (a, b) = socketpair(ty, 0);
    setsockopt_int(&b, libc::SOL_SOCKET, libc::SO_PASSCRED, 1).unwrap();
    (a, b)
}

fn me() -> (i32, u32, u32) {
    // variant: none — the expected ids are this process's own, whichever they are; the
    // claims hold the same for every uid.
    (getpid().as_raw(), getuid().as_raw(), getgid().as_raw())
}

/// unix(7), SO_PASSCRED: "The value given as an argument to setsockopt(2) and returned as the
/// result of getsockopt(2) is an integer boolean flag": any nonzero value reads back as 1.
#[apply(socket_types)]
#[rstest]
#[parallel]
fn so_passcred_reads_back_as_a_boolean(
    #[case] ty: SockType,
    #[values(
        /// one
        1,
        /// five
        5,
        /// minus_one
        -1
    )]
    value: libc::c_int,
) {
    let (a, _b) = socketpair(ty, 0);
    assert_eq!(getsockopt_int(&a, libc::SOL_SOCKET, libc::SO_PASSCRED), Ok(0));
    setsockopt_int(&a, libc::SOL_SOCKET, libc::SO_PASSCRED, value).unwrap();
    assert_eq!(getsockopt_int(&a, libc::SOL_SOCKET, libc::SO_PASSCRED), Ok(1));
    setsockopt_int(&a, libc::SOL_SOCKET, libc::SO_PASSCRED, 0).unwrap();
    assert_eq!(getsockopt_int(&a, libc::SOL_SOCKET, libc::SO_PASSCRED), Ok(0));
}

/// unix(7), SO_PASSCRED: "Enabling this socket option causes receipt of the credentials of
/// the sending process in an SCM_CREDENTIALS ancillary message in each subsequently received
/// message. The returned credentials are those specified by the sender using
/// SCM_CREDENTIALS, or a default that includes the sender's PID, real user ID, and real group
/// ID". A child sends plain data; the receiver gets the child's pid and ids with every
/// message.
#[apply(socket_types)]
#[rstest]
#[serial]
fn so_passcred_attaches_the_senders_credentials(#[case] ty: SockType) {
    let (a, b) = passcred_pair(ty);
    let sender = spawn("sender", || {
        assert_eq!(sendmsg(&a, b"1", &[], 0), Ok(1));
        assert_eq!(sendmsg(&a, b"2", &[], 0), Ok(1));
    });
    let pid = sender.pid().as_raw();
    sender.expect_success();
    for data in [b"1", b"2"] {
        let r = recvmsg(&b, 1, 64, 0).unwrap();
        assert_eq!(r.data, data);
        // variant: none — getuid/getgid give the expected ids (the child's are the test's).
        assert_eq!(r.creds(), Some((pid, getuid().as_raw(), getgid().as_raw())));
    }
}

/// unix(7), SCM_CREDENTIALS: "To receive a struct ucred message, the SO_PASSCRED option must
/// be enabled on the socket." Without it nothing arrives — neither the default credentials
/// nor ones the sender states explicitly.
#[apply(socket_types)]
#[rstest]
#[parallel]
fn without_so_passcred_no_credentials_arrive(#[case] ty: SockType, #[values(false, true)] explicit: bool) {
    let (a, b) = socketpair(ty, 0);
    let (pid, uid, gid) = me();
    let cmsgs = if explicit { vec![credentials(pid, uid, gid)] } else { vec![] };
    assert_eq!(sendmsg(&a, b"x", &cmsgs, 0), Ok(1));
    let r = recvmsg(&b, 4, 64, 0).unwrap();
    assert!(r.cmsgs.is_empty(), "{:?}", r.cmsgs);
    assert!(!r.ctrunc());
}

/// unix(7), SO_PASSCRED: credentials come "in each subsequently received message" — Linux
/// differs from unix(7): the kernel attaches them when the message is queued, if either socket
/// had SO_PASSCRED then (net/unix/af_unix.c, maybe_add_creds()). A message queued before the
/// receiver enabled it carries none: it is received with an SCM_CREDENTIALS holding pid 0 and
/// the overflow ids (/proc/sys/kernel/overflowuid, overflowgid), not the sender's. If the
/// sender's own socket had SO_PASSCRED, the real credentials were attached anyway. See
/// docs/findings.md.
#[apply(socket_types)]
#[rstest]
#[parallel]
fn credentials_are_attached_when_the_message_is_queued(
    #[case] ty: SockType,
    #[values(false, true)] sender_passcred: bool,
) {
    let (a, b) = socketpair(ty, 0);
    if sender_passcred {
        setsockopt_int(&a, libc::SOL_SOCKET, libc::SO_PASSCRED, 1).unwrap();
    }
    assert_eq!(sendmsg(&a, b"early", &[], 0), Ok(5));
    setsockopt_int(&b, libc::SOL_SOCKET, libc::SO_PASSCRED, 1).unwrap();
    let r = recvmsg(&b, 8, 64, 0).unwrap();
    // variant: none — the overflow ids are read, not assumed; the branch is the case's
    // parameter, not the environment.
    let expected = if sender_passcred {
        me()
    } else {
        (
            0,
            fixtures::sysctl::read_u64("kernel/overflowuid") as u32,
            fixtures::sysctl::read_u64("kernel/overflowgid") as u32,
        )
    };
    assert_eq!(r.creds(), Some(expected));
}

/// unix(7), SO_PASSCRED: the default credentials are the sender's "PID, real user ID, and real
/// group ID" — not the effective ones (which SO_PEERCRED reports). A child with real uid/gid
/// 0 and effective 65534 sends; the receiver sees 0/0. Needs root to set up the ids.
#[test]
#[serial]
fn default_credentials_carry_the_real_ids() {
    needs!(root, cap(SETUID), cap(SETGID));
    let (a, b) = passcred_pair(SockType::Dgram);
    let sender = spawn("sender with euid 65534", || {
        nix::unistd::setegid(nix::unistd::Gid::from_raw(NOBODY)).unwrap();
        nix::unistd::seteuid(nix::unistd::Uid::from_raw(NOBODY)).unwrap();
        fixtures::child::arm_parent_death(); // cleared by the id change (prctl(2))
        assert_eq!(sendmsg(&a, b"x", &[], 0), Ok(1));
    });
    let pid = sender.pid().as_raw();
    sender.expect_success();
    assert_eq!(recvmsg(&b, 4, 64, 0).unwrap().creds(), Some((pid, 0, 0)));
}

/// unix(7), SCM_CREDENTIALS: "The sender must specify its own process ID ..., its real user
/// ID, effective user ID, or saved set-user-ID ..., and its real group ID, effective group
/// ID, or saved set-group-ID". Stating exactly its own pid, uid and gid is always allowed,
/// and the receiver gets those values.
#[apply(socket_types)]
#[rstest]
#[parallel]
fn a_sender_may_state_its_own_credentials(#[case] ty: SockType) {
    let (a, b) = passcred_pair(ty);
    let (pid, uid, gid) = me();
    assert_eq!(sendmsg(&a, b"x", &[credentials(pid, uid, gid)], 0), Ok(1));
    assert_eq!(recvmsg(&b, 4, 64, 0).unwrap().creds(), Some((pid, uid, gid)));
}

/// Which field of the claimed credentials is not the sender's own (it names another
/// user, group or process).
#[derive(Clone, Copy, Debug)]
enum Claim {
    Uid,
    Gid,
    Pid,
}

/// unix(7), ERRORS: "EPERM The sender passed invalid credentials in the struct ucred"; the
/// sender must state its own pid "unless it has the capability CAP_SYS_ADMIN", its own uid
/// "unless it has CAP_SETUID", its own gid "unless it has CAP_SETGID". A child running as
/// nobody claiming uid 0, gid 0 or its parent's pid fails with EPERM, and nothing is sent.
#[apply(socket_types)]
#[rstest]
#[serial]
fn an_unprivileged_sender_claiming_other_ids_fails_eperm(
    #[case] ty: SockType,
    #[values(
        /// uid
        Claim::Uid,
        /// gid
        Claim::Gid,
        /// pid
        Claim::Pid
    )]
    claim: Claim,
) {
    let (a, b) = passcred_pair(ty);
    let parent = getpid().as_raw();
    run_in_child("sender as nobody", || {
        drop_to_nobody();
        let (pid, uid, gid) = me();
        let c = match claim {
            Claim::Uid => credentials(pid, 0, gid),
            Claim::Gid => credentials(pid, uid, 0),
            Claim::Pid => credentials(parent, uid, gid),
        };
        assert_errno!(sendmsg(&a, b"x", &[c], 0), Errno::EPERM);
    })
    .expect_success();
    assert_errno!(recvmsg(&b, 4, 64, libc::MSG_DONTWAIT), Errno::EAGAIN);
}

/// unix(7), SCM_CREDENTIALS: an unprivileged sender may state "its real user ID, effective
/// user ID, or saved set-user-ID" and "its real group ID, effective group ID, or saved
/// set-group-ID" — any of the three, and nothing else. A child with three different uids
/// and gids (and so no capabilities) tries each, and one more. Needs root to set up the ids.
#[test]
#[serial]
fn an_unprivileged_sender_may_state_its_real_effective_or_saved_ids() {
    needs!(root, cap(SETUID), cap(SETGID));
    let (a, b) = passcred_pair(SockType::Dgram);
    run_in_child("sender with distinct ids", || {
        let (r, e, s, other) = (65534u32, 65533u32, 65532u32, 65531u32);
        nix::unistd::setgroups(&[]).unwrap();
        use nix::unistd::{Gid, Uid};
        nix::unistd::setresgid(Gid::from_raw(r), Gid::from_raw(e), Gid::from_raw(s)).unwrap();
        nix::unistd::setresuid(Uid::from_raw(r), Uid::from_raw(e), Uid::from_raw(s)).unwrap();
        fixtures::child::arm_parent_death(); // cleared by the id change (prctl(2))
        // variant: none — checks the set-up (no capability left), not an environment branch.
        assert_eq!(fixtures::gate::effective_caps(), 0);
        let pid = getpid().as_raw();
        for id in [r, e, s] {
            assert_eq!(sendmsg(&a, b"u", &[credentials(pid, id, r)], 0), Ok(1), "uid {id}");
            assert_eq!(sendmsg(&a, b"g", &[credentials(pid, r, id)], 0), Ok(1), "gid {id}");
        }
        assert_errno!(sendmsg(&a, b"u", &[credentials(pid, other, r)], 0), Errno::EPERM);
        assert_errno!(sendmsg(&a, b"g", &[credentials(pid, r, other)], 0), Errno::EPERM);
    })
    .expect_success();
    let got: Vec<(u32, u32)> =
        (0..6).map(|_| recvmsg(&b, 4, 64, 0).unwrap().creds().map(|c| (c.1, c.2)).unwrap()).collect();
    assert_eq!(
        got,
        vec![(65534, 65534), (65534, 65534), (65533, 65534), (65534, 65533), (65532, 65534), (65534, 65532)]
    );
}

/// unix(7), SCM_CREDENTIALS: "A privileged process is allowed to specify values that do not
/// match its own" — with CAP_SYS_ADMIN "the PID of any existing process", with CAP_SETUID and
/// CAP_SETGID any ids. Root states pid 1 and uid/gid 12345/23456; the receiver gets exactly
/// those.
#[apply(socket_types)]
#[rstest]
#[parallel]
fn a_privileged_sender_may_state_other_credentials(#[case] ty: SockType) {
    needs!(root, cap(SETUID), cap(SETGID), cap(SYS_ADMIN));
    let (a, b) = passcred_pair(ty);
    assert_eq!(sendmsg(&a, b"x", &[credentials(1, 12345, 23456)], 0), Ok(1));
    assert_eq!(recvmsg(&b, 4, 64, 0).unwrap().creds(), Some((1, 12345, 23456)));
}

/// unix(7), ERRORS: "ESRCH While sending an ancillary message containing credentials
/// (SCM_CREDENTIALS), the caller specified a PID that does not match any existing process."
/// Only a sender allowed to name other pids (CAP_SYS_ADMIN) gets that far; pid_max itself is
/// never a process id.
#[test]
#[parallel]
fn stating_a_pid_that_does_not_exist_fails_esrch() {
    needs!(cap(SYS_ADMIN));
    let (a, _b) = passcred_pair(SockType::Dgram);
    let missing = fixtures::sysctl::read_u64("kernel/pid_max") as i32;
    let (_, uid, gid) = me();
    assert_errno!(sendmsg(&a, b"x", &[credentials(missing, uid, gid)], 0), Errno::ESRCH);
}

/// unix(7), "Ancillary messages": both kinds can travel in one message (only one "of each of
/// the above types"): descriptors and credentials arrive together.
#[apply(socket_types)]
#[rstest]
#[parallel]
fn descriptors_and_credentials_travel_together(#[case] ty: SockType) {
    let (a, b) = passcred_pair(ty);
    let (_rx, tx) = pipe();
    let (pid, uid, gid) = me();
    assert_eq!(sendmsg(&a, b"x", &[credentials(pid, uid, gid), rights(&[tx.as_raw_fd()])], 0), Ok(1));
    let r = recvmsg(&b, 4, cmsg_space(12) + space_for_fds(1), 0).unwrap();
    assert!(!r.ctrunc());
    assert_eq!(r.creds(), Some((pid, uid, gid)));
    assert_eq!(r.fds.len(), 1);
    assert!(same_description(&r.fds[0], &tx));
}

/// unix(7), SO_PASSCRED: it "causes receipt of the credentials of the sending process in an
/// SCM_CREDENTIALS ancillary message in each subsequently received message". With
/// SO_PASSCRED on a stream, a read never joins bytes sent by different processes, so
/// each chunk's credentials stay exact (net/unix/af_unix.c, unix_stream_read_generic():
/// "Never glue messages from different writers"); without it the bytes are one stream. The
/// parent and a child write through the same socket, one after the other.
#[rstest]
#[serial]
fn with_so_passcred_a_stream_read_does_not_join_different_senders(#[values(false, true)] passcred: bool) {
    let (a, b) = socketpair(SockType::Stream, 0);
    if passcred {
        setsockopt_int(&b, libc::SOL_SOCKET, libc::SO_PASSCRED, 1).unwrap();
    }
    assert_eq!(sendmsg(&a, b"ab", &[], 0), Ok(2));
    let (sent, wait_sent) = channel();
    let child = spawn("second writer", || {
        assert_eq!(sendmsg(&a, b"cd", &[], 0), Ok(2));
        sent.notify();
    });
    wait_sent.wait();
    let pid = child.pid().as_raw();
    child.expect_success();
    let first = recvmsg(&b, 16, 64, libc::MSG_DONTWAIT).unwrap();
    if !passcred {
        assert_eq!(first.data, b"abcd");
        return;
    }
    assert_eq!(first.data, b"ab");
    assert_eq!(first.creds().map(|c| c.0), Some(getpid().as_raw()));
    let second = recvmsg(&b, 16, 64, libc::MSG_DONTWAIT).unwrap();
    assert_eq!(second.data, b"cd");
    assert_eq!(second.creds().map(|c| c.0), Some(pid));
}

/// SO_PASSCRED and SO_PASSSEC are for sockets that can receive SCM_CREDENTIALS /
/// SCM_SECURITY (AF_UNIX, AF_NETLINK, AF_BLUETOOTH), SO_PASSPIDFD only for AF_UNIX: since
/// commit 7d8d93fdde50 ("net: Restrict SO_PASS{CRED,PIDFD,SEC} to AF_{UNIX,NETLINK,
/// BLUETOOTH}", 6.16) setsockopt(2) and getsockopt(2) on a TCP or UDP socket fail EOPNOTSUPP.
/// Before, socket(7)'s generic code accepted them silently (the flag reads back 1 and means
/// nothing: variant `absent`); SO_PASSPIDFD before 6.5 is unknown (ENOPROTOOPT).
///
/// Kernel change: 6.16, commit 7d8d93fdde50 — SO_PASSCRED, SO_PASSSEC and SO_PASSPIDFD on TCP/UDP fail EOPNOTSUPP instead of being accepted.
#[rstest]
#[parallel]
#[case::passcred_tcp(libc::SO_PASSCRED, libc::SOCK_STREAM)]
#[case::passcred_udp(libc::SO_PASSCRED, libc::SOCK_DGRAM)]
#[case::passsec_tcp(libc::SO_PASSSEC, libc::SOCK_STREAM)]
#[case::passpidfd_tcp(ancillary::SO_PASSPIDFD, libc::SOCK_STREAM)]
#[case::passpidfd_udp(ancillary::SO_PASSPIDFD, libc::SOCK_DGRAM)]
fn pass_options_on_an_inet_socket_fail_eopnotsupp(#[case] opt: libc::c_int, #[case] ty: libc::c_int) {
    let fd = fixtures::net::socket(libc::AF_INET, ty, 0).unwrap();
    let set = setsockopt_int(&fd, libc::SOL_SOCKET, opt, 1);
    if variant::since(6, 16, "the AF_UNIX/NETLINK/BLUETOOTH restriction of SO_PASS*") {
        assert_errno!(set, Errno::EOPNOTSUPP);
        assert_errno!(getsockopt_int(&fd, libc::SOL_SOCKET, opt), Errno::EOPNOTSUPP);
    } else if opt == ancillary::SO_PASSPIDFD && !fixtures::kernel_at_least(6, 5) {
        // variant: none beyond `absent` above — SO_PASSPIDFD itself dates from 6.5.
        assert_errno!(set, Errno::ENOPROTOOPT);
    } else {
        assert_eq!(set, Ok(()), "accepted silently before 6.16");
        assert_eq!(getsockopt_int(&fd, libc::SOL_SOCKET, opt), Ok(1));
    }
}

/// When an accepted socket gets the listener's SO_PASSCRED: since commit 3f84d577b79d
/// ("af_unix: Inherit sk_flags at connect()", 6.16) the flags are copied to the new socket
/// when the client connects (unix_stream_connect), so SO_PASSCRED set on the listener after
/// connect(2) but before accept(2) is not on the accepted socket (variant `at-connect`);
/// before, accept(2) copied them (unix_sock_inherit_flags) and it is (variant `at-accept`).
/// Set before connect(2), it is inherited on every kernel. unix(7) does not say; socket(7)
/// and accept(2) ("does not inherit file status flags") are silent on socket options.
///
/// Kernel change: 6.16, commit 3f84d577b79d — an accepted AF_UNIX socket takes SO_PASSCRED from the listener at connect() time, not at accept() time.
#[apply(connection_types)]
#[rstest]
#[parallel]
fn so_passcred_of_the_listener_is_copied_at_connect_time(#[case] ty: SockType) {
    use fixtures::net::{accept4, connect, socket};
    let (l, addr) = abstract_listener(ty, "passcred");
    // Set before connect: inherited everywhere.
    setsockopt_int(&l, libc::SOL_SOCKET, libc::SO_PASSCRED, 1).unwrap();
    let early = socket(libc::AF_UNIX, ty.raw(), 0).unwrap();
    connect(&early, &addr).unwrap();
    let early_served = accept4(&l, libc::SOCK_CLOEXEC).unwrap();
    assert_eq!(getsockopt_int(&early_served, libc::SOL_SOCKET, libc::SO_PASSCRED), Ok(1));
    // Set after connect, before accept.
    setsockopt_int(&l, libc::SOL_SOCKET, libc::SO_PASSCRED, 0).unwrap();
    let late = socket(libc::AF_UNIX, ty.raw(), 0).unwrap();
    connect(&late, &addr).unwrap();
    setsockopt_int(&l, libc::SOL_SOCKET, libc::SO_PASSCRED, 1).unwrap();
    let late_served = accept4(&l, libc::SOCK_CLOEXEC).unwrap();
    let v = fixtures::kernel_version();
    match getsockopt_int(&late_served, libc::SOL_SOCKET, libc::SO_PASSCRED) {
        Ok(0) => {
            assert!(fixtures::kernel_at_least(6, 16), "flags taken at connect() on {v}, before 3f84d577b79d (6.16)");
            variant::observed("at-connect", format_args!("the listener's flags are copied at connect(); kernel {v}"));
        }
        Ok(1) => {
            assert!(!fixtures::kernel_at_least(6, 16), "flags taken at accept() on {v}, which has 3f84d577b79d (6.16)");
            variant::observed("at-accept", format_args!("accept() copies the listener's flags; kernel {v}"));
        }
        other => panic!("SO_PASSCRED of the accepted socket: {other:?}"),
    }
}
