//! Control messages (cmsg(3)) and the two calls that carry them: a sendmsg(2) that takes
//! any list of control messages, and a recvmsg(2) that returns them, with the received
//! descriptors owned (closed on drop) and msg_flags.
//!
//! Descriptors in an SCM_RIGHTS message are numbers (`RawFd`): the message is an array of
//! ints, and some claims send numbers that are not open (-1, a closed one).

use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};

use fixtures::io::owned;
use fixtures::sys_size;
use libc::c_int;
use nix::errno::Errno;

/// One control message: cmsg_level, cmsg_type and the data after the header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cmsg {
    pub level: c_int,
    pub ty: c_int,
    pub data: Vec<u8>,
}

/// An SCM_RIGHTS message carrying the descriptor numbers `fds`.
pub fn rights(fds: &[RawFd]) -> Cmsg {
    Cmsg { level: libc::SOL_SOCKET, ty: libc::SCM_RIGHTS, data: fds.iter().flat_map(|f| f.to_ne_bytes()).collect() }
}

/// An SCM_CREDENTIALS message carrying a struct ucred.
pub fn credentials(pid: i32, uid: u32, gid: u32) -> Cmsg {
    let mut data = Vec::with_capacity(12);
    data.extend_from_slice(&pid.to_ne_bytes());
    data.extend_from_slice(&uid.to_ne_bytes());
    data.extend_from_slice(&gid.to_ne_bytes());
    Cmsg { level: libc::SOL_SOCKET, ty: libc::SCM_CREDENTIALS, data }
}

/// CMSG_SPACE(len) (cmsg(3)).
pub fn cmsg_space(len: usize) -> usize {
    // SAFETY: a pure computation.
    unsafe { libc::CMSG_SPACE(len as u32) as usize }
}

/// CMSG_LEN(len) (cmsg(3)).
pub fn cmsg_len(len: usize) -> usize {
    // SAFETY: a pure computation.
    unsafe { libc::CMSG_LEN(len as u32) as usize }
}

/// Control space for one SCM_RIGHTS message of `n` descriptors.
pub fn space_for_fds(n: usize) -> usize {
    cmsg_space(n * std::mem::size_of::<c_int>())
}

/// An 8-byte aligned, zeroed control buffer of at least `len` bytes.
fn control_buffer(len: usize) -> Vec<u64> {
    vec![0u64; len.div_ceil(8).max(1)]
}

/// sendmsg(2) of `data` (one iovec) with the control messages `cmsgs`, built with the
/// cmsg(3) macros.
pub fn sendmsg(fd: impl AsFd, data: &[u8], cmsgs: &[Cmsg], flags: c_int) -> Result<usize, Errno> {
    let total: usize = cmsgs.iter().map(|c| cmsg_space(c.data.len())).sum();
    let mut control = control_buffer(total);
    let mut iov = libc::iovec { iov_base: data.as_ptr() as *mut libc::c_void, iov_len: data.len() };
    // SAFETY: zeroed msghdr is valid; every pointer set below outlives the call.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    if !cmsgs.is_empty() {
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = total;
        // SAFETY: walking a zeroed buffer of exactly the CMSG_SPACE sum, as cmsg(3) shows.
        unsafe {
            let mut c = libc::CMSG_FIRSTHDR(&msg);
            for m in cmsgs {
                assert!(!c.is_null());
                (*c).cmsg_level = m.level;
                (*c).cmsg_type = m.ty;
                (*c).cmsg_len = cmsg_len(m.data.len()) as _;
                std::ptr::copy_nonoverlapping(m.data.as_ptr(), libc::CMSG_DATA(c), m.data.len());
                c = libc::CMSG_NXTHDR(&msg, c);
            }
        }
    }
    // SAFETY: a valid msghdr.
    sys_size(unsafe { libc::sendmsg(fd.as_fd().as_raw_fd(), &msg, flags) })
}

/// Send `data` with the descriptor numbers `fds` in one SCM_RIGHTS message.
pub fn send_fds(fd: impl AsFd, data: &[u8], fds: &[RawFd]) -> Result<usize, Errno> {
    sendmsg(fd, data, &[rights(fds)], 0)
}

/// What recvmsg(2) returned.
#[derive(Debug)]
pub struct Received {
    /// The return value.
    pub ret: usize,
    /// The bytes placed in the data buffer.
    pub data: Vec<u8>,
    /// msg_flags.
    pub flags: c_int,
    /// msg_controllen on return.
    pub controllen: usize,
    /// Every control message, in order (SCM_RIGHTS data included as raw bytes).
    pub cmsgs: Vec<Cmsg>,
    /// The descriptors of every SCM_RIGHTS message, in order, owned (closed on drop).
    pub fds: Vec<OwnedFd>,
}

impl Received {
    /// The descriptor numbers received.
    pub fn fd_numbers(&self) -> Vec<RawFd> {
        self.fds.iter().map(|f| f.as_raw_fd()).collect()
    }

    /// The struct ucred of the SCM_CREDENTIALS message, if one arrived.
    pub fn creds(&self) -> Option<(i32, u32, u32)> {
        self.cmsgs.iter().find(|c| c.level == libc::SOL_SOCKET && c.ty == libc::SCM_CREDENTIALS).map(|c| {
            assert_eq!(c.data.len(), 12, "struct ucred is 12 bytes");
            let n = |i: usize| u32::from_ne_bytes(c.data[i..i + 4].try_into().unwrap());
            (n(0) as i32, n(4), n(8))
        })
    }

    /// True if msg_flags has MSG_CTRUNC.
    pub fn ctrunc(&self) -> bool {
        self.flags & libc::MSG_CTRUNC != 0
    }
}

/// recvmsg(2) with a data buffer of `data_cap` bytes and a control buffer of exactly
/// `control_len` bytes (0: msg_control is NULL).
pub fn recvmsg(fd: impl AsFd, data_cap: usize, control_len: usize, flags: c_int) -> Result<Received, Errno> {
    let mut data = vec![0u8; data_cap];
    let mut control = control_buffer(control_len);
    let mut iov = libc::iovec { iov_base: data.as_mut_ptr().cast(), iov_len: data_cap };
    // SAFETY: zeroed msghdr; pointers set below outlive the call.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    if control_len > 0 {
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = control_len;
    }
    // SAFETY: a valid msghdr.
    let ret = sys_size(unsafe { libc::recvmsg(fd.as_fd().as_raw_fd(), &mut msg, flags) })?;
    data.truncate(ret.min(data_cap));
    let mut cmsgs = Vec::new();
    let mut fds = Vec::new();
    if control_len > 0 && msg.msg_controllen > 0 {
        // SAFETY: walking the control buffer the kernel filled, with the cmsg(3) macros.
        unsafe {
            let mut c = libc::CMSG_FIRSTHDR(&msg);
            while !c.is_null() {
                let len = (*c).cmsg_len as usize - cmsg_len(0);
                let bytes = std::slice::from_raw_parts(libc::CMSG_DATA(c), len).to_vec();
                let m = Cmsg { level: (*c).cmsg_level, ty: (*c).cmsg_type, data: bytes };
                if m.level == libc::SOL_SOCKET && m.ty == libc::SCM_RIGHTS {
                    for chunk in m.data.chunks_exact(4) {
                        fds.push(owned(i32::from_ne_bytes(chunk.try_into().unwrap())));
                    }
                }
                cmsgs.push(m);
                c = libc::CMSG_NXTHDR(&msg, c);
            }
        }
    }
    Ok(Received { ret, data, flags: msg.msg_flags, controllen: msg.msg_controllen, cmsgs, fds })
}

/// recvmsg(2) with room for `max_fds` descriptors (exactly CMSG_SPACE of them).
pub fn recv_fds(fd: impl AsFd, data_cap: usize, max_fds: usize, flags: c_int) -> Result<Received, Errno> {
    recvmsg(fd, data_cap, space_for_fds(max_fds), flags)
}
