//! One run of the runner over one or more targets: check the inputs, fetch kernels, build
//! the suites once, list their tests, pack the bundle once, run every target (VMs in
//! parallel up to `jobs`), collect the columns.
//!
//! Every input problem is found before anything runs (unknown suite, missing tools,
//! kernels that cannot be had), so a bad command line never leaves half-written results.
//! Once running, a target that fails (QEMU cannot start, nextest dies) becomes a column of
//! CRASH cells with the reason, and the other targets go on.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{Context, Result};

use crate::bundle;
use crate::catalog::Catalog;
use crate::discover::{self, Workspace};
use crate::model::{BuildError, ColumnRun, TestId, User};
use crate::nextest;
pub use crate::model::Phases;
use crate::plan::{Plan, PlannedBinary};
use crate::progress::Progress;
use crate::target::{Column, Ctx, Job, PrepareInput, Settings, Shared, Target, TargetSpec, failed_columns, group_by_target};
use crate::targets;

/// Which tests a target runs (verify: per target; run/matrix: everything).
pub type Selection = Arc<dyn Fn(&TargetSpec, &TestId) -> bool + Send + Sync>;

/// A check of every listed test id before anything runs.
pub type TestsCheck = Arc<dyn Fn(&[TestId]) -> Result<(), String> + Send + Sync>;

/// What to run and how.
#[derive(Clone)]
pub struct Options {
    pub columns: Vec<Column>,
    /// Suites to run (empty: all).
    pub suites: Vec<String>,
    pub select: Option<Selection>,
    pub out_dir: PathBuf,
    /// Targets at once.
    pub jobs: usize,
    /// How targets run (each reads what concerns it).
    pub settings: Settings,
    /// Build the suites with --release.
    pub release: bool,
    /// Take the test binaries from this `cargo nextest archive` instead of building them
    /// (CI: one job builds, the others run).
    pub nextest_archive: Option<PathBuf>,
    pub quiet: bool,
    /// Called with every listed test before anything runs (verify: every claim must match).
    pub check_tests: Option<TestsCheck>,
    /// The catalog, when the command has scanned it already (verify): not scanned again.
    pub catalog: Option<Catalog>,
}

/// Everything a run produced.
#[derive(Clone, Debug)]
pub struct Session {
    pub started_at: String,
    pub duration_ms: u64,
    pub columns: Vec<ColumnRun>,
    pub build_errors: Vec<BuildError>,
    pub phases: Phases,
    pub catalog: Catalog,
    pub workspace_root: PathBuf,
    /// Every test that was planned anywhere, sorted.
    pub tests: Vec<TestId>,
}

impl Session {
    /// No FAIL, TIMEOUT or CRASH anywhere, and every suite built.
    pub fn all_good(&self) -> bool {
        self.build_errors.is_empty() && self.columns.iter().all(ColumnRun::all_good)
    }
}

/// Run it.
pub fn run(opts: &Options) -> Result<Session> {
    let t0 = Instant::now();
    let started_at = crate::util::now_rfc3339();
    let progress = Progress::new(opts.quiet);
    let groups = group_by_target(&opts.columns);
    let mut targets: Vec<(Box<dyn Target>, Vec<User>)> = groups.iter().map(|(t, users)| (targets::create(t), users.clone())).collect();
    // The user's input first, before the workspace is read (a kernel path that is no kernel).
    for (t, _) in &targets {
        t.validate()?;
    }
    let ws = Workspace::load(None)?;
    // The catalog (every suite's source parsed) is scanned while the suites build.
    let scanning = opts.catalog.is_none().then(|| {
        let ws = ws.clone();
        std::thread::spawn(move || crate::catalog_cache::scan_workspace(&ws))
    });
    // Expected deviations (docs/expectations/<kind>.toml): a bad file is an input error.
    let kinds: Vec<&str> = targets::KINDS.iter().map(|k| k.name()).collect();
    let expectations = crate::expectations::load(&ws.root, &kinds, &|s| targets::parse_target(s).map(|t| (t.name().to_string(), t.kind().to_string())))
        .map_err(anyhow::Error::msg)?;
    let suites = ws.select(&opts.suites)?;
    let mut phases = Phases { jobs: opts.jobs.max(1), ..Default::default() };
    let log_dir = opts.out_dir.join("logs");
    let shared = Shared::default();
    let ctx = Ctx { settings: &opts.settings, workspace: &ws, log_dir: &log_dir, progress: &progress, shared: &shared };

    // Tools, and what must be fetched, before anything is built.
    for (t, users) in &mut targets {
        t.check(&ctx, users, &mut phases)?;
    }

    // Build once.
    let tb = Instant::now();
    let (build, pinned) = match &opts.nextest_archive {
        Some(archive) => {
            progress.say(&format!("taking the test binaries from {}", archive.display()));
            from_archive(&ws, &suites, archive, &log_dir)?
        }
        None => {
            progress.say(&format!("building {} suites", suites.len()));
            let build = discover::build_showing(&ws, &suites, opts.release, &|n, name| progress.build(n, name));
            progress.build_done();
            (build?, None)
        }
    };
    phases.build_ms = tb.elapsed().as_millis() as u64;
    for e in &build.errors {
        progress.say(&format!("suite {} does not build: it is reported as a build error", e.suite));
    }

    // List.
    let tl = Instant::now();
    let mut full = Plan::default();
    let mut list_errors: Vec<BuildError> = Vec::new();
    for b in &build.binaries {
        match discover::list_tests(&b.path) {
            Ok(tests) => full.binaries.push(PlannedBinary { id: b.id.clone(), path: b.path.clone(), serial: b.serial, tests }),
            Err(e) => list_errors.push(BuildError { suite: b.suite.clone(), message: format!("{e:#}") }),
        }
    }
    phases.list_ms = tl.elapsed().as_millis() as u64;
    let plan_for = |t: &TargetSpec| -> Plan {
        match &opts.select {
            Some(sel) => full.filtered(|id| sel(t, id)),
            None => full.clone(),
        }
    };
    if let Some(check) = &opts.check_tests {
        check(&full.ids()).map_err(|e| anyhow::anyhow!(e))?;
    }
    let catalog = match scanning {
        Some(thread) => thread.join().map_err(|_| anyhow::anyhow!("scanning the catalog panicked"))?,
        None => opts.catalog.clone().unwrap_or_default(),
    };
    let built: Vec<String> = suites.iter().filter(|s| !build.errors.iter().any(|e| &e.suite == *s)).cloned().collect();
    std::fs::create_dir_all(&log_dir).with_context(|| format!("creating {}", log_dir.display()))?;

    // One bundle for every target that runs the guest, then what each target prepares. The
    // bundle's lock is held throughout: preparing reads the bundle directory.
    let guests: Vec<&TargetSpec> = targets.iter().filter(|(t, _)| t.traits().needs_bundle).map(|(t, _)| t.spec()).collect();
    let mut bundle = None;
    let _bundle_lock = if guests.is_empty() {
        None
    } else {
        let tbu = Instant::now();
        let union = full.filtered(|id| guests.iter().any(|t| opts.select.as_ref().is_none_or(|s| s(t, id))));
        let lock = crate::util::FileLock::acquire(&ws.target_dir.join("ipcspec/.bundle.lock"))?;
        let exe = std::env::current_exe().context("finding the ipcspec binary")?;
        // A build in the same tree (`cargo run -p ipcspec` elsewhere) may have replaced the
        // running binary on disk: the kernel still has it at /proc/<pid>/exe (our pid: strip
        // and ldd read it from processes of their own, where /proc/self is them).
        let exe = if exe.is_file() { exe } else { std::path::PathBuf::from(format!("/proc/{}/exe", std::process::id())) };
        progress.say("packing the bundle (stripped test binaries, libraries, /etc)");
        let b = bundle::build(&ws.target_dir.join("ipcspec/bundle"), &union, &exe)?;
        phases.bundle_bytes = Some(b.bytes);
        phases.bundle_ms = tbu.elapsed().as_millis() as u64;
        bundle = Some(b);
        Some(lock)
    };
    let plans: Vec<Plan> = targets.iter().map(|(t, _)| plan_for(t.spec())).collect();
    for ((t, users), plan) in targets.iter_mut().zip(&plans) {
        let input = PrepareInput { bundle: bundle.as_ref().filter(|_| t.traits().needs_bundle), plan, users, built_suites: &built, pinned: pinned.as_ref() };
        t.prepare(&ctx, &input, &mut phases)?;
    }
    drop(_bundle_lock);

    // Run the targets, `jobs` at once.
    let tt = Instant::now();
    let results: Mutex<BTreeMap<usize, Vec<ColumnRun>>> = Mutex::new(BTreeMap::new());
    // Longest first: VMs before containers before the host (a VM takes minutes under TCG, the
    // others tens of seconds), so the short ones fill the gap at the end instead of delaying a
    // VM (and a target waiting for the host's kernel, below, never holds up a VM). `pop`
    // takes from the back.
    let mut order: Vec<usize> = (0..targets.len()).collect();
    order.sort_by_key(|&i| (targets[i].0.traits().length_rank, i));
    order.reverse();
    let queue: Mutex<Vec<usize>> = Mutex::new(order);
    // Targets on this machine's kernel run one at a time: they share per-user limits (pipe
    // pages, RLIMIT_MSGQUEUE of one uid), sysctls that no namespace separates
    // (fs.pipe-max-size), and a container's pids repeat those of another container.
    let host_kernel = Mutex::new(());
    let whole_suites = opts.select.is_none();
    std::thread::scope(|s| {
        for _ in 0..opts.jobs.max(1) {
            s.spawn(|| {
                loop {
                    let Some(i) = queue.lock().unwrap_or_else(|e| e.into_inner()).pop() else { break };
                    let (t, users) = (&targets[i].0, &targets[i].1);
                    let _own_kernel = t.traits().on_host_kernel.then(|| host_kernel.lock().unwrap_or_else(|e| e.into_inner()));
                    let plan = &plans[i];
                    progress.say(&format!("{}: {} tests as {}", t.spec(), plan.len(), users.iter().map(|u| u.name()).collect::<Vec<_>>().join(" and ")));
                    let expected_hangs = expectations.expected_hangs(t.spec().kind(), t.spec().name(), &plan.ids(), users);
                    let job = Job { plan, users, whole_suites, expected_hangs };
                    // Global state journalled around the run, restored after it (runner/src/restore.rs).
                    let journal = crate::restore::before_target(t.spec().name(), t.traits().on_host_kernel);
                    let mut cols = t.run(&ctx, &job).unwrap_or_else(|e| failed_columns(t.as_ref(), plan, users, &format!("{e:#}")));
                    let restored = journal.finish();
                    for c in &mut cols {
                        c.diagnostics.extend(restored.iter().map(|n| format!("after the run: {n}")));
                    }
                    for n in &restored {
                        progress.say(&format!("{}: {n}", t.spec()));
                    }
                    for c in &cols {
                        let n = c.counts();
                        progress.say(&format!(
                            "{}: {} ({})",
                            c.column,
                            n.sentence(),
                            crate::util::human_ms(c.timings.total_ms)
                        ));
                    }
                    results.lock().unwrap_or_else(|e| e.into_inner()).insert(i, cols);
                }
            });
        }
    });
    phases.targets_ms = tt.elapsed().as_millis() as u64;
    let mut kinds: Vec<&str> = targets.iter().map(|(t, _)| t.spec().kind()).collect();
    kinds.dedup();
    for k in targets::KINDS.iter().filter(|k| kinds.contains(&k.name())) {
        for n in k.finish(&shared) {
            progress.say(&n);
        }
    }
    let mut by_group = results.into_inner().unwrap_or_else(|e| e.into_inner());
    // Columns in the order asked for.
    let mut columns = Vec::new();
    for c in &opts.columns {
        let gi = groups.iter().position(|(t, _)| *t == c.target).unwrap_or(0);
        if let Some(cols) = by_group.get_mut(&gi)
            && let Some(pos) = cols.iter().position(|r| r.user == c.user)
        {
            columns.push(cols.remove(pos));
        }
    }
    let x = expectations.apply(&mut columns);
    if x != Default::default() {
        progress.say(&format!(
            "expectations: {} expected deviations, {} stale expectations (FAIL), {} failing otherwise than expected",
            x.expected, x.stale, x.different
        ));
    }
    let mut tests: Vec<TestId> = plans.iter().flat_map(Plan::ids).collect();
    tests.sort();
    tests.dedup();
    let mut build_errors = build.errors;
    build_errors.extend(list_errors);
    Ok(Session {
        started_at,
        duration_ms: t0.elapsed().as_millis() as u64,
        columns,
        build_errors,
        phases,
        catalog,
        workspace_root: ws.root.clone(),
        tests,
    })
}

/// The build of an archive: its test binaries of `suites`, extracted (and pinned for
/// nextest).
fn from_archive(ws: &Workspace, suites: &[String], archive: &Path, log_dir: &Path) -> Result<(discover::Build, Option<nextest::Prebuilt>)> {
    let (archived, pinned) = nextest::from_archive(ws, archive, log_dir)?;
    let mut build = discover::Build::default();
    for b in archived {
        let suite = ws.package_names.get(&b.package_id).cloned().unwrap_or_else(|| b.id.split("::").next().unwrap_or("").to_string());
        if suites.contains(&suite) {
            let serial = b.id.rsplit("::").next().is_some_and(|f| f.starts_with("global_"));
            build.binaries.push(discover::TestBinary { id: b.id, suite, path: b.path, serial });
        }
    }
    build.binaries.sort_by(|a, b| a.id.cmp(&b.id));
    Ok((build, Some(pinned)))
}

/// The default output directory: `<workspace>/results`.
pub fn default_out_dir() -> PathBuf {
    Workspace::load(None).map(|w| w.root.join("results")).unwrap_or_else(|_| Path::new("results").to_path_buf())
}
