//! The docker CLI as the container targets use it: one helper to call it, and the labels
//! the runner puts on everything it creates (so that it can find and remove it later).

use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

/// The docker CLI.
pub const DOCKER: &str = "docker";
/// Label on everything the runner creates: `bundle` (images) or `run` (containers).
pub const LABEL_ROLE: &str = "org.ipcspec.role";
pub const ROLE_BUNDLE: &str = "bundle";
pub const ROLE_RUN: &str = "run";
/// Label on containers: the runner that owns them (`<boot id>:<pid>:<start time>`).
pub const LABEL_OWNER: &str = "org.ipcspec.owner";
/// Label on containers: the mode.
pub const LABEL_MODE: &str = "org.ipcspec.mode";
/// Label on images: the content key (also the tag).
pub const LABEL_KEY: &str = "org.ipcspec.bundle-key";

/// `docker` with arguments; its output, or an error with its message.
pub fn docker(args: &[&str]) -> Result<String> {
    let o = Command::new(DOCKER).args(args).stdin(Stdio::null()).output().with_context(|| format!("running {DOCKER}"))?;
    if !o.status.success() {
        bail!("docker {}: {}", args.first().copied().unwrap_or(""), String::from_utf8_lossy(&o.stderr).trim());
    }
    Ok(String::from_utf8_lossy(&o.stdout).into_owned())
}

