//! A worked example from the course: a server hands a client an open file over a socket.
//! The client is a separate program (the test binary re-executed as the `recv-fd-cat S`
//! probe of fixtures::exec), so the descriptor crosses both fork(2) and execve(2): the
//! client inherits the socket, receives the file over it and copies it to its stdout.

use fixtures::cases::socket_types;
use fixtures::net::SockType;
use std::os::fd::{AsRawFd, OwnedFd};

use ancillary::cmsg::send_fds;
use ancillary::{pipe, socketpair};
use fixtures::exec::exec_probe;
use fixtures::io::read_to_eof;
use fixtures::{Outcome, Scratch, spawn};
use rstest::rstest;
use rstest_reuse::apply;
use serial_test::serial;

/// unix(7), SCM_RIGHTS: "Send or receive a set of open file descriptors from another process
/// ... Semantically, this operation is equivalent to duplicating (dup(2)) a file descriptor
/// into the file descriptor table of another process." End to end: the server opens a file
/// the client could not name (it only knows the socket number), sends the descriptor and
/// closes its own; the exec'd client receives it and prints the file; its stdout equals the
/// file's content and it exits 0.
#[apply(socket_types)]
#[rstest]
#[serial]
fn a_server_hands_an_exec_d_client_an_open_file(#[case] ty: SockType) {
    let s = Scratch::new();
    let content: Vec<u8> = (0..20_000u32).flat_map(|i| format!("line {i}\n").into_bytes()).collect();
    let path = s.file("served.txt", &content);
    let (server, client_end) = socketpair(ty, libc::SOCK_CLOEXEC);
    let (out_rx, out_tx) = pipe();
    let client_fd = client_end.as_raw_fd();
    let client_arg = client_fd.to_string();
    let mut client = spawn("exec'd client", || {
        // SAFETY: in the child: stdout becomes the pipe, the socket survives exec.
        unsafe {
            assert_eq!(libc::dup2(out_tx.as_raw_fd(), 1), 1);
            assert_eq!(libc::fcntl(client_fd, libc::F_SETFD, 0), 0);
        }
        exec_probe(&["recv-fd-cat", &client_arg]);
    });
    drop(out_tx);
    drop(client_end);
    let file: OwnedFd = std::fs::File::open(&path).unwrap().into();
    assert_eq!(send_fds(&server, b"f", &[file.as_raw_fd()]), Ok(1));
    drop(file);
    let printed = read_to_eof(&out_rx);
    assert_eq!(client.join(), Outcome::Exited(0));
    assert_eq!(printed.len(), content.len());
    assert!(printed == content, "the client printed something else than the file");
}
