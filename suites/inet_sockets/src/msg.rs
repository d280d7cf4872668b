//! Socket calls with control messages and option buffers of any size: sendmsg(2) with
//! ancillary data, recvmsg(2) that returns the control messages it got (cmsg(3)), and
//! getsockopt(2) into a byte buffer (options that are not an int: SO_NETNS_COOKIE's u64,
//! TCP_INFO's struct, IP_LOCAL_PORT_RANGE's two ports). The exact errno of each call.
//!
//! (Should move to `fixtures::net` once another suite needs control messages on inet
//! sockets; the AF_UNIX suites have their own for SCM_RIGHTS.)

use std::os::fd::{AsFd, AsRawFd};

use fixtures::net::SockAddr;
use fixtures::{sys, sys_size};
use nix::errno::Errno;

/// One control message: `cmsg_level`, `cmsg_type` and its data bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cmsg {
    pub level: libc::c_int,
    pub ty: libc::c_int,
    pub data: Vec<u8>,
}

impl Cmsg {
    /// A control message carrying one native-endian int (SO_PRIORITY, SO_MARK, ...).
    pub fn int(level: libc::c_int, ty: libc::c_int, v: i32) -> Cmsg {
        Cmsg { level, ty, data: v.to_ne_bytes().to_vec() }
    }

    /// A control message carrying one native-endian u32 (SCM_TS_OPT_ID).
    pub fn u32(level: libc::c_int, ty: libc::c_int, v: u32) -> Cmsg {
        Cmsg { level, ty, data: v.to_ne_bytes().to_vec() }
    }

    /// The data read as one native-endian u32 (panics on another length).
    #[track_caller]
    pub fn as_u32(&self) -> u32 {
        u32::from_ne_bytes(self.data[..].try_into().unwrap_or_else(|_| panic!("{self:?} does not hold 4 bytes")))
    }
}

/// What recvmsg(2) returned: the byte count, the control messages (in order) and msg_flags.
#[derive(Debug)]
pub struct Received {
    pub len: usize,
    pub cmsgs: Vec<Cmsg>,
    pub flags: libc::c_int,
}

impl Received {
    /// The control messages of `level`/`ty`.
    pub fn find(&self, level: libc::c_int, ty: libc::c_int) -> Vec<&Cmsg> {
        self.cmsgs.iter().filter(|c| c.level == level && c.ty == ty).collect()
    }
}

/// sendmsg(2) of `data` with the control messages `cmsgs` (to `to` when given).
pub fn send_msg(fd: impl AsFd, data: &[u8], cmsgs: &[Cmsg], to: Option<&SockAddr>, flags: libc::c_int) -> Result<usize, Errno> {
    let space: usize = cmsgs.iter().map(|c| unsafe { libc::CMSG_SPACE(c.data.len() as u32) } as usize).sum();
    // u64 elements keep the buffer aligned for struct cmsghdr.
    let mut control = vec![0u64; space.div_ceil(8).max(1)];
    let mut iov = libc::iovec { iov_base: data.as_ptr() as *mut libc::c_void, iov_len: data.len() };
    // SAFETY: a zeroed msghdr whose pointers refer to buffers that live for the call; the
    // control buffer holds CMSG_SPACE of every message, filled through CMSG_FIRSTHDR /
    // CMSG_NXTHDR within that space.
    unsafe {
        let mut msg: libc::msghdr = std::mem::zeroed();
        if let Some(a) = to {
            msg.msg_name = a.as_ptr() as *mut libc::c_void;
            msg.msg_namelen = a.len();
        }
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        if !cmsgs.is_empty() {
            msg.msg_control = control.as_mut_ptr().cast();
            msg.msg_controllen = space as _;
            let mut h = libc::CMSG_FIRSTHDR(&msg);
            for c in cmsgs {
                assert!(!h.is_null(), "control buffer too small");
                (*h).cmsg_level = c.level;
                (*h).cmsg_type = c.ty;
                (*h).cmsg_len = libc::CMSG_LEN(c.data.len() as u32) as _;
                std::ptr::copy_nonoverlapping(c.data.as_ptr(), libc::CMSG_DATA(h), c.data.len());
                h = libc::CMSG_NXTHDR(&msg, h);
            }
        }
        sys_size(libc::sendmsg(fd.as_fd().as_raw_fd(), &msg, flags))
    }
}

/// recvmsg(2) into `buf` with a 1 KiB control buffer; returns the control messages too.
pub fn recv_msg_cmsgs(fd: impl AsFd, buf: &mut [u8], flags: libc::c_int) -> Result<Received, Errno> {
    let mut control = [0u64; 128];
    let mut iov = libc::iovec { iov_base: buf.as_mut_ptr().cast(), iov_len: buf.len() };
    // SAFETY: a zeroed msghdr whose buffers live for the call; the control messages are
    // walked with CMSG_FIRSTHDR / CMSG_NXTHDR within the msg_controllen the kernel set.
    unsafe {
        let mut msg: libc::msghdr = std::mem::zeroed();
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = std::mem::size_of_val(&control) as _;
        let len = sys_size(libc::recvmsg(fd.as_fd().as_raw_fd(), &mut msg, flags))?;
        let mut cmsgs = Vec::new();
        let mut h = libc::CMSG_FIRSTHDR(&msg);
        while !h.is_null() {
            let n = (*h).cmsg_len as usize - libc::CMSG_LEN(0) as usize;
            let data = std::slice::from_raw_parts(libc::CMSG_DATA(h), n).to_vec();
            cmsgs.push(Cmsg { level: (*h).cmsg_level, ty: (*h).cmsg_type, data });
            h = libc::CMSG_NXTHDR(&msg, h);
        }
        Ok(Received { len, cmsgs, flags: msg.msg_flags })
    }
}

/// getsockopt(2) into a buffer of `cap` bytes: the result, the optlen the kernel set, and
/// the bytes it wrote (at most `cap`).
pub fn getsockopt_bytes(fd: impl AsFd, level: libc::c_int, opt: libc::c_int, cap: usize) -> (Result<(), Errno>, usize, Vec<u8>) {
    let mut buf = vec![0u8; cap.max(1)];
    let mut len = cap as libc::socklen_t;
    // SAFETY: `buf` has room for `len` bytes; the kernel writes at most that many.
    let r = sys(unsafe { libc::getsockopt(fd.as_fd().as_raw_fd(), level, opt, buf.as_mut_ptr().cast(), &mut len) });
    buf.truncate((len as usize).min(cap));
    (r.map(drop), len as usize, buf)
}

/// setsockopt(2) with an option value of any bytes.
pub fn setsockopt_bytes(fd: impl AsFd, level: libc::c_int, opt: libc::c_int, val: &[u8]) -> Result<(), Errno> {
    // SAFETY: `val` lives for the call and its length is passed.
    sys(unsafe { libc::setsockopt(fd.as_fd().as_raw_fd(), level, opt, val.as_ptr().cast(), val.len() as _) }).map(drop)
}

/// getsockopt(2) with `buf` as the option buffer, passed in as it is (options that read an
/// input struct, such as TCP_AO_INFO); the optlen the kernel set.
pub fn getsockopt_into(fd: impl AsFd, level: libc::c_int, opt: libc::c_int, buf: &mut [u8]) -> Result<usize, Errno> {
    let mut len = buf.len() as libc::socklen_t;
    // SAFETY: `buf` has room for `len` bytes; the kernel writes at most that many.
    sys(unsafe { libc::getsockopt(fd.as_fd().as_raw_fd(), level, opt, buf.as_mut_ptr().cast(), &mut len) })?;
    Ok(len as usize)
}
