//! poll(2) readiness of a socket as one exact mask, and its rendering for messages.

use std::os::fd::AsFd;

/// Every event poll(2) can report for a socket.
pub const ALL_EVENTS: i16 = libc::POLLIN | libc::POLLPRI | libc::POLLOUT | libc::POLLRDHUP;

/// The events pending now (timeout 0), restricted to the four basic poll bits plus
/// POLLHUP/POLLERR/POLLNVAL, so that the *NORM/*BAND aliases do not clutter assertions.
#[track_caller]
pub fn events_now(fd: impl AsFd) -> i16 {
    fixtures::poll::revents_now(fd, ALL_EVENTS) & (ALL_EVENTS | libc::POLLHUP | libc::POLLERR | libc::POLLNVAL)
}

/// Render poll bits for failure messages.
pub fn show_events(ev: i16) -> String {
    let names = [
        (libc::POLLIN, "POLLIN"),
        (libc::POLLPRI, "POLLPRI"),
        (libc::POLLOUT, "POLLOUT"),
        (libc::POLLERR, "POLLERR"),
        (libc::POLLHUP, "POLLHUP"),
        (libc::POLLNVAL, "POLLNVAL"),
        (libc::POLLRDHUP, "POLLRDHUP"),
    ];
    let v: Vec<&str> = names.iter().filter(|(b, _)| ev & b != 0).map(|(_, n)| *n).collect();
    if v.is_empty() { "0".into() } else { v.join("|") }
}

/// Assert that `fd` reports exactly `expected` now ([`events_now`]); `what` names the end.
#[track_caller]
pub fn assert_events(fd: impl AsFd, expected: i16, what: &str) {
    let got = events_now(fd);
    assert_eq!(got, expected, "{what}: got {}, expected {}", show_events(got), show_events(expected));
}
