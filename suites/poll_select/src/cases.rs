//! The named parameter sets of the suite (rstest_reuse templates), with the case names that
//! make the test ids (`pollin_is_reported_when_input_is_available::case_6_eventfd`,
//! `a_handler_interrupts_the_wait_with_eintr::case_3_select::sa_restart_1_true`). A test
//! takes one with `#[apply(every_kind)]` followed by `#[rstest]` (so that readers and the
//! catalog see a test) and an argument `#[case] kind: Kind` (`#[case] call: Wait`). The
//! templates expand in the test files, so their paths are written in full.

use rstest_reuse::template;

/// The four calls that wait for readiness: poll, ppoll, select, pselect.
/// poll(2) (poll, ppoll) and select(2) (select, pselect).
#[template]
#[export]
#[rstest]
#[case::poll(poll_select::waits::Wait::Poll)]
#[case::ppoll(poll_select::waits::Wait::Ppoll)]
#[case::select(poll_select::waits::Wait::Select)]
#[case::pselect(poll_select::waits::Wait::Pselect)]
fn every_wait(#[case] call: poll_select::waits::Wait) {}

/// The two calls that take a signal mask for their duration: ppoll (poll(2)) and pselect
/// (select(2)).
#[template]
#[export]
#[rstest]
#[case::ppoll(poll_select::waits::Wait::Ppoll)]
#[case::pselect(poll_select::waits::Wait::Pselect)]
fn masked_waits(#[case] call: poll_select::waits::Wait) {}
