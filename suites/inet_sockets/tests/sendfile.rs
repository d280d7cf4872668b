//! sendfile(2) from a regular file to a TCP socket.

use std::io::Write;
use std::os::fd::{AsFd, AsRawFd};

use fixtures::io::read_exact;
use fixtures::Scratch;
use inet_sockets::addr::Family;
use inet_sockets::sockets::tcp_pair;

fn data() -> Vec<u8> {
    (0..100_000u32).map(|i| (i % 251) as u8).collect()
}

fn sendfile(out: &impl AsFd, input: &impl AsFd, offset: Option<&mut libc::off_t>, count: usize) -> usize {
    let p = offset.map_or(std::ptr::null_mut(), |o| o as *mut libc::off_t);
    // SAFETY: valid fds and offset pointer (or null).
    fixtures::within("sendfile to a TCP socket", || {
        fixtures::sys_size(unsafe { libc::sendfile(out.as_fd().as_raw_fd(), input.as_fd().as_raw_fd(), p, count) }).expect("sendfile")
    })
}

fn cur(fd: &impl AsFd) -> i64 {
    // SAFETY: lseek on our own fd.
    unsafe { libc::lseek(fd.as_fd().as_raw_fd(), 0, libc::SEEK_CUR) }
}

fn file_with(content: &[u8]) -> (Scratch, std::fs::File) {
    let s = Scratch::new();
    let p = s.join("src");
    std::fs::File::create(&p).unwrap().write_all(content).unwrap();
    let f = std::fs::File::open(&p).unwrap();
    (s, f)
}

/// sendfile(2): "If offset is not NULL, then it points to a variable holding the file offset
/// from which sendfile() will start reading data from in_fd. When sendfile() returns, this
/// variable will be set to the offset of the byte following the last byte that was read. If
/// offset is not NULL, then sendfile() does not modify the file offset of in_fd"; "the
/// number of bytes written to out_fd is returned". Bytes [1000, 61000) arrive at the peer
/// exactly; the offset variable ends at 1000 plus the bytes sent; the file offset stays 0.
#[test]
fn sendfile_with_an_offset_sends_from_there_and_updates_only_the_variable() {
    let content = data();
    let (_s, f) = file_with(&content);
    let (c, srv) = tcp_pair(Family::V4);
    let mut off: libc::off_t = 1000;
    let mut sent = 0;
    while sent < 60_000 {
        let n = sendfile(&c, &f, Some(&mut off), 60_000 - sent);
        assert!(n > 0, "sendfile returned 0 before the end");
        sent += n;
        assert_eq!(off as usize, 1000 + sent, "offset after {sent} bytes");
    }
    assert_eq!(read_exact(&srv, 60_000), &content[1000..61_000]);
    assert_eq!(cur(&f), 0, "the file offset of in_fd must not move");
}

/// sendfile(2): with offset NULL "data will be read from in_fd starting at the file offset,
/// and the file offset will be updated by the call"; a count beyond the end sends only what
/// is there, and at end of file sendfile returns 0.
#[test]
fn sendfile_without_an_offset_advances_the_file_offset_and_returns_0_at_eof() {
    let content = data();
    let (_s, f) = file_with(&content);
    // SAFETY: lseek on our own fd.
    assert_eq!(unsafe { libc::lseek(f.as_raw_fd(), 90_000, libc::SEEK_SET) }, 90_000);
    let (c, srv) = tcp_pair(Family::V4);
    let mut sent = 0;
    loop {
        let n = sendfile(&c, &f, None, 1 << 20);
        if n == 0 {
            break;
        }
        sent += n;
        assert_eq!(cur(&f), 90_000 + sent as i64);
    }
    assert_eq!(sent, 10_000, "only the bytes up to end of file");
    assert_eq!(read_exact(&srv, 10_000), &content[90_000..]);
}
