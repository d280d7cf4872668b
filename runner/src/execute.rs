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
use serde::{Deserialize, Serialize};

use crate::bundle;
use crate::catalog::{self, Catalog};
use crate::discover::{self, Workspace};
use crate::kernels::{self, KernelImage};
use crate::model::{BuildError, ColumnRun, Outcome, RunStatus, TestResult, Timings, User};
use crate::progress::Progress;
use crate::qemu::{self, Accel};
use crate::targets::vm::VmOptions;
use crate::targets::{self, Column, Inject, KernelRef, Plan, PlannedBinary, TargetSpec, column_name, group_by_target};
use crate::model::TestId;

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
    pub cache_dir: PathBuf,
    pub refresh_kernels: bool,
    /// Targets at once.
    pub jobs: usize,
    /// None: detect.
    pub accel: Option<Accel>,
    /// None: the accelerator's default.
    pub time_scale: Option<f64>,
    pub test_timeout: std::time::Duration,
    pub vm_parallel: usize,
    /// Batch mode in VMs (see guest.rs).
    pub vm_batch: bool,
    pub vm_memory_mb: u32,
    pub vm_cpus: u32,
    pub extra_append: Option<String>,
    pub inject: Inject,
    /// Base image of the docker targets' bundle image (`scratch`, or e.g. debian:bookworm-slim).
    pub docker_base: String,
    pub release: bool,
    pub quiet: bool,
    /// Called with every listed test before anything runs (verify: every claim must match).
    pub check_tests: Option<TestsCheck>,
}

/// Where the time of a run went, milliseconds.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Phases {
    pub kernels_ms: u64,
    pub build_ms: u64,
    pub list_ms: u64,
    pub bundle_ms: u64,
    pub targets_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bundle_bytes: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initramfs_bytes: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accel: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_scale: Option<f64>,
    /// Docker targets: the bundle image (`ipcspec-bundle:<key>`), whether this run built it
    /// (false: cached) and how long making sure it exists took.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docker_image: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docker_image_built: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docker_image_ms: Option<u64>,
    pub jobs: usize,
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
    // A kernel path is the user's input: refuse a bad one before anything else runs.
    for (t, _) in &groups {
        if let TargetSpec::Vm(KernelRef::Path(p)) = t {
            kernels::from_path(p)?;
        }
    }
    let ws = Workspace::load(None)?;
    let suites = ws.select(&opts.suites)?;
    let mut phases = Phases { jobs: opts.jobs.max(1), ..Default::default() };

    // Inputs and tools first.
    let host_users: Vec<User> =
        groups.iter().filter(|(t, _)| *t == TargetSpec::Host).flat_map(|(_, u)| u.clone()).collect();
    if !host_users.is_empty() {
        targets::host::preflight(&host_users)?;
    }
    let docker_modes = targets::docker::modes_of(&groups);
    let docker = if docker_modes.is_empty() { None } else { Some(targets::docker::preflight(&progress)?) };
    let vm_targets: Vec<&TargetSpec> = groups.iter().map(|(t, _)| t).filter(|t| matches!(t, TargetSpec::Vm(_))).collect();
    let mut kernel_images: BTreeMap<String, KernelImage> = BTreeMap::new();
    let accel = opts.accel.unwrap_or_else(Accel::detect);
    let time_scale = opts.time_scale.unwrap_or(accel.default_time_scale());
    if !vm_targets.is_empty() {
        qemu::check_installed()?;
        let tk = Instant::now();
        for t in &vm_targets {
            let TargetSpec::Vm(kref) = t else { continue };
            progress.say(&format!("kernel for {t}: resolving"));
            let img = kernels::resolve(kref, &opts.cache_dir, opts.refresh_kernels)?;
            progress.say(&format!("kernel for {t}: {} ({})", img.release, img.source));
            kernel_images.insert(t.to_string(), img);
        }
        phases.kernels_ms = tk.elapsed().as_millis() as u64;
        phases.accel = Some(accel.name().into());
        phases.time_scale = Some(time_scale);
    }

    // Build once.
    let tb = Instant::now();
    progress.say(&format!("building {} suites", suites.len()));
    let build = discover::build(&ws, &suites, opts.release)?;
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
    let catalog = catalog::scan(&ws.root);
    let prebuilt = if host_users.is_empty() {
        None
    } else {
        let built: Vec<String> = suites.iter().filter(|s| !build.errors.iter().any(|e| &e.suite == *s)).cloned().collect();
        match targets::host::prebuild(&ws, &built, &opts.out_dir.join("logs")) {
            Ok(p) => Some(p),
            Err(e) => {
                progress.say(&format!("note: the host target will build again itself ({e:#})"));
                None
            }
        }
    };

    // Bundle once for all VMs.
    let log_dir = opts.out_dir.join("logs");
    std::fs::create_dir_all(&log_dir).with_context(|| format!("creating {}", log_dir.display()))?;
    let mut vm_opts = VmOptions {
        accel,
        memory_mb: opts.vm_memory_mb,
        cpus: opts.vm_cpus,
        time_scale,
        test_timeout: opts.test_timeout,
        parallel: opts.vm_parallel,
        extra_append: opts.extra_append.clone(),
        inject: opts.inject.clone(),
        batch: opts.vm_batch,
        disk: None,
    };
    let mut initrds: BTreeMap<String, PathBuf> = BTreeMap::new();
    // Docker targets: the bundle image and the bundle (its paths), or why there is none.
    let mut docker_image: Option<Result<(String, bundle::Bundle), String>> = None;
    // One bundle for VMs and containers alike.
    let guest_targets: Vec<&TargetSpec> =
        groups.iter().map(|(t, _)| t).filter(|t| matches!(t, TargetSpec::Vm(_) | TargetSpec::Docker(_))).collect();
    if !guest_targets.is_empty() {
        let tbu = Instant::now();
        let union = full.filtered(|id| guest_targets.iter().any(|t| opts.select.as_ref().is_none_or(|s| s(t, id))));
        let bdir = ws.target_dir.join("ipcspec/bundle");
        let _lock = crate::util::FileLock::acquire(&ws.target_dir.join("ipcspec/.bundle.lock"))?;
        let exe = std::env::current_exe().context("finding the ipcspec binary")?;
        progress.say("packing the bundle (stripped test binaries, libraries, /etc)");
        let b = bundle::build(&bdir, &union, &exe)?;
        phases.bundle_bytes = Some(b.bytes);
        if !vm_targets.is_empty() {
            let base = bdir.join("bundle.cpio");
            let disk = bundle::write_disk_image(&b, &bdir.join("bin.ext4"))?;
            if disk.is_some() {
                vm_opts.disk = Some(bdir.join("bin.ext4"));
            } else {
                progress.say("mke2fs (e2fsprogs) is not installed: the test binaries go into the initramfs (slower boots)");
            }
            let size = bundle::write_initramfs(&b, &base, disk.is_none())? + disk.unwrap_or(0);
            for (t, users) in &groups {
                if matches!(t, TargetSpec::Vm(_)) {
                    let path = log_dir.join(format!("{}.initrd.cpio", crate::util::file_stem(&t.to_string())));
                    let config = kernel_images.get(&t.to_string()).and_then(KernelImage::config_file);
                    let p = targets::vm::initrd_for(&base, &b, &plan_for(t), users, &vm_opts, config.as_deref(), &path)?;
                    initrds.insert(t.to_string(), p);
                }
            }
            phases.initramfs_bytes = Some(size);
        }
        phases.bundle_ms = tbu.elapsed().as_millis() as u64;
        if docker.is_some() {
            progress.say(&format!("docker: making sure the bundle image exists (base {})", opts.docker_base));
            let r = targets::docker::ensure_image(&b, &ws.target_dir.join("ipcspec/docker"), &opts.docker_base, &log_dir);
            docker_image = Some(match r {
                Ok(img) => {
                    let how = if img.built { "built" } else { "cached" };
                    progress.say(&format!("docker: image {} {how} in {}", img.tag, crate::util::human_ms(img.ms)));
                    for n in &img.notes {
                        progress.say(&format!("docker: {n}"));
                    }
                    phases.docker_image = Some(img.tag.clone());
                    phases.docker_image_built = Some(img.built);
                    phases.docker_image_ms = Some(img.ms);
                    Ok((img.tag, b))
                }
                Err(e) => {
                    progress.say(&format!("docker: {e:#}"));
                    Err(format!("the bundle image could not be built: {e:#}"))
                }
            });
        }
    }
    let docker_opts = targets::docker::DockerOptions {
        test_timeout: opts.test_timeout,
        parallel: opts.vm_parallel,
        batch: opts.vm_batch,
        inject: opts.inject.clone(),
    };

    // Run the targets, `jobs` at once.
    let tt = Instant::now();
    let results: Mutex<BTreeMap<usize, Vec<ColumnRun>>> = Mutex::new(BTreeMap::new());
    // Longest first: VMs before containers before the host (a VM takes minutes under TCG, the
    // others tens of seconds), so the short ones fill the gap at the end instead of delaying a
    // VM (and a container waiting for the host's kernel, below, never holds up a VM). `pop`
    // takes from the back.
    let mut order: Vec<(usize, TargetSpec, Vec<User>)> = groups.iter().cloned().enumerate().map(|(i, (t, u))| (i, t, u)).collect();
    order.sort_by_key(|(i, t, _)| {
        let rank = match t {
            TargetSpec::Vm(_) => 0,
            TargetSpec::Docker(_) => 1,
            TargetSpec::Host => 2,
        };
        (rank, *i)
    });
    order.reverse();
    let queue: Mutex<Vec<(usize, TargetSpec, Vec<User>)>> = Mutex::new(order);
    // Targets on this machine's kernel (host, docker:*) run one at a time: they share
    // per-user limits (pipe pages, RLIMIT_MSGQUEUE of one uid), sysctls that no namespace
    // separates (fs.pipe-max-size), and a container's pids repeat those of another container.
    let host_kernel = Mutex::new(());
    let full_plan_all = opts.select.is_none();
    std::thread::scope(|s| {
        for _ in 0..opts.jobs.max(1) {
            s.spawn(|| {
                loop {
                    let Some((i, t, users)) = queue.lock().unwrap_or_else(|e| e.into_inner()).pop() else { break };
                    let _own_kernel = matches!(t, TargetSpec::Host | TargetSpec::Docker(_))
                        .then(|| host_kernel.lock().unwrap_or_else(|e| e.into_inner()));
                    let plan = plan_for(&t);
                    let name = t.to_string();
                    progress.say(&format!("{name}: {} tests as {}", plan.len(), users.iter().map(|u| u.name()).collect::<Vec<_>>().join(" and ")));
                    let cols = match &t {
                        TargetSpec::Host => users
                            .iter()
                            .map(|&u| {
                                targets::host::run(&ws, &plan, full_plan_all, u, prebuilt.as_ref(), &log_dir, &progress)
                                    .unwrap_or_else(|e| failed_column("host", "host", u, &plan, &format!("{e:#}"), None))
                            })
                            .collect(),
                        TargetSpec::Vm(_) => {
                            let k = &kernel_images[&name];
                            targets::vm::run(&name, k, &initrds[&name], &plan, &users, &vm_opts, &log_dir, &progress)
                                .unwrap_or_else(|e| {
                                    users.iter().map(|&u| failed_column(&name, "vm", u, &plan, &format!("{e:#}"), Some(k))).collect()
                                })
                        }
                        TargetSpec::Docker(_) => {
                            let r = match (&docker, &docker_image) {
                                (Some(d), Some(Ok((image, b)))) => {
                                    let mode = docker_modes[&name];
                                    targets::docker::run(&name, mode, d, image, b, &plan, &users, &docker_opts, &log_dir, &progress)
                                        .map_err(|e| format!("{e:#}"))
                                }
                                (_, Some(Err(e))) => Err(e.clone()),
                                _ => Err("docker is not available".to_string()),
                            };
                            r.unwrap_or_else(|e| users.iter().map(|&u| failed_column(&name, "docker", u, &plan, &e, None)).collect())
                        }
                    };
                    for c in &cols {
                        let n = c.counts();
                        progress.say(&format!(
                            "{}: {} passed, {} failed, {} skipped, {} timed out, {} crashed ({})",
                            c.column,
                            n.pass,
                            n.fail,
                            n.skip,
                            n.timeout,
                            n.crash,
                            crate::util::human_ms(c.timings.total_ms)
                        ));
                    }
                    results.lock().unwrap_or_else(|e| e.into_inner()).insert(i, cols);
                }
            });
        }
    });
    phases.targets_ms = tt.elapsed().as_millis() as u64;
    if let Some(d) = &docker {
        for n in targets::docker::finish(d) {
            progress.say(&format!("docker: {n}"));
        }
    }
    let mut by_group = results.into_inner().unwrap_or_else(|e| e.into_inner());
    // Columns in the order asked for.
    let mut columns = Vec::new();
    for c in &opts.columns {
        let gi = groups.iter().position(|(t, _)| *t == c.target).unwrap_or(0);
        if let Some(cols) = by_group.get_mut(&gi)
            && let Some(pos) = cols.iter().position(|r| r.user == c.user) {
                columns.push(cols.remove(pos));
            }
    }
    let mut tests: Vec<TestId> = Vec::new();
    for (t, _) in &groups {
        tests.extend(plan_for(t).ids());
    }
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

/// A column for a target that could not run at all: every planned test is CRASH with why.
pub fn failed_column(target: &str, kind: &str, user: User, plan: &Plan, why: &str, k: Option<&KernelImage>) -> ColumnRun {
    ColumnRun {
        column: column_name(target, user),
        target: target.to_string(),
        kind: kind.to_string(),
        user,
        kernel_release: k.map(|k| k.release.clone()).or_else(|| (kind == "host" || kind == "docker").then(targets::host::host_release)),
        kernel_source: k.map(|k| k.source.clone()),
        status: RunStatus::Incomplete { reason: why.to_string() },
        timings: Timings::default(),
        results: plan
            .ids()
            .into_iter()
            .map(|id| TestResult { id, outcome: Outcome::Crash { reason: format!("the target failed: {why}") }, duration_ms: None })
            .collect(),
        diagnostics: vec![why.to_string()],
    }
}

/// The default output directory: `<workspace>/results`.
pub fn default_out_dir() -> PathBuf {
    Workspace::load(None).map(|w| w.root.join("results")).unwrap_or_else(|_| Path::new("results").to_path_buf())
}
