//! AF_UNIX sockets with raw system calls: SO_PEERCRED, and SCM_CREDENTIALS sent and
//! received with sendmsg(2)/recvmsg(2) (unix(7)). Addresses (abstract and pathname) are
//! [`fixtures::net::SockAddr`]s, the plain socket calls [`fixtures::net`]'s.

use std::os::fd::{AsFd, AsRawFd, OwnedFd};

use fixtures::net::{self, SockAddr};
use fixtures::{sys, sys_size};
use nix::errno::Errno;

/// A new AF_UNIX socket of `ty`, panicking on failure.
#[track_caller]
pub fn unix_socket(ty: libc::c_int) -> OwnedFd {
    net::socket(libc::AF_UNIX, ty, 0).expect("socket(AF_UNIX)")
}

/// A new AF_UNIX stream socket connected to `a`, panicking on failure.
#[track_caller]
pub fn connected_to(a: &SockAddr) -> OwnedFd {
    let c = unix_socket(libc::SOCK_STREAM);
    net::connect(&c, a).unwrap_or_else(|e| panic!("connect to {a:?}: {e:?}"));
    c
}

/// accept4(2) of the next connection of a listener, panicking on failure.
#[track_caller]
pub fn accept(l: impl AsFd) -> OwnedFd {
    net::accept4(l, 0).expect("accept4")
}

/// A socket of `ty` bound to `a`, listening unless it is a datagram socket.
#[track_caller]
pub fn listener(ty: libc::c_int, a: &SockAddr) -> OwnedFd {
    let fd = unix_socket(ty);
    net::bind(&fd, a).unwrap_or_else(|e| panic!("bind: {e:?}"));
    if ty != libc::SOCK_DGRAM {
        net::listen(&fd, 8).expect("listen");
    }
    fd
}

/// send(2) the whole buffer.
#[track_caller]
pub fn send(fd: impl AsFd, b: &[u8]) {
    let n = net::send(fd, b, libc::MSG_NOSIGNAL).expect("send");
    assert_eq!(n, b.len(), "short send");
}

/// recv(2) of at most `n` bytes (blocking).
#[track_caller]
pub fn recv(fd: impl AsFd, n: usize) -> Vec<u8> {
    let mut b = vec![0u8; n];
    let got = net::recv(fd, &mut b, 0).expect("recv");
    b.truncate(got);
    b
}

/// SO_PEERCRED of a connected socket.
#[track_caller]
pub fn peer_cred(fd: impl AsFd) -> libc::ucred {
    let mut c = libc::ucred { pid: -1, uid: u32::MAX, gid: u32::MAX };
    let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: the option value buffer is a ucred of the given length.
    sys(unsafe { libc::getsockopt(fd.as_fd().as_raw_fd(), libc::SOL_SOCKET, libc::SO_PEERCRED, (&mut c as *mut libc::ucred).cast(), &mut len) })
        .expect("getsockopt(SO_PEERCRED)");
    c
}

/// Room for one cmsg carrying a ucred, aligned for cmsghdr.
#[repr(C, align(8))]
struct CredBuf([u8; 64]);

/// sendmsg(2) of `data`, with an explicit SCM_CREDENTIALS message when `creds` is given
/// (otherwise the kernel attaches the sender's own credentials if the receiver asked).
pub fn send_with_creds(fd: impl AsFd, data: &[u8], creds: Option<libc::ucred>) -> Result<usize, Errno> {
    let mut iov = libc::iovec { iov_base: data.as_ptr() as *mut libc::c_void, iov_len: data.len() };
    let mut buf = CredBuf([0; 64]);
    // SAFETY: zeroed msghdr is valid; fields are set below to our buffers.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    if let Some(c) = creds {
        // SAFETY: CMSG_* on a buffer large enough for one ucred cmsg.
        unsafe {
            let space = libc::CMSG_SPACE(std::mem::size_of::<libc::ucred>() as u32) as usize;
            msg.msg_control = buf.0.as_mut_ptr().cast();
            msg.msg_controllen = space;
            let cm = libc::CMSG_FIRSTHDR(&msg);
            (*cm).cmsg_level = libc::SOL_SOCKET;
            (*cm).cmsg_type = libc::SCM_CREDENTIALS;
            (*cm).cmsg_len = libc::CMSG_LEN(std::mem::size_of::<libc::ucred>() as u32) as usize;
            std::ptr::write_unaligned(libc::CMSG_DATA(cm).cast::<libc::ucred>(), c);
        }
    }
    // SAFETY: msg points to live buffers.
    sys_size(unsafe { libc::sendmsg(fd.as_fd().as_raw_fd(), &msg, libc::MSG_NOSIGNAL) })
}

/// recvmsg(2) of one message (blocking) and the SCM_CREDENTIALS that came with it.
#[track_caller]
pub fn recv_with_creds(fd: impl AsFd) -> (Vec<u8>, Option<libc::ucred>) {
    let mut data = vec![0u8; 256];
    let mut iov = libc::iovec { iov_base: data.as_mut_ptr().cast(), iov_len: data.len() };
    let mut buf = CredBuf([0; 64]);
    // SAFETY: zeroed msghdr is valid; fields are set to our buffers.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = buf.0.as_mut_ptr().cast();
    msg.msg_controllen = buf.0.len();
    // SAFETY: msg points to live buffers.
    let n = sys_size(unsafe { libc::recvmsg(fd.as_fd().as_raw_fd(), &mut msg, libc::MSG_CMSG_CLOEXEC) }).expect("recvmsg");
    data.truncate(n);
    let mut creds = None;
    // SAFETY: walking the control buffer the kernel filled, with the CMSG_* macros.
    unsafe {
        let mut cm = libc::CMSG_FIRSTHDR(&msg);
        while !cm.is_null() {
            if (*cm).cmsg_level == libc::SOL_SOCKET && (*cm).cmsg_type == libc::SCM_CREDENTIALS {
                creds = Some(std::ptr::read_unaligned(libc::CMSG_DATA(cm).cast::<libc::ucred>()));
            }
            cm = libc::CMSG_NXTHDR(&msg, cm);
        }
    }
    (data, creds)
}

/// [`recv_with_creds`] of one message that must be `expected` and carry SCM_CREDENTIALS
/// (the receiver set SO_PASSCRED): the credentials.
#[track_caller]
pub fn recv_expecting_creds(fd: impl AsFd, expected: &[u8]) -> libc::ucred {
    let (data, cred) = recv_with_creds(fd);
    assert_eq!(data, expected, "the message with the credentials");
    cred.expect("SCM_CREDENTIALS with SO_PASSCRED set")
}
