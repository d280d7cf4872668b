//! The container modes of the runner's `docker:<mode>` targets, announced to the tests
//! through environment variables (named in `fixtures::protocol::env`, shared with the
//! runner; documented in docs/suites/containers.md):
//!
//! - `IPCSPEC_CONTAINER_MODE`: `default`, `ipc-host`, `nonroot`, `privileged` or
//!   `shm-small`. Unset everywhere else: the docker_modes tests then SKIP.
//! - `IPCSPEC_SHM_SIZE`: the bytes given to `--shm-size` (required in `shm-small`; when set
//!   in another mode it replaces the 64 MiB default as the expected size).
//! - `IPCSPEC_HOST_IPC_NS`: the host's IPC namespace, as `readlink /proc/self/ns/ipc`
//!   prints it on the host ("ipc:[4026531839]") or just the number.

use fixtures::protocol::env::CONTAINER_MODE as MODE_VAR;

/// dockerd's --default-shm-size: "Default shm size for containers (default 64MiB)".
pub const DEFAULT_SHM_SIZE: u64 = 64 * 1024 * 1024;

/// The modes the runner knows.
pub const MODES: [&str; 5] = ["default", "ipc-host", "nonroot", "privileged", "shm-small"];

/// Gate (for `needs!(gate(..))`): the test runs in one of the `wanted` docker modes; then
/// [`mode`] names it.
pub fn mode_in(wanted: &[&str]) -> Result<(), String> {
    // variant: none — this only decides whether a test applies here (a plain SKIP outside a
    // docker target or in another mode); the tests report their mode-specific outcome.
    let names = wanted.iter().map(|m| format!("docker:{m}")).collect::<Vec<_>>().join(" or ");
    match std::env::var(MODE_VAR) {
        Err(_) => Err(format!("not running in a {names} target ({MODE_VAR} is not set)")),
        Ok(m) if wanted.contains(&m.as_str()) => Ok(()),
        Ok(m) if !MODES.contains(&m.as_str()) => {
            panic!("{MODE_VAR}={m:?} is not a known container mode (one of {MODES:?})")
        }
        Ok(m) => Err(format!("not running in a {names} target (running in docker:{m})")),
    }
}

/// The docker mode this test runs in (after [`mode_in`] let it run).
#[track_caller]
pub fn mode() -> String {
    // variant: none — read after the gate; the mode only names the target in messages.
    std::env::var(MODE_VAR).unwrap_or_else(|_| panic!("{MODE_VAR} is not set: gate the test with mode_in first"))
}

/// A required variable of the docker target; its absence is a misconfigured runner.
#[track_caller]
pub fn required_var(name: &str, mode: &str) -> String {
    // variant: none — a missing variable is a misconfigured runner (a failure), not an outcome.
    std::env::var(name).unwrap_or_else(|_| panic!("{name} must be set by the runner in docker:{mode}"))
}

/// Parse an ns inode from "ipc:[4026531839]" or "4026531839".
#[track_caller]
pub fn parse_ns_inode(s: &str) -> u64 {
    let t = s.trim();
    let digits = t.rsplit_once('[').map(|(_, r)| r.trim_end_matches(']')).unwrap_or(t);
    digits.parse().unwrap_or_else(|_| panic!("not a namespace inode: {s:?}"))
}
