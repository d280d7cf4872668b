//! SCM_CREDENTIALS and SO_PASSCRED (unix(7), "Socket options" and "Ancillary messages"):
//! when the kernel attaches the sender's credentials, which ids they carry, and which ids a
//! sender may claim.

use std::os::fd::AsRawFd;

use ancillary::*;
use fixtures::gate::{Cap, capability};
use fixtures::privilege::{NOBODY, can_switch_user, drop_to_nobody};
use fixtures::sync::channel;
use fixtures::{assert_errno, require, run_in_child, spawn};
use nix::errno::Errno;
use nix::unistd::{getgid, getpid, getuid};
use rstest::rstest;
use serial_test::{parallel, serial};

fn me() -> (i32, u32, u32) {
    (getpid().as_raw(), getuid().as_raw(), getgid().as_raw())
}

fn root_with_setid() -> Result<(), String> {
    if can_switch_user() { Ok(()) } else { Err("requires root with CAP_SETUID/CAP_SETGID".to_string()) }
}

/// unix(7), SO_PASSCRED: "The value given as an argument to setsockopt(2) and returned as the
/// result of getsockopt(2) is an integer boolean flag": any nonzero value reads back as 1.
#[rstest]
#[parallel]
fn so_passcred_reads_back_as_a_boolean(
    #[values(SockType::Stream, SockType::Dgram, SockType::Seqpacket)] ty: SockType,
    #[values(1, 5, -1)] value: c_int,
) {
    let (a, _b) = socketpair(ty, 0);
    assert_eq!(getsockopt_int(&a, libc::SO_PASSCRED), Ok(0));
    setsockopt_int(&a, libc::SO_PASSCRED, value).unwrap();
    assert_eq!(getsockopt_int(&a, libc::SO_PASSCRED), Ok(1));
    setsockopt_int(&a, libc::SO_PASSCRED, 0).unwrap();
    assert_eq!(getsockopt_int(&a, libc::SO_PASSCRED), Ok(0));
}

/// unix(7), SO_PASSCRED: "Enabling this socket option causes receipt of the credentials of
/// the sending process in an SCM_CREDENTIALS ancillary message in each subsequently received
/// message. The returned credentials are those specified by the sender using
/// SCM_CREDENTIALS, or a default that includes the sender's PID, real user ID, and real group
/// ID". A child sends plain data; the receiver gets the child's pid and ids with every
/// message.
#[rstest]
#[serial]
fn so_passcred_attaches_the_senders_credentials(
    #[values(SockType::Stream, SockType::Dgram, SockType::Seqpacket)] ty: SockType,
) {
    let (a, b) = socketpair(ty, 0);
    setsockopt_int(&b, libc::SO_PASSCRED, 1).unwrap();
    let sender = spawn("sender", || {
        assert_eq!(sendmsg(&a, b"1", &[], 0), Ok(1));
        assert_eq!(sendmsg(&a, b"2", &[], 0), Ok(1));
    });
    let pid = sender.pid().as_raw();
    sender.expect_success();
    for data in [b"1", b"2"] {
        let r = recvmsg(&b, 1, 64, 0).unwrap();
        assert_eq!(r.data, data);
        assert_eq!(r.creds(), Some((pid, getuid().as_raw(), getgid().as_raw())));
    }
}

/// unix(7), SCM_CREDENTIALS: "To receive a struct ucred message, the SO_PASSCRED option must
/// be enabled on the socket." Without it nothing arrives — neither the default credentials
/// nor ones the sender states explicitly.
#[rstest]
#[parallel]
fn without_so_passcred_no_credentials_arrive(
    #[values(SockType::Stream, SockType::Dgram, SockType::Seqpacket)] ty: SockType,
    #[values(false, true)] explicit: bool,
) {
    let (a, b) = socketpair(ty, 0);
    let (pid, uid, gid) = me();
    let cmsgs = if explicit { vec![credentials(pid, uid, gid)] } else { vec![] };
    assert_eq!(sendmsg(&a, b"x", &cmsgs, 0), Ok(1));
    let r = recvmsg(&b, 4, 64, 0).unwrap();
    assert!(r.cmsgs.is_empty(), "{:?}", r.cmsgs);
    assert!(!r.ctrunc());
}

/// unix(7), SO_PASSCRED: credentials come "in each subsequently received message" — the
/// kernel attaches them when the message is queued, if either socket had SO_PASSCRED then
/// (net/unix/af_unix.c, maybe_add_creds()). A message queued before the receiver enabled it
/// carries none: it is received with an SCM_CREDENTIALS holding pid 0 and the overflow ids
/// (/proc/sys/kernel/overflowuid, overflowgid), not the sender's. If the sender's own socket
/// had SO_PASSCRED, the real credentials were attached anyway.
#[rstest]
#[parallel]
fn credentials_are_attached_when_the_message_is_queued(
    #[values(SockType::Stream, SockType::Dgram, SockType::Seqpacket)] ty: SockType,
    #[values(false, true)] sender_passcred: bool,
) {
    let (a, b) = socketpair(ty, 0);
    if sender_passcred {
        setsockopt_int(&a, libc::SO_PASSCRED, 1).unwrap();
    }
    assert_eq!(sendmsg(&a, b"early", &[], 0), Ok(5));
    setsockopt_int(&b, libc::SO_PASSCRED, 1).unwrap();
    let r = recvmsg(&b, 8, 64, 0).unwrap();
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
    require!(root_with_setid());
    let (a, b) = socketpair(SockType::Dgram, 0);
    setsockopt_int(&b, libc::SO_PASSCRED, 1).unwrap();
    let sender = spawn("sender with euid 65534", || {
        nix::unistd::setegid(nix::unistd::Gid::from_raw(NOBODY)).unwrap();
        nix::unistd::seteuid(nix::unistd::Uid::from_raw(NOBODY)).unwrap();
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
#[rstest]
#[parallel]
fn a_sender_may_state_its_own_credentials(
    #[values(SockType::Stream, SockType::Dgram, SockType::Seqpacket)] ty: SockType,
) {
    let (a, b) = socketpair(ty, 0);
    setsockopt_int(&b, libc::SO_PASSCRED, 1).unwrap();
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
#[rstest]
#[serial]
fn an_unprivileged_sender_claiming_other_ids_fails_eperm(
    #[values(SockType::Stream, SockType::Dgram, SockType::Seqpacket)] ty: SockType,
    #[values(Claim::Uid, Claim::Gid, Claim::Pid)] claim: Claim,
) {
    let (a, b) = socketpair(ty, 0);
    setsockopt_int(&b, libc::SO_PASSCRED, 1).unwrap();
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
    require!(root_with_setid());
    let (a, b) = socketpair(SockType::Dgram, 0);
    setsockopt_int(&b, libc::SO_PASSCRED, 1).unwrap();
    run_in_child("sender with distinct ids", || {
        let (r, e, s, other) = (65534u32, 65533u32, 65532u32, 65531u32);
        nix::unistd::setgroups(&[]).unwrap();
        use nix::unistd::{Gid, Uid};
        nix::unistd::setresgid(Gid::from_raw(r), Gid::from_raw(e), Gid::from_raw(s)).unwrap();
        nix::unistd::setresuid(Uid::from_raw(r), Uid::from_raw(e), Uid::from_raw(s)).unwrap();
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
#[rstest]
#[parallel]
fn a_privileged_sender_may_state_other_credentials(
    #[values(SockType::Stream, SockType::Dgram, SockType::Seqpacket)] ty: SockType,
) {
    require!(root_with_setid());
    require!(capability(Cap::SYS_ADMIN));
    let (a, b) = socketpair(ty, 0);
    setsockopt_int(&b, libc::SO_PASSCRED, 1).unwrap();
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
    require!(capability(Cap::SYS_ADMIN));
    let (a, b) = socketpair(SockType::Dgram, 0);
    setsockopt_int(&b, libc::SO_PASSCRED, 1).unwrap();
    let missing = fixtures::sysctl::read_u64("kernel/pid_max") as i32;
    let (_, uid, gid) = me();
    assert_errno!(sendmsg(&a, b"x", &[credentials(missing, uid, gid)], 0), Errno::ESRCH);
}

/// unix(7), "Ancillary messages": both kinds can travel in one message (only one "of each of
/// the above types"): descriptors and credentials arrive together.
#[rstest]
#[parallel]
fn descriptors_and_credentials_travel_together(
    #[values(SockType::Stream, SockType::Dgram, SockType::Seqpacket)] ty: SockType,
) {
    let (a, b) = socketpair(ty, 0);
    setsockopt_int(&b, libc::SO_PASSCRED, 1).unwrap();
    let (_rx, tx) = pipe();
    let (pid, uid, gid) = me();
    assert_eq!(sendmsg(&a, b"x", &[credentials(pid, uid, gid), rights(&[tx.as_raw_fd()])], 0), Ok(1));
    let r = recvmsg(&b, 4, cmsg_space(12) + space_for_fds(1), 0).unwrap();
    assert!(!r.ctrunc());
    assert_eq!(r.creds(), Some((pid, uid, gid)));
    assert_eq!(r.fds.len(), 1);
    assert_eq!(file_id(&r.fds[0]), file_id(&tx));
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
        setsockopt_int(&b, libc::SO_PASSCRED, 1).unwrap();
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
