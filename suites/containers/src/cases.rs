//! The suite's named parameter sets (rstest_reuse templates), defined once. A test applies
//! one with `#[apply(name)]` and takes the parameter as `#[case]`.

use rstest_reuse::template;

/// The three System V IPC mechanisms (sysvipc(7)): `case_1_msg`, `case_2_shm`, `case_3_sem`.
#[template]
#[export]
#[rstest]
#[case::msg(containers::objects::SysV::Msg)]
#[case::shm(containers::objects::SysV::Shm)]
#[case::sem(containers::objects::SysV::Sem)]
pub fn sysv_kinds(#[case] kind: SysV) {}

/// The three AF_UNIX socket types (unix(7)), as the raw socket(2) type: `case_1_stream`,
/// `case_2_seqpacket`, `case_3_dgram`.
#[template]
#[export]
#[rstest]
#[case::stream(libc::SOCK_STREAM)]
#[case::seqpacket(libc::SOCK_SEQPACKET)]
#[case::dgram(libc::SOCK_DGRAM)]
pub fn unix_socket_types(#[case] ty: libc::c_int) {}
