//! Container modes: what `docker:<mode>` (and any container target that takes modes) means —
//! the `docker run` flags of each mode ([`Mode::flags`]), the variables the `containers`
//! suite reads ([`mode_env`]; names in the protocol crate), and `privileged` on a daemon
//! that cannot grant every capability ([`PrivilegedAs`], [`privileged_as`]).
//!
//! Modes: `default`, `ipc-host`, `nonroot` (uid/gid 65534 only: its root column is its
//! nobody column), `privileged`, `shm-small` (docs/docker.md).

use std::fs;
use std::process::{Command, Stdio};

use ipcspec_protocol::caps::NAMES as CAP_NAMES;
use ipcspec_protocol::env;

use crate::bundle::GUEST_EXECUTOR;
use crate::container::cli::{DOCKER, LABEL_OWNER, LABEL_ROLE, ROLE_RUN};

/// The --shm-size of `shm-small`: 4 MiB.
pub const SHM_SMALL_BYTES: u64 = 4 << 20;

/// A container mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Docker's defaults: default seccomp profile and capabilities, a private IPC namespace,
    /// a 64 MiB /dev/shm.
    Default,
    /// `--ipc=host`: the host's IPC namespace (and its /dev/shm).
    IpcHost,
    /// `--user 65534:65534`: no root at all.
    NonRoot,
    /// `--privileged`.
    Privileged,
    /// `--shm-size 4m`.
    ShmSmall,
}

impl Mode {
    pub const ALL: [Mode; 5] = [Mode::Default, Mode::IpcHost, Mode::NonRoot, Mode::Privileged, Mode::ShmSmall];

    pub fn parse(s: &str) -> Result<Mode, String> {
        Mode::ALL.into_iter().find(|m| m.name() == s).ok_or_else(|| {
            format!("unknown docker mode {s:?}. Modes: {}", Mode::ALL.map(|m| format!("docker:{}", m.name())).join(", "))
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Mode::Default => "default",
            Mode::IpcHost => "ipc-host",
            Mode::NonRoot => "nonroot",
            Mode::Privileged => "privileged",
            Mode::ShmSmall => "shm-small",
        }
    }

    /// False for `nonroot`: the container has no root, only uid/gid 65534.
    pub fn allows_root(self) -> bool {
        self != Mode::NonRoot
    }

    /// The mode's own `docker run` flags (privileged: the real flag; see [`PrivilegedAs`]).
    pub fn flags(self, privileged: &PrivilegedAs) -> Vec<String> {
        let v: Vec<&str> = match self {
            Mode::Default => vec![],
            Mode::IpcHost => vec!["--ipc=host"],
            Mode::NonRoot => vec!["--user", "65534:65534"],
            Mode::ShmSmall => return vec!["--shm-size".into(), SHM_SMALL_BYTES.to_string()],
            Mode::Privileged => return privileged.flags(),
        };
        v.into_iter().map(String::from).collect()
    }
}

/// How `privileged` is given to docker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PrivilegedAs {
    /// `--privileged`.
    Full,
    /// The daemon cannot grant these capabilities (its own bounding set lacks them, so
    /// `--privileged` fails with "unable to apply caps"): everything `--privileged` does for
    /// the tests except those capabilities, host devices and a writable /sys.
    Approximated { missing: Vec<String> },
}

impl PrivilegedAs {
    pub fn flags(&self) -> Vec<String> {
        match self {
            PrivilegedAs::Full => vec!["--privileged".into()],
            PrivilegedAs::Approximated { missing } => {
                let mut v: Vec<String> = vec!["--cap-add".into(), "ALL".into()];
                for c in missing {
                    v.push("--cap-drop".into());
                    v.push(c.clone());
                }
                for o in ["seccomp=unconfined", "apparmor=unconfined", "label=disable", "systempaths=unconfined"] {
                    v.push("--security-opt".into());
                    v.push(o.into());
                }
                v
            }
        }
    }

    /// What the tests are told: in an approximation, the capabilities it could not give
    /// (`IPCSPEC_PRIVILEGED_MISSING_CAPS=SYS_RESOURCE,...`), so that the containers suite
    /// asserts exactly the rest.
    pub fn env(&self) -> Vec<(String, String)> {
        match self {
            PrivilegedAs::Full => Vec::new(),
            PrivilegedAs::Approximated { missing } => vec![(env::PRIVILEGED_MISSING_CAPS.to_string(), missing.join(","))],
        }
    }

    /// What the column says about it (empty for the real thing).
    pub fn note(&self) -> Option<String> {
        match self {
            PrivilegedAs::Full => None,
            PrivilegedAs::Approximated { missing } => Some(format!(
                "MODE APPROXIMATED: `docker run --privileged` cannot start on this daemon (runc: \"unable to apply caps\": the daemon's \
                 bounding set lacks CAP_{m}), so this column ran `{}`: every capability docker knows except CAP_{m}, no seccomp, \
                 no AppArmor/SELinux confinement, /proc/sys and the rest of /proc writable and unmasked. Unlike --privileged: no \
                 CAP_{m}, the host's devices are not in /dev, /sys stays read-only",
                self.flags().join(" "),
                m = missing.join(", CAP_")
            )),
        }
    }
}


/// The capabilities up to `last_cap` that are not in `bounding` (a CapBnd mask), by name.
pub fn missing_caps(bounding: u64, last_cap: u32) -> Vec<String> {
    (0..=last_cap.min(63))
        .filter(|&c| bounding & (1u64 << c) == 0)
        .map(|c| CAP_NAMES.get(c as usize).map(|n| n.to_string()).unwrap_or_else(|| format!("{c}")))
        .collect()
}

/// The variables the `containers` suite reads in a docker target.
pub fn mode_env(mode: Mode, host_ipc_ns: Option<&str>) -> Vec<(String, String)> {
    let mut v = vec![(env::CONTAINER_MODE.to_string(), mode.name().to_string())];
    if mode == Mode::ShmSmall {
        v.push((env::SHM_SIZE.to_string(), SHM_SMALL_BYTES.to_string()));
    }
    if let Some(ns) = host_ipc_ns {
        v.push((env::HOST_IPC_NS.to_string(), ns.to_string()));
    }
    v
}

/// Whether `--privileged` starts on this daemon; if it cannot apply the capabilities, the
/// approximation ([`PrivilegedAs::Approximated`]) if that starts. Err: neither starts.
pub fn privileged_as(image: &str, owner: &str) -> Result<PrivilegedAs, String> {
    let probe = |p: &PrivilegedAs| -> Result<(), String> {
        let mut args: Vec<String> = ["run", "--rm", "--label"].map(String::from).to_vec();
        args.push(format!("{LABEL_ROLE}={ROLE_RUN}"));
        args.push("--label".into());
        args.push(format!("{LABEL_OWNER}={owner}"));
        args.extend(p.flags());
        args.extend(["--entrypoint", GUEST_EXECUTOR, image, "--version"].map(String::from));
        let o = Command::new(DOCKER).args(&args).stdin(Stdio::null()).output().map_err(|e| format!("running docker: {e}"))?;
        if o.status.success() {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&o.stderr).trim().to_string())
        }
    };
    let err = match probe(&PrivilegedAs::Full) {
        Ok(()) => return Ok(PrivilegedAs::Full),
        Err(e) => e,
    };
    if !err.contains("unable to apply caps") {
        return Err(format!("`docker run --privileged` fails: {err}"));
    }
    let status = fs::read_to_string("/proc/self/status").unwrap_or_default();
    let bnd = status.lines().find_map(|l| l.strip_prefix("CapBnd:")).and_then(|v| u64::from_str_radix(v.trim(), 16).ok());
    let last = fs::read_to_string("/proc/sys/kernel/cap_last_cap").ok().and_then(|s| s.trim().parse::<u32>().ok());
    let mut missing = match (bnd, last) {
        (Some(b), Some(l)) => missing_caps(b, l),
        _ => vec![],
    };
    if missing.is_empty() {
        return Err(format!("`docker run --privileged` fails ({err}) though this process has every capability"));
    }
    // Capabilities docker does not know cannot be dropped (nor are they in its "ALL").
    for _ in 0..missing.len() + 1 {
        let p = PrivilegedAs::Approximated { missing: missing.clone() };
        match probe(&p) {
            Ok(()) => return Ok(p),
            Err(e) => match unknown_capability(&e) {
                Some(c) if missing.contains(&c) => missing.retain(|m| *m != c),
                _ => return Err(format!("`docker run --privileged` fails ({err}), and so does `{}`: {e}", p.flags().join(" "))),
            },
        }
        if missing.is_empty() {
            break;
        }
    }
    Err(format!("`docker run --privileged` fails: {err}"))
}

/// `invalid CapDrop: unknown capability: "CAP_PERFMON"` -> `PERFMON`. Pure.
pub fn unknown_capability(msg: &str) -> Option<String> {
    let at = msg.find("unknown capability: \"")? + "unknown capability: \"".len();
    let rest = &msg[at..];
    let name = &rest[..rest.find('"')?];
    Some(name.trim_start_matches("CAP_").to_string())
}

