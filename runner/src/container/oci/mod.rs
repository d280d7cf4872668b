//! The container modes as OCI runtime configurations (`config.json`, runtime-spec 1.0.2):
//! each mode of [`crate::container::modes`] expressed once, as what `docker run` gives the
//! OCI runtime for it — namespaces, mounts, capabilities, the default seccomp profile
//! ([`seccomp`], docker's own profile as data), user, environment, sysctls, device rules,
//! masked and read-only paths — so that any OCI runtime (runsc for gVisor, crun inside a VM)
//! runs the same container docker would.
//!
//! What docker 20.10.24 writes for a container was captured on the project machine
//! (runner/tests/data/docker-20.10.24-oci/, from the containerd bundles of `docker run` in
//! each mode); the unit tests check [`config`] against it field by field. What the runner's
//! configurations leave out is docker's own plumbing, not the container: the prestart hook
//! of libnetwork, the bind mounts of /etc/{resolv.conf,hostname,hosts} (the bundle carries
//! its own /etc), the cgroup path and the zero-valued memory/cpu/blockIO resources, and the
//! root's path (an overlay of docker's storage driver; here the bundle's directory). What
//! they may add is what docker's bridge network does in the container's network namespace
//! (IPv6 off: [`Options::docker_network`]), and they add `process.rlimits`: docker 20.10 sets none (containers inherit the daemon's
//! limits); a runtime started by the runner or by a VM's init would not inherit dockerd's,
//! so the limits the runner gives are written explicitly (the runner's own, which are the
//! daemon's on the project machine: NOFILE 20000, MEMLOCK 8 MiB, MSGQUEUE 819200, ...).

pub mod seccomp;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use ipcspec_protocol::caps::NAMES as CAP_NAMES;

use crate::container::modes::{Mode, PrivilegedAs, SHM_SMALL_BYTES};

pub use seccomp::Seccomp;

/// The runtime-spec version docker 20.10 writes.
pub const OCI_VERSION: &str = "1.0.2-dev";
/// docker's default /dev/shm (dockerd --default-shm-size, 64 MiB).
pub const DEFAULT_SHM_BYTES: u64 = 64 << 20;
/// The PATH docker gives a container whose image sets none (`FROM scratch`).
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/// docker's default capabilities, in the order docker 20.10 writes them
/// (oci/caps/defaults.go).
pub const DOCKER_DEFAULT_CAPS: [&str; 14] = [
    "CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID", "SETUID", "SETFCAP", "SETPCAP",
    "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE",
];
/// The last capability docker 20.10 knows ("ALL", --privileged): CAP_AUDIT_READ.
pub const DOCKER_LAST_CAP: usize = 37;
/// docker 20.10's masked paths (oci/defaults.go), unless --privileged or systempaths=unconfined.
pub const MASKED_PATHS: [&str; 10] = [
    "/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
    "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
];
/// docker 20.10's read-only paths.
pub const READONLY_PATHS: [&str; 5] = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

/// An OCI runtime configuration (the fields docker writes for these modes).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Spec {
    pub oci_version: String,
    pub process: Process,
    pub root: Root,
    pub hostname: String,
    pub mounts: Vec<Mount>,
    pub linux: Linux,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Process {
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub terminal: bool,
    pub user: User,
    pub args: Vec<String>,
    pub env: Vec<String>,
    pub cwd: String,
    pub capabilities: Capabilities,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rlimits: Vec<Rlimit>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_new_privileges: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oom_score_adj: Option<i32>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub uid: u32,
    pub gid: u32,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub additional_gids: Vec<u32>,
}

/// `CAP_*` names per set; docker writes bounding, effective and permitted (a non-root
/// user: bounding only).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capabilities {
    #[serde(default)]
    pub bounding: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub effective: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub permitted: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inheritable: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ambient: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rlimit {
    /// `RLIMIT_NOFILE`.
    #[serde(rename = "type")]
    pub kind: String,
    pub hard: u64,
    pub soft: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Root {
    pub path: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub readonly: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mount {
    pub destination: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub source: String,
    #[serde(default)]
    pub options: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Linux {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sysctl: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<Resources>,
    pub namespaces: Vec<Namespace>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub masked_paths: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub readonly_paths: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seccomp: Option<Seccomp>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resources {
    #[serde(default)]
    pub devices: Vec<DeviceRule>,
}

/// A device cgroup rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceRule {
    pub allow: bool,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub major: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minor: Option<i64>,
    pub access: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Namespace {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// What a configuration needs besides its mode.
#[derive(Clone, Debug)]
pub struct Options {
    /// The container's process (the guest executor).
    pub args: Vec<String>,
    /// Variables given with `-e` (the mode's IPCSPEC_* variables).
    pub env: Vec<(String, String)>,
    pub hostname: String,
    /// The root filesystem (a directory).
    pub root: String,
    /// (RLIMIT name without `RLIMIT_`, soft, hard), e.g. from [`crate::guest::host_limits`].
    pub rlimits: Vec<(String, u64, u64)>,
    /// The kernel the daemon would run on (`major.minor`), for the profile's minKernel rules.
    pub kernel: (u32, u32),
    /// How `privileged` is given (ignored by the other modes).
    pub privileged: PrivilegedAs,
    /// Add what docker's default bridge network does inside the container, which is not in
    /// the OCI configuration docker writes (libnetwork sets it up in the network namespace):
    /// IPv6 disabled on every interface, the loopback's ::1 included (docker 20.10 without an
    /// IPv6-enabled network: `net.ipv6.conf.{all,default,lo}.disable_ipv6` are 1 in its
    /// containers), as sysctls.
    pub docker_network: bool,
}

/// The sysctls that stand for docker's bridge network (see [`Options::docker_network`]).
pub const DOCKER_NETWORK_SYSCTLS: [(&str, &str); 3] =
    [("net.ipv6.conf.all.disable_ipv6", "1"), ("net.ipv6.conf.default.disable_ipv6", "1"), ("net.ipv6.conf.lo.disable_ipv6", "1")];

fn s(v: &str) -> String {
    v.to_string()
}

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| s(x)).collect()
}

fn mount(dest: &str, kind: &str, source: &str, options: &[&str]) -> Mount {
    Mount { destination: s(dest), kind: s(kind), source: s(source), options: strs(options) }
}

/// `CAP_` + name, for a list of bare names.
pub fn cap_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    names.into_iter().map(|n| format!("CAP_{n}")).collect()
}

/// The capability bounding set a mode's container gets.
pub fn bounding_set(mode: Mode, privileged: &PrivilegedAs) -> Vec<String> {
    match (mode, privileged) {
        (Mode::Privileged, PrivilegedAs::Full) => cap_names(CAP_NAMES[..=DOCKER_LAST_CAP].iter().copied()),
        (Mode::Privileged, PrivilegedAs::Approximated { missing }) => {
            cap_names(CAP_NAMES[..=DOCKER_LAST_CAP].iter().copied().filter(|c| !missing.iter().any(|m| m == c)))
        }
        _ => cap_names(DOCKER_DEFAULT_CAPS),
    }
}

/// The mounts `docker run` gives a container of `mode` (the runner's `--tmpfs /tmp` included),
/// in docker's order.
pub fn mounts(mode: Mode, privileged: &PrivilegedAs) -> Vec<Mount> {
    let full = mode == Mode::Privileged && *privileged == PrivilegedAs::Full;
    let mut m = vec![
        mount("/proc", "proc", "proc", &["nosuid", "noexec", "nodev"]),
        mount("/dev", "tmpfs", "tmpfs", &["nosuid", "strictatime", "mode=755", "size=65536k"]),
        mount("/dev/pts", "devpts", "devpts", &["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]),
        // --privileged clears "ro" of /sys and of the cgroup mount (daemon/oci_linux.go).
        mount("/sys", "sysfs", "sysfs", if full { &["nosuid", "noexec", "nodev"] } else { &["nosuid", "noexec", "nodev", "ro"] }),
        mount("/sys/fs/cgroup", "cgroup", "cgroup", if full { &["nosuid", "noexec", "nodev"] } else { &["ro", "nosuid", "noexec", "nodev"] }),
        mount("/dev/mqueue", "mqueue", "mqueue", &["nosuid", "noexec", "nodev"]),
    ];
    if mode != Mode::IpcHost {
        let size = if mode == Mode::ShmSmall { SHM_SMALL_BYTES } else { DEFAULT_SHM_BYTES };
        m.push(Mount { options: vec![s("nosuid"), s("noexec"), s("nodev"), s("mode=1777"), format!("size={size}")], ..mount("/dev/shm", "tmpfs", "shm", &[]) });
    }
    m.push(mount("/tmp", "tmpfs", "tmpfs", &["rprivate", "rw", "nosuid", "nodev", "exec", "mode=1777"]));
    if mode == Mode::IpcHost {
        // The host's /dev/shm, bound after docker's own /etc files.
        m.push(mount("/dev/shm", "bind", "/dev/shm", &["rbind", "rprivate"]));
    }
    m
}

/// docker's device cgroup rules for a container that is not privileged (as written by
/// docker 20.10 with containerd: deny all, allow the null/zero/full/random/urandom/tty/
/// console nodes, deny fuse); --privileged allows every device.
pub fn device_rules(full_privileged: bool) -> Vec<DeviceRule> {
    if full_privileged {
        return vec![DeviceRule { allow: true, kind: None, major: None, minor: None, access: s("rwm") }];
    }
    let c = |allow: bool, major: i64, minor: i64| DeviceRule { allow, kind: Some(s("c")), major: Some(major), minor: Some(minor), access: s("rwm") };
    vec![
        DeviceRule { allow: false, kind: None, major: None, minor: None, access: s("rwm") },
        c(true, 1, 5),
        c(true, 1, 3),
        c(true, 1, 9),
        c(true, 1, 8),
        c(true, 5, 0),
        c(true, 5, 1),
        c(false, 10, 229),
    ]
}

/// The OCI runtime configuration of `mode`: what `docker run` with the mode's flags gives
/// the runtime (see the module's notes for what is left out and added).
pub fn config(mode: Mode, o: &Options) -> Result<Spec, String> {
    let full = mode == Mode::Privileged && o.privileged == PrivilegedAs::Full;
    let unconfined = mode == Mode::Privileged;
    let bounding = bounding_set(mode, &o.privileged);
    let (uid, gid) = if mode == Mode::NonRoot { (crate::model::User::NOBODY_ID, crate::model::User::NOBODY_ID) } else { (0, 0) };
    // A root process gets its bounding set as effective and permitted; docker 20.10 gives
    // a non-root user none (capabilities(7): lost across execve for a non-zero uid anyway).
    let capabilities = if uid == 0 {
        Capabilities { bounding: bounding.clone(), effective: bounding.clone(), permitted: bounding.clone(), ..Default::default() }
    } else {
        Capabilities { bounding: bounding.clone(), ..Default::default() }
    };
    let mut env = vec![format!("PATH={DEFAULT_PATH}"), format!("HOSTNAME={}", o.hostname)];
    env.extend(o.env.iter().map(|(k, v)| format!("{k}={v}")));
    let seccomp = if unconfined { None } else { Some(seccomp::resolve(&seccomp::docker_default(), &bounding, o.kernel)?) };
    let mut namespaces: Vec<Namespace> = ["mount", "network", "uts", "pid", "ipc"]
        .into_iter()
        .map(|k| Namespace { kind: s(k), path: None })
        .collect();
    if mode == Mode::IpcHost {
        namespaces.retain(|n| n.kind != "ipc");
    }
    let mut sysctl = BTreeMap::from([
        (s("net.ipv4.ip_unprivileged_port_start"), s("0")),
        (s("net.ipv4.ping_group_range"), s("0 2147483647")),
    ]);
    if o.docker_network {
        sysctl.extend(DOCKER_NETWORK_SYSCTLS.map(|(k, v)| (s(k), s(v))));
    }
    Ok(Spec {
        oci_version: s(OCI_VERSION),
        process: Process {
            terminal: false,
            user: User { uid, gid, additional_gids: vec![gid] },
            args: o.args.clone(),
            env,
            cwd: s("/"),
            capabilities,
            rlimits: o
                .rlimits
                .iter()
                .map(|(n, soft, hard)| Rlimit { kind: format!("RLIMIT_{n}"), hard: *hard, soft: *soft })
                .collect(),
            no_new_privileges: false,
            oom_score_adj: Some(0),
        },
        root: Root { path: o.root.clone(), readonly: false },
        hostname: o.hostname.clone(),
        mounts: mounts(mode, &o.privileged),
        linux: Linux {
            sysctl,
            resources: Some(Resources { devices: device_rules(full) }),
            namespaces,
            masked_paths: if unconfined { vec![] } else { strs(&MASKED_PATHS) },
            readonly_paths: if unconfined { vec![] } else { strs(&READONLY_PATHS) },
            seccomp,
        },
    })
}

impl Spec {
    /// The mount at `dest` (the last one: later mounts cover earlier ones).
    pub fn mount(&self, dest: &str) -> Option<&Mount> {
        self.mounts.iter().rev().find(|m| m.destination == dest)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| unreachable!("a config always serialises: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    /// docker 20.10.24's config.json of each mode, captured on the project machine.
    fn docker(mode: &str) -> Value {
        let text = match mode {
            "default" => include_str!("../../../tests/data/docker-20.10.24-oci/default.json"),
            "ipc-host" => include_str!("../../../tests/data/docker-20.10.24-oci/ipc-host.json"),
            "nonroot" => include_str!("../../../tests/data/docker-20.10.24-oci/nonroot.json"),
            "shm-small" => include_str!("../../../tests/data/docker-20.10.24-oci/shm-small.json"),
            "privileged-approximated" => include_str!("../../../tests/data/docker-20.10.24-oci/privileged-approximated.json"),
            _ => unreachable!(),
        };
        serde_json::from_str(text).unwrap()
    }

    /// Ours, for the same container: docker's args, variables, hostname and root (so that
    /// only what a mode is can differ), on the host kernel docker ran on (6.18).
    fn ours(mode: Mode, privileged: PrivilegedAs, reference: &Value) -> Value {
        let p = &reference["process"];
        let env: Vec<(String, String)> = p["env"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e.as_str()?.split_once('=').map(|(k, v)| (k.to_string(), v.to_string())))
            .filter(|(k, _)| k.starts_with("IPCSPEC_"))
            .collect();
        let o = Options {
            args: p["args"].as_array().unwrap().iter().map(|a| a.as_str().unwrap().to_string()).collect(),
            env,
            hostname: reference["hostname"].as_str().unwrap().to_string(),
            root: reference["root"]["path"].as_str().unwrap().to_string(),
            rlimits: vec![],
            kernel: (6, 18),
            privileged,
            docker_network: false,
        };
        serde_json::to_value(config(mode, &o).unwrap()).unwrap()
    }

    /// docker's plumbing that is not the container (the module's notes say why each is left out).
    fn without_docker_plumbing(mut v: Value) -> Value {
        let o = v.as_object_mut().unwrap();
        o.remove("hooks");
        let linux = o.get_mut("linux").unwrap().as_object_mut().unwrap();
        linux.remove("cgroupsPath");
        if let Some(r) = linux.get_mut("resources").and_then(Value::as_object_mut) {
            for k in ["memory", "cpu", "blockIO"] {
                r.remove(k);
            }
        }
        let mounts = o.get_mut("mounts").unwrap().as_array_mut().unwrap();
        mounts.retain(|m| !["/etc/resolv.conf", "/etc/hostname", "/etc/hosts"].contains(&m["destination"].as_str().unwrap()));
        v
    }

    /// Compare field by field, naming the first field that differs.
    fn same(path: &str, ours: &Value, theirs: &Value) {
        match (ours, theirs) {
            (Value::Object(a), Value::Object(b)) => {
                let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
                for k in keys {
                    same(&format!("{path}.{k}"), a.get(k).unwrap_or(&Value::Null), b.get(k).unwrap_or(&Value::Null));
                }
            }
            (Value::Array(a), Value::Array(b)) => {
                assert_eq!(a.len(), b.len(), "{path}: {} entries here, {} in docker's: {a:?} vs {b:?}", a.len(), b.len());
                for (i, (x, y)) in a.iter().zip(b).enumerate() {
                    same(&format!("{path}[{i}]"), x, y);
                }
            }
            _ => assert_eq!(ours, theirs, "{path} differs from docker's"),
        }
    }

    #[test]
    fn every_mode_is_what_docker_gives_the_runtime() {
        for (mode, name, privileged) in [
            (Mode::Default, "default", PrivilegedAs::Full),
            (Mode::IpcHost, "ipc-host", PrivilegedAs::Full),
            (Mode::NonRoot, "nonroot", PrivilegedAs::Full),
            (Mode::ShmSmall, "shm-small", PrivilegedAs::Full),
            (Mode::Privileged, "privileged-approximated", PrivilegedAs::Approximated { missing: vec!["SYS_RESOURCE".into()] }),
        ] {
            let theirs = without_docker_plumbing(docker(name));
            same(name, &ours(mode, privileged, &theirs), &theirs);
        }
    }

    #[test]
    fn what_each_mode_is() {
        let o = Options {
            args: vec!["/ipcspec/ipcspec".into(), "guest".into()],
            env: crate::container::modes::mode_env(Mode::Default, None),
            hostname: "ipcspec".into(),
            root: "rootfs".into(),
            rlimits: vec![("NOFILE".into(), 20000, 20000)],
            kernel: (5, 10),
            privileged: PrivilegedAs::Full,
            docker_network: false,
        };
        let c = |m: Mode| config(m, &o).unwrap();
        let d = c(Mode::Default);
        // Namespaces: everything but user and cgroup (cgroup v1 daemon), ipc private.
        let ns: Vec<&str> = d.linux.namespaces.iter().map(|n| n.kind.as_str()).collect();
        assert_eq!(ns, ["mount", "network", "uts", "pid", "ipc"]);
        // Mounts: /dev/shm a 64 MiB tmpfs, /dev/mqueue, /sys read-only, /tmp a tmpfs.
        assert_eq!(d.mount("/dev/shm").unwrap().options.last().unwrap(), "size=67108864");
        assert_eq!(d.mount("/dev/mqueue").unwrap().kind, "mqueue");
        assert!(d.mount("/sys").unwrap().options.contains(&"ro".to_string()));
        assert_eq!(d.mount("/tmp").unwrap().kind, "tmpfs");
        assert_eq!(d.mount("/dev/pts").unwrap().options, strs(&["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]));
        // docker's 14 default capabilities, effective as root; the default seccomp profile.
        assert_eq!(d.process.capabilities.effective, cap_names(DOCKER_DEFAULT_CAPS));
        assert!(!d.process.capabilities.bounding.contains(&"CAP_SYS_ADMIN".to_string()));
        let sc = d.linux.seccomp.as_ref().unwrap();
        assert_eq!(sc.default_action, "SCMP_ACT_ERRNO");
        assert!(sc.rules_for("unshare").is_empty() && sc.rules_for("mount").is_empty(), "no CAP_SYS_ADMIN: no unshare, no mount");
        assert_eq!(d.process.user, User { uid: 0, gid: 0, additional_gids: vec![0] });
        assert!(d.process.env.contains(&"IPCSPEC_CONTAINER_MODE=default".to_string()));
        assert_eq!(d.process.rlimits, [Rlimit { kind: "RLIMIT_NOFILE".into(), hard: 20000, soft: 20000 }]);
        assert_eq!(d.linux.masked_paths.len(), 10);
        assert_eq!(d.linux.readonly_paths, strs(&READONLY_PATHS));
        // ipc-host: no IPC namespace, the host's /dev/shm bound.
        let h = c(Mode::IpcHost);
        assert!(!h.linux.namespaces.iter().any(|n| n.kind == "ipc"));
        assert_eq!(h.mount("/dev/shm").unwrap(), &mount("/dev/shm", "bind", "/dev/shm", &["rbind", "rprivate"]));
        // nonroot: uid/gid 65534, a bounding set but nothing effective.
        let n = c(Mode::NonRoot);
        assert_eq!(n.process.user, User { uid: 65534, gid: 65534, additional_gids: vec![65534] });
        assert!(n.process.capabilities.effective.is_empty() && n.process.capabilities.permitted.is_empty());
        assert_eq!(n.linux.seccomp, d.linux.seccomp);
        // shm-small: a 4 MiB /dev/shm.
        assert_eq!(c(Mode::ShmSmall).mount("/dev/shm").unwrap().options.last().unwrap(), "size=4194304");
        // privileged: every capability docker 20.10 knows (0..=37), no seccomp, nothing
        // masked, /sys and the cgroups writable, every device allowed.
        let p = c(Mode::Privileged);
        assert_eq!(p.process.capabilities.bounding.len(), 38);
        assert_eq!(p.process.capabilities.bounding.last().unwrap(), "CAP_AUDIT_READ");
        assert!(p.linux.seccomp.is_none() && p.linux.masked_paths.is_empty() && p.linux.readonly_paths.is_empty());
        assert!(!p.mount("/sys").unwrap().options.contains(&"ro".to_string()));
        assert!(!p.mount("/sys/fs/cgroup").unwrap().options.contains(&"ro".to_string()));
        assert_eq!(p.linux.resources.as_ref().unwrap().devices, device_rules(true));
        // docker's bridge network, which is not in docker's config.json: IPv6 off everywhere.
        assert!(!d.linux.sysctl.contains_key("net.ipv6.conf.lo.disable_ipv6"));
        let net = config(Mode::Default, &Options { docker_network: true, ..o.clone() }).unwrap();
        assert_eq!(net.linux.sysctl.len(), 5);
        assert_eq!(net.linux.sysctl["net.ipv6.conf.lo.disable_ipv6"], "1");
        // It serialises as runtimes expect (camelCase, `type`).
        let j = d.to_json();
        assert!(j.contains("\"ociVersion\": \"1.0.2-dev\"") && j.contains("\"maskedPaths\"") && j.contains("\"type\": \"RLIMIT_NOFILE\""), "{j}");
        let back: Spec = serde_json::from_str(&j).unwrap();
        assert_eq!(back, d);
    }
}
