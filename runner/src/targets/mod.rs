//! Targets: where the suites run, and the registry of their kinds — the one place that lists
//! them. A new target is a file in this folder implementing [`TargetKind`] and [`Target`]
//! (runner/src/target.rs) on the shared modules, plus its line in [`KINDS`]; nothing else
//! changes (the orchestrator, the reports and `verify` know targets only through the
//! interface).
//!
//! - [`host`]: this machine's kernel, through cargo-nextest.
//! - [`vm`]: `vm:<kernel>`, a QEMU VM per kernel running the guest bundle.
//! - [`vm_container`]: `vm:<kernel>+<mode>`, a container mode (an OCI runtime in the VM) per
//!   kernel.
//! - [`docker`]: `docker:<mode>`, the guest bundle in a container per mode on the host kernel.
//! - [`gvisor`]: `gvisor[:<release>]`, the guest bundle in a gVisor sandbox (runsc) per release.
//!
//! A target file depends on the shared modules only (runner/tests/module_graph.rs checks
//! that no target imports another, or this registry).
//!
//! Names are parsed by [`parse_target`] / [`parse_column`] / [`parse_columns`]: pure
//! functions with clear errors for anything unknown.

pub mod docker;
pub mod gvisor;
pub mod host;
pub mod vm;
pub mod vm_container;

use crate::model::User;
pub use crate::model::column_name;
pub use crate::target::{Column, TargetSpec, group_by_target};
use crate::target::{Target, TargetKind};

/// Every kind of target, in the order their parsers are asked (a kind that refines another's
/// syntax comes first). One line per target.
pub static KINDS: &[&dyn TargetKind] = &[
    &host::KIND,
    &vm_container::KIND,
    &vm::KIND,
    &docker::KIND,
    &gvisor::KIND,
];

/// The kind of a spec (every spec was made by one of [`KINDS`]).
pub fn kind_of(spec: &TargetSpec) -> &'static dyn TargetKind {
    KINDS.iter().copied().find(|k| k.name() == spec.kind()).unwrap_or_else(|| unreachable!("specs come from KINDS"))
}

/// The target for a spec.
pub fn create(spec: &TargetSpec) -> Box<dyn Target> {
    kind_of(spec).create(spec)
}

/// `host`, `vm:6.1`, `vm:bookworm`, `vm:/path/to/bzImage`, `docker:default`.
pub fn parse_target(s: &str) -> Result<TargetSpec, String> {
    let s = s.trim();
    for k in KINDS {
        if let Some(r) = k.parse(s) {
            return r;
        }
    }
    Err(format!("unknown target {s:?}. Targets: {}", KINDS.iter().map(|k| k.usage()).collect::<Vec<_>>().join(", ")))
}

/// `vm:6.1` (root) or `vm:6.1/nobody`. Without a user part, `default_user` applies, except
/// for a target without root (`docker:nonroot`), which is always nobody.
pub fn parse_column(s: &str, default_user: User) -> Result<Column, String> {
    let s = s.trim();
    for (suffix, user) in [("/nobody", User::Nobody), ("/root", User::Root)] {
        if let Some(t) = s.strip_suffix(suffix) {
            let target = parse_target(t)?;
            if user == User::Root && !kind_of(&target).allows_root(&target) {
                return Err(format!("{s:?}: {t} has no root (it runs as uid/gid 65534): use {t} or {t}/nobody"));
            }
            return Ok(Column { target, user });
        }
    }
    let target = parse_target(s)?;
    let user = if kind_of(&target).allows_root(&target) { default_user } else { User::Nobody };
    Ok(Column { target, user })
}

/// Parse a comma-separated list of columns; every target gets each of `users` unless it
/// names its user. Duplicates are dropped; order is kept.
pub fn parse_columns(list: &str, users: &[User]) -> Result<Vec<Column>, String> {
    let mut out: Vec<Column> = Vec::new();
    for part in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let explicit = part.ends_with("/nobody") || part.ends_with("/root");
        let cols: Vec<Column> = if explicit {
            vec![parse_column(part, User::Root)?]
        } else {
            users.iter().map(|u| parse_column(part, *u)).collect::<Result<_, _>>()?
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

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> Result<String, String> {
        parse_target(s).map(|t| t.to_string())
    }

    #[test]
    fn parses_targets() {
        assert_eq!(name("host").as_deref(), Ok("host"));
        assert_eq!(name("vm:6.1").as_deref(), Ok("vm:6.1"));
        assert_eq!(name("vm:bookworm").as_deref(), Ok("vm:6.1"));
        assert_eq!(name("vm:/boot/vmlinuz").as_deref(), Ok("vm:/boot/vmlinuz"));
        assert_eq!(name("docker:ipc-host").as_deref(), Ok("docker:ipc-host"));
        assert_eq!(parse_target("vm:6.1").map(|t| t.kind()), Ok("vm"));
        for bad in ["", "vm:", "vm:4.19", "docker:", "docker:A B", "hots", "vm:6.1 extra", "\u{0}"] {
            let e = parse_target(bad);
            assert!(e.is_err(), "{bad:?}");
        }
        let e = parse_target("vm:4.19").unwrap_err();
        assert!(e.contains("5.10") && e.contains("7.2"), "{e}");
        let e = parse_target("hots").unwrap_err();
        assert!(e.contains("host, vm:<kernel>") && e.contains("docker:<mode>"), "{e}");
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

    #[test]
    fn nonroot_columns_are_nobody() {
        let cols = parse_columns("host,docker:nonroot,docker:default", &[User::Root, User::Nobody]).unwrap();
        let names: Vec<String> = cols.iter().map(Column::name).collect();
        assert_eq!(names, ["host", "host/nobody", "docker:nonroot/nobody", "docker:default", "docker:default/nobody"]);
        assert_eq!(parse_column("docker:nonroot", User::Root).unwrap().name(), "docker:nonroot/nobody");
        assert_eq!(parse_columns("docker:nonroot", &[User::Root]).unwrap().len(), 1);
        let e = parse_column("docker:nonroot/root", User::Root).unwrap_err();
        assert!(e.contains("has no root"), "{e}");
        assert_eq!(parse_column("docker:default/root", User::Nobody).unwrap().name(), "docker:default");
    }

    #[test]
    fn every_kind_is_registered_once_and_creates_its_own_targets() {
        let mut names: Vec<&str> = KINDS.iter().map(|k| k.name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), KINDS.len());
        for s in ["host", "vm:6.1", "docker:default"] {
            let spec = parse_target(s).unwrap();
            assert_eq!(create(&spec).spec(), &spec);
        }
    }
}
