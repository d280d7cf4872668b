//! The suite's parameter sets, defined once and applied by name (rstest_reuse), with case
//! ids that say which socket type runs (`..::case_1_stream`, `case_2_dgram`,
//! `case_3_seqpacket`):
//!
//! ```ignore
//! #[apply(socket_types)]
//! #[rstest]
//! fn one_passed_descriptor_refers_to_the_same_file(#[case] ty: SockType) { .. }
//! ```
//!
//! A test keeps its own `#[rstest]` after `#[apply(..)]`: the catalog (`ipcspec catalog`)
//! recognises tests by `#[test]`/`#[rstest]`, and rustc accepts the repetition.

use rstest_reuse::template;

/// unix(7): the three AF_UNIX socket types, "SOCK_STREAM, for a stream-oriented socket;
/// SOCK_DGRAM, for a datagram-oriented socket ...; and (since Linux 2.6.4)
/// SOCK_SEQPACKET".
#[template]
#[export]
#[rstest]
#[case::stream(::ancillary::SockType::Stream)]
#[case::dgram(::ancillary::SockType::Dgram)]
#[case::seqpacket(::ancillary::SockType::Seqpacket)]
pub fn socket_types(#[case] ty: ::ancillary::SockType) {}

/// The connection-oriented AF_UNIX types (listen(2)/accept(2)): stream and seqpacket.
#[template]
#[export]
#[rstest]
#[case::stream(::ancillary::SockType::Stream)]
#[case::seqpacket(::ancillary::SockType::Seqpacket)]
pub fn connection_types(#[case] ty: ::ancillary::SockType) {}
