//! The suite's named parameter sets (rstest_reuse templates), defined once: the address
//! families and transports a claim spans. A test applies one with `#[apply(name)]` and takes
//! the parameters as `#[case]`:
//!
//! ```ignore
//! #[apply(families)]
//! fn tcp_nodelay_is_off_by_default_and_reads_back(#[case] fam: Family) { .. }
//! ```
//!
//! A test that crosses a set with a dimension of its own gives that one as `#[values(..)]`
//! with a name per value (`/// name` before the value), so that ids read
//! `case_2_v6::reported_by_1_send`. (The templates name the types of [`crate::addr`] by
//! their paths from a test crate, `inet_sockets::addr::...`: they are expanded there.)

use rstest_reuse::template;


/// IPv4 and IPv6: `case_1_v4`, `case_2_v6`.
/// The address families of ip(7) and ipv6(7).
#[template]
#[export]
#[rstest]
#[case::v4(inet_sockets::addr::Family::V4)]
#[case::v6(inet_sockets::addr::Family::V6)]
pub fn families(#[case] fam: Family) {}

/// TCP and UDP: `case_1_tcp`, `case_2_udp`.
/// The transports of tcp(7) and udp(7).
#[template]
#[export]
#[rstest]
#[case::tcp(inet_sockets::addr::Proto::Tcp)]
#[case::udp(inet_sockets::addr::Proto::Udp)]
pub fn transports(#[case] proto: Proto) {}

/// Every family with every transport: `case_1_v4_tcp`, `case_2_v4_udp`, `case_3_v6_tcp`,
/// `case_4_v6_udp`.
/// ip(7)/ipv6(7) × tcp(7)/udp(7).
#[template]
#[export]
#[rstest]
#[case::v4_tcp(inet_sockets::addr::Family::V4, inet_sockets::addr::Proto::Tcp)]
#[case::v4_udp(inet_sockets::addr::Family::V4, inet_sockets::addr::Proto::Udp)]
#[case::v6_tcp(inet_sockets::addr::Family::V6, inet_sockets::addr::Proto::Tcp)]
#[case::v6_udp(inet_sockets::addr::Family::V6, inet_sockets::addr::Proto::Udp)]
pub fn families_and_transports(#[case] fam: Family, #[case] proto: Proto) {}
