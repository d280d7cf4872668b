//! The container modes of the runner's `docker:<mode>` targets, announced to the tests
//! through environment variables (documented in docs/suites/containers.md):
//!
//! - `IPCSPEC_CONTAINER_MODE`: `default`, `ipc-host`, `nonroot`, `privileged` or
//!   `shm-small`. Unset everywhere else: the docker_modes tests then SKIP.
//! - `IPCSPEC_SHM_SIZE`: the bytes given to `--shm-size` (required in `shm-small`; when set
//!   in another mode it replaces the 64 MiB default as the expected size).
//! - `IPCSPEC_HOST_IPC_NS`: the host's IPC namespace, as `readlink /proc/self/ns/ipc`
//!   prints it on the host ("ipc:[4026531839]") or just the number.

/// The variable naming the container mode.
pub const MODE_VAR: &str = "IPCSPEC_CONTAINER_MODE";
/// The variable holding the --shm-size in bytes.
pub const SHM_SIZE_VAR: &str = "IPCSPEC_SHM_SIZE";
/// The variable holding the host's IPC namespace.
pub const HOST_IPC_NS_VAR: &str = "IPCSPEC_HOST_IPC_NS";

/// dockerd's --default-shm-size: "Default shm size for containers (default 64MiB)".
pub const DEFAULT_SHM_SIZE: u64 = 64 * 1024 * 1024;

/// The modes the runner knows.
pub const MODES: [&str; 5] = ["default", "ipc-host", "nonroot", "privileged", "shm-small"];

/// Gate: the test runs in one of the `wanted` docker modes. Returns the mode.
pub fn mode_in(wanted: &[&str]) -> Result<String, String> {
    let names = wanted.iter().map(|m| format!("docker:{m}")).collect::<Vec<_>>().join(" or ");
    match std::env::var(MODE_VAR) {
        Err(_) => Err(format!("not running in a {names} target ({MODE_VAR} is not set)")),
        Ok(m) if wanted.contains(&m.as_str()) => Ok(m),
        Ok(m) if !MODES.contains(&m.as_str()) => {
            panic!("{MODE_VAR}={m:?} is not a known container mode (one of {MODES:?})")
        }
        Ok(m) => Err(format!("not running in a {names} target (running in docker:{m})")),
    }
}

/// A required variable of the docker target; its absence is a misconfigured runner.
#[track_caller]
pub fn required_var(name: &str, mode: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} must be set by the runner in docker:{mode}"))
}

/// Parse an ns inode from "ipc:[4026531839]" or "4026531839".
#[track_caller]
pub fn parse_ns_inode(s: &str) -> u64 {
    let t = s.trim();
    let digits = t.rsplit_once('[').map(|(_, r)| r.trim_end_matches(']')).unwrap_or(t);
    digits.parse().unwrap_or_else(|_| panic!("not a namespace inode: {s:?}"))
}
