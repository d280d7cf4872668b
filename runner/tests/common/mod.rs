//! Shared by the runner's integration tests.

/// The runner's end-to-end tests drive cargo (under /root), nextest and setpriv: they need
/// root. As any other user (the CI's uid 65534 pass) they skip with the suites' marker.
pub fn need_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        return true;
    }
    println!("\nIPCSPEC-SKIP: the runner's integration tests need root (cargo, nextest, setpriv)");
    false
}
