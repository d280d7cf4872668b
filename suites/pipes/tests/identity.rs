//! What the two ends are: fstat(2) and /proc/self/fd.

use fixtures::io::write_all;
use fixtures::kinds::Kind;
use fixtures::procfs::fd_target;
use nix::sys::stat::{SFlag, fstat};
use pipes::{blocking_pair, blocking_pair_holding};
use fixtures::cases::pipe_kinds;
use rstest::rstest;
use rstest_reuse::apply;

/// inode(7), "The file type and mode": S_IFIFO / S_ISFIFO(m) "FIFO (named pipe)", which pipes
/// report too (pipe(7): "Pipes and FIFOs (also known as named pipes)"). inode(7) defines
/// st_size only "if it is a regular file or a symbolic link"; Linux reports 0 for a pipe even
/// with data in it (some other systems report the unread byte count). Asserted: both ends are
/// S_IFIFO with st_size 0 while 10 bytes are buffered.
#[apply(pipe_kinds)]
#[rstest]
fn both_ends_are_fifos_of_size_zero(#[case] kind: Kind) {
    let p = blocking_pair_holding(kind, b"0123456789");
    for (end, fd) in [("read end", p.rx()), ("write end", p.tx())] {
        let st = fstat(fd).unwrap();
        assert_eq!(SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT, SFlag::S_IFIFO, "file type of the {end}");
        assert_eq!(st.st_size, 0, "st_size of the {end}");
    }
}

/// pipe(2): the two descriptors refer to the ends of one pipe; fifo(7): "The kernel maintains
/// exactly one pipe object for each FIFO special file". Asserted: both ends have the same
/// st_dev and st_ino, and for a FIFO these are the FIFO file's own.
#[apply(pipe_kinds)]
#[rstest]
fn both_ends_share_one_inode(#[case] kind: Kind) {
    let p = blocking_pair(kind);
    let r = fstat(p.rx()).unwrap();
    let w = fstat(p.tx()).unwrap();
    assert_eq!((r.st_dev, r.st_ino), (w.st_dev, w.st_ino));
    if kind == Kind::Fifo {
        let path = fd_target(p.rx());
        let f = nix::sys::stat::stat(path.as_str()).unwrap();
        assert_eq!((f.st_dev, f.st_ino), (r.st_dev, r.st_ino), "the FIFO file {path} is the pipe's inode");
    }
}

/// proc(5), /proc/pid/fd: "For file descriptors for pipes and sockets, the entries will be
/// symbolic links whose content is the file type with the inode ... type:[inode]". Asserted:
/// both ends of an anonymous pipe read "pipe:[N]" with the same N, equal to fstat's st_ino.
#[test]
fn proc_fd_links_name_the_pipe_and_its_inode() {
    let (rx, tx) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).unwrap();
    let ino = fstat(&rx).unwrap().st_ino;
    let expected = format!("pipe:[{ino}]");
    assert_eq!(fd_target(&rx), expected, "read end");
    assert_eq!(fd_target(&tx), expected, "write end");
}

/// pipe(2): "pipe() creates a pipe" — a new one each time. Asserted: two pipes have different
/// inodes, and data written to one does not appear in the other.
#[test]
fn every_pipe_is_a_new_object() {
    let (rx1, tx1) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC | nix::fcntl::OFlag::O_NONBLOCK).unwrap();
    let (rx2, _tx2) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC | nix::fcntl::OFlag::O_NONBLOCK).unwrap();
    assert_ne!(fstat(&rx1).unwrap().st_ino, fstat(&rx2).unwrap().st_ino);
    write_all(&tx1, b"one");
    assert_eq!(fixtures::io::fionread(&rx2), Ok(0));
    assert_eq!(fixtures::io::fionread(&rx1), Ok(3));
}
