//! AF_UNIX addresses with the exact addrlen the kernel reads or writes, and the calls that
//! return a name (getsockname(2), getpeername(2), recvfrom(2)) with the input addrlen
//! sizeof(struct sockaddr_un) — what unix(7) BUGS is about.

use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::path::Path;

use fixtures::net::SockAddr;
use fixtures::{sys, sys_size};
use libc::{c_int, socklen_t};
use nix::errno::Errno;

/// How an address under test is handed to the kernel: bind(2) or connect(2) (the template
/// [`crate::cases::address_calls`] applies both).
#[derive(Clone, Copy, Debug)]
pub enum Call {
    Bind,
    Connect,
}

/// sizeof(sa_family_t): the address length of an unnamed socket.
pub const FAMILY_LEN: socklen_t = 2;
/// sizeof(struct sockaddr_un) on Linux.
pub const SOCKADDR_UN_LEN: socklen_t = 110;
/// sizeof(sun_path) on Linux.
pub const SUN_PATH_LEN: usize = 108;

/// A sockaddr_un with the exact addrlen passed to or returned by the kernel: the harness's
/// [`SockAddr`] (a sockaddr_storage, so lengths above sizeof(sockaddr_un) can be expressed
/// and a returned sun_path of 108 bytes still has a zero after it). [`UnixAddrExt`] adds
/// the constructors and views the claims about addrlen need.
pub type UnixAddr = SockAddr;

/// AF_UNIX-specific constructors and views of a [`UnixAddr`].
pub trait UnixAddrExt: Sized {
    /// An address with family AF_UNIX, sun_path starting with `path` (the rest zero) and
    /// the given addrlen, which may cover less or more than `path`.
    fn raw(path: &[u8], len: socklen_t) -> Self {
        Self::raw_family(libc::AF_UNIX as u16, path, len)
    }
    /// Like [`UnixAddrExt::raw`] with an arbitrary family field.
    fn raw_family(family: u16, path: &[u8], len: socklen_t) -> Self;
    /// A pathname address as unix(7) recommends: NUL-terminated, addrlen covering the NUL
    /// ([`SockAddr::unix`]; built raw when the path is too long for it, for the claims
    /// about overlong paths).
    fn pathname(path: &Path) -> Self;
    /// An abstract address: a NUL followed by `name`; addrlen covers exactly that
    /// ([`SockAddr::abstract_unix`]; built raw when the name fills all of sun_path).
    fn abstract_name(name: &[u8]) -> Self;
    /// The address whose addrlen is sizeof(sa_family_t): binding it autobinds.
    fn unnamed() -> Self {
        Self::raw(&[], FAMILY_LEN)
    }
    /// The sun_family field.
    fn sun_family(&self) -> u16;
    /// The whole 128-byte buffer.
    fn buffer(&self) -> &[u8];
    /// The bytes covered by addrlen (family included), bounded by the buffer.
    fn bytes(&self) -> &[u8];
    /// The sun_path bytes covered by addrlen (for a pathname: the path and its NUL).
    fn path_bytes(&self) -> &[u8] {
        let b = self.bytes();
        if b.len() <= 2 { &[] } else { &b[2..] }
    }
    /// For an abstract address: the name after the leading NUL.
    fn abstract_bytes(&self) -> &[u8] {
        let p = self.path_bytes();
        assert!(!p.is_empty() && p[0] == 0, "not an abstract address: {:?}", String::from_utf8_lossy(p));
        &p[1..]
    }
}

impl UnixAddrExt for SockAddr {
    fn raw_family(family: u16, path: &[u8], len: socklen_t) -> SockAddr {
        let mut a = SockAddr::empty();
        let buf = storage_mut(&mut a);
        buf[..2].copy_from_slice(&family.to_ne_bytes());
        assert!(path.len() <= buf.len() - 2, "path of {} bytes does not fit", path.len());
        buf[2..2 + path.len()].copy_from_slice(path);
        *a.len_mut() = len;
        a
    }

    fn pathname(path: &Path) -> SockAddr {
        let p = path.as_os_str().as_encoded_bytes();
        if p.len() < SUN_PATH_LEN {
            SockAddr::unix(path)
        } else {
            let mut z = p.to_vec();
            z.push(0);
            SockAddr::raw(&z, FAMILY_LEN + z.len() as socklen_t)
        }
    }

    fn abstract_name(name: &[u8]) -> SockAddr {
        if 1 + name.len() < SUN_PATH_LEN {
            SockAddr::abstract_unix(name)
        } else {
            let mut p = vec![0u8];
            p.extend_from_slice(name);
            SockAddr::raw(&p, FAMILY_LEN + p.len() as socklen_t)
        }
    }

    fn sun_family(&self) -> u16 {
        let b = self.buffer();
        u16::from_ne_bytes([b[0], b[1]])
    }

    fn buffer(&self) -> &[u8] {
        // SAFETY: the address is a sockaddr_storage: 128 bytes of plain data.
        unsafe { std::slice::from_raw_parts(self.as_ptr().cast::<u8>(), std::mem::size_of::<libc::sockaddr_storage>()) }
    }

    fn bytes(&self) -> &[u8] {
        self.raw_bytes()
    }
}

fn storage_mut(a: &mut SockAddr) -> &mut [u8] {
    // SAFETY: as in `buffer`, exclusively borrowed.
    unsafe { std::slice::from_raw_parts_mut(a.as_mut_ptr().cast::<u8>(), std::mem::size_of::<libc::sockaddr_storage>()) }
}

/// An address of `len` bytes the kernel wrote into `a` (its buffer zeroed beforehand).
fn with_len(mut a: SockAddr, len: socklen_t) -> SockAddr {
    *a.len_mut() = len;
    a
}

type NameCall = unsafe extern "C" fn(c_int, *mut libc::sockaddr, *mut socklen_t) -> c_int;

fn name_call(call: NameCall, fd: RawFd, inlen: socklen_t) -> Result<UnixAddr, Errno> {
    assert!(inlen as usize <= std::mem::size_of::<libc::sockaddr_storage>());
    let mut a = SockAddr::empty();
    let mut len = inlen;
    // SAFETY: the buffer is 128 bytes and len <= 128.
    sys(unsafe { call(fd, a.as_mut_ptr(), &mut len) })?;
    Ok(with_len(a, len))
}

/// getsockname(2) with addrlen = sizeof(struct sockaddr_un); the result's len is the
/// length the kernel reported (which may exceed the input, unix(7) BUGS).
#[track_caller]
pub fn getsockname(fd: impl AsFd) -> UnixAddr {
    try_getsockname(fd, SOCKADDR_UN_LEN).unwrap_or_else(|e| panic!("getsockname: {e}"))
}

/// getsockname(2) with the input addrlen `inlen`, and its exact errno.
pub fn try_getsockname(fd: impl AsFd, inlen: socklen_t) -> Result<UnixAddr, Errno> {
    name_call(libc::getsockname, fd.as_fd().as_raw_fd(), inlen)
}

/// getpeername(2) with addrlen = sizeof(struct sockaddr_un).
pub fn getpeername(fd: impl AsFd) -> Result<UnixAddr, Errno> {
    name_call(libc::getpeername, fd.as_fd().as_raw_fd(), SOCKADDR_UN_LEN)
}

/// recvfrom(2) into `cap` bytes with input addrlen sizeof(struct sockaddr_un); returns the
/// data and the sender's address.
pub fn recvfrom(fd: impl AsFd, cap: usize, flags: c_int) -> Result<(Vec<u8>, UnixAddr), Errno> {
    let mut buf = vec![0u8; cap];
    let mut a = SockAddr::empty();
    let mut len = SOCKADDR_UN_LEN;
    // SAFETY: buffers valid for their lengths.
    let n = sys_size(unsafe {
        libc::recvfrom(fd.as_fd().as_raw_fd(), buf.as_mut_ptr().cast(), cap, flags, a.as_mut_ptr(), &mut len)
    })?;
    buf.truncate(n.min(cap));
    Ok((buf, with_len(a, len)))
}
