//! The remote process of every transfer: a forked child that sets up its memory and waits
//! while the test reads and writes it.

use fixtures::Agent;
use nix::unistd::Pid;

/// A forked child whose memory the test inspects (a [`fixtures::Agent`] that takes no
/// requests). The child runs `setup` (which changes its own memory), reports that it is
/// ready, and waits until the test calls [`Target::finish`]; then it runs `check` (e.g.
/// verifying what the test wrote into it) and exits.
pub struct Target(Agent<(), ()>);

impl Target {
    pub fn start(setup: impl FnOnce()) -> Target {
        Target::start_with(setup, || {})
    }

    pub fn start_with(setup: impl FnOnce(), check: impl FnOnce()) -> Target {
        let agent = Agent::spawn("target process", |serve| {
            setup();
            serve.ready(());
            serve.wait_release();
            check();
        });
        agent.ready::<()>();
        Target(agent)
    }

    pub fn pid(&self) -> Pid {
        self.0.pid()
    }

    /// Release the child, let it run `check`, and require that it succeeds.
    #[track_caller]
    pub fn finish(self) {
        self.0.expect_success();
    }
}
