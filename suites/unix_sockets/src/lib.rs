//! Suite `unix_sockets`: AF_UNIX sockets as unix(7) and the socket system-call pages
//! describe them, checked against the running kernel.
//!
//! Topics (one test file each):
//! - `creation`: socket(2)/socketpair(2) types, flags (SOCK_NONBLOCK, SOCK_CLOEXEC) and errors.
//! - `bind_pathname`: pathname binding: the socket file, its mode, EADDRINUSE, path errors.
//! - `address_length`: sun_path length limits and the addrlen rules (unix(7) BUGS).
//! - `abstract_names`: the abstract namespace and autobind.
//! - `names`: getsockname(2)/getpeername(2) for every address kind.
//! - `connect_rules`: listen/accept/connect, ECONNREFUSED, EPROTOTYPE, permissions.
//! - `stream_data`: byte streams, EOF, MSG_PEEK/MSG_DONTWAIT/MSG_WAITALL, blocking.
//! - `shutdown`: half-close with SHUT_RD/SHUT_WR/SHUT_RDWR.
//! - `peer_close`: EPIPE, SIGPIPE, MSG_NOSIGNAL, ECONNRESET.
//! - `backlog`: how many connections the listen backlog admits, and what connect does then.
//! - `datagram`: boundaries, truncation, zero-length datagrams, connect filtering, sizes.
//! - `peercred`: SO_PEERCRED, SO_PEERGROUPS, SO_PEERSEC.
//! - `seqpacket`: what sets SOCK_SEQPACKET apart from streams and datagrams.
//! - `unconnected`: data calls on unconnected and listening sockets.
//! - `out_of_band`: MSG_OOB (version dependent for streams), SIOCATMARK, and the later fixes
//!   of out-of-band reads (MSG_PEEK, a consumed urgent byte, end of file).
//! - `sol_socket_options`: SOL_SOCKET options added or restricted since 5.10, on AF_UNIX
//!   (busy polling, SO_NETNS_COOKIE, SO_BUF_LOCK, SO_RESERVE_MEM, SO_TXREHASH, SO_RCVMARK,
//!   SO_MARK, SO_RCVPRIORITY, SO_REUSEPORT, SO_TIMESTAMPING flags).
//! - `landlock_scopes`: Landlock keeping sandboxed processes from sockets made outside their
//!   domain (abstract: ABI 6, 6.12; pathname: ABI 9, 7.1).
//! - `options`: SO_TYPE, SO_DOMAIN, SO_PROTOCOL, SO_ACCEPTCONN, SO_ERROR, buffers, ioctls.
//! - `readiness`: poll(2) events per socket type and state.
//! - `socket_file_mode`: a chmod(2) of a bound socket file applies to later connects, not
//!   to connections that exist.
//!
//! Under plain `cargo test` the tests of a file share one process, and a child forked by
//! one test inherits every descriptor the other threads hold — which would keep a socket
//! another test just closed alive. So tests that fork are `#[serial]` and all others
//! `#[parallel]` (serial_test): no test that depends on a close runs while a fork happens.
//! Under nextest (one process per test) this changes nothing.
//!
//! Sources: unix(7), socket(7), socket(2), socketpair(2), bind(2), listen(2), accept(2),
//! connect(2), send(2), recv(2), shutdown(2), getsockname(2), udp(7) (for SIOCINQ on
//! datagram sockets), man-pages 6.03. Kernel quirks are cited by function in
//! net/unix/af_unix.c; see docs/suites/unix_sockets.md for the findings.
//!
//! What the test files share:
//! - here: the dimensions a claim spans ([`SockType`](fixtures::net::SockType), [`AddrKind`], [`Blocking`]);
//! - [`cases`]: those dimensions as named parameter sets (`#[apply(types_and_kinds)]`);
//! - [`addr`]: addresses with exact lengths and the calls that return a name;
//! - [`calls`]: the calls whose exact flags or results are claims (socket, socketpair,
//!   accept4 without an added SOCK_CLOEXEC; recv into a buffer; shutdown; SO_PEERCRED;
//!   SIOCINQ/SIOCOUTQ);
//! - [`pairs`]: named sockets, listeners and connected pairs for any (type, address kind);
//! - [`events`]: poll(2) readiness as one exact mask.

pub mod addr;
pub mod calls;
pub mod cases;
pub mod events;
pub mod pairs;

/// How the two ends of a connected pair got their names (unix(7), "Address format").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddrKind {
    /// Bound to a filesystem pathname.
    Pathname,
    /// Bound to a name in the abstract namespace (leading NUL).
    Abstract,
    /// Created together by socketpair(2): unnamed.
    Socketpair,
    /// Autobound by bind(2) with addrlen == sizeof(sa_family_t) (the "unbound" case:
    /// the kernel picks a 5-hex-digit abstract name).
    Autobind,
}

/// Every address kind, for claims whose blocking case runs one child per kind at once.
pub const ALL_KINDS: [AddrKind; 4] = [AddrKind::Pathname, AddrKind::Abstract, AddrKind::Socketpair, AddrKind::Autobind];

/// Blocking mode of the sockets in a test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Blocking {
    Blocking,
    Nonblocking,
}
