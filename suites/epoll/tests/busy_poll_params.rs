//! ioctl_eventpoll(2): EPIOCSPARAMS and EPIOCGPARAMS set and read the busy-poll settings of
//! one epoll instance (struct epoll_params). HISTORY: "Linux 6.9" (commit 18e2bf0edf4d,
//! "eventpoll: Add epoll ioctl for epoll_params", named in the page's source). Before 6.9 an
//! epoll file has no ioctl operation at all, so both requests fail ENOTTY (ioctl(2): "The
//! specified operation does not apply to the kind of object that the file descriptor fd
//! references"); a 6.9+ kernel built without CONFIG_NET_RX_BUSY_POLL answers EOPNOTSUPP
//! ("The kernel was not compiled with busy poll support").
//!
//! Variants: `present` (6.9+, the settings work), `absent` (before 6.9: ENOTTY asserted),
//! `eopnotsupp` (lacking: 6.9+ without busy-poll support, EOPNOTSUPP asserted).

use epoll::{EpollParams, NAPI_POLL_WEIGHT, get_params, set_params};
use fixtures::gate::{Cap, has_cap, kernel_config};
use fixtures::poll::Epoll;
use fixtures::{assert_errno, kernel_at_least, kernel_version, needs, privilege, run_in_child, variant};
use nix::errno::Errno;

/// Which of the three documented answers this kernel gives, reported as the variant; `true`
/// when the settings are there to be tested. Otherwise the documented refusal of both
/// requests on `ep` is asserted here.
fn busy_poll_params_here(ep: &Epoll) -> bool {
    let v = kernel_version();
    let get = get_params(ep);
    let set = set_params(ep, EpollParams::default());
    if !kernel_at_least(6, 9) {
        variant::absent(format_args!("EPIOC*PARAMS were added in 6.9; kernel {v}: ENOTTY"));
        assert_errno!(get, Errno::ENOTTY, "EPIOCGPARAMS before 6.9");
        assert_errno!(set, Errno::ENOTTY, "EPIOCSPARAMS before 6.9");
        return false;
    }
    let config = kernel_config();
    if let Ok(c) = config
        && c.get("CONFIG_NET_RX_BUSY_POLL").is_some()
        && !c.enabled("CONFIG_NET_RX_BUSY_POLL")
    {
        variant::lacking("eopnotsupp", format_args!("kernel {v} built without CONFIG_NET_RX_BUSY_POLL ({})", c.source));
        assert_errno!(get, Errno::EOPNOTSUPP, "EPIOCGPARAMS without busy-poll support");
        assert_errno!(set, Errno::EOPNOTSUPP, "EPIOCSPARAMS without busy-poll support");
        return false;
    }
    variant::present(format_args!("EPIOC*PARAMS (6.9), kernel {v}"));
    assert_eq!(get, Ok(EpollParams::default()), "a new instance does not busy-poll");
    assert_eq!(set, Ok(()), "EPIOCSPARAMS with all fields zero");
    true
}

/// ioctl_eventpoll(2): EPIOCSPARAMS sets "the epoll_params structure", EPIOCGPARAMS gets "the
/// current epoll_params configuration settings"; ERRORS: EINVAL when "__pad is not zero",
/// "busy_poll_usecs exceeds INT_MAX", "prefer_busy_poll is not 0 or 1". Asserted: a new
/// instance reads all zeros; the settings of the page's example (25 µs, budget 8, prefer 1)
/// read back exactly; each invalid field fails EINVAL and leaves the settings unchanged;
/// zeros turn busy polling off again. Before 6.9: ENOTTY for both requests (variant
/// `absent`).
///
/// Kernel change: 6.9, commit 18e2bf0edf4d — EPIOCSPARAMS/EPIOCGPARAMS set and read an epoll instance's busy-poll settings (ENOTTY before).
#[test]
fn epiocsparams_sets_the_busy_poll_settings_that_epiocgparams_reads_since_6_9() {
    let ep = Epoll::new();
    if !busy_poll_params_here(&ep) {
        return;
    }
    let example = EpollParams { busy_poll_usecs: 25, busy_poll_budget: 8, prefer_busy_poll: 1, pad: 0 };
    assert_eq!(set_params(&ep, example), Ok(()));
    assert_eq!(get_params(&ep), Ok(example));
    let invalid = [
        ("__pad not zero", EpollParams { pad: 1, ..example }),
        ("busy_poll_usecs above INT_MAX", EpollParams { busy_poll_usecs: 1 << 31, ..example }),
        ("prefer_busy_poll 2", EpollParams { prefer_busy_poll: 2, ..example }),
    ];
    for (what, p) in invalid {
        assert_errno!(set_params(&ep, p), Errno::EINVAL, "{what}");
        assert_eq!(get_params(&ep), Ok(example), "the settings after the refused {what}");
    }
    let limit = EpollParams { busy_poll_usecs: i32::MAX as u32, ..example };
    assert_eq!(set_params(&ep, limit), Ok(()), "busy_poll_usecs of exactly INT_MAX");
    assert_eq!(get_params(&ep), Ok(limit));
    assert_eq!(set_params(&ep, EpollParams::default()), Ok(()));
    assert_eq!(get_params(&ep), Ok(EpollParams::default()), "zeros turn busy polling off");
}

/// ioctl_eventpoll(2): busy_poll_budget "cannot exceed NAPI_POLL_WEIGHT (which is 64 as of
/// Linux 6.9), unless the process is run with CAP_NET_ADMIN"; ERRORS: "EPERM The process is
/// being run without CAP_NET_ADMIN and the specified argp.busy_poll_budget exceeds
/// NAPI_POLL_WEIGHT." Asserted in a child without capabilities (uid 65534): a budget of 64 is
/// taken, 65 fails EPERM and leaves 64; where the test runs with CAP_NET_ADMIN, 65 is taken.
/// Before 6.9: ENOTTY (variant `absent`), as for the test above.
#[test]
fn a_busy_poll_budget_over_napi_poll_weight_needs_cap_net_admin_since_6_9() {
    needs!(other_user);
    let ep = Epoll::new();
    if !busy_poll_params_here(&ep) {
        return;
    }
    let at_limit = EpollParams { busy_poll_budget: NAPI_POLL_WEIGHT, ..EpollParams::default() };
    let over = EpollParams { busy_poll_budget: NAPI_POLL_WEIGHT + 1, ..EpollParams::default() };
    run_in_child("without capabilities", || {
        privilege::drop_to_nobody();
        assert_eq!(set_params(&ep, at_limit), Ok(()), "a budget of NAPI_POLL_WEIGHT");
        assert_errno!(set_params(&ep, over), Errno::EPERM, "a budget of NAPI_POLL_WEIGHT + 1 without CAP_NET_ADMIN");
        assert_eq!(get_params(&ep), Ok(at_limit), "the settings after the refusal");
    })
    .expect_success();
    // variant: none — with CAP_NET_ADMIN the test only adds that the capability lifts the limit.
    if has_cap(Cap::NET_ADMIN) {
        assert_eq!(set_params(&ep, over), Ok(()), "a budget of NAPI_POLL_WEIGHT + 1 with CAP_NET_ADMIN");
        assert_eq!(get_params(&ep), Ok(over));
    }
}
