//! SCM_RIGHTS (unix(7), "Ancillary messages"): "Send or receive a set of open file
//! descriptors from another process ... what is being passed is a reference to an open file
//! description ... Semantically, this operation is equivalent to duplicating (dup(2)) a file
//! descriptor into the file descriptor table of another process."

use fixtures::cases::socket_types;
use fixtures::net::SockType;
use std::io::{Seek, SeekFrom, Write};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};

use ancillary::cmsg::{recv_fds, rights, send_fds, sendmsg};
use ancillary::{lowest_free_fds, pipe, same_description, socketpair};
use fixtures::io::{fd_flags, owned, read_exact, read_once, setfl, status_flags, write_once};
use nix::fcntl::FdFlag;
use fixtures::poll::{Epoll, epoll_ctl, epoll_wait};
use fixtures::procfs::fd_target;
use fixtures::{Scratch, run_in_child};
use rstest::rstest;
use rstest_reuse::apply;
use serial_test::{parallel, serial};

/// unix(7), SCM_RIGHTS: passing one descriptor over each socket type gives the receiver a
/// descriptor for the same file: bytes written through the received write end of a pipe come
/// out of the read end the sender kept. The data byte travels with it.
#[apply(socket_types)]
#[rstest]
#[parallel]
fn one_passed_descriptor_refers_to_the_same_file(#[case] ty: SockType) {
    let (a, b) = socketpair(ty, 0);
    let (rx, tx) = pipe();
    assert_eq!(send_fds(&a, b"!", &[tx.as_raw_fd()]), Ok(1));
    let r = recv_fds(&b, 16, 1, 0).unwrap();
    assert_eq!(r.data, b"!");
    assert_eq!(r.fds.len(), 1);
    assert!(!r.ctrunc());
    assert_ne!(r.fds[0].as_raw_fd(), tx.as_raw_fd(), "a new descriptor, not the sender's number");
    assert_eq!(write_once(&r.fds[0], b"via the passed fd"), Ok(17));
    let mut buf = [0u8; 32];
    assert_eq!(read_once(&rx, &mut buf), Ok(17));
    assert_eq!(&buf[..17], b"via the passed fd");
}

/// unix(7), SCM_RIGHTS: "The data portion contains an integer array of the file
/// descriptors": several in one message arrive in one control message, in the same order.
#[apply(socket_types)]
#[rstest]
#[parallel]
fn several_descriptors_pass_in_one_message_in_order(#[case] ty: SockType) {
    let (a, b) = socketpair(ty, 0);
    let pipes: Vec<(OwnedFd, OwnedFd)> = (0..4).map(|_| pipe()).collect();
    let sent: Vec<RawFd> = pipes.iter().map(|(_, w)| w.as_raw_fd()).collect();
    send_fds(&a, b"x", &sent).unwrap();
    let r = recv_fds(&b, 16, 4, 0).unwrap();
    assert_eq!(r.cmsgs.len(), 1, "one SCM_RIGHTS message");
    assert_eq!(r.fds.len(), 4);
    for (i, fd) in r.fds.iter().enumerate() {
        assert!(same_description(fd, &pipes[i].1), "descriptor {i} does not keep its place");
    }
}

/// unix(7), SCM_RIGHTS: "in the receiving process it is likely that a different file
/// descriptor number will be used" — as with dup(2), the received descriptors take the
/// lowest free numbers, in array order. Checked in a single-threaded child with holes in its
/// table.
#[apply(socket_types)]
#[rstest]
#[serial]
fn received_descriptors_take_the_lowest_free_numbers(#[case] ty: SockType) {
    let (a, b) = socketpair(ty, 0);
    let (_rx, tx) = pipe();
    run_in_child("receiver with holes", || {
        let mut keep: Vec<OwnedFd> = (0..6).map(|_| tx.try_clone().unwrap()).collect();
        let top = keep[5].as_raw_fd();
        drop(keep.remove(4));
        drop(keep.remove(1));
        send_fds(&a, b"x", &[tx.as_raw_fd(), tx.as_raw_fd()]).unwrap();
        let expected = lowest_free_fds(2);
        assert!(expected[1] < top, "the holes below {top} are what is free: {expected:?}");
        let r = recv_fds(&b, 4, 2, 0).unwrap();
        assert_eq!(r.fd_numbers(), expected);
    })
    .expect_success();
}

/// unix(7), SCM_RIGHTS: what is passed is "a reference to an open file description (see
/// open(2))", so sender and receiver share the file offset, like dup(2): reading through the
/// received descriptor moves the sender's offset.
#[apply(socket_types)]
#[rstest]
#[parallel]
fn sender_and_receiver_share_the_file_offset(#[case] ty: SockType) {
    let s = Scratch::new();
    let path = s.file("f", b"0123456789");
    let mut file = std::fs::File::open(&path).unwrap();
    let (a, b) = socketpair(ty, 0);
    send_fds(&a, b"x", &[file.as_raw_fd()]).unwrap();
    let r = recv_fds(&b, 4, 1, 0).unwrap();
    let mut buf = [0u8; 3];
    assert_eq!(read_once(&r.fds[0], &mut buf), Ok(3));
    assert_eq!(file.stream_position().unwrap(), 3, "the sender's offset moved");
    file.seek(SeekFrom::Start(8)).unwrap();
    assert_eq!(read_once(&r.fds[0], &mut buf), Ok(2));
    assert_eq!(&buf[..2], b"89");
}

/// unix(7), SCM_RIGHTS ("equivalent to duplicating (dup(2))"); dup(2): the two descriptors
/// share "file status flags": O_NONBLOCK and O_APPEND set through the received descriptor are
/// seen through the sender's.
#[test]
#[parallel]
fn sender_and_receiver_share_the_file_status_flags() {
    let s = Scratch::new();
    let mut file = std::fs::OpenOptions::new().read(true).write(true).open(s.file("f", b"abc")).unwrap();
    let (a, b) = socketpair(SockType::Stream, 0);
    send_fds(&a, b"x", &[file.as_raw_fd()]).unwrap();
    let r = recv_fds(&b, 4, 1, 0).unwrap();
    let fd = &r.fds[0];
    assert_eq!(setfl(fd, status_flags(fd) | libc::O_APPEND | libc::O_NONBLOCK), Ok(0));
    let mine = status_flags(&file);
    assert_eq!(mine & (libc::O_APPEND | libc::O_NONBLOCK), libc::O_APPEND | libc::O_NONBLOCK);
    file.write_all(b"Z").unwrap();
    assert_eq!(std::fs::read(s.join("f")).unwrap(), b"abcZ", "O_APPEND set by the receiver applies to the sender");
}

/// recv(2), MSG_CMSG_CLOEXEC: "Set the close-on-exec flag for the file descriptor received via
/// a UNIX domain file descriptor using the SCM_RIGHTS operation"; without it the flag is off —
/// the descriptor flag is not carried over, even when the sender's descriptor had it (it is
/// a property of the descriptor, not of the open file description; dup(2)).
#[apply(socket_types)]
#[rstest]
#[parallel]
fn close_on_exec_comes_from_msg_cmsg_cloexec_not_from_the_sender(
    #[case] ty: SockType,
    #[values(false, true)] sender_cloexec: bool,
    #[values(false, true)] msg_cmsg_cloexec: bool,
) {
    let (a, b) = socketpair(ty, 0);
    let (_rx, tx) = pipe();
    nix::fcntl::fcntl(&tx, nix::fcntl::FcntlArg::F_SETFD(if sender_cloexec { FdFlag::FD_CLOEXEC } else { FdFlag::empty() }))
        .unwrap();
    send_fds(&a, b"x", &[tx.as_raw_fd(), tx.as_raw_fd()]).unwrap();
    let r = recv_fds(&b, 4, 2, if msg_cmsg_cloexec { libc::MSG_CMSG_CLOEXEC } else { 0 }).unwrap();
    let expected = if msg_cmsg_cloexec { libc::FD_CLOEXEC } else { 0 };
    for fd in &r.fds {
        assert_eq!(fd_flags(fd), expected);
    }
}

/// An open file of each kind, for the claim that any of them can be passed.
#[derive(Clone, Copy, Debug)]
enum Kind {
    PipeEnd,
    OtherSocket,
    TheSendingSocketItself,
    Eventfd,
    RegularFile,
    Directory,
    Epoll,
}

/// unix(7), SCM_RIGHTS: "Send or receive a set of open file descriptors" — of any kind: pipe
/// ends, sockets (including the very socket the message is sent on), eventfds, regular
/// files, directories, epoll instances. Asserted: the received descriptor is the same open
/// file description (what is passed is "a reference to an open file description"), and it
/// works as that kind.
#[rstest]
#[parallel]
#[case::pipe_end(Kind::PipeEnd)]
#[case::other_socket(Kind::OtherSocket)]
#[case::the_sending_socket_itself(Kind::TheSendingSocketItself)]
#[case::eventfd(Kind::Eventfd)]
#[case::regular_file(Kind::RegularFile)]
#[case::directory(Kind::Directory)]
#[case::epoll(Kind::Epoll)]
fn a_descriptor_of_every_kind_can_be_passed(#[case] kind: Kind) {
    let s = Scratch::new();
    let (a, b) = socketpair(SockType::Stream, 0);
    let (rx, tx) = pipe();
    let (other, other_peer) = socketpair(SockType::Dgram, 0);
    let fd: OwnedFd = match kind {
        Kind::PipeEnd => tx.try_clone().unwrap(),
        Kind::OtherSocket => other.try_clone().unwrap(),
        Kind::TheSendingSocketItself => a.try_clone().unwrap(),
        // SAFETY: eventfd(2) returns a new descriptor (checked by `owned`).
        Kind::Eventfd => owned(unsafe { libc::eventfd(7, libc::EFD_CLOEXEC) }),
        Kind::RegularFile => std::fs::File::open(s.file("f", b"content")).unwrap().into(),
        Kind::Directory => std::fs::File::open(s.path()).unwrap().into(),
        Kind::Epoll => Epoll::new().0,
    };
    send_fds(&a, b"x", &[fd.as_raw_fd()]).unwrap();
    let r = recv_fds(&b, 4, 1, 0).unwrap();
    let got = &r.fds[0];
    assert!(same_description(got, &fd), "the received {kind:?} is another open file description");
    match kind {
        Kind::PipeEnd => {
            assert_eq!(write_once(got, b"pipe"), Ok(4));
            assert_eq!(read_exact(&rx, 4), b"pipe");
        }
        Kind::OtherSocket => {
            assert_eq!(write_once(got, b"dgram"), Ok(5));
            assert_eq!(read_exact(&other_peer, 5), b"dgram");
        }
        Kind::TheSendingSocketItself => {
            // The received descriptor is the sending end: what it sends, b receives.
            assert_eq!(write_once(got, b"self"), Ok(4));
            assert_eq!(read_exact(&b, 4), b"self");
        }
        Kind::Eventfd => assert_eq!(read_exact(got, 8), 7u64.to_ne_bytes(), "the eventfd's counter"),
        Kind::RegularFile => assert_eq!(read_exact(got, 7), b"content"),
        Kind::Directory => assert_eq!(fd_target(got), fd_target(&fd)),
        Kind::Epoll => {
            // Register the pipe through the received descriptor; the sender's sees it.
            assert_eq!(epoll_ctl(got, libc::EPOLL_CTL_ADD, &rx, Some((libc::EPOLLIN as u32, 42))), Ok(()));
            assert_eq!(write_once(&tx, b"e"), Ok(1));
            assert_eq!(epoll_wait(&fd, 2, 0), Ok(vec![(libc::EPOLLIN as u32, 42)]));
        }
    }
}

/// unix(7), SCM_RIGHTS ("equivalent to duplicating"): the same descriptor twice in one array
/// gives two distinct descriptors in the receiver, both for the same file.
#[test]
#[parallel]
fn the_same_descriptor_twice_gives_two_descriptors() {
    let (a, b) = socketpair(SockType::Dgram, 0);
    let (_rx, tx) = pipe();
    send_fds(&a, b"x", &[tx.as_raw_fd(), tx.as_raw_fd()]).unwrap();
    let r = recv_fds(&b, 4, 2, 0).unwrap();
    let n = r.fd_numbers();
    assert_eq!(n.len(), 2);
    assert_ne!(n[0], n[1]);
    assert!(same_description(&r.fds[0], &r.fds[1]), "the two received descriptors are different descriptions");
    assert!(same_description(&r.fds[0], &tx), "the received descriptors are not the sender's description");
}

/// recv(2), MSG_PEEK: "a subsequent receive call will return the same data" — for a message
/// with SCM_RIGHTS that includes the descriptors: peeking installs them (new descriptors),
/// and the real receive installs them again (net/unix/af_unix.c, unix_peek_fds()).
#[apply(socket_types)]
#[rstest]
#[parallel]
fn peeking_a_message_with_descriptors_installs_them_too(#[case] ty: SockType) {
    let (a, b) = socketpair(ty, 0);
    let (_rx, tx) = pipe();
    send_fds(&a, b"p", &[tx.as_raw_fd()]).unwrap();
    // send_fds has queued the message at `b` when it returns, so both receives are
    // MSG_DONTWAIT: if the peek consumed the message (a broken kernel or libc), the real
    // receive fails with EAGAIN and names the defect instead of blocking forever.
    let peeked = recv_fds(&b, 4, 1, libc::MSG_PEEK | libc::MSG_DONTWAIT).unwrap();
    let real = recv_fds(&b, 4, 1, libc::MSG_DONTWAIT).expect("the real receive after the peek");
    assert_eq!((peeked.data.as_slice(), real.data.as_slice()), (&b"p"[..], &b"p"[..]));
    assert_eq!((peeked.fds.len(), real.fds.len()), (1, 1));
    assert_ne!(peeked.fds[0].as_raw_fd(), real.fds[0].as_raw_fd());
    assert!(same_description(&peeked.fds[0], &tx), "the peeked descriptor is another description");
    assert!(same_description(&real.fds[0], &tx), "the received descriptor is another description");
}

/// unix(7): "When sending ancillary data with sendmsg(2), only one item of each of the above
/// types may be included in the sent message." Linux differs from unix(7): it does not
/// reject two SCM_RIGHTS headers but appends the second array to the first (net/core/scm.c,
/// scm_fp_copy()), and the receiver gets one SCM_RIGHTS message with all the descriptors,
/// in order. See docs/findings.md.
#[apply(socket_types)]
#[rstest]
#[parallel]
fn two_scm_rights_headers_are_merged_into_one(#[case] ty: SockType) {
    let (a, b) = socketpair(ty, 0);
    let (rx, tx) = pipe();
    assert_eq!(sendmsg(&a, b"x", &[rights(&[rx.as_raw_fd()]), rights(&[tx.as_raw_fd()])], 0), Ok(1));
    let r = recv_fds(&b, 4, 4, 0).unwrap();
    assert_eq!(r.cmsgs.len(), 1);
    assert_eq!(r.fds.len(), 2);
    assert!(same_description(&r.fds[0], &rx), "the first header's descriptor comes first");
    assert!(same_description(&r.fds[1], &tx), "the second header's descriptor comes second");
}
