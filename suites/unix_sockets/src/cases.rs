//! The suite's parameter sets, defined once and applied by name (rstest_reuse), with case
//! ids that say what runs: `..::case_1_stream`, `..::case_02_stream_abstract_name`,
//! `..::case_1_stream::mode_2_nonblocking`.
//!
//! ```ignore
//! #[apply(types_and_kinds)]
//! #[rstest]
//! #[parallel]
//! fn msg_peek_leaves_the_data_queued(#[case] ty: SockType, #[case] kind: AddrKind) { .. }
//! ```
//!
//! A test keeps its own `#[rstest]` after `#[apply(..)]`: the catalog (`ipcspec catalog`)
//! recognises tests by `#[test]`/`#[rstest]`, and rustc accepts the repetition. A set is
//! applied whole (one per test); a test adds a dimension of its own with `#[values]` (whose
//! values are named with a doc comment where the expression would make a poor id). The
//! products of two dimensions are sets of their own. The sets of the socket type alone
//! (`socket_types`, `connection_types`, `message_types`) are in `fixtures::cases`, shared
//! with the ancillary suite.
//!
//! Dimensions: the socket type (unix(7): SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET; the
//! connection-oriented ones, stream and seqpacket; the message-keeping ones, dgram and
//! seqpacket), the kind of address of the ends (unix(7), "Address format": `pathname`,
//! `abstract_name`, `socketpair` (unnamed), `autobind`; the "named" kinds leave out the
//! socketpair), the blocking mode, how a descriptor is made (socket(2)/socketpair(2)) and
//! how a client reaches a name.

use rstest_reuse::template;

/// Every kind of address of a connected pair: `pathname`, `abstract_name`, `socketpair`,
/// `autobind`.
/// unix(7), "Address format": pathname, abstract and unnamed (socketpair(2)) addresses, and autobind.
#[template]
#[export]
#[rstest]
#[case::pathname(::unix_sockets::AddrKind::Pathname)]
#[case::abstract_name(::unix_sockets::AddrKind::Abstract)]
#[case::socketpair(::unix_sockets::AddrKind::Socketpair)]
#[case::autobind(::unix_sockets::AddrKind::Autobind)]
pub fn address_kinds(#[case] kind: ::unix_sockets::AddrKind) {}

/// The kinds a socket can be bound to: `pathname`, `abstract_name`, `autobind`.
/// unix(7), "Address format": pathname, abstract and unnamed (socketpair(2)) addresses, and autobind (the named ones).
#[template]
#[export]
#[rstest]
#[case::pathname(::unix_sockets::AddrKind::Pathname)]
#[case::abstract_name(::unix_sockets::AddrKind::Abstract)]
#[case::autobind(::unix_sockets::AddrKind::Autobind)]
pub fn named_kinds(#[case] kind: ::unix_sockets::AddrKind) {}

/// Every socket type with every kind of address (`stream_pathname` … `seqpacket_autobind`).
/// unix(7): its socket types × its kinds of address ("Address format").
#[template]
#[export]
#[rstest]
#[case::stream_pathname(::fixtures::net::SockType::Stream, ::unix_sockets::AddrKind::Pathname)]
#[case::stream_abstract_name(::fixtures::net::SockType::Stream, ::unix_sockets::AddrKind::Abstract)]
#[case::stream_socketpair(::fixtures::net::SockType::Stream, ::unix_sockets::AddrKind::Socketpair)]
#[case::stream_autobind(::fixtures::net::SockType::Stream, ::unix_sockets::AddrKind::Autobind)]
#[case::dgram_pathname(::fixtures::net::SockType::Dgram, ::unix_sockets::AddrKind::Pathname)]
#[case::dgram_abstract_name(::fixtures::net::SockType::Dgram, ::unix_sockets::AddrKind::Abstract)]
#[case::dgram_socketpair(::fixtures::net::SockType::Dgram, ::unix_sockets::AddrKind::Socketpair)]
#[case::dgram_autobind(::fixtures::net::SockType::Dgram, ::unix_sockets::AddrKind::Autobind)]
#[case::seqpacket_pathname(::fixtures::net::SockType::Seqpacket, ::unix_sockets::AddrKind::Pathname)]
#[case::seqpacket_abstract_name(::fixtures::net::SockType::Seqpacket, ::unix_sockets::AddrKind::Abstract)]
#[case::seqpacket_socketpair(::fixtures::net::SockType::Seqpacket, ::unix_sockets::AddrKind::Socketpair)]
#[case::seqpacket_autobind(::fixtures::net::SockType::Seqpacket, ::unix_sockets::AddrKind::Autobind)]
pub fn types_and_kinds(#[case] ty: ::fixtures::net::SockType, #[case] kind: ::unix_sockets::AddrKind) {}

/// The connection-oriented types with every kind of address.
/// unix(7): its socket types × its kinds of address ("Address format").
#[template]
#[export]
#[rstest]
#[case::stream_pathname(::fixtures::net::SockType::Stream, ::unix_sockets::AddrKind::Pathname)]
#[case::stream_abstract_name(::fixtures::net::SockType::Stream, ::unix_sockets::AddrKind::Abstract)]
#[case::stream_socketpair(::fixtures::net::SockType::Stream, ::unix_sockets::AddrKind::Socketpair)]
#[case::stream_autobind(::fixtures::net::SockType::Stream, ::unix_sockets::AddrKind::Autobind)]
#[case::seqpacket_pathname(::fixtures::net::SockType::Seqpacket, ::unix_sockets::AddrKind::Pathname)]
#[case::seqpacket_abstract_name(::fixtures::net::SockType::Seqpacket, ::unix_sockets::AddrKind::Abstract)]
#[case::seqpacket_socketpair(::fixtures::net::SockType::Seqpacket, ::unix_sockets::AddrKind::Socketpair)]
#[case::seqpacket_autobind(::fixtures::net::SockType::Seqpacket, ::unix_sockets::AddrKind::Autobind)]
pub fn connection_types_and_kinds(#[case] ty: ::fixtures::net::SockType, #[case] kind: ::unix_sockets::AddrKind) {}

/// The message-keeping types with every kind of address.
/// unix(7): its socket types × its kinds of address ("Address format").
#[template]
#[export]
#[rstest]
#[case::dgram_pathname(::fixtures::net::SockType::Dgram, ::unix_sockets::AddrKind::Pathname)]
#[case::dgram_abstract_name(::fixtures::net::SockType::Dgram, ::unix_sockets::AddrKind::Abstract)]
#[case::dgram_socketpair(::fixtures::net::SockType::Dgram, ::unix_sockets::AddrKind::Socketpair)]
#[case::dgram_autobind(::fixtures::net::SockType::Dgram, ::unix_sockets::AddrKind::Autobind)]
#[case::seqpacket_pathname(::fixtures::net::SockType::Seqpacket, ::unix_sockets::AddrKind::Pathname)]
#[case::seqpacket_abstract_name(::fixtures::net::SockType::Seqpacket, ::unix_sockets::AddrKind::Abstract)]
#[case::seqpacket_socketpair(::fixtures::net::SockType::Seqpacket, ::unix_sockets::AddrKind::Socketpair)]
#[case::seqpacket_autobind(::fixtures::net::SockType::Seqpacket, ::unix_sockets::AddrKind::Autobind)]
pub fn message_types_and_kinds(#[case] ty: ::fixtures::net::SockType, #[case] kind: ::unix_sockets::AddrKind) {}

/// Every socket type bound to each kind of name.
/// unix(7): its socket types × its kinds of address ("Address format").
#[template]
#[export]
#[rstest]
#[case::stream_pathname(::fixtures::net::SockType::Stream, ::unix_sockets::AddrKind::Pathname)]
#[case::stream_abstract_name(::fixtures::net::SockType::Stream, ::unix_sockets::AddrKind::Abstract)]
#[case::stream_autobind(::fixtures::net::SockType::Stream, ::unix_sockets::AddrKind::Autobind)]
#[case::dgram_pathname(::fixtures::net::SockType::Dgram, ::unix_sockets::AddrKind::Pathname)]
#[case::dgram_abstract_name(::fixtures::net::SockType::Dgram, ::unix_sockets::AddrKind::Abstract)]
#[case::dgram_autobind(::fixtures::net::SockType::Dgram, ::unix_sockets::AddrKind::Autobind)]
#[case::seqpacket_pathname(::fixtures::net::SockType::Seqpacket, ::unix_sockets::AddrKind::Pathname)]
#[case::seqpacket_abstract_name(::fixtures::net::SockType::Seqpacket, ::unix_sockets::AddrKind::Abstract)]
#[case::seqpacket_autobind(::fixtures::net::SockType::Seqpacket, ::unix_sockets::AddrKind::Autobind)]
pub fn types_and_named_kinds(#[case] ty: ::fixtures::net::SockType, #[case] kind: ::unix_sockets::AddrKind) {}

/// The connection-oriented types bound to each kind of name.
/// unix(7): its socket types × its kinds of address ("Address format").
#[template]
#[export]
#[rstest]
#[case::stream_pathname(::fixtures::net::SockType::Stream, ::unix_sockets::AddrKind::Pathname)]
#[case::stream_abstract_name(::fixtures::net::SockType::Stream, ::unix_sockets::AddrKind::Abstract)]
#[case::stream_autobind(::fixtures::net::SockType::Stream, ::unix_sockets::AddrKind::Autobind)]
#[case::seqpacket_pathname(::fixtures::net::SockType::Seqpacket, ::unix_sockets::AddrKind::Pathname)]
#[case::seqpacket_abstract_name(::fixtures::net::SockType::Seqpacket, ::unix_sockets::AddrKind::Abstract)]
#[case::seqpacket_autobind(::fixtures::net::SockType::Seqpacket, ::unix_sockets::AddrKind::Autobind)]
pub fn connection_types_and_named_kinds(#[case] ty: ::fixtures::net::SockType, #[case] kind: ::unix_sockets::AddrKind) {}

/// Every socket type, blocking and nonblocking (`case_1_stream::mode_1_blocking` …).
/// unix(7)'s socket types or addresses × the O_NONBLOCK of open(2)/fcntl(2).
#[template]
#[export]
#[rstest]
#[case::stream(::fixtures::net::SockType::Stream)]
#[case::dgram(::fixtures::net::SockType::Dgram)]
#[case::seqpacket(::fixtures::net::SockType::Seqpacket)]
pub fn socket_types_in_both_modes(
    #[case] ty: ::fixtures::net::SockType,
    #[values(
        /// blocking
        ::unix_sockets::Blocking::Blocking,
        /// nonblocking
        ::unix_sockets::Blocking::Nonblocking
    )]
    mode: ::unix_sockets::Blocking,
) {
}

/// The connection-oriented types, blocking and nonblocking.
/// unix(7)'s socket types or addresses × the O_NONBLOCK of open(2)/fcntl(2).
#[template]
#[export]
#[rstest]
#[case::stream(::fixtures::net::SockType::Stream)]
#[case::seqpacket(::fixtures::net::SockType::Seqpacket)]
pub fn connection_types_in_both_modes(
    #[case] ty: ::fixtures::net::SockType,
    #[values(
        /// blocking
        ::unix_sockets::Blocking::Blocking,
        /// nonblocking
        ::unix_sockets::Blocking::Nonblocking
    )]
    mode: ::unix_sockets::Blocking,
) {
}

/// Each kind of name, blocking and nonblocking.
/// unix(7)'s socket types or addresses × the O_NONBLOCK of open(2)/fcntl(2).
#[template]
#[export]
#[rstest]
#[case::pathname(::unix_sockets::AddrKind::Pathname)]
#[case::abstract_name(::unix_sockets::AddrKind::Abstract)]
#[case::autobind(::unix_sockets::AddrKind::Autobind)]
pub fn named_kinds_in_both_modes(
    #[case] kind: ::unix_sockets::AddrKind,
    #[values(
        /// blocking
        ::unix_sockets::Blocking::Blocking,
        /// nonblocking
        ::unix_sockets::Blocking::Nonblocking
    )]
    mode: ::unix_sockets::Blocking,
) {
}

/// Every socket type as a value list (`ty_1_stream` …), for a test that has cases of its own.
/// unix(7): the socket types SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET.
#[template]
#[export]
#[rstest]
pub fn each_socket_type(
    #[values(
        /// stream
        ::fixtures::net::SockType::Stream,
        /// dgram
        ::fixtures::net::SockType::Dgram,
        /// seqpacket
        ::fixtures::net::SockType::Seqpacket
    )]
    ty: ::fixtures::net::SockType,
) {
}

/// socket(2) and socketpair(2), which take the same type argument, as a value list
/// (`m_1_socket`, `m_2_socketpair`), for a test that has cases of its own.
#[template]
#[export]
#[rstest]
pub fn makers(
    #[values(
        /// socket
        ::unix_sockets::calls::Maker::Socket,
        /// socketpair
        ::unix_sockets::calls::Maker::Socketpair
    )]
    m: ::unix_sockets::calls::Maker,
) {
}

/// Every socket type, each made by socket(2) and by socketpair(2)
/// (`case_1_stream::m_1_socket` …).
#[template]
#[export]
#[rstest]
#[case::stream(::fixtures::net::SockType::Stream)]
#[case::dgram(::fixtures::net::SockType::Dgram)]
#[case::seqpacket(::fixtures::net::SockType::Seqpacket)]
pub fn socket_types_by_maker(
    #[case] ty: ::fixtures::net::SockType,
    #[values(
        /// socket
        ::unix_sockets::calls::Maker::Socket,
        /// socketpair
        ::unix_sockets::calls::Maker::Socketpair
    )]
    m: ::unix_sockets::calls::Maker,
) {
}

/// Every way a client reaches a name ([`crate::pairs::Reach`]): `stream_connect`,
/// `seqpacket_connect`, `dgram_connect`, `dgram_sendto`.
/// unix(7): connect(2) for every type, sendto(2) for datagrams.
#[template]
#[export]
#[rstest]
#[case::stream_connect(::unix_sockets::pairs::Reach::StreamConnect)]
#[case::seqpacket_connect(::unix_sockets::pairs::Reach::SeqpacketConnect)]
#[case::dgram_connect(::unix_sockets::pairs::Reach::DgramConnect)]
#[case::dgram_sendto(::unix_sockets::pairs::Reach::DgramSendto)]
pub fn reaches(#[case] how: ::unix_sockets::pairs::Reach) {}

/// Both calls that take an address from the caller ([`crate::addr::Call`]): `bind`,
/// `connect`. unix(7), "Address format": bind(2) and connect(2) read the same sockaddr_un.
#[template]
#[export]
#[rstest]
#[case::bind(::unix_sockets::addr::Call::Bind)]
#[case::connect(::unix_sockets::addr::Call::Connect)]
pub fn address_calls(#[case] c: ::unix_sockets::addr::Call) {}
