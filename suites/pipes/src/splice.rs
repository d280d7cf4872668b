//! The stream sockets that the splice(2) claims of `splice_sockets.rs` span, as a proxy
//! splices them: TCP over loopback and AF_UNIX stream sockets (the template
//! [`crate::cases::stream_sockets`] applies both).

use std::os::fd::OwnedFd;

use fixtures::net::{accept_ready, connect_to, loopback_listener, socketpair};

/// The kind of stream socket.
#[derive(Debug, Clone, Copy)]
pub enum Sock {
    /// TCP over 127.0.0.1.
    Tcp,
    /// An AF_UNIX stream socketpair.
    UnixStream,
}

/// Two connected stream sockets of `kind`.
pub fn connected(kind: Sock) -> (OwnedFd, OwnedFd) {
    match kind {
        Sock::Tcp => {
            let (l, addr) = loopback_listener();
            let c = connect_to(&addr);
            let (s, _) = accept_ready(&l);
            (c, s)
        }
        Sock::UnixStream => socketpair(libc::SOCK_STREAM).expect("socketpair"),
    }
}
