//! The interface between the orchestrator ([`crate::execute`]) and a target: what a target
//! is called ([`TargetSpec`], [`Column`]), the kind that parses its names ([`TargetKind`]),
//! and the steps the orchestrator drives it through ([`Target`]): `validate` (the user's
//! input, before anything else), `check` (tools, and what must be fetched: kernels),
//! `prepare` (after the build: images, initramfs, pinned binaries) and `run` (the columns).
//!
//! The orchestrator names no target: it asks the registry (runner/src/targets/mod.rs) to
//! parse names and make targets, and talks to them only through these traits. Targets of
//! one kind share what they prepare once (a container image, a VM's base initramfs, a
//! daemon's preflight) through [`Shared`], a memo keyed by a type private to the module
//! that owns it.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use anyhow::Result;

use crate::bundle::Bundle;
use crate::discover::Workspace;
use crate::guest_run::ExecutorSettings;
use crate::nextest::Prebuilt;
use crate::model::{ColumnHead, ColumnRun, Outcome, Phases, RunStatus, TestResult, User, column_name};
use crate::plan::{Inject, Plan};
use crate::progress::Progress;
use crate::qemu::Accel;

/// A target, without the user: its kind (`host`, `vm`, `docker`: the part before `:`, and
/// the `kind` of its columns in results.json) and its canonical name (`vm:6.1`, also for
/// `vm:bookworm`). Made only by the registry's parser, so the name is always valid.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TargetSpec {
    kind: &'static str,
    name: String,
}

impl TargetSpec {
    /// For a [`TargetKind`]'s parser: `kind` is its own name, `name` the canonical name.
    pub fn new(kind: &'static str, name: impl Into<String>) -> TargetSpec {
        TargetSpec { kind, name: name.into() }
    }

    pub fn kind(&self) -> &'static str {
        self.kind
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// What follows `<kind>:` (empty for `host`).
    pub fn arg(&self) -> &str {
        self.name.split_once(':').map_or("", |(_, a)| a)
    }
}

impl fmt::Display for TargetSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

/// A column of the matrix: a target as a user.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Column {
    pub target: TargetSpec,
    pub user: User,
}

impl Column {
    pub fn name(&self) -> String {
        column_name(self.target.name(), self.user)
    }
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

/// One kind of target: the names it owns and how to make a target of one. A registry entry
/// (runner/src/targets/mod.rs) is a `&'static dyn TargetKind`.
pub trait TargetKind: Sync {
    /// `host`, `vm`, `docker`: the kind of its specs and of its columns in results.json.
    fn name(&self) -> &'static str;
    /// How its names look, for the error that lists every target: `vm:<kernel> (5.10, ...)`.
    fn usage(&self) -> String;
    /// None: `name` is not this kind's. Some(Err): it is, but wrong (with why). The
    /// registry asks the kinds in order, so a kind with a more specific syntax (a future
    /// `vm:<kernel>+<mode>`) is listed before the one it refines.
    fn parse(&self, name: &str) -> Option<Result<TargetSpec, String>>;
    /// False for a target that has no root (`docker:nonroot`): its columns are nobody only.
    fn allows_root(&self, _spec: &TargetSpec) -> bool {
        true
    }
    /// The target for a spec this kind parsed.
    fn create(&self, spec: &TargetSpec) -> Box<dyn Target>;
    /// After every target ran: notes for the terminal (e.g. containers removed). Called
    /// once per kind that had targets.
    fn finish(&self, _shared: &Shared) -> Vec<String> {
        Vec::new()
    }
}

/// What the orchestrator hands a target at every step.
pub struct Ctx<'a> {
    pub settings: &'a Settings,
    pub workspace: &'a Workspace,
    /// `<out>/logs`: a target's own files (`<file stem of the target>.*`).
    pub log_dir: &'a Path,
    pub progress: &'a Progress,
    pub shared: &'a Shared,
}

/// What a target gets to prepare itself, after the build.
pub struct PrepareInput<'a> {
    /// The guest bundle, when the target asked for it ([`Traits::needs_bundle`]).
    pub bundle: Option<&'a Bundle>,
    /// The tests this target will run, and as whom.
    pub plan: &'a Plan,
    pub users: &'a [User],
    /// The suites that built (the others are build errors in every report).
    pub built_suites: &'a [String],
    /// The test binaries already pinned for nextest (taken from an archive).
    pub pinned: Option<&'a Prebuilt>,
}

/// One run of a target.
pub struct Job<'a> {
    pub plan: &'a Plan,
    pub users: &'a [User],
    /// The plan is every test of its suites (no `verify` selection).
    pub whole_suites: bool,
    /// Cells (test × user) the target's expectations file expects to hang (TIMEOUT): a
    /// guest's overall deadline makes room for each ([`crate::guest_run::Deadlines::with_hangs`]).
    pub expected_hangs: usize,
}

/// What the orchestrator needs to know of a target to schedule it: fixed for a target, so
/// each says it once, as one value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Traits {
    /// It runs on this machine's kernel: the orchestrator runs such targets one at a time
    /// (they share per-user limits, sysctls no namespace separates, and pids).
    pub on_host_kernel: bool,
    /// Roughly how long it takes, for the order (longest first): 0 minutes (a VM under TCG),
    /// 1 tens of seconds with a start-up (a container), 2 tens of seconds (the host).
    pub length_rank: u8,
    /// It runs the guest bundle (the orchestrator packs it once for every target that does).
    pub needs_bundle: bool,
}

/// A target: one per spec of the run.
pub trait Target: Send + Sync {
    fn spec(&self) -> &TargetSpec;

    fn traits(&self) -> Traits;

    /// The user's input, before the workspace is even read (a kernel path that is no
    /// kernel): an error here means nothing ran.
    fn validate(&self) -> Result<()> {
        Ok(())
    }

    /// Before the build: the tools it needs to run as `users`, and what it must fetch (a
    /// kernel). An error stops the command before anything ran.
    fn check(&mut self, _ctx: &Ctx, _users: &[User], _phases: &mut Phases) -> Result<()> {
        Ok(())
    }

    /// After the build and the bundle: what must exist before it runs (an initramfs, an
    /// image, the pinned test binaries). An error stops the command; a problem that should
    /// only fail this target's cells is kept and reported by `run`.
    fn prepare(&mut self, _ctx: &Ctx, _input: &PrepareInput, _phases: &mut Phases) -> Result<()> {
        Ok(())
    }

    /// Run the job: one column per user, every planned test in each. An error turns every
    /// cell of its columns into CRASH with the reason ([`failed_columns`]).
    fn run(&self, ctx: &Ctx, job: &Job) -> Result<Vec<ColumnRun>>;

    /// The kernel its tests run on: release (`uname -r`) and where it came from, when known.
    fn kernel(&self) -> (Option<String>, Option<String>);
}

/// What the command line says about how targets run (each target reads what concerns it).
#[derive(Clone, Debug)]
pub struct Settings {
    pub cache_dir: PathBuf,
    pub refresh_kernels: bool,
    /// None: detect.
    pub accel: Option<Accel>,
    /// None: the accelerator's default.
    pub time_scale: Option<f64>,
    pub test_timeout: Duration,
    /// Tests at once inside a guest (VM or container).
    pub guest_parallel: usize,
    /// Batch mode in guests (see guest.rs).
    pub guest_batch: bool,
    pub vm_memory_mb: u32,
    pub vm_cpus: u32,
    pub extra_append: Option<String>,
    pub inject: Inject,
    /// Base image of the container targets' bundle image (`scratch`, or e.g.
    /// debian:bookworm-slim).
    pub docker_base: String,
}

impl Settings {
    /// How the guest executor of a VM or container target runs the tests: the run's
    /// parallelism, batching and faults, and the per-test deadline stretched by the target's
    /// `time_scale` (1.0 at the host's speed).
    pub fn executor(&self, time_scale: f64) -> ExecutorSettings {
        ExecutorSettings {
            parallel: self.guest_parallel,
            timeout: self.test_timeout.mul_f64(time_scale),
            time_scale,
            batch: self.guest_batch,
            inject: self.inject.clone(),
        }
    }
}

/// Things prepared once per run and shared by the targets that need them, each under a
/// type of its own (so two modules can never mix theirs up).
#[derive(Default)]
pub struct Shared {
    cells: Mutex<HashMap<TypeId, Arc<dyn Any + Send + Sync>>>,
}

impl Shared {
    /// The value of type `T`, made by `make` the first time it is asked for.
    pub fn once<T: Any + Send + Sync>(&self, make: impl FnOnce() -> T) -> Arc<T> {
        let cell: Arc<OnceLock<Arc<T>>> = {
            let mut cells = self.cells.lock().unwrap_or_else(|e| e.into_inner());
            let any = cells.entry(TypeId::of::<OnceLock<Arc<T>>>()).or_insert_with(|| Arc::new(OnceLock::<Arc<T>>::new()));
            Arc::clone(any).downcast::<OnceLock<Arc<T>>>().unwrap_or_else(|_| unreachable!("keyed by its own type"))
        };
        // Made outside the map's lock: `make` may ask for other shared values.
        Arc::clone(cell.get_or_init(|| Arc::new(make())))
    }

    /// The value of type `T` if it was made.
    pub fn get<T: Any + Send + Sync>(&self) -> Option<Arc<T>> {
        let cells = self.cells.lock().unwrap_or_else(|e| e.into_inner());
        let any = Arc::clone(cells.get(&TypeId::of::<OnceLock<Arc<T>>>())?);
        drop(cells);
        any.downcast::<OnceLock<Arc<T>>>().ok()?.get().cloned()
    }
}

/// Columns for a target that could not run at all: every planned test is CRASH with why.
pub fn failed_columns(target: &dyn Target, plan: &Plan, users: &[User], why: &str) -> Vec<ColumnRun> {
    let (release, source) = target.kernel();
    let spec = target.spec();
    users
        .iter()
        .map(|&user| ColumnRun {
            head: ColumnHead {
                kernel_release: release.clone(),
                kernel_source: source.clone(),
                status: RunStatus::Incomplete { reason: why.to_string() },
                diagnostics: vec![why.to_string()],
                ..ColumnHead::new(spec.name(), spec.kind(), user)
            },
            results: plan
                .ids()
                .into_iter()
                .map(|id| TestResult::new(id, Outcome::Crash { reason: format!("the target failed: {why}") }, None, None))
                .collect(),
        })
        .collect()
}

/// What a kind makes of a target name, as text: its tests' short way to check names.
#[cfg(test)]
pub fn parsed(kind: &dyn TargetKind, name: &str) -> Option<Result<String, String>> {
    kind.parse(name).map(|r| r.map(|t| t.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_values_are_made_once_per_type() {
        struct A(u32);
        struct B(u32);
        let s = Shared::default();
        assert!(s.get::<A>().is_none());
        let mut made = 0;
        for _ in 0..3 {
            let a = s.once(|| {
                made += 1;
                A(7)
            });
            assert_eq!(a.0, 7);
        }
        assert_eq!(made, 1);
        // A value made while another is being made (no deadlock), under its own type.
        let b = s.once(|| B(s.once(|| A(0)).0 + 1));
        assert_eq!(b.0, 8);
        assert_eq!(s.get::<B>().map(|b| b.0), Some(8));
    }

    #[test]
    fn specs_and_columns() {
        let t = TargetSpec::new("vm", "vm:6.1");
        assert_eq!((t.kind(), t.name(), t.arg()), ("vm", "vm:6.1", "6.1"));
        assert_eq!(TargetSpec::new("host", "host").arg(), "");
        let cols = [
            Column { target: TargetSpec::new("host", "host"), user: User::Root },
            Column { target: t.clone(), user: User::Nobody },
            Column { target: t.clone(), user: User::Root },
        ];
        assert_eq!(cols[1].name(), "vm:6.1/nobody");
        let g = group_by_target(&cols);
        assert_eq!(g.len(), 2);
        assert_eq!(g[1], (t, vec![User::Nobody, User::Root]));
    }
}
