//! SCM_RIGHTS (unix(7), "Ancillary messages"): "Send or receive a set of open file
//! descriptors from another process ... what is being passed is a reference to an open file
//! description ... Semantically, this operation is equivalent to duplicating (dup(2)) a file
//! descriptor into the file descriptor table of another process."

use std::io::{Seek, SeekFrom, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

use ancillary::*;
use fixtures::{Scratch, run_in_child};
use rstest::rstest;
use serial_test::{parallel, serial};

/// unix(7), SCM_RIGHTS: passing one descriptor over each socket type gives the receiver a
/// descriptor for the same file: bytes written through the received write end of a pipe come
/// out of the read end the sender kept. The data byte travels with it.
#[rstest]
#[parallel]
fn one_passed_descriptor_refers_to_the_same_file(
    #[values(SockType::Stream, SockType::Dgram, SockType::Seqpacket)] ty: SockType,
) {
    let (a, b) = socketpair(ty, 0);
    let (rx, tx) = pipe();
    assert_eq!(send_fds(&a, b"!", &[tx.as_raw_fd()]), Ok(1));
    let r = recv_fds(&b, 16, 1, 0).unwrap();
    assert_eq!(r.data, b"!");
    assert_eq!(r.fds.len(), 1);
    assert!(!r.ctrunc());
    assert_ne!(r.fds[0].as_raw_fd(), tx.as_raw_fd(), "a new descriptor, not the sender's number");
    assert_eq!(nix::unistd::write(&r.fds[0], b"via the passed fd"), Ok(17));
    let mut buf = [0u8; 32];
    assert_eq!(nix::unistd::read(&rx, &mut buf), Ok(17));
    assert_eq!(&buf[..17], b"via the passed fd");
}

/// unix(7), SCM_RIGHTS: "The data portion contains an integer array of the file
/// descriptors": several in one message arrive in one control message, in the same order.
#[rstest]
#[parallel]
fn several_descriptors_pass_in_one_message_in_order(
    #[values(SockType::Stream, SockType::Dgram, SockType::Seqpacket)] ty: SockType,
) {
    let (a, b) = socketpair(ty, 0);
    let pipes: Vec<(OwnedFd, OwnedFd)> = (0..4).map(|_| pipe()).collect();
    let sent: Vec<RawFd> = pipes.iter().map(|(_, w)| w.as_raw_fd()).collect();
    send_fds(&a, b"x", &sent).unwrap();
    let r = recv_fds(&b, 16, 4, 0).unwrap();
    assert_eq!(r.cmsgs.len(), 1, "one SCM_RIGHTS message");
    assert_eq!(r.fds.len(), 4);
    for (i, fd) in r.fds.iter().enumerate() {
        assert_eq!(file_id(fd), file_id(&pipes[i].1), "descriptor {i} keeps its place");
    }
}

/// unix(7), SCM_RIGHTS: "in the receiving process it is likely that a different file
/// descriptor number will be used" — as with dup(2), the received descriptors take the
/// lowest free numbers, in array order. Checked in a single-threaded child with holes in its
/// table.
#[rstest]
#[serial]
fn received_descriptors_take_the_lowest_free_numbers(
    #[values(SockType::Stream, SockType::Dgram, SockType::Seqpacket)] ty: SockType,
) {
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
#[rstest]
#[parallel]
fn sender_and_receiver_share_the_file_offset(
    #[values(SockType::Stream, SockType::Dgram, SockType::Seqpacket)] ty: SockType,
) {
    let s = Scratch::new();
    let path = s.file("f", b"0123456789");
    let mut file = std::fs::File::open(&path).unwrap();
    let (a, b) = socketpair(ty, 0);
    send_fds(&a, b"x", &[file.as_raw_fd()]).unwrap();
    let r = recv_fds(&b, 4, 1, 0).unwrap();
    let mut buf = [0u8; 3];
    assert_eq!(nix::unistd::read(&r.fds[0], &mut buf), Ok(3));
    assert_eq!(file.stream_position().unwrap(), 3, "the sender's offset moved");
    file.seek(SeekFrom::Start(8)).unwrap();
    assert_eq!(nix::unistd::read(&r.fds[0], &mut buf), Ok(2));
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
    let fd = r.fds[0].as_raw_fd();
    // SAFETY: F_SETFL on the received descriptor.
    let set = unsafe { libc::fcntl(fd, libc::F_SETFL, status_flags(fd) | libc::O_APPEND | libc::O_NONBLOCK) };
    assert_eq!(set, 0);
    let mine = status_flags(file.as_raw_fd());
    assert_eq!(mine & (libc::O_APPEND | libc::O_NONBLOCK), libc::O_APPEND | libc::O_NONBLOCK);
    file.write_all(b"Z").unwrap();
    assert_eq!(std::fs::read(s.join("f")).unwrap(), b"abcZ", "O_APPEND set by the receiver applies to the sender");
}

/// recv(2), MSG_CMSG_CLOEXEC: "Set the close-on-exec flag for the file descriptor received via
/// a UNIX domain file descriptor using the SCM_RIGHTS operation"; without it the flag is off —
/// the descriptor flag is not carried over, even when the sender's descriptor had it (it is
/// a property of the descriptor, not of the open file description; dup(2)).
#[rstest]
#[parallel]
fn close_on_exec_comes_from_msg_cmsg_cloexec_not_from_the_sender(
    #[values(SockType::Stream, SockType::Dgram, SockType::Seqpacket)] ty: SockType,
    #[values(false, true)] sender_cloexec: bool,
    #[values(false, true)] msg_cmsg_cloexec: bool,
) {
    let (a, b) = socketpair(ty, 0);
    let (_rx, tx) = pipe();
    // SAFETY: F_SETFD on our own descriptor.
    unsafe { libc::fcntl(tx.as_raw_fd(), libc::F_SETFD, if sender_cloexec { libc::FD_CLOEXEC } else { 0 }) };
    send_fds(&a, b"x", &[tx.as_raw_fd(), tx.as_raw_fd()]).unwrap();
    let r = recv_fds(&b, 4, 2, if msg_cmsg_cloexec { libc::MSG_CMSG_CLOEXEC } else { 0 }).unwrap();
    for fd in r.fd_numbers() {
        let expected = if msg_cmsg_cloexec { libc::FD_CLOEXEC } else { 0 };
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
/// files, directories, epoll instances. The received descriptor refers to the same object
/// (same st_dev/st_ino) and works as that kind.
#[rstest]
#[parallel]
fn a_descriptor_of_every_kind_can_be_passed(
    #[values(
        Kind::PipeEnd,
        Kind::OtherSocket,
        Kind::TheSendingSocketItself,
        Kind::Eventfd,
        Kind::RegularFile,
        Kind::Directory,
        Kind::Epoll
    )]
    kind: Kind,
) {
    let s = Scratch::new();
    let (a, b) = socketpair(SockType::Stream, 0);
    let (_rx, tx) = pipe();
    let (other, _other_peer) = socketpair(SockType::Dgram, 0);
    // SAFETY: plain system calls returning new descriptors.
    let fd: OwnedFd = unsafe {
        match kind {
            Kind::PipeEnd => OwnedFd::from_raw_fd(libc::dup(tx.as_raw_fd())),
            Kind::OtherSocket => OwnedFd::from_raw_fd(libc::dup(other.as_raw_fd())),
            Kind::TheSendingSocketItself => OwnedFd::from_raw_fd(libc::dup(a.as_raw_fd())),
            Kind::Eventfd => OwnedFd::from_raw_fd(libc::eventfd(7, libc::EFD_CLOEXEC)),
            Kind::RegularFile => std::fs::File::open(s.file("f", b"content")).unwrap().into(),
            Kind::Directory => std::fs::File::open(s.path()).unwrap().into(),
            Kind::Epoll => OwnedFd::from_raw_fd(libc::epoll_create1(libc::EPOLL_CLOEXEC)),
        }
    };
    assert!(fd.as_raw_fd() >= 0);
    send_fds(&a, b"x", &[fd.as_raw_fd()]).unwrap();
    let r = recv_fds(&b, 4, 1, 0).unwrap();
    let got = &r.fds[0];
    assert_eq!(file_id(got), file_id(&fd));
    match kind {
        Kind::Eventfd => {
            let mut v = [0u8; 8];
            assert_eq!(nix::unistd::read(got, &mut v), Ok(8));
            assert_eq!(u64::from_ne_bytes(v), 7, "the eventfd's counter");
        }
        Kind::RegularFile => {
            let mut v = [0u8; 7];
            assert_eq!(nix::unistd::read(got, &mut v), Ok(7));
            assert_eq!(&v, b"content");
        }
        Kind::TheSendingSocketItself => {
            // The received descriptor is the sending end: what it sends, b receives.
            assert_eq!(nix::unistd::write(got, b"self"), Ok(4));
            let mut v = [0u8; 4];
            assert_eq!(nix::unistd::read(&b, &mut v), Ok(4));
            assert_eq!(&v, b"self");
        }
        Kind::Epoll => {
            // Register the pipe through the received descriptor; the sender's sees it.
            let mut ev = libc::epoll_event { events: libc::EPOLLIN as u32, u64: 42 };
            // SAFETY: epoll calls with valid descriptors and buffers.
            unsafe {
                assert_eq!(libc::epoll_ctl(got.as_raw_fd(), libc::EPOLL_CTL_ADD, _rx.as_raw_fd(), &mut ev), 0);
                nix::unistd::write(&tx, b"e").unwrap();
                let mut out = [libc::epoll_event { events: 0, u64: 0 }; 2];
                assert_eq!(libc::epoll_wait(fd.as_raw_fd(), out.as_mut_ptr(), 2, 0), 1);
                assert_eq!({ out[0].u64 }, 42);
            }
        }
        _ => assert_eq!(fixtures::procfs::fd_target(got.as_raw_fd()), fixtures::procfs::fd_target(fd.as_raw_fd())),
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
    assert_eq!(file_id(&r.fds[0]), file_id(&r.fds[1]));
}

/// recv(2), MSG_PEEK: "a subsequent receive call will return the same data" — for a message
/// with SCM_RIGHTS that includes the descriptors: peeking installs them (new descriptors),
/// and the real receive installs them again (net/unix/af_unix.c, unix_peek_fds()).
#[rstest]
#[parallel]
fn peeking_a_message_with_descriptors_installs_them_too(
    #[values(SockType::Stream, SockType::Dgram, SockType::Seqpacket)] ty: SockType,
) {
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
    assert_eq!(file_id(&peeked.fds[0]), file_id(&tx));
    assert_eq!(file_id(&real.fds[0]), file_id(&tx));
}

/// unix(7): "When sending ancillary data with sendmsg(2), only one item of each of the above
/// types may be included in the sent message." Linux does not reject two SCM_RIGHTS headers:
/// it appends the second array to the first (net/core/scm.c, scm_fp_copy()), and the
/// receiver gets one SCM_RIGHTS message with all the descriptors. See Findings.
#[rstest]
#[parallel]
fn two_scm_rights_headers_are_merged_into_one(
    #[values(SockType::Stream, SockType::Dgram, SockType::Seqpacket)] ty: SockType,
) {
    let (a, b) = socketpair(ty, 0);
    let (rx, tx) = pipe();
    assert_eq!(sendmsg(&a, b"x", &[rights(&[rx.as_raw_fd()]), rights(&[tx.as_raw_fd()])], 0), Ok(1));
    let r = recv_fds(&b, 4, 4, 0).unwrap();
    assert_eq!(r.cmsgs.len(), 1);
    assert_eq!(r.fds.len(), 2);
    assert_eq!(file_id(&r.fds[0]), file_id(&rx));
    assert_eq!(file_id(&r.fds[1]), file_id(&tx));
}
