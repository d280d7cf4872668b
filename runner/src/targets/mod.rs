//! Targets: where the suites run. `host` (this kernel, through cargo-nextest), `vm:<kernel>`
//! (a QEMU VM per kernel, the bundle in an initramfs, the guest executor as init) and
//! `docker:<mode>` (the same bundle in an image and the same guest executor as the
//! container's PID 1, on the host kernel).
//!
//! A target runs a [`Plan`] (which tests, as which users) and returns one [`ColumnRun`] per
//! user: `host`, `host/nobody`, `vm:6.1`, `vm:6.1/nobody`, `docker:default`.
//!
//! Target names are parsed by [`TargetSpec::parse`] / [`Column::parse`]: pure functions with
//! clear errors for anything unknown.

pub mod docker;
pub mod host;
pub mod vm;

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::kernels::KNOWN_KERNELS;
use crate::model::{TestId, User};

/// Which kernel a VM boots.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum KernelRef {
    /// One of the Debian kernels the runner fetches (`5.10`, `6.1`, `6.12`, `7.2`).
    Debian(String),
    /// Any bzImage/vmlinuz file.
    Path(PathBuf),
}

/// A target, without the user.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TargetSpec {
    Host,
    Vm(KernelRef),
    /// A container mode on the host kernel (a name [`docker::Mode::parse`] accepts).
    Docker(String),
}

impl TargetSpec {
    /// `host`, `vm:6.1`, `vm:bookworm`, `vm:/path/to/bzImage`, `docker:default`.
    pub fn parse(s: &str) -> Result<TargetSpec, String> {
        let s = s.trim();
        if s == "host" {
            return Ok(TargetSpec::Host);
        }
        if let Some(k) = s.strip_prefix("vm:") {
            if k.is_empty() {
                return Err(format!("{s:?}: name a kernel after vm: ({})", known_kernels_text()));
            }
            if k.contains('/') || k.starts_with('.') {
                return Ok(TargetSpec::Vm(KernelRef::Path(PathBuf::from(k))));
            }
            for kk in KNOWN_KERNELS {
                if kk.name == k || kk.suite == k {
                    return Ok(TargetSpec::Vm(KernelRef::Debian(kk.name.to_string())));
                }
            }
            return Err(format!(
                "unknown kernel {k:?} in {s:?}. Known kernels: {}; or give a path to a bzImage (vm:/path/to/vmlinuz)",
                known_kernels_text()
            ));
        }
        if let Some(mode) = s.strip_prefix("docker:") {
            let m = docker::Mode::parse(mode).map_err(|e| format!("{s:?}: {e}"))?;
            return Ok(TargetSpec::Docker(m.name().to_string()));
        }
        Err(format!(
            "unknown target {s:?}. Targets: host, vm:<kernel> ({}), vm:/path/to/bzImage, docker:<mode>",
            known_kernels_text()
        ))
    }

    pub fn kind(&self) -> &'static str {
        match self {
            TargetSpec::Host => "host",
            TargetSpec::Vm(_) => "vm",
            TargetSpec::Docker(_) => "docker",
        }
    }
}

fn known_kernels_text() -> String {
    KNOWN_KERNELS.iter().map(|k| format!("{} ({})", k.name, k.suite)).collect::<Vec<_>>().join(", ")
}

impl fmt::Display for TargetSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TargetSpec::Host => f.write_str("host"),
            TargetSpec::Vm(KernelRef::Debian(n)) => write!(f, "vm:{n}"),
            TargetSpec::Vm(KernelRef::Path(p)) => write!(f, "vm:{}", p.display()),
            TargetSpec::Docker(m) => write!(f, "docker:{m}"),
        }
    }
}

/// A column of the matrix: a target as a user.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Column {
    pub target: TargetSpec,
    pub user: User,
}

impl Column {
    /// `vm:6.1` (root) or `vm:6.1/nobody`. Without a user part, `default_user` applies,
    /// except for a docker mode without root (`docker:nonroot`), which is always nobody.
    pub fn parse(s: &str, default_user: User) -> Result<Column, String> {
        let s = s.trim();
        for (suffix, user) in [("/nobody", User::Nobody), ("/root", User::Root)] {
            if let Some(t) = s.strip_suffix(suffix) {
                let target = TargetSpec::parse(t)?;
                if user == User::Root && !docker::allows_root(&target) {
                    return Err(format!("{s:?}: {t} has no root (it runs as uid/gid 65534): use {t} or {t}/nobody"));
                }
                return Ok(Column { target, user });
            }
        }
        let target = TargetSpec::parse(s)?;
        let user = if docker::allows_root(&target) { default_user } else { User::Nobody };
        Ok(Column { target, user })
    }

    pub fn name(&self) -> String {
        column_name(&self.target.to_string(), self.user)
    }
}

/// `host` + root -> `host`; `vm:6.1` + nobody -> `vm:6.1/nobody`.
pub fn column_name(target: &str, user: User) -> String {
    match user {
        User::Root => target.to_string(),
        User::Nobody => format!("{target}/nobody"),
    }
}

/// Parse a comma-separated list of columns; every target gets each of `users` unless it
/// names its user. Duplicates are dropped; order is kept.
pub fn parse_columns(list: &str, users: &[User]) -> Result<Vec<Column>, String> {
    let mut out: Vec<Column> = Vec::new();
    for part in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let explicit = part.ends_with("/nobody") || part.ends_with("/root");
        let cols: Vec<Column> = if explicit {
            vec![Column::parse(part, User::Root)?]
        } else {
            users.iter().map(|u| Column::parse(part, *u)).collect::<Result<_, _>>()?
        };
        for c in cols {
            if !out.contains(&c) {
                out.push(c);
            }
        }
    }
    if out.is_empty() {
        return Err("no targets given".into());
    }
    Ok(out)
}

/// The columns grouped by target (one VM boot serves both users), in first-seen order.
pub fn group_by_target(cols: &[Column]) -> Vec<(TargetSpec, Vec<User>)> {
    let mut out: Vec<(TargetSpec, Vec<User>)> = Vec::new();
    for c in cols {
        match out.iter_mut().find(|(t, _)| *t == c.target) {
            Some((_, us)) => {
                if !us.contains(&c.user) {
                    us.push(c.user);
                }
            }
            None => out.push((c.target.clone(), vec![c.user])),
        }
    }
    out
}

/// Which tests to run: binary id -> test names, and where each binary is.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Plan {
    pub binaries: Vec<PlannedBinary>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PlannedBinary {
    /// `<suite>::<file>`.
    pub id: String,
    pub path: PathBuf,
    pub serial: bool,
    pub tests: Vec<String>,
}

impl Plan {
    pub fn ids(&self) -> Vec<TestId> {
        self.binaries.iter().flat_map(|b| b.tests.iter().map(move |t| TestId::new(&b.id, t))).collect()
    }

    pub fn len(&self) -> usize {
        self.binaries.iter().map(|b| b.tests.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn suites(&self) -> Vec<String> {
        let mut s: Vec<String> = self.binaries.iter().map(|b| b.id.split("::").next().unwrap_or("").to_string()).collect();
        s.dedup();
        s
    }

    /// Keep only the tests for which `keep` is true (and drop empty binaries).
    pub fn filtered(&self, keep: impl Fn(&TestId) -> bool) -> Plan {
        let binaries = self
            .binaries
            .iter()
            .filter_map(|b| {
                let tests: Vec<String> = b.tests.iter().filter(|t| keep(&TestId::new(&b.id, t))).cloned().collect();
                (!tests.is_empty()).then(|| PlannedBinary { tests, ..b.clone() })
            })
            .collect();
        Plan { binaries }
    }
}

/// Test-only faults the guest executor injects, to prove that no result is ever lost.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Inject {
    /// These tests hang (the child pauses instead of running the test) until the executor
    /// kills them: they must come out as TIMEOUT.
    #[serde(default)]
    pub hang: Vec<String>,
    /// Right before this test starts (as root), the guest crashes its kernel through
    /// /proc/sysrq-trigger: it and every later test must come out as CRASH.
    #[serde(default)]
    pub panic_before: Option<String>,
}

impl Inject {
    pub fn is_empty(&self) -> bool {
        self.hang.is_empty() && self.panic_before.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_targets() {
        assert_eq!(TargetSpec::parse("host"), Ok(TargetSpec::Host));
        assert_eq!(TargetSpec::parse("vm:6.1"), Ok(TargetSpec::Vm(KernelRef::Debian("6.1".into()))));
        assert_eq!(TargetSpec::parse("vm:bookworm"), Ok(TargetSpec::Vm(KernelRef::Debian("6.1".into()))));
        assert_eq!(TargetSpec::parse("vm:/boot/vmlinuz"), Ok(TargetSpec::Vm(KernelRef::Path("/boot/vmlinuz".into()))));
        assert_eq!(TargetSpec::parse("docker:ipc-host"), Ok(TargetSpec::Docker("ipc-host".into())));
        for bad in ["", "vm:", "vm:4.19", "docker:", "docker:A B", "hots", "vm:6.1 extra", "\u{0}"] {
            let e = TargetSpec::parse(bad);
            assert!(e.is_err(), "{bad:?}");
        }
        let e = TargetSpec::parse("vm:4.19").unwrap_err();
        assert!(e.contains("5.10") && e.contains("7.2"), "{e}");
    }

    #[test]
    fn parses_columns() {
        let cols = parse_columns("host, vm:6.1/nobody,vm:6.12", &[User::Root, User::Nobody]).unwrap();
        let names: Vec<String> = cols.iter().map(Column::name).collect();
        assert_eq!(names, ["host", "host/nobody", "vm:6.1/nobody", "vm:6.12", "vm:6.12/nobody"]);
        let groups = group_by_target(&cols);
        assert_eq!(groups.len(), 3);
        assert_eq!(groups[2].1, vec![User::Root, User::Nobody]);
        assert!(parse_columns(" , ", &[User::Root]).is_err());
    }
}
