//! Controlling terminals: taking one (setsid(2) + TIOCSCTTY), and /dev/tty, its synonym
//! (tty(4)), which an environment may lack.

use std::os::fd::AsFd;

use fixtures::Agent;
use fixtures::facility::Availability;
use fixtures::signals::SignalCatcher;
use nix::sys::signal::Signal;

use crate::ioctls::ioctl_arg;

/// tty(4): "a synonym for the controlling terminal of a process".
pub const DEV_TTY: &str = "/dev/tty";

/// Whether /dev/tty exists here: `present`, or `blocked` (this environment gives no node for
/// the controlling terminal; every kernel has the driver).
pub fn dev_tty() -> Availability {
    Availability::blocked_unless(
        fixtures::gate::path_exists(DEV_TTY).map_err(|why| format!("{why}: this environment gives no node for the controlling terminal")),
        "/dev/tty exists here",
    )
}

/// In a child: start a new session (setsid) and make `slave` its controlling terminal
/// (TIOCSCTTY with arg 0). The caller is then the session leader, its process group the
/// terminal's foreground process group.
#[track_caller]
pub fn take_controlling_terminal(slave: impl AsFd) {
    nix::unistd::setsid().expect("setsid in the child");
    ioctl_arg(slave, libc::TIOCSCTTY, 0).expect("TIOCSCTTY on the slave");
}

/// A child that blocks `sigs` (to take them with sigtimedwait: a default action cannot end
/// it before it looks), starts a session with `slave` as its controlling terminal — its
/// process group is then the terminal's foreground group — and runs `body` once the test
/// knows it is there: this returns when the leader is ready (a failure before that fails the
/// test with the leader's message). `expect_success()` joins it.
#[track_caller]
pub fn session_leader(slave: impl AsFd, sigs: &[Signal], body: impl FnOnce(&SignalCatcher)) -> Agent<(), ()> {
    let slave = slave.as_fd();
    let leader = Agent::spawn("session leader", |serve| {
        let catcher = SignalCatcher::new(sigs);
        take_controlling_terminal(slave);
        serve.ready(());
        body(&catcher);
    });
    leader.ready::<()>();
    leader
}

/// setpgid(0, 0): the caller leaves its parent's process group and leads a new one in the
/// same session (a "job"), which is in the background until tcsetpgrp(3) moves it forward.
#[track_caller]
pub fn new_process_group() {
    let me = nix::unistd::Pid::from_raw(0);
    nix::unistd::setpgid(me, me).expect("setpgid(0, 0)");
}
