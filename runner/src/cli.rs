//! The command line: `run`, `matrix`, `verify`, `catalog`, `kernels`, `selfcheck`, `soak`, and
//! the hidden `guest`.
//!
//! Exit status: 0 everything passed or skipped; 1 a test failed, timed out or crashed (or a
//! suite does not build, or a claim fails); 2 bad input or a tool missing; 3 (verify) no
//! claim fails but some are unverified (all their tests skipped).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};

use crate::execute::{self, Options, Session};
use crate::model::User;
use crate::qemu::Accel;
use crate::report::{self, Format};
use crate::plan::Inject;
use crate::target::{Column, Settings, TargetSpec};
use crate::targets::{parse_column, parse_columns};
use crate::{catalog, kernels, verify};

#[derive(Parser, Debug)]
#[command(name = "ipcspec", version, about = "Run the ipcspec suites on targets (host, QEMU VMs with Debian kernels, docker containers) and report which IPC semantics hold where.")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Cmd,
}

#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// The conformance report for one target (default: this machine, through cargo-nextest).
    Run(RunArgs),
    /// Host plus every configured kernel: the matrix of which semantics hold where.
    Matrix(MatrixArgs),
    /// Check the claims of a claims file on the targets it names.
    Verify(VerifyArgs),
    /// Write docs/catalog.{md,json}: every test with its claim and cited source (and the other
    /// generated pages: docs/kernel-changes.md, docs/mechanisms.md).
    Catalog(CatalogArgs),
    /// List (and fetch) the Debian kernels for vm: targets.
    Kernels(KernelsArgs),
    /// Reports from results.json files: `--merge` the columns of several runs (CI runs a
    /// target per job) into one matrix.
    Report(ReportArgs),
    /// The kinds of target this runner knows, one per line: its name, a tab, its syntax
    /// (`vm<TAB>vm:<kernel> (...)`).
    Targets,
    /// Does the suite catch broken implementations? Each fault of the shim (runner/faults/)
    /// against the suites that claim what it breaks, on the host (docs/trust.md).
    Selfcheck(SelfcheckArgs),
    /// The whole suite N times on the host, optionally under CPU load: every test that ever
    /// failed, every leak, and the spread of the wall time (docs/trust.md).
    Soak(SoakArgs),
    /// What each data-carrying IPC mechanism costs: round-trip latency (percentiles) and
    /// throughput at a few message sizes, two processes pinned to CPUs, repeated until stable,
    /// on the host and in docker modes (bench/; docs/mechanisms.md).
    Bench(crate::bench::BenchArgs),
    /// Put back what runners and tests that are gone left: /proc/sys values from the journal
    /// of changes to global state, processes, containers, sandboxes, IPC objects, temporary
    /// directories. Every command that runs tests does this first (docs/trust.md).
    Restore(RestoreArgs),
    /// Run a guest plan (inside a VM or container; used by the runner itself).
    #[command(hide = true)]
    Guest(GuestArgs),
}

/// Options shared by the commands that run tests.
#[derive(Args, Debug, Clone)]
pub struct Common {
    /// Run only these suites (repeatable; default all).
    #[arg(long = "suite", short = 's', value_name = "SUITE")]
    pub suites: Vec<String>,
    /// Where reports and logs go (default: <workspace>/results/<command>).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Report files to write: markdown, json, junit, html, all, none.
    #[arg(long, default_value = "all", value_name = "LIST")]
    pub format: String,
    /// Kernel cache (default $IPCSPEC_CACHE, else ~/.cache/ipcspec).
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Resolve and fetch the newest Debian kernels again even if cached.
    #[arg(long)]
    pub refresh_kernels: bool,
    /// VM acceleration: auto (KVM when /dev/kvm works), kvm, tcg.
    #[arg(long, default_value = "auto")]
    pub accel: String,
    /// IPCSPEC_TIME_SCALE for VM guests (default 1 with KVM, 2 with TCG).
    #[arg(long)]
    pub time_scale: Option<f64>,
    /// Deadline of one test in a VM before scaling (the host uses nextest's).
    #[arg(long, default_value = "30s")]
    pub test_timeout: String,
    /// Test processes at once inside a VM (more than its CPUs: many tests wait).
    #[arg(long, default_value_t = 4)]
    pub vm_parallel: usize,
    /// How a VM runs tests: `batch` (a binary's tests in one process; what does not pass
    /// there runs again alone, and that result counts) or `isolated` (every test in its own
    /// process, like nextest).
    #[arg(long, default_value = "batch")]
    pub vm_mode: String,
    #[arg(long, default_value_t = 1536)]
    pub vm_memory_mb: u32,
    #[arg(long, default_value_t = 2)]
    pub vm_cpus: u32,
    /// Targets run at once (default: cores / --vm-cpus, at least 1).
    #[arg(long, short = 'j')]
    pub jobs: Option<usize>,
    /// Base image of the docker targets' bundle image (default $IPCSPEC_DOCKER_BASE, else
    /// scratch: no registry needed; e.g. debian:bookworm-slim where one can be pulled).
    #[arg(long, value_name = "IMAGE")]
    pub docker_base: Option<String>,
    /// Build the suites with --release.
    #[arg(long)]
    pub release: bool,
    /// Take the test binaries from this archive (`cargo nextest archive --archive-file F
    /// -p <suites>`, e.g. made by another CI job) instead of building them.
    #[arg(long, value_name = "FILE")]
    pub nextest_archive: Option<PathBuf>,
    /// No progress on stderr.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Test-only: this test (id, or id/nobody) hangs in the VM until the executor kills it.
    #[arg(long, hide = true, value_name = "ID")]
    pub inject_hang: Vec<String>,
    /// Test-only: this test (id, or id/nobody) hangs in its binary's batch (only there), in a VM or container.
    #[arg(long, hide = true, value_name = "ID")]
    pub inject_hang_in_batch: Vec<String>,
    /// Test-only: crash the VM's kernel (sysrq c) right before this test starts as root; in
    /// a docker target, kill the container (docker kill) when it starts.
    #[arg(long, hide = true, value_name = "ID")]
    pub inject_panic_before: Option<String>,
    /// Test-only: append this to the VM kernel command line.
    #[arg(long, hide = true, value_name = "ARGS")]
    pub kernel_append: Option<String>,
}

#[derive(Args, Debug)]
pub struct RunArgs {
    /// host, vm:5.10, vm:6.1, vm:6.12, vm:7.2, vm:/path/to/bzImage, docker:default,
    /// docker:ipc-host, docker:nonroot, docker:privileged, docker:shm-small (add /nobody for
    /// uid 65534; docker:nonroot is always uid 65534).
    #[arg(long, short = 't', default_value = "host")]
    pub target: String,
    /// Run the tests as uid/gid 65534 instead of root.
    #[arg(long)]
    pub unprivileged: bool,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Args, Debug)]
pub struct MatrixArgs {
    /// Comma-separated targets.
    #[arg(long, default_value = "host,vm:5.10,vm:6.1,vm:6.12,vm:7.2")]
    pub targets: String,
    /// Users every target runs as (a target can name its own: vm:6.1/nobody).
    #[arg(long, default_value = "root,nobody")]
    pub users: String,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// The claims files (see docs/example-claims.toml, docs/claims/).
    #[arg(required = true, num_args = 1..)]
    pub claims: Vec<PathBuf>,
    /// Comma-separated targets replacing those every claim names (host,vm:5.10,docker:default).
    #[arg(long)]
    pub targets: Option<String>,
    /// Also write this generated page (docs/claims/README.md) and the verdicts it keeps next
    /// to it (verdicts.json): the cells of the targets run now replace the old ones.
    #[arg(long, value_name = "README_MD")]
    pub readme: Option<PathBuf>,
    /// Run nothing: write the --readme page again from the claims files and the verdicts
    /// kept next to it (after editing a claims file's text).
    #[arg(long, requires = "readme")]
    pub readme_only: bool,
    /// Run nothing: take the results of earlier runs (their results.json, e.g. of a matrix
    /// run) and give the verdicts of the columns they hold that the claims name.
    #[arg(long, value_name = "RESULTS_JSON", num_args = 1.., conflicts_with = "readme_only")]
    pub results: Vec<PathBuf>,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Args, Debug)]
pub struct CatalogArgs {
    /// Do not write: fail if docs/catalog.*, docs/kernel-changes.md or docs/mechanisms.md differ
    /// from the sources, or docs/mechanisms.toml names a test that does not exist.
    #[arg(long)]
    pub check: bool,
    /// First record what each kernel of this matrix run (a results.json; several runs of
    /// different suites or targets are combined) showed for the kernel changes the tests
    /// declare and for the tests of the mechanisms table, in docs/kernel-changes-observed.json
    /// and docs/mechanisms-observed.json.
    #[arg(long, value_name = "RESULTS_JSON", num_args = 1.., conflicts_with = "check")]
    pub observed: Vec<std::path::PathBuf>,
}

#[derive(Args, Debug)]
pub struct KernelsArgs {
    /// Fetch these kernels (5.10, 6.1, 6.12, 7.2, or `all`).
    #[arg(long, value_name = "NAME")]
    pub fetch: Vec<String>,
    /// Fetch again even if cached.
    #[arg(long)]
    pub refresh: bool,
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Print the Debian package and version a fetch of this kernel would take now, without
    /// fetching it (`<name> <package> <version>`; CI keys its kernel cache on it).
    #[arg(long, value_name = "NAME", conflicts_with_all = ["fetch", "refresh"])]
    pub resolve: Option<String>,
}

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// The results.json of each run to merge (their columns must differ).
    #[arg(long, required = true, num_args = 1.., value_name = "RESULTS_JSON")]
    pub merge: Vec<PathBuf>,
    /// Where the merged reports go (default: <workspace>/results/merged).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Report files to write: markdown, json, junit, html, all.
    #[arg(long, default_value = "all", value_name = "LIST")]
    pub format: String,
}

#[derive(Args, Debug)]
pub struct SelfcheckArgs {
    /// Check only this fault (repeatable; default all). `--list` shows the names.
    #[arg(long = "fault", value_name = "NAME")]
    pub faults: Vec<String>,
    /// Only the faults injected this way: `seccomp` (a filter trapping exact system calls,
    /// raw ones included) or `preload` (libc wrappers).
    #[arg(long, value_name = "INJECTOR")]
    pub injector: Option<String>,
    /// List the faults with their injector, the semantic each breaks and its suites, and exit.
    #[arg(long)]
    pub list: bool,
    /// Skip the baseline run (the suites with the shim preloaded and no fault).
    #[arg(long)]
    pub no_baseline: bool,
    /// Where the report goes (default: <workspace>/results/selfcheck).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

#[derive(Args, Debug)]
pub struct SoakArgs {
    /// How many times to run the whole suite.
    #[arg(long, default_value_t = 10)]
    pub runs: usize,
    /// Run under CPU load (stress-ng --cpu <cores>, started and stopped by the runner).
    #[arg(long)]
    pub load: bool,
    /// Run the tests as uid/gid 65534 instead of root.
    #[arg(long)]
    pub unprivileged: bool,
    /// Only these suites (repeatable; default all).
    #[arg(long = "suite", short = 's', value_name = "SUITE")]
    pub suites: Vec<String>,
    /// Where the report goes (default: <workspace>/results/soak).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Tests at once (nextest's --test-threads; default test-threads of .config/nextest.toml).
    #[arg(long, value_name = "N")]
    pub test_threads: Option<usize>,
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

#[derive(Args, Debug)]
pub struct RestoreArgs {
    /// Say nothing when there is nothing to restore.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

#[derive(Args, Debug)]
pub struct GuestArgs {
    #[arg(long)]
    pub plan: PathBuf,
    /// Override the plan's result sink (a file, or - for stdout).
    #[arg(long)]
    pub results: Option<String>,
}

/// Run the parsed command; returns the exit status.
pub fn main(cli: Cli) -> Result<i32> {
    // A command that runs tests first reaps what runs that are gone left, and cleans up after
    // itself when it ends or is interrupted (runner/src/leftovers.rs).
    let runs_tests = match &cli.command {
        Cmd::Run(_) | Cmd::Matrix(_) | Cmd::Verify(_) | Cmd::Soak(_) => true,
        Cmd::Selfcheck(a) => !a.list,
        _ => false,
    };
    let _run = runs_tests.then(crate::leftovers::start);
    match cli.command {
        Cmd::Run(a) => {
            let user = if a.unprivileged { User::Nobody } else { User::Root };
            let col = parse_column(&a.target, user).map_err(anyhow::Error::msg)?;
            let opts = options(&a.common, vec![col], "run")?;
            run_and_report(&opts, &a.common)
        }
        Cmd::Matrix(a) => {
            let users = a.users.split(',').map(|u| User::parse(u.trim())).collect::<Result<Vec<_>, _>>().map_err(anyhow::Error::msg)?;
            if users.is_empty() {
                bail!("--users is empty");
            }
            let cols = parse_columns(&a.targets, &users).map_err(anyhow::Error::msg)?;
            let opts = options(&a.common, cols, "matrix")?;
            run_and_report(&opts, &a.common)
        }
        Cmd::Verify(a) => verify_cmd(&a),
        Cmd::Catalog(a) => catalog_cmd(&a),
        Cmd::Kernels(a) => kernels_cmd(&a),
        Cmd::Report(a) => report_cmd(&a),
        Cmd::Targets => {
            for k in crate::targets::KINDS {
                println!("{}\t{}", k.name(), k.usage());
            }
            Ok(0)
        }
        Cmd::Selfcheck(a) => selfcheck_cmd(&a),
        Cmd::Soak(a) => crate::soak::run(&crate::soak::SoakOptions {
            runs: a.runs,
            load: a.load,
            user: if a.unprivileged { User::Nobody } else { User::Root },
            suites: a.suites.clone(),
            out_dir: a.out.clone().unwrap_or_else(|| execute::default_out_dir().join("soak")),
            quiet: a.quiet,
            test_threads: a.test_threads,
        }),
        Cmd::Bench(a) => crate::bench::command(&a, crate::generated::record_bench),
        Cmd::Restore(a) => Ok(crate::restore::command(a.quiet)),
        Cmd::Guest(a) => crate::guest::guest_command(&a.plan, a.results.as_deref()),
    }
}

fn options(c: &Common, columns: Vec<Column>, command: &str) -> Result<Options> {
    let accel = Accel::parse(&c.accel).map_err(anyhow::Error::msg)?;
    if let Some(s) = c.time_scale
        && !(s.is_finite() && (1.0..=100.0).contains(&s)) {
            bail!("--time-scale must be between 1 and 100");
        }
    let test_timeout = crate::util::parse_duration(&c.test_timeout).map_err(anyhow::Error::msg)?;
    Format::parse_list(&c.format).map_err(anyhow::Error::msg)?;
    for id in c.inject_hang.iter().chain(&c.inject_hang_in_batch).chain(c.inject_panic_before.iter()) {
        crate::model::TestId::parse(id.trim_end_matches("/nobody").trim_end_matches("/root")).map_err(anyhow::Error::msg)?;
    }
    if c.vm_parallel == 0 || c.vm_cpus == 0 || c.vm_memory_mb < 256 {
        bail!("--vm-parallel and --vm-cpus must be at least 1, --vm-memory-mb at least 256");
    }
    let out_dir = c.out.clone().unwrap_or_else(|| execute::default_out_dir().join(command));
    let jobs = c.jobs.unwrap_or_else(|| default_jobs(c.vm_cpus));
    if jobs == 0 {
        bail!("--jobs must be at least 1");
    }
    Ok(Options {
        columns,
        suites: c.suites.clone(),
        select: None,
        out_dir,
        jobs,
        settings: Settings {
            cache_dir: kernels::cache_dir(c.cache_dir.as_deref()),
            refresh_kernels: c.refresh_kernels,
            accel,
            time_scale: c.time_scale,
            test_timeout,
            guest_parallel: c.vm_parallel,
            guest_batch: match c.vm_mode.as_str() {
                "batch" => true,
                "isolated" => false,
                m => bail!("unknown --vm-mode {m:?} (batch or isolated)"),
            },
            vm_memory_mb: c.vm_memory_mb,
            vm_cpus: c.vm_cpus,
            extra_append: c.kernel_append.clone(),
            inject: Inject { hang: c.inject_hang.clone(), hang_in_batch: c.inject_hang_in_batch.clone(), panic_before: c.inject_panic_before.clone() },
            docker_base: docker_base(c.docker_base.as_deref())?,
        },
        release: c.release,
        nextest_archive: match &c.nextest_archive {
            Some(a) if !a.is_file() => bail!("--nextest-archive {}: no such file", a.display()),
            Some(a) => Some(std::path::absolute(a).unwrap_or_else(|_| a.clone())),
            None => None,
        },
        quiet: c.quiet,
        check_tests: None,
        catalog: None,
    })
}

/// --docker-base, else $IPCSPEC_DOCKER_BASE, else scratch.
fn docker_base(flag: Option<&str>) -> Result<String> {
    let env = std::env::var("IPCSPEC_DOCKER_BASE").ok().filter(|s| !s.trim().is_empty());
    let base = flag.map(str::to_string).or(env).unwrap_or_else(|| crate::container::image::DEFAULT_BASE.to_string());
    if base.trim().is_empty() || base.chars().any(|c| c.is_whitespace() || c.is_control()) {
        bail!("--docker-base {base:?} is not an image reference");
    }
    Ok(base)
}

/// Targets at once by default: as many VMs as the cores can run, each with its `vm_cpus`.
/// Once "it blocks" was read from /proc instead of waited for (issue 18), a VM's tests keep
/// its CPUs busy, and under TCG two VMs of two CPUs on two cores took longer than one after
/// the other: host + four kernels 6 min 03 s with 2 at once, 4 min 50 s with 1
/// (docs/timings.md). Before that change the waits made 2 at once twice as fast.
pub fn default_jobs(vm_cpus: u32) -> usize {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    (cores / vm_cpus.max(1) as usize).max(1)
}

fn run_and_report(opts: &Options, c: &Common) -> Result<i32> {
    let session = execute::run(opts)?;
    let written = write_reports(&session, opts, c)?;
    print_summary(&session, &written, &opts.out_dir);
    Ok(if session.all_good() { 0 } else { 1 })
}

fn write_reports(session: &Session, opts: &Options, c: &Common) -> Result<Vec<PathBuf>> {
    let formats = Format::parse_list(&c.format).map_err(anyhow::Error::msg)?;
    let doc = report::document(session);
    report::write_run(&doc, &opts.out_dir, &formats)
}

/// `report --merge`: one matrix from several runs' results.json; the per-test logs and run
/// logs of each run (its results.json's folder) go into the merged `logs/`. Exit 1 when the
/// merged matrix has a FAIL, TIMEOUT or CRASH, or a suite that does not build.
fn report_cmd(a: &ReportArgs) -> Result<i32> {
    let formats = Format::parse_list(&a.format).map_err(anyhow::Error::msg)?;
    let mut inputs = Vec::new();
    for p in &a.merge {
        inputs.push((p.clone(), report::merge::read(p)?));
    }
    let catalog = crate::discover::Workspace::load(None).map(|w| crate::catalog_cache::scan_workspace(&w)).unwrap_or_default();
    let doc = report::merge::merge(&inputs, |id| catalog.lookup(id).map_or(id.to_string(), |e| e.id.clone()))?;
    let out = a.out.clone().unwrap_or_else(|| execute::default_out_dir().join("merged"));
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let mut logs = 0;
    for (p, d) in &inputs {
        let src = p.parent().unwrap_or(std::path::Path::new(".")).join("logs");
        logs += report::logs::write(d, &src, &out.join("logs"))?;
        report::merge::copy_run_logs(&src, &out.join("logs"))?;
    }
    let written = report::write_all(&doc, &out, &formats)?;
    print!("{}", report::terminal::render_with(&doc, std::io::stdout().is_terminal()));
    println!(
        "merged {} runs ({} columns, {} tests) in {}: {} files and {logs} test logs",
        inputs.len(),
        doc.summary.columns,
        doc.summary.tests,
        out.display(),
        written.len()
    );
    Ok(if doc.summary.ok { 0 } else { 1 })
}

fn print_summary(session: &Session, written: &[PathBuf], out_dir: &std::path::Path) {
    let doc = report::document(session);
    print!("{}", report::terminal::render_with(&doc, std::io::stdout().is_terminal()));
    if !written.is_empty() {
        let mut names: Vec<String> = Vec::new();
        for p in written {
            let n = match p.parent().and_then(|d| d.file_name()) {
                Some(d) if d == "junit" => "junit/*.xml".to_string(),
                _ => p.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default(),
            };
            if !names.contains(&n) {
                names.push(n);
            }
        }
        println!("reports in {}: {} (logs in logs/)", out_dir.display(), names.join(", "));
    }
}

fn verify_cmd(a: &VerifyArgs) -> Result<i32> {
    // Every file is read and parsed first, then every selector resolved through the catalog
    // (the tests' doc comments), before anything is built.
    let parsed = verify::read(&a.claims).map_err(anyhow::Error::msg)?;
    let catalog = crate::catalog_cache::scan_workspace(&crate::discover::Workspace::load(None)?);
    let override_cols = match &a.targets {
        Some(t) => Some(crate::targets::parse_columns(t, &[crate::model::User::Root]).map_err(anyhow::Error::msg)?),
        None => None,
    };
    let files = verify::bind(parsed, &catalog, override_cols.as_deref()).map_err(anyhow::Error::msg)?;
    if let (true, Some(readme)) = (a.readme_only, &a.readme) {
        crate::claims_readme::write(readme, &files, &[], &Default::default()).map_err(anyhow::Error::msg)?;
        println!("wrote {} from {} (nothing run)", readme.display(), crate::claims_readme::STORE_FILE);
        return Ok(0);
    }
    if !a.results.is_empty() {
        return verify_from_results(a, &files);
    }
    // Every column any claim names, in first-seen order.
    let mut cols: Vec<Column> = Vec::new();
    for l in &files {
        for col in l.file.columns() {
            if !cols.contains(&col) {
                cols.push(col);
            }
        }
    }
    let mut opts = options(&a.common, cols, "verify")?;
    let sel = Arc::new(files.clone());
    let f2 = sel.clone();
    // Exactly the claims' tests on exactly the claims' targets.
    opts.select = Some(Arc::new(move |t: &TargetSpec, id: &crate::model::TestId| {
        f2.iter().flat_map(|l| &l.file.claims).any(|c| c.columns.iter().any(|col| col.target == *t) && c.matches(id.as_str()))
    }));
    let f3 = sel.clone();
    opts.check_tests = Some(Arc::new(move |all: &[crate::model::TestId]| {
        f3.iter().try_for_each(|l| verify::resolve(&l.file, all).map(|_| ()).map_err(|e| format!("{}: {e}", l.path.display())))
    }));
    opts.catalog = Some(catalog);
    // A claim for `vm:6.1/nobody` only must not run root there: the columns restrict users.
    let session = execute::run(&opts)?;
    let written = write_reports(&session, &opts, &a.common)?;
    let rs = verify::verdicts_all(&files, &session);
    crate::util::write_atomic(&opts.out_dir.join("verify.json"), serde_json::to_string_pretty(&rs)?.as_bytes())?;
    print_summary(&session, &written, &opts.out_dir);
    print!("{}", verify::render_all(&files, &rs));
    if let Some(readme) = &a.readme {
        let ran = session
            .columns
            .iter()
            .map(|c| (c.column.clone(), crate::claims_readme::ColumnInfo { kernel: c.kernel_release.clone(), verified_at: session.started_at.clone(), from: None }))
            .collect();
        crate::claims_readme::write(readme, &files, &rs, &ran).map_err(anyhow::Error::msg)?;
        println!("wrote {} (and {} next to it)", readme.display(), crate::claims_readme::STORE_FILE);
    }
    let code = verify::exit_code(&rs);
    if !session.build_errors.is_empty() && code == 0 {
        return Ok(1);
    }
    Ok(code)
}

/// `verify --results`: verdicts from the cells of earlier runs' results.json, nothing run.
fn verify_from_results(a: &VerifyArgs, files: &[verify::Loaded]) -> Result<i32> {
    use crate::model::{TestId, TestResult};
    let named: Vec<String> = files.iter().flat_map(|l| l.file.columns()).map(|c| c.name()).collect();
    let mut cols: Vec<(String, Vec<TestResult>)> = Vec::new();
    let mut ran = std::collections::BTreeMap::new();
    for p in &a.results {
        let doc = report::merge::read(p)?;
        for c in doc.columns.iter().filter(|c| named.contains(&c.column)) {
            if cols.iter().any(|(n, _)| *n == c.column) {
                anyhow::bail!("column {} is in more than one results file", c.column);
            }
            let mut results = Vec::new();
            for row in &doc.tests {
                if let Some(cell) = row.cells.get(&c.column) {
                    let id = TestId::parse(&row.id).map_err(anyhow::Error::msg)?;
                    results.push(TestResult { id, cell: cell.clone() });
                }
            }
            cols.push((c.column.clone(), results));
            ran.insert(
                c.column.clone(),
                crate::claims_readme::ColumnInfo {
                    kernel: c.kernel_release.clone(),
                    verified_at: doc.started_at.clone(),
                    from: Some(format!("results of the run started {} ({})", doc.started_at, p.display())),
                },
            );
        }
    }
    if cols.is_empty() {
        anyhow::bail!("none of the results files holds a column the claims name ({})", named.join(", "));
    }
    let view: Vec<(&str, &[TestResult])> = cols.iter().map(|(n, r)| (n.as_str(), r.as_slice())).collect();
    let rs = verify::verdicts_all_in(files, &view);
    print!("{}", verify::render_all(files, &rs));
    if let Some(out) = &a.common.out {
        std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
        crate::util::write_atomic(&out.join("verify.json"), serde_json::to_string_pretty(&rs)?.as_bytes())?;
    }
    if let Some(readme) = &a.readme {
        crate::claims_readme::write(readme, files, &rs, &ran).map_err(anyhow::Error::msg)?;
        println!("wrote {} (and {} next to it)", readme.display(), crate::claims_readme::STORE_FILE);
    }
    Ok(verify::exit_code(&rs))
}

fn selfcheck_cmd(a: &SelfcheckArgs) -> Result<i32> {
    if a.list {
        crate::selfcheck::list();
        return Ok(0);
    }
    crate::selfcheck::run(&crate::selfcheck::SelfcheckOptions {
        faults: a.faults.clone(),
        injector: a.injector.clone(),
        baseline: !a.no_baseline,
        out_dir: a.out.clone().unwrap_or_else(|| execute::default_out_dir().join("selfcheck")),
        quiet: a.quiet,
    })
}

fn catalog_cmd(a: &CatalogArgs) -> Result<i32> {
    let ws = crate::discover::Workspace::load(None)?;
    let cat = catalog::scan(&ws.root);
    if a.check {
        match crate::generated::check(&ws.root, &cat) {
            Ok(()) => {
                let with = cat.tests.iter().filter(|e| !e.variants.is_empty()).count();
                println!(
                    "docs/catalog.md and docs/catalog.json are current ({} tests, {with} report variants, none branches silently)",
                    cat.tests.len()
                );
                Ok(0)
            }
            Err(e) => {
                eprintln!("{e}");
                Ok(1)
            }
        }
    } else {
        if !a.observed.is_empty() {
            let n = crate::generated::observe(&ws.root, &cat, &a.observed)?;
            println!("recorded what {n} kernels showed in {} and {}", crate::generated::OBSERVED_FILE, crate::mechanisms::OBSERVED_FILE);
        }
        crate::generated::write(&ws.root, &cat)?;
        let uncited = cat.tests.iter().filter(|e| e.sources.is_empty()).count();
        let with = cat.tests.iter().filter(|e| !e.variants.is_empty()).count();
        println!(
            "wrote docs/catalog.md and docs/catalog.json: {} tests, {uncited} without a cited source, {with} reporting variants",
            cat.tests.len()
        );
        for e in &cat.errors {
            eprintln!("warning: {e}");
        }
        let quiet = catalog::silent(&cat);
        for q in &quiet {
            eprintln!("warning: {q}");
        }
        let table = crate::generated::table_problems(&ws.root, &cat);
        for p in &table {
            eprintln!("warning: {}: {p}", crate::mechanisms::TABLE_FILE);
        }
        Ok(if cat.errors.is_empty() && quiet.is_empty() && table.is_empty() { 0 } else { 1 })
    }
}

fn kernels_cmd(a: &KernelsArgs) -> Result<i32> {
    let cache = kernels::cache_dir(a.cache_dir.as_deref());
    if let Some(n) = &a.resolve {
        let k = kernels::known(n).ok_or_else(|| anyhow::anyhow!("unknown kernel {n:?}. Known kernels: {}", kernels::KNOWN_KERNELS.iter().map(|k| k.name).collect::<Vec<_>>().join(", ")))?;
        let (package, version) = kernels::newest(k, &cache)?;
        println!("{} {package} {version}", k.name);
        return Ok(0);
    }
    let mut names: Vec<String> = Vec::new();
    for n in &a.fetch {
        if n == "all" {
            names.extend(kernels::KNOWN_KERNELS.iter().map(|k| k.name.to_string()));
        } else {
            let k = kernels::known(n).ok_or_else(|| {
                anyhow::anyhow!(
                    "unknown kernel {n:?}. Known kernels: {}",
                    kernels::KNOWN_KERNELS.iter().map(|k| k.name).collect::<Vec<_>>().join(", ")
                )
            })?;
            names.push(k.name.to_string());
        }
    }
    for n in &names {
        let t = std::time::Instant::now();
        let k = kernels::resolve(&kernels::KernelRef::Debian(n.clone()), &cache, a.refresh)?;
        println!("fetched {n}: {} from {} in {}", k.release, k.source, crate::util::human(t.elapsed()));
    }
    println!("kernel cache: {}", cache.join("kernels").display());
    for k in kernels::KNOWN_KERNELS {
        match kernels::cached(k, &cache) {
            Some(img) => {
                println!("  {:<5} {:<10} {}  ({})", k.name, k.suite, img.release, img.source);
                for n in &img.config_notes {
                    println!("        note: {n}");
                }
            }
            None => println!("  {:<5} {:<10} not cached (fetched on first use, or: ipcspec kernels --fetch {})", k.name, k.suite, k.name),
        }
    }
    Ok(0)
}
