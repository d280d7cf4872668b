//! The docker daemon a run uses: checked once before anything is built (the CLI is there,
//! the daemon answers), containers of runners that are gone removed, and interrupts taken
//! over ([`crate::container::cleanup`]); at the end, this run's containers removed once more.
//! Shared by every container target of the run ([`shared`]).

use std::fs;

use anyhow::{Result, bail};

use crate::container::cleanup::{Owner, install_interrupt_cleanup, sweep};
use crate::container::cli::{DOCKER, docker};
use crate::progress::Progress;
use crate::target::Shared;

/// What the runner knows about the docker daemon it uses.
#[derive(Clone, Debug)]
pub struct Daemon {
    pub server_version: String,
    pub owner: Owner,
    /// `readlink /proc/self/ns/ipc` of the runner: the host's IPC namespace.
    pub host_ipc_ns: Option<String>,
    pub host_release: String,
}

/// Check the docker CLI and daemon, remove containers of runners that are gone, and make
/// SIGINT/SIGTERM/SIGHUP remove this run's containers. Call before any other thread starts.
pub fn preflight(progress: &Progress) -> Result<Daemon> {
    if !crate::util::on_path(DOCKER) {
        bail!("docker targets need the docker CLI and a running daemon: install docker (Debian: `apt-get install docker.io`)");
    }
    let server_version = docker(&["version", "--format", "{{.Server.Version}}"])
        .map(|s| s.trim().to_string())
        .map_err(|e| anyhow::anyhow!("the docker daemon cannot be reached ({e:#}); start it (e.g. `dockerd &` or `systemctl start docker`)"))?;
    let owner = Owner::me();
    install_interrupt_cleanup(owner.label());
    for n in sweep(None) {
        progress.say(&n);
    }
    let host_ipc_ns = fs::read_link("/proc/self/ns/ipc").ok().map(|p| p.to_string_lossy().into_owned());
    Ok(Daemon { server_version, owner, host_ipc_ns, host_release: crate::util::host_release() })
}

struct Checked(Result<Daemon, String>);

/// The daemon of this run, checked by the first container target that asks.
pub fn shared(shared: &Shared, progress: &Progress) -> Result<Daemon> {
    shared.once(|| Checked(preflight(progress).map_err(|e| format!("{e:#}")))).0.clone().map_err(anyhow::Error::msg)
}

/// The end of a run (if a container target checked the daemon): this run's containers
/// (there should be none: `--rm`) and those of runners that are gone are removed.
pub fn finish(shared: &Shared) -> Vec<String> {
    let Some(c) = shared.get::<Checked>() else { return Vec::new() };
    let Ok(d) = &c.0 else { return Vec::new() };
    let mut n = sweep(Some(&d.owner.label()));
    n.extend(sweep(None));
    n
}
