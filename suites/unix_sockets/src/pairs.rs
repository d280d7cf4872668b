//! Sockets with a name of each kind and connected pairs of every (type, address kind): the
//! set-up most claims start from.

use fixtures::net::SockType;
use std::os::fd::{AsFd, OwnedFd};

use fixtures::Scratch;
use fixtures::io::set_nonblocking;
use fixtures::net::{bind, connect, listen};
use libc::c_int;

use crate::addr::{UnixAddr, UnixAddrExt, getsockname};
use crate::calls::{accept4, socket, socketpair};
use crate::{AddrKind, Blocking};

/// A socket bound to a name of `kind` (not `Socketpair`). Pathname sockets live in
/// `scratch` under `file`.
#[track_caller]
pub fn bound_socket(ty: SockType, flags: c_int, kind: AddrKind, scratch: &Scratch, file: &str) -> (OwnedFd, UnixAddr) {
    let fd = socket(ty, flags);
    let addr = match kind {
        AddrKind::Pathname => UnixAddr::pathname(&scratch.join(file)),
        AddrKind::Abstract => UnixAddr::unique_abstract(file),
        AddrKind::Autobind => UnixAddr::unnamed(),
        AddrKind::Socketpair => panic!("a socketpair is not bound"),
    };
    bind(&fd, &addr).unwrap_or_else(|e| panic!("bind {ty:?} to {addr:?}: {e}"));
    // The name is the one requested (for a pathname: NUL-terminated, addrlen covering the
    // NUL, which is what unix(7) says the kernel reports back); only an autobound name has
    // to be asked from the kernel.
    let name = if kind == AddrKind::Autobind { getsockname(&fd) } else { addr };
    (fd, name)
}

/// [`bound_socket`] in a scratch directory of its own, returned last (the directory of a
/// pathname must outlive the name; a test binds more sockets in it if it needs them).
#[track_caller]
pub fn named_socket(ty: SockType, flags: c_int, kind: AddrKind, file: &str) -> (OwnedFd, UnixAddr, Scratch) {
    let scratch = Scratch::new();
    let (fd, name) = bound_socket(ty, flags, kind, &scratch, file);
    (fd, name, scratch)
}

/// A listening socket of `ty` bound to a name of `kind` (a pathname: `listener` in
/// `scratch`), with `backlog`.
#[track_caller]
pub fn listener(ty: SockType, kind: AddrKind, scratch: &Scratch, backlog: c_int) -> (OwnedFd, UnixAddr) {
    assert!(ty.connection_oriented());
    let (fd, addr) = bound_socket(ty, 0, kind, scratch, "listener");
    listen(&fd, backlog).unwrap_or_else(|e| panic!("listen: {e}"));
    (fd, addr)
}

/// [`listener`] with a scratch directory of its own, returned last so that a pathname's
/// directory lives as long as the caller keeps it (most claims need no other file).
#[track_caller]
pub fn named_listener(ty: SockType, kind: AddrKind, backlog: c_int) -> (OwnedFd, UnixAddr, Scratch) {
    let scratch = Scratch::new();
    let (fd, name) = listener(ty, kind, &scratch, backlog);
    (fd, name, scratch)
}

/// A new socket of `ty` connected to `name` (for a listener, the connection may still wait
/// in its backlog).
#[track_caller]
pub fn connected_client(ty: SockType, name: &UnixAddr) -> OwnedFd {
    let c = socket(ty, 0);
    connect(&c, name).unwrap_or_else(|e| panic!("connect to {name:?}: {e}"));
    c
}

/// An unconnected datagram socket, autobound (unix(7), "Autobind feature") if `bound`.
#[track_caller]
pub fn unconnected_dgram(bound: bool) -> OwnedFd {
    let fd = socket(SockType::Dgram, 0);
    if bound {
        bind(&fd, &UnixAddr::unnamed()).unwrap_or_else(|e| panic!("autobind: {e}"));
    }
    fd
}

/// Make `fd` reachable by name: listen(2) for the connection-oriented types (a datagram
/// socket is reachable once bound).
pub fn serve(ty: SockType, fd: impl AsFd) {
    if ty.connection_oriented() {
        listen(fd, 8).unwrap_or_else(|e| panic!("listen: {e}"));
    }
}

/// Two connected sockets and what keeps their names alive.
///
/// For stream and seqpacket, `a` is the connecting socket (unnamed, except with
/// socketpair) and `b` the accepted one (which carries the listener's name). For
/// datagrams both ends are bound to names of the kind and connected to each other.
pub struct Pair {
    pub a: OwnedFd,
    pub b: OwnedFd,
    pub ty: SockType,
    pub kind: AddrKind,
    /// The name `b` was reached by (the listener's, or b's own for datagrams); unnamed for
    /// socketpairs.
    pub b_name: UnixAddr,
    /// a's own name (datagrams only; unnamed otherwise).
    pub a_name: UnixAddr,
    pub scratch: Scratch,
}

/// A connected pair of `ty` whose names are of `kind` (see [`Pair`]). Both ends blocking.
#[track_caller]
pub fn connected_pair(ty: SockType, kind: AddrKind) -> Pair {
    let scratch = Scratch::new();
    let (a, b, a_name, b_name) = match (kind, ty) {
        (AddrKind::Socketpair, _) => {
            let (a, b) = socketpair(ty, libc::SOCK_CLOEXEC);
            (a, b, UnixAddr::unnamed(), UnixAddr::unnamed())
        }
        (_, SockType::Dgram) => {
            let (a, a_name) = bound_socket(ty, libc::SOCK_CLOEXEC, kind, &scratch, "a");
            let (b, b_name) = bound_socket(ty, libc::SOCK_CLOEXEC, kind, &scratch, "b");
            connect(&a, &b_name).unwrap_or_else(|e| panic!("connect a -> b: {e}"));
            connect(&b, &a_name).unwrap_or_else(|e| panic!("connect b -> a: {e}"));
            (a, b, a_name, b_name)
        }
        (_, _) => {
            let (l, name) = listener(ty, kind, &scratch, 1);
            let a = socket(ty, libc::SOCK_CLOEXEC);
            connect(&a, &name).unwrap_or_else(|e| panic!("connect to {name:?}: {e}"));
            let b = accept4(&l, libc::SOCK_CLOEXEC).unwrap_or_else(|e| panic!("accept: {e}"));
            (a, b, UnixAddr::unnamed(), name)
        }
    };
    Pair { a, b, ty, kind, a_name, b_name, scratch }
}

/// [`connected_pair`] with both ends in `mode`.
#[track_caller]
pub fn connected_pair_in(ty: SockType, kind: AddrKind, mode: Blocking) -> Pair {
    let p = connected_pair(ty, kind);
    if mode == Blocking::Nonblocking {
        set_nonblocking(&p.a, true);
        set_nonblocking(&p.b, true);
    }
    p
}

/// A connected pair of `ty` for every address kind (claims whose blocking case runs one
/// child per kind at once), in `mode`.
pub fn pairs_of_every_kind(ty: SockType, mode: Blocking) -> Vec<Pair> {
    crate::ALL_KINDS.iter().map(|&k| connected_pair_in(ty, k, mode)).collect()
}

/// How a client reaches a named socket: connect(2) of a stream or seqpacket socket,
/// connect(2) of a datagram socket, or sendto(2) of one datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reach {
    StreamConnect,
    SeqpacketConnect,
    DgramConnect,
    DgramSendto,
}

impl Reach {
    /// The way a new socket of `ty` reaches a name: connect(2), or sendto(2) for datagrams.
    pub fn of(ty: SockType) -> Reach {
        match ty {
            SockType::Stream => Reach::StreamConnect,
            SockType::Seqpacket => Reach::SeqpacketConnect,
            SockType::Dgram => Reach::DgramSendto,
        }
    }

    /// The type of the client socket.
    pub fn ty(self) -> SockType {
        match self {
            Reach::StreamConnect => SockType::Stream,
            Reach::SeqpacketConnect => SockType::Seqpacket,
            Reach::DgramConnect | Reach::DgramSendto => SockType::Dgram,
        }
    }

    /// The call from `fd` (a socket of [`Reach::ty`]) to `addr`, with its exact errno.
    pub fn from(self, fd: impl AsFd, addr: &UnixAddr) -> Result<(), nix::errno::Errno> {
        match self {
            Reach::DgramSendto => fixtures::net::send_to(fd, b"x", 0, addr).map(drop),
            _ => connect(fd, addr),
        }
    }

    /// The call from a new socket of [`Reach::ty`].
    pub fn attempt(self, addr: &UnixAddr) -> Result<(), nix::errno::Errno> {
        self.from(socket(self.ty(), 0), addr)
    }
}
