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
