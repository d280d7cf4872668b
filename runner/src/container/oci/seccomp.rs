//! Docker's default seccomp profile as data (runner/data/docker-20.10.24-seccomp-default.json,
//! from Debian's golang-github-docker-docker-dev 20.10.24+dfsg1; its .source file names the
//! package, version and path), resolved into the OCI runtime configuration's `linux.seccomp`
//! section for one container exactly as docker 20.10 does it (moby
//! profiles/seccomp/seccomp_linux.go, `setupSeccomp`):
//!
//! - the architectures: the native one (x86_64) and its sub-architectures from `archMap`;
//! - each rule is kept unless: its `excludes.arches` has the native arch, any of its
//!   `excludes.caps` is in the container's bounding set, the kernel is at least its
//!   `excludes.minKernel`; its `includes.arches` lacks the native arch, one of its
//!   `includes.caps` is not in the bounding set, the kernel is older than its
//!   `includes.minKernel`;
//! - a kept rule keeps its names, action, errnoRet and arguments (comments dropped).
//!
//! The kernel is that of the machine the daemon would run on (docker reads its own `uname`):
//! the host for gVisor (docker on the host starts runsc), the VM's kernel for a container in
//! a VM.

use serde::{Deserialize, Serialize};

/// The profile file, compiled in.
pub const DOCKER_DEFAULT_PROFILE: &str = include_str!("../../../data/docker-20.10.24-seccomp-default.json");
/// Where it came from (see runner/data/docker-20.10.24-seccomp-default.json.source).
pub const DOCKER_DEFAULT_PROFILE_SOURCE: &str =
    "docker 20.10.24 profiles/seccomp/default.json (Debian golang-github-docker-docker-dev 20.10.24+dfsg1-1+deb12u1)";

/// libseccomp's name of the native architecture, as the profile spells it in `arches`.
pub const NATIVE_ARCH: &str = "amd64";
/// The OCI name of the native architecture.
pub const NATIVE_SECCOMP_ARCH: &str = "SCMP_ARCH_X86_64";

/// A docker seccomp profile (the subset docker 20.10's default profile uses).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    pub default_action: String,
    #[serde(default)]
    pub default_errno_ret: Option<u32>,
    #[serde(default)]
    pub architectures: Vec<String>,
    #[serde(default)]
    pub arch_map: Vec<ArchMap>,
    #[serde(default)]
    pub syscalls: Vec<Rule>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArchMap {
    pub architecture: String,
    #[serde(default)]
    pub sub_architectures: Vec<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub names: Vec<String>,
    pub action: String,
    #[serde(default)]
    pub errno_ret: Option<u32>,
    #[serde(default)]
    pub args: Option<Vec<Arg>>,
    #[serde(default)]
    pub includes: Filter,
    #[serde(default)]
    pub excludes: Filter,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Filter {
    #[serde(default)]
    pub arches: Vec<String>,
    #[serde(default)]
    pub caps: Vec<String>,
    #[serde(default)]
    pub min_kernel: Option<String>,
}

/// A syscall argument condition (the same shape in the profile and in the OCI config).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Arg {
    pub index: u32,
    pub value: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub value_two: u64,
    pub op: String,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

/// `linux.seccomp` of an OCI runtime configuration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Seccomp {
    pub default_action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_errno_ret: Option<u32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub architectures: Vec<String>,
    #[serde(default)]
    pub syscalls: Vec<Syscall>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Syscall {
    pub names: Vec<String>,
    pub action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errno_ret: Option<u32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<Arg>,
}

impl Seccomp {
    /// The rules that name `syscall` (for tests and notes).
    pub fn rules_for(&self, syscall: &str) -> Vec<&Syscall> {
        self.syscalls.iter().filter(|s| s.names.iter().any(|n| n == syscall)).collect()
    }
}

/// Parse a profile.
pub fn parse(text: &str) -> Result<Profile, String> {
    serde_json::from_str(text).map_err(|e| format!("the seccomp profile does not parse: {e}"))
}

/// Docker's default profile (compiled in; it parses, a unit test says so).
pub fn docker_default() -> Profile {
    parse(DOCKER_DEFAULT_PROFILE).unwrap_or_else(|e| panic!("{e}"))
}

/// `major.minor` of a kernel release (`6.1.0-56-cloud-amd64` -> (6, 1)). Pure.
pub fn kernel_version(release: &str) -> Option<(u32, u32)> {
    let mut it = release.split(|c: char| !c.is_ascii_digit());
    let major = it.next()?.parse().ok()?;
    let minor = it.next().and_then(|m| m.parse().ok()).unwrap_or(0);
    Some((major, minor))
}

/// Resolve `profile` for a container whose bounding set is `bounding` (`CAP_*` names) on a
/// kernel `kernel` (`major.minor`), on x86_64, as docker 20.10 does. Pure.
pub fn resolve(profile: &Profile, bounding: &[String], kernel: (u32, u32)) -> Result<Seccomp, String> {
    if !profile.architectures.is_empty() && !profile.arch_map.is_empty() {
        return Err("'architectures' and 'archMap' were both given: use one".into());
    }
    let mut architectures = profile.architectures.clone();
    if let Some(m) = profile.arch_map.iter().find(|m| m.architecture == NATIVE_SECCOMP_ARCH) {
        architectures.push(m.architecture.clone());
        architectures.extend(m.sub_architectures.iter().cloned());
    }
    let has = |c: &String| bounding.iter().any(|b| b == c);
    let at_least = |v: &Option<String>| -> Result<Option<bool>, String> {
        match v {
            None => Ok(None),
            Some(s) => {
                let want = kernel_version(s).ok_or_else(|| format!("minKernel {s:?} is not a kernel version"))?;
                Ok(Some(kernel >= want))
            }
        }
    };
    let mut syscalls = Vec::new();
    for r in &profile.syscalls {
        let (inc, exc) = (&r.includes, &r.excludes);
        if exc.arches.iter().any(|a| a == NATIVE_ARCH)
            || exc.caps.iter().any(has)
            || at_least(&exc.min_kernel)? == Some(true)
            || (!inc.arches.is_empty() && !inc.arches.iter().any(|a| a == NATIVE_ARCH))
            || !inc.caps.iter().all(has)
            || at_least(&inc.min_kernel)? == Some(false)
        {
            continue;
        }
        let names = match (&r.name, r.names.is_empty()) {
            (Some(_), false) => return Err("'name' and 'names' were both given in one rule: use one".into()),
            (Some(n), true) => vec![n.clone()],
            (None, _) => r.names.clone(),
        };
        syscalls.push(Syscall { names, action: r.action.clone(), errno_ret: r.errno_ret, args: r.args.clone().unwrap_or_default() });
    }
    Ok(Seccomp { default_action: profile.default_action.clone(), default_errno_ret: profile.default_errno_ret, architectures, syscalls })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caps(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| format!("CAP_{n}")).collect()
    }

    #[test]
    fn the_vendored_profile_is_docker_20_10s() {
        let p = docker_default();
        assert_eq!(p.default_action, "SCMP_ACT_ERRNO");
        assert_eq!(p.default_errno_ret, None, "20.10 answers EPERM for every syscall it does not list (ENOSYS came with 23.0)");
        assert_eq!(p.syscalls[0].names.len(), 346);
        // docker < 23: process_vm_readv/writev only with CAP_SYS_PTRACE (docs/docker.md).
        let pvm = p.syscalls.iter().find(|r| r.names.iter().any(|n| n == "process_vm_readv")).unwrap();
        assert_eq!(pvm.includes.caps, ["CAP_SYS_PTRACE"]);
        // The file its .source names (SHA256 e5e91f88...; its CRC-32 here, no hash crate needed).
        assert_eq!((DOCKER_DEFAULT_PROFILE.len(), crc32fast::hash(DOCKER_DEFAULT_PROFILE.as_bytes())), (13825, 0x6d92_aac0));
    }

    #[test]
    fn rules_resolve_on_caps_arch_and_kernel() {
        let p = docker_default();
        let s = resolve(&p, &caps(&["CHOWN", "SYS_CHROOT"]), (6, 1)).unwrap();
        assert_eq!(s.architectures, ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]);
        assert_eq!(s.rules_for("chroot").len(), 1, "CAP_SYS_CHROOT includes chroot");
        assert!(s.rules_for("arch_prctl").len() == 1 && s.rules_for("s390_runtime_instr").is_empty());
        assert!(s.rules_for("process_vm_readv").is_empty(), "no CAP_SYS_PTRACE");
        assert_eq!(s.rules_for("ptrace").len(), 1, "minKernel 4.8 holds on 6.1");
        // clone: only the masked form (no CAP_SYS_ADMIN); clone3 answers ENOSYS.
        let clone = s.rules_for("clone");
        assert_eq!(clone.len(), 1);
        assert_eq!(clone[0].args, [Arg { index: 0, value: 2114060288, value_two: 0, op: "SCMP_CMP_MASKED_EQ".into() }]);
        let clone3 = s.rules_for("clone3");
        assert_eq!((clone3.len(), clone3[0].action.as_str(), clone3[0].errno_ret), (1, "SCMP_ACT_ERRNO", Some(38)));
        // On a 4.4 kernel (gVisor's uname) ptrace would not be allowed.
        assert!(resolve(&p, &[], (4, 4)).unwrap().rules_for("ptrace").is_empty());
        // With CAP_SYS_ADMIN: clone and clone3 unrestricted, the masked clone and ENOSYS gone.
        let admin = resolve(&p, &caps(&["SYS_ADMIN", "SYS_PTRACE"]), (6, 1)).unwrap();
        assert!(admin.rules_for("clone").iter().all(|r| r.args.is_empty() && r.action == "SCMP_ACT_ALLOW"));
        assert!(admin.rules_for("clone3").iter().all(|r| r.action == "SCMP_ACT_ALLOW"));
        assert_eq!(admin.rules_for("process_vm_readv").len(), 1);
    }

    #[test]
    fn kernel_versions() {
        assert_eq!(kernel_version("6.1.0-56-cloud-amd64"), Some((6, 1)));
        assert_eq!(kernel_version("4.8"), Some((4, 8)));
        assert_eq!(kernel_version("7"), Some((7, 0)));
        assert_eq!(kernel_version("x"), None);
        let bad = parse(r#"{"defaultAction":"SCMP_ACT_ERRNO","architectures":["a"],"archMap":[{"architecture":"b"}]}"#).unwrap();
        assert!(resolve(&bad, &[], (6, 1)).is_err());
    }
}
