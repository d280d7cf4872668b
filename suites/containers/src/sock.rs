//! AF_UNIX sockets with raw system calls: abstract and pathname addresses, SO_PEERCRED,
//! and SCM_CREDENTIALS sent and received with sendmsg(2)/recvmsg(2) (unix(7)).

use std::os::fd::{AsRawFd, OwnedFd};
use std::path::Path;

use fixtures::net::{self, SockAddr};
use fixtures::{sys, sys_size};
use nix::errno::Errno;

/// An AF_UNIX address with its length (the length decides where an abstract name ends):
/// the harness's [`SockAddr`].
#[derive(Clone, Copy)]
pub struct UnixAddress(pub SockAddr);

impl UnixAddress {
    /// An abstract address: sun_path[0] is '\0', the name follows (unix(7), "abstract").
    pub fn abstract_name(name: &str) -> UnixAddress {
        UnixAddress(SockAddr::abstract_unix(name.as_bytes()))
    }

    /// A pathname address (null-terminated, length includes the terminator).
    pub fn path(p: &Path) -> UnixAddress {
        UnixAddress(SockAddr::unix(p))
    }
}

/// socket(AF_UNIX, `ty` | SOCK_CLOEXEC, 0).
#[track_caller]
pub fn socket(ty: libc::c_int) -> OwnedFd {
    net::socket(libc::AF_UNIX, ty, 0).expect("socket(AF_UNIX)")
}

/// socketpair(AF_UNIX, `ty` | SOCK_CLOEXEC, 0).
#[track_caller]
pub fn socketpair(ty: libc::c_int) -> (OwnedFd, OwnedFd) {
    net::socketpair(ty).expect("socketpair")
}

pub fn bind(fd: &OwnedFd, a: &UnixAddress) -> Result<(), Errno> {
    net::bind(fd, &a.0)
}

pub fn connect(fd: &OwnedFd, a: &UnixAddress) -> Result<(), Errno> {
    net::connect(fd, &a.0)
}

/// A socket of `ty` bound to `a`, listening unless it is a datagram socket.
#[track_caller]
pub fn listener(ty: libc::c_int, a: &UnixAddress) -> OwnedFd {
    let fd = socket(ty);
    bind(&fd, a).unwrap_or_else(|e| panic!("bind: {e:?}"));
    if ty != libc::SOCK_DGRAM {
        net::listen(&fd, 8).expect("listen");
    }
    fd
}

/// accept4(2) with SOCK_CLOEXEC (blocking; the caller knows a peer is connecting).
#[track_caller]
pub fn accept(fd: &OwnedFd) -> OwnedFd {
    net::accept4(fd, 0).expect("accept4")
}

/// send(2) the whole buffer.
#[track_caller]
pub fn send(fd: &OwnedFd, b: &[u8]) {
    let n = net::send(fd, b, libc::MSG_NOSIGNAL).expect("send");
    assert_eq!(n, b.len(), "short send");
}

/// sendto(2) of a datagram to `a`.
pub fn sendto(fd: &OwnedFd, b: &[u8], a: &UnixAddress) -> Result<usize, Errno> {
    net::send_to(fd, b, libc::MSG_NOSIGNAL, &a.0)
}

/// recv(2) of at most `n` bytes (blocking).
#[track_caller]
pub fn recv(fd: &OwnedFd, n: usize) -> Vec<u8> {
    let mut b = vec![0u8; n];
    let got = net::recv(fd, &mut b, 0).expect("recv");
    b.truncate(got);
    b
}

/// SO_PEERCRED of a connected socket.
#[track_caller]
pub fn peer_cred(fd: &OwnedFd) -> libc::ucred {
    let mut c = libc::ucred { pid: -1, uid: u32::MAX, gid: u32::MAX };
    let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: the option value buffer is a ucred of the given length.
    sys(unsafe { libc::getsockopt(fd.as_raw_fd(), libc::SOL_SOCKET, libc::SO_PEERCRED, (&mut c as *mut libc::ucred).cast(), &mut len) })
        .expect("getsockopt(SO_PEERCRED)");
    c
}

/// Enable SO_PASSCRED (receive SCM_CREDENTIALS with every message).
#[track_caller]
pub fn pass_cred(fd: &OwnedFd) {
    net::setsockopt_int(fd, libc::SOL_SOCKET, libc::SO_PASSCRED, 1).expect("setsockopt(SO_PASSCRED)");
}

/// Room for one cmsg carrying a ucred, aligned for cmsghdr.
#[repr(C, align(8))]
struct CredBuf([u8; 64]);

/// sendmsg(2) of `data`, with an explicit SCM_CREDENTIALS message when `creds` is given
/// (otherwise the kernel attaches the sender's own credentials if the receiver asked).
pub fn send_with_creds(fd: &OwnedFd, data: &[u8], creds: Option<libc::ucred>) -> Result<usize, Errno> {
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
    sys_size(unsafe { libc::sendmsg(fd.as_raw_fd(), &msg, libc::MSG_NOSIGNAL) })
}

/// recvmsg(2) of one message (blocking) and the SCM_CREDENTIALS that came with it.
#[track_caller]
pub fn recv_with_creds(fd: &OwnedFd) -> (Vec<u8>, Option<libc::ucred>) {
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
    let n = sys_size(unsafe { libc::recvmsg(fd.as_raw_fd(), &mut msg, libc::MSG_CMSG_CLOEXEC) }).expect("recvmsg");
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
