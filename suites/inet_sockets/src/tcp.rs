//! TCP connection state (TCP_INFO), SO_LINGER, and the urgent mark (SIOCATMARK).

use std::os::fd::{AsFd, AsRawFd};

use fixtures::sys;
use fixtures::uapi::SIOCATMARK;

/// TCP states as reported in `tcp_info.tcpi_state` (include/net/tcp_states.h).
pub const TCP_ESTABLISHED: u8 = 1;
pub const TCP_SYN_SENT: u8 = 2;
pub const TCP_TIME_WAIT: u8 = 6;
pub const TCP_CLOSE: u8 = 7;
pub const TCP_CLOSE_WAIT: u8 = 8;
pub const TCP_LISTEN: u8 = 10;

/// setsockopt(SO_LINGER), panicking on failure.
#[track_caller]
pub fn set_linger(fd: impl AsFd, onoff: bool, secs: libc::c_int) {
    let l = libc::linger { l_onoff: onoff as libc::c_int, l_linger: secs };
    // SAFETY: a linger struct that lives for the call.
    sys(unsafe {
        libc::setsockopt(fd.as_fd().as_raw_fd(), libc::SOL_SOCKET, libc::SO_LINGER, (&l as *const libc::linger).cast(), std::mem::size_of::<libc::linger>() as _)
    })
    .expect("setsockopt(SO_LINGER)");
}

/// `tcpi_state` from TCP_INFO (the first byte of `struct tcp_info`).
#[track_caller]
pub fn tcp_state(fd: impl AsFd) -> u8 {
    let mut info = [0u8; 256];
    let mut len = info.len() as libc::socklen_t;
    // SAFETY: a buffer and its length live for the call.
    sys(unsafe { libc::getsockopt(fd.as_fd().as_raw_fd(), libc::IPPROTO_TCP, libc::TCP_INFO, info.as_mut_ptr().cast(), &mut len) })
        .expect("getsockopt(TCP_INFO)");
    info[0]
}

/// ioctl(SIOCATMARK): 1 when the inbound stream is at the urgent mark, else 0.
#[track_caller]
pub fn at_mark(fd: impl AsFd) -> libc::c_int {
    let mut v: libc::c_int = 0;
    // SAFETY: the request writes one int.
    sys(unsafe { libc::ioctl(fd.as_fd().as_raw_fd(), SIOCATMARK as _, &mut v) }).expect("ioctl(SIOCATMARK)");
    v
}
