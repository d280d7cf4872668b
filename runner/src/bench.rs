//! `ipcspec bench`: what each data-carrying mechanism costs, on the host and in docker's
//! modes, measured by the `ipcspec-bench` package (bench/) and reported here.
//!
//! The runner knows nothing about the mechanisms: it builds `ipcspec-bench` (release), runs it
//! on each target — directly on the host; in a container of each `docker:<mode>` with the
//! mode's flags, from a small image holding the binary and its libraries — reads the JSON
//! document it prints ([`BenchDoc`], schema `ipcspec-bench/1`), and writes `bench.json`
//! ([`BenchReport`]) and `bench.md`. `--record` keeps the report as
//! docs/mechanisms-bench.json, from which docs/mechanisms.md draws its bench section
//! ([`crate::generated::record_bench`], handed in by the CLI).
//!
//! VMs under emulation (TCG) time the emulator, not the kernel: `vm:` targets are refused
//! with that reason rather than measured.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use crate::container::cli::{DOCKER, LABEL_MODE, LABEL_OWNER, LABEL_ROLE, ROLE_RUN, docker};
use crate::container::modes::{Mode, PrivilegedAs, privileged_as};
use crate::discover::Workspace;
use crate::progress::Progress;
use crate::util::markdown_cell as esc;

/// What `ipcspec-bench` prints.
pub const DOC_SCHEMA: &str = "ipcspec-bench/1";
/// bench.json.
pub const REPORT_SCHEMA: &str = "ipcspec-bench-report/1";
/// The package and binary.
pub const PACKAGE: &str = "ipcspec-bench";
/// Where `--record` keeps the report (docs/mechanisms.md renders it).
pub const RECORD_FILE: &str = "docs/mechanisms-bench.json";
/// Repository of the image the docker targets run the binary from.
pub const IMAGE_REPO: &str = "ipcspec-bench";
/// Where the binary is inside that image.
pub const IMAGE_BINARY: &str = "/ipcspec/ipcspec-bench";

/// min / median / max over the runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    pub min: f64,
    pub median: f64,
    pub max: f64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    pub p50: Spread,
    pub p90: Spread,
    pub p99: Spread,
    pub mean: Spread,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Throughput {
    pub msgs_per_s: Spread,
    pub bytes_per_s: Spread,
}

/// One mechanism at one size.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BenchResult {
    pub mechanism: String,
    pub size: u64,
    pub runs: u32,
    /// The median latency of the runs spreads by at most the document's threshold.
    pub stable: bool,
    pub latency_ns: Latency,
    pub round_trips_per_s: Spread,
    #[serde(default)]
    pub round_trips_per_run: Spread,
    pub throughput: Throughput,
    /// Messages the receiver never saw (UDP), over all runs.
    #[serde(default)]
    pub lost: u64,
    /// Runs that failed (others succeeded).
    #[serde(default)]
    pub errors: Vec<String>,
}

/// A mechanism as the bench describes it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MechInfo {
    pub id: String,
    pub label: String,
    pub how: String,
    #[serde(default)]
    pub fixed_size: Option<u64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Skipped {
    pub mechanism: String,
    pub size: u64,
    pub why: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    pub runs: u32,
    pub max_runs: u32,
    pub sizes: Vec<u64>,
    pub latency_ms: u64,
    pub throughput_ms: u64,
    #[serde(default)]
    pub stable_if_p50_spread_at_most: f64,
}

/// The document `ipcspec-bench` prints.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BenchDoc {
    pub schema: String,
    pub tool: String,
    pub started_at_unix: u64,
    pub duration_ms: u64,
    pub kernel: String,
    pub cpu_model: String,
    pub cpus_online: u32,
    pub cpus_allowed: u32,
    pub pinning: String,
    pub uid: u32,
    pub load_before: Option<Vec<f64>>,
    pub load_after: Option<Vec<f64>>,
    pub settings: Settings,
    pub mechanisms: Vec<MechInfo>,
    pub results: Vec<BenchResult>,
    pub skipped: Vec<Skipped>,
}

impl BenchDoc {
    /// Parse and check the schema.
    pub fn parse(text: &str) -> Result<BenchDoc, String> {
        let d: BenchDoc = serde_json::from_str(text).map_err(|e| format!("not an {DOC_SCHEMA} document: {e}"))?;
        if d.schema != DOC_SCHEMA {
            return Err(format!("schema {:?}, expected {DOC_SCHEMA}", d.schema));
        }
        Ok(d)
    }

    pub fn label(&self, id: &str) -> String {
        self.mechanisms.iter().find(|m| m.id == id).map_or_else(|| id.to_string(), |m| m.label.clone())
    }

    pub fn result(&self, mechanism: &str, size: u64) -> Option<&BenchResult> {
        self.results.iter().find(|r| r.mechanism == mechanism && r.size == size)
    }

    /// Mechanism ids in the bench's order.
    pub fn mechanism_ids(&self) -> Vec<String> {
        self.mechanisms
            .iter()
            .map(|m| m.id.clone())
            .filter(|id| self.results.iter().any(|r| &r.mechanism == id) || self.skipped.iter().any(|s| &s.mechanism == id))
            .collect()
    }
}

/// One target's bench.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TargetBench {
    pub target: String,
    /// `host` or `docker`.
    pub kind: String,
    /// Timings of the kernel at the host's speed (false: emulated, or not run).
    pub comparable: bool,
    /// How it ran (the docker flags, ...).
    pub note: String,
    pub wall_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc: Option<BenchDoc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// bench.json.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BenchReport {
    pub schema: String,
    pub started_at: String,
    pub duration_ms: u64,
    /// /proc/loadavg when the command started (1, 5, 15 minutes).
    pub load_at_start: Vec<f64>,
    pub targets: Vec<TargetBench>,
}

/// What to measure.
#[derive(Clone, Debug)]
pub struct BenchOptions {
    pub targets: Vec<String>,
    /// Passed to ipcspec-bench as they are (`--runs 5`, ...).
    pub bench_args: Vec<String>,
    pub out_dir: PathBuf,
    /// `--record`: how to keep the report.
    pub record: Option<Recorder>,
    pub quiet: bool,
    /// Deadline of one target's bench.
    pub deadline: Duration,
}

/// `ipcspec bench`'s options.
#[derive(clap::Args, Debug, Clone)]
pub struct BenchArgs {
    /// Where to measure: host, docker:<mode>, either with /same-cpu (client and server on one
    /// CPU) (repeatable; default host). vm: targets are refused: under emulation they would
    /// time the emulator.
    #[arg(long = "target", short = 't', value_name = "TARGET")]
    pub targets: Vec<String>,
    /// Runs per mechanism and size (more, up to --max-runs, where they disagree).
    #[arg(long, default_value_t = 5)]
    pub runs: u32,
    #[arg(long, default_value_t = 8)]
    pub max_runs: u32,
    /// Message sizes in bytes (a mechanism that cannot carry one says why).
    #[arg(long, default_value = "64,4096,65536", value_name = "LIST")]
    pub sizes: String,
    /// Only these mechanisms (`ipcspec-bench --list` names them).
    #[arg(long, value_name = "LIST")]
    pub only: Option<String>,
    /// Milliseconds of round trips, and of one-way messages, per run.
    #[arg(long, default_value_t = 50)]
    pub latency_ms: u64,
    #[arg(long, default_value_t = 50)]
    pub throughput_ms: u64,
    /// Where bench.json and bench.md go (default: <workspace>/results/bench).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Keep the report as docs/mechanisms-bench.json and regenerate docs/mechanisms.md.
    #[arg(long)]
    pub record: bool,
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// Keeps a recorded report (its JSON text) under the workspace root and regenerates the page
/// that shows it; the CLI passes [`crate::generated::record_bench`] (this module does not
/// depend on the pages).
pub type Recorder = fn(&Path, &str) -> Result<()>;

/// `ipcspec bench` from its arguments.
pub fn command(a: &BenchArgs, recorder: Recorder) -> Result<i32> {
    if a.runs == 0 || a.max_runs < a.runs {
        bail!("--runs must be at least 1 and --max-runs at least --runs");
    }
    for s in a.sizes.split(',') {
        match s.trim().parse::<u64>() {
            Ok(n) if (16..=1 << 24).contains(&n) => {}
            _ => bail!("--sizes: {s:?} is not a size between 16 and 16777216 bytes"),
        }
    }
    let targets = if a.targets.is_empty() { vec!["host".to_string()] } else { a.targets.clone() };
    for t in &targets {
        parse_target(t).map_err(anyhow::Error::msg)?;
    }
    let mut bench_args: Vec<String> = vec![
        "--runs".into(),
        a.runs.to_string(),
        "--max-runs".into(),
        a.max_runs.to_string(),
        "--sizes".into(),
        a.sizes.replace(' ', ""),
        "--latency-ms".into(),
        a.latency_ms.to_string(),
        "--throughput-ms".into(),
        a.throughput_ms.to_string(),
    ];
    if let Some(o) = &a.only {
        bench_args.push("--only".into());
        bench_args.push(o.replace(' ', ""));
    }
    run(&BenchOptions {
        targets,
        bench_args,
        out_dir: a.out.clone().unwrap_or_else(|| crate::execute::default_out_dir().join("bench")),
        record: a.record.then_some(recorder),
        quiet: a.quiet,
        deadline: Duration::from_secs(600),
    })
}

/// /proc/loadavg's three averages.
pub fn loadavg() -> Vec<f64> {
    fs::read_to_string("/proc/loadavg").map(|s| s.split_whitespace().take(3).filter_map(|x| x.parse().ok()).collect()).unwrap_or_default()
}

/// A target the bench can run on: Ok(None) for the host, Ok(Some(mode)) for docker; either
/// with `/same-cpu` (client and server pinned to one CPU: what a cross-CPU wake-up costs is
/// the difference), returned as the second value.
pub fn parse_target(t: &str) -> Result<(Option<Mode>, bool), String> {
    let (base, same_cpu) = match t.strip_suffix("/same-cpu") {
        Some(b) => (b, true),
        None => (t, false),
    };
    if base == "host" {
        return Ok((None, same_cpu));
    }
    if let Some(m) = base.strip_prefix("docker:") {
        return Mode::parse(m).map(|m| (Some(m), same_cpu));
    }
    if t.starts_with("vm:") {
        return Err(format!(
            "{t}: not measured — a VM here runs under emulation (TCG: no KVM inside this machine), which times the emulator, not \
             the kernel; such figures are not comparable. Run `ipcspec bench` on the host or in docker:<mode>"
        ));
    }
    Err(format!("{t}: unknown bench target (host, docker:<mode>, either with /same-cpu)"))
}

/// `ipcspec bench`.
pub fn run(o: &BenchOptions) -> Result<i32> {
    let modes: Vec<(String, Option<Mode>, bool)> = o
        .targets
        .iter()
        .map(|t| parse_target(t).map(|(m, same)| (t.clone(), m, same)))
        .collect::<Result<_, _>>()
        .map_err(anyhow::Error::msg)?;
    let progress = Progress::new(o.quiet);
    let t0 = Instant::now();
    let report_start = crate::util::now_rfc3339();
    let load_at_start = loadavg();
    let ws = Workspace::load(None)?;
    progress.say(&format!("bench: building {PACKAGE} (release)"));
    let binary = build(&ws)?;
    let daemon = if modes.iter().any(|(_, m, _)| m.is_some()) { Some(crate::container::daemon::preflight(&progress)?) } else { None };
    let mut image: Option<Result<String, String>> = None;
    let mut targets = Vec::new();
    for (name, mode, same_cpu) in &modes {
        let t = Instant::now();
        let mut bench_args = o.bench_args.clone();
        if *same_cpu {
            bench_args.push("--same-cpu".into());
        }
        progress.say(&format!("bench: {name} (load {})", fmt_load(&loadavg())));
        let mut tb = TargetBench { target: name.clone(), kind: if mode.is_some() { "docker".into() } else { "host".into() }, comparable: true, ..Default::default() };
        let out = match mode {
            None => {
                tb.note = format!("{} on the host", binary.display());
                run_capture(Command::new(&binary).args(&bench_args).arg("--quiet"), o.deadline, None)
            }
            Some(m) => {
                let d = daemon.as_ref().expect("the daemon is checked when a docker target is asked for");
                let img = image.get_or_insert_with(|| make_image(&ws, &binary).map_err(|e| format!("{e:#}"))).clone();
                match img {
                    Err(e) => Err(anyhow::anyhow!("the bench image could not be built: {e}")),
                    Ok(img) => {
                        let owner = d.owner.label();
                        let privileged = if *m == Mode::Privileged { privileged_as(&img, &owner).map_err(anyhow::Error::msg) } else { Ok(PrivilegedAs::Full) };
                        match privileged {
                            Err(e) => Err(e),
                            Ok(p) => {
                                let (args, cname) = docker_args(*m, &p, &img, &owner, &bench_args);
                                tb.note = format!("docker {} on the host kernel, mode flags: {}", d.server_version, {
                                    let f = m.flags(&p);
                                    if f.is_empty() { "none".to_string() } else { f.join(" ") }
                                });
                                run_capture(Command::new(DOCKER).args(&args), o.deadline, Some(&cname))
                            }
                        }
                    }
                }
            }
        };
        tb.wall_ms = t.elapsed().as_millis() as u64;
        match out.and_then(|s| BenchDoc::parse(&s).map_err(anyhow::Error::msg)) {
            Ok(doc) => tb.doc = Some(doc),
            Err(e) => {
                tb.comparable = false;
                tb.error = Some(format!("{e:#}"));
            }
        }
        targets.push(tb);
    }
    let report = BenchReport {
        schema: REPORT_SCHEMA.into(),
        started_at: report_start,
        duration_ms: t0.elapsed().as_millis() as u64,
        load_at_start,
        targets,
    };
    fs::create_dir_all(&o.out_dir).with_context(|| format!("creating {}", o.out_dir.display()))?;
    let json = report_json(&report);
    crate::util::write_atomic(&o.out_dir.join("bench.json"), json.as_bytes())?;
    let md = to_markdown(&report, 1);
    crate::util::write_atomic(&o.out_dir.join("bench.md"), md.as_bytes())?;
    print!("{}", terminal(&report));
    println!("bench: {} in {}: bench.json, bench.md", crate::util::human(t0.elapsed()), o.out_dir.display());
    if let Some(record) = o.record {
        record(&ws.root, &json)?;
        println!("bench: recorded in {RECORD_FILE}; docs/mechanisms.md regenerated");
    }
    Ok(if report.targets.iter().all(|t| t.error.is_none()) { 0 } else { 1 })
}

/// bench.json's text.
pub fn report_json(r: &BenchReport) -> String {
    let mut s = serde_json::to_string_pretty(r).unwrap_or_default();
    s.push('\n');
    s
}

/// `cargo build --release -p ipcspec-bench`; the binary's path.
fn build(ws: &Workspace) -> Result<PathBuf> {
    let out = Command::new(crate::discover::cargo())
        .args(["build", "--release", "-p", PACKAGE, "--message-format", "short"])
        .current_dir(&ws.root)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .context("running cargo build")?;
    if !out.status.success() {
        bail!("cargo build --release -p {PACKAGE} failed:\n{}", String::from_utf8_lossy(&out.stderr).trim());
    }
    let bin = ws.target_dir.join("release").join(PACKAGE);
    if !bin.is_file() {
        bail!("{} is missing after the build", bin.display());
    }
    Ok(bin)
}

/// Run a command, its standard output captured, killed at the deadline (and the container
/// `cname` removed). Err: it failed, with its standard error.
fn run_capture(cmd: &mut Command, deadline: Duration, cname: Option<&str>) -> Result<String> {
    let mut child = cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().context("starting the bench")?;
    let mut stdout = child.stdout.take().expect("piped");
    let mut stderr = child.stderr.take().expect("piped");
    let out_t = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err_t = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let t = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait()? {
            break Some(st);
        }
        if t.elapsed() > deadline {
            let _ = child.kill();
            if let Some(n) = cname {
                let _ = docker(&["rm", "-f", n]);
            }
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let out = out_t.join().unwrap_or_default();
    let err = err_t.join().unwrap_or_default();
    match status {
        None => bail!("the bench did not finish within {} s (killed)", deadline.as_secs()),
        Some(st) if !st.success() => bail!("the bench failed ({st}): {}", err.trim()),
        Some(_) => Ok(out),
    }
}

/// `docker run` of the bench in a mode: removed when it ends, labelled like the test
/// containers (so a runner that dies leaves nothing: crate::container::cleanup), /tmp a
/// tmpfs (its FIFOs), the mode's flags. Pure; also returns the container's name.
pub fn docker_args(mode: Mode, privileged: &PrivilegedAs, image: &str, owner: &str, bench_args: &[String]) -> (Vec<String>, String) {
    let name = format!("ipcspec-bench-{}-{}", mode.name(), std::process::id());
    let mut a: Vec<String> = ["run", "--rm", "--name", &name].into_iter().map(String::from).collect();
    for (k, v) in [(LABEL_ROLE, ROLE_RUN), (LABEL_OWNER, owner), (LABEL_MODE, mode.name())] {
        a.push("--label".into());
        a.push(format!("{k}={v}"));
    }
    a.extend(["--tmpfs", "/tmp:rw,nosuid,nodev,exec,mode=1777", "-e", "TMPDIR=/tmp"].map(String::from));
    a.extend(mode.flags(privileged));
    a.extend(["--entrypoint", IMAGE_BINARY, image].map(String::from));
    a.extend(bench_args.iter().cloned());
    a.push("--quiet".into());
    (a, name)
}

/// The image `ipcspec-bench:<hash>`: the bench binary and the libraries it loads (and the
/// runner as /ipcspec/ipcspec, which `privileged`'s probe starts), FROM scratch. Reused while
/// its files are unchanged.
fn make_image(ws: &Workspace, binary: &Path) -> Result<String> {
    let runner = std::env::current_exe().context("finding the runner's own binary")?;
    let mut elves = vec![binary.to_path_buf(), runner.clone()];
    elves.sort();
    let libs = crate::bundle::shared_libraries(&elves)?;
    let mut files: Vec<(PathBuf, String)> = vec![(binary.to_path_buf(), IMAGE_BINARY.trim_start_matches('/').into()), (runner, crate::bundle::GUEST_EXECUTOR.trim_start_matches('/').into())];
    for l in libs {
        let rel = l.to_string_lossy().trim_start_matches('/').to_string();
        files.push((l, rel));
    }
    let mut h = crc32fast::Hasher::new();
    for (src, rel) in &files {
        h.update(rel.as_bytes());
        h.update(&fs::read(src).with_context(|| format!("reading {}", src.display()))?);
    }
    let tag = format!("{IMAGE_REPO}:{:08x}", h.finalize());
    if docker(&["image", "inspect", "--format", "{{.Id}}", &tag]).is_ok() {
        return Ok(tag);
    }
    let ctx = ws.target_dir.join("ipcspec/bench-image").join(format!("ctx-{}", std::process::id()));
    let _ = fs::remove_dir_all(&ctx);
    for (src, rel) in &files {
        let dest = ctx.join(rel);
        fs::create_dir_all(dest.parent().unwrap_or(&ctx))?;
        fs::copy(src, &dest).with_context(|| format!("copying {}", src.display()))?;
    }
    fs::create_dir_all(ctx.join("tmp"))?;
    fs::write(ctx.join("Dockerfile"), "FROM scratch\nCOPY . /\nLABEL org.ipcspec.role=bench\n")?;
    let r = docker(&["build", "-q", "-t", &tag, &ctx.to_string_lossy()]);
    let _ = fs::remove_dir_all(&ctx);
    r.with_context(|| format!("docker build of {tag}"))?;
    // Older bench images go.
    if let Ok(list) = docker(&["images", "--format", "{{.Repository}}:{{.Tag}}", IMAGE_REPO]) {
        for old in list.lines().map(str::trim).filter(|l| !l.is_empty() && *l != tag) {
            let _ = docker(&["rmi", old]);
        }
    }
    Ok(tag)
}

fn fmt_load(l: &[f64]) -> String {
    l.iter().map(|x| format!("{x:.2}")).collect::<Vec<_>>().join(" ")
}

/// `x` in the first unit whose threshold it reaches (the last one otherwise): steps of
/// (threshold, divisor, decimals, unit).
fn scaled(x: f64, steps: &[(f64, f64, usize, &str)]) -> String {
    let last = steps[steps.len() - 1];
    let (_, div, decimals, unit) = steps.iter().copied().find(|&(at, ..)| x >= at).unwrap_or(last);
    format!("{:.decimals$}{unit}", x / div)
}

/// 1234 ns -> "1.2 µs"; 12345678 -> "12.3 ms".
pub fn fmt_ns(ns: f64) -> String {
    scaled(ns, &[(1e6, 1e6, 1, " ms"), (1e4, 1e3, 0, " µs"), (1e3, 1e3, 1, " µs"), (0.0, 1.0, 0, " ns")])
}

/// Bytes per second in MB/s (10^6).
pub fn fmt_mbps(b: f64) -> String {
    scaled(b, &[(1e8, 1e6, 0, ""), (1e7, 1e6, 1, ""), (0.0, 1e6, 2, "")])
}

/// A count per second: 1234567 -> "1.23 M", 12345 -> "12.3 k".
pub fn fmt_rate(r: f64) -> String {
    scaled(r, &[(1e6, 1e6, 2, " M"), (1e3, 1e3, 1, " k"), (0.0, 1.0, 0, "")])
}

/// "64 B", "4 KiB", "64 KiB".
pub fn fmt_size(s: u64) -> String {
    if s >= 1024 && s.is_multiple_of(1024) { format!("{} KiB", s / 1024) } else { format!("{s} B") }
}

fn spread_cell(s: &Spread, f: fn(f64) -> String) -> String {
    format!("{} ({}–{})", f(s.median), f(s.min), f(s.max))
}

/// The sizes of a document, in order: those asked for (a mechanism of one fixed size, such as
/// eventfd's 8 bytes, is shown in the first column: [`cell_result`]).
fn sizes(d: &BenchDoc) -> Vec<u64> {
    let fixed = |s: u64| d.mechanisms.iter().any(|m| m.fixed_size == Some(s)) && !d.settings.sizes.contains(&s);
    let mut v: Vec<u64> = d.results.iter().map(|r| r.size).chain(d.skipped.iter().map(|s| s.size)).filter(|s| !fixed(*s)).collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// The result shown for a mechanism in the column of `size`: its own, or for a mechanism of
/// one fixed size its only result in the first column (with that size to say so).
fn cell_result<'a>(d: &'a BenchDoc, id: &str, size: u64, first: bool) -> Option<(&'a BenchResult, Option<u64>)> {
    match d.mechanisms.iter().find(|m| m.id == id).and_then(|m| m.fixed_size) {
        Some(f) if f != size => first.then(|| d.result(id, f).map(|r| (r, Some(f)))).flatten(),
        _ => d.result(id, size).map(|r| (r, None)),
    }
}

/// One table of a document, a row per mechanism and two columns per size (`heads`, after the
/// size): `cells` writes a result's two cells; a size without a result gets dashes.
fn size_table(md: &mut String, d: &BenchDoc, sz: &[u64], heads: [&str; 2], cells: impl Fn(&BenchResult, Option<u64>) -> String) {
    md.push_str("| mechanism |");
    for s in sz {
        md.push_str(&format!(" {} {} | {} |", fmt_size(*s), heads[0], heads[1]));
    }
    md.push_str("\n|---|");
    for _ in sz {
        md.push_str("---:|---:|");
    }
    md.push('\n');
    for id in d.mechanism_ids() {
        md.push_str(&format!("| {} |", d.label(&id)));
        for (i, s) in sz.iter().enumerate() {
            match cell_result(d, &id, *s, i == 0) {
                Some((r, fixed)) => md.push_str(&cells(r, fixed)),
                None => md.push_str(" – | – |"),
            }
        }
        md.push('\n');
    }
}

/// ` (64 B)` after a cell that shows a fixed-size mechanism's only size.
fn fixed_note(fixed: Option<u64>) -> String {
    fixed.map(|f| format!(" ({})", fmt_size(f))).unwrap_or_default()
}

/// The tables of one target's document: latency (median p50 with its min–max over runs,
/// median p99) and throughput per mechanism and size, then what was not measured. `h` is the
/// heading level of the tables' headings.
pub fn doc_markdown(d: &BenchDoc, h: usize) -> String {
    let hs = "#".repeat(h);
    let mut md = String::new();
    let sz = sizes(d);
    md.push_str(&format!(
        "Kernel {}, {} ({} CPUs online, {} allowed), {}; uid {}; {} run(s) per combination (up to {} where the median latency spread more than {:.0}%), {} ms of round trips and {} ms of one-way messages per run; load average {} before, {} after.\n\n",
        d.kernel,
        if d.cpu_model.is_empty() { "unknown CPU" } else { &d.cpu_model },
        d.cpus_online,
        d.cpus_allowed,
        d.pinning,
        d.uid,
        d.settings.runs,
        d.settings.max_runs,
        d.settings.stable_if_p50_spread_at_most * 100.0,
        d.settings.latency_ms,
        d.settings.throughput_ms,
        d.load_before.as_deref().map(fmt_load).unwrap_or_else(|| "?".into()),
        d.load_after.as_deref().map(fmt_load).unwrap_or_else(|| "?".into()),
    ));
    md.push_str(&format!("{hs} Round-trip latency\n\n"));
    md.push_str("Median of the runs' p50 (their min–max), and the median p99; `*`: the runs' p50 spread more than the threshold.\n\n");
    size_table(&mut md, d, &sz, ["p50", "p99"], |r, fixed| {
        format!(
            " {}{}{} | {} |",
            spread_cell(&r.latency_ns.p50, fmt_ns),
            if r.stable { "" } else { " *" },
            fixed_note(fixed),
            fmt_ns(r.latency_ns.p99.median)
        )
    });
    md.push_str(&format!("\n{hs} Throughput, one way\n\n"));
    md.push_str("MB/s (10^6 bytes) and messages per second: medians of the runs (their min–max for MB/s).\n\n");
    size_table(&mut md, d, &sz, ["MB/s", "msg/s"], |r, fixed| {
        format!(" {}{} | {} |", spread_cell(&r.throughput.bytes_per_s, fmt_mbps), fixed_note(fixed), fmt_rate(r.throughput.msgs_per_s.median))
    });
    let lossy: Vec<String> = d.results.iter().filter(|r| r.lost > 0).map(|r| format!("{} at {}: {} lost", d.label(&r.mechanism), fmt_size(r.size), r.lost)).collect();
    if !lossy.is_empty() {
        md.push_str(&format!("\nMessages lost in the throughput runs: {}.\n", lossy.join("; ")));
    }
    if !d.skipped.is_empty() {
        md.push_str("\nNot measured:\n\n");
        for s in &d.skipped {
            md.push_str(&format!("- {} at {}: {}\n", d.label(&s.mechanism), fmt_size(s.size), esc(&s.why)));
        }
    }
    let errs: Vec<String> = d.results.iter().filter(|r| !r.errors.is_empty()).map(|r| format!("{} at {}: {}", d.label(&r.mechanism), fmt_size(r.size), r.errors.join("; "))).collect();
    if !errs.is_empty() {
        md.push_str("\nRuns that failed (the others are reported):\n\n");
        for e in errs {
            md.push_str(&format!("- {}\n", esc(&e)));
        }
    }
    md.push_str("\nHow each channel is made:\n\n");
    for m in &d.mechanisms {
        md.push_str(&format!("- **{}** (`{}`): {}\n", m.label, m.id, esc(&m.how)));
    }
    md
}

/// bench.md (`h`: the level of its top heading).
pub fn to_markdown(r: &BenchReport, h: usize) -> String {
    let hs = "#".repeat(h);
    let mut md = format!("{hs} ipcspec bench\n\n");
    md.push_str(&format!(
        "Started {}, {} in all; load average at the start {}.\n\n",
        r.started_at,
        crate::util::human_ms(r.duration_ms),
        fmt_load(&r.load_at_start)
    ));
    for t in &r.targets {
        md.push_str(&format!("{hs}# {}\n\n", t.target));
        if !t.note.is_empty() {
            md.push_str(&format!("{} ({}).", esc(&t.note), crate::util::human_ms(t.wall_ms)));
            md.push_str(if t.comparable { "\n\n" } else { " **Not comparable.**\n\n" });
        }
        match (&t.doc, &t.error) {
            (Some(d), _) => md.push_str(&doc_markdown(d, h + 2)),
            (None, Some(e)) => md.push_str(&format!("Not measured: {}\n", esc(e))),
            (None, None) => md.push_str("Not measured.\n"),
        }
        md.push('\n');
    }
    md
}

/// The terminal's summary: median p50 latency and MB/s per mechanism and size, per target.
pub fn terminal(r: &BenchReport) -> String {
    let mut s = String::new();
    for t in &r.targets {
        s.push_str(&format!("{}:", t.target));
        let Some(d) = &t.doc else {
            s.push_str(&format!(" not measured: {}\n", t.error.as_deref().unwrap_or("?")));
            continue;
        };
        s.push_str(&format!(" kernel {}, {}, load {} -> {}\n", d.kernel, d.pinning, d.load_before.as_deref().map(fmt_load).unwrap_or_default(), d.load_after.as_deref().map(fmt_load).unwrap_or_default()));
        let sz = sizes(d);
        s.push_str(&format!("  {:<28}", "p50 round trip | MB/s"));
        for z in &sz {
            s.push_str(&format!("{:>22}", fmt_size(*z)));
        }
        s.push('\n');
        for id in d.mechanism_ids() {
            s.push_str(&format!("  {:<28}", d.label(&id)));
            for (i, z) in sz.iter().enumerate() {
                let c = cell_result(d, &id, *z, i == 0)
                    .map(|(r, _)| format!("{} | {}", fmt_ns(r.latency_ns.p50.median), fmt_mbps(r.throughput.bytes_per_s.median)))
                    .unwrap_or_else(|| "–".into());
                s.push_str(&format!("{c:>22}"));
            }
            s.push('\n');
        }
    }
    s
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn doc() -> BenchDoc {
        let sp = |m: f64| Spread { min: m * 0.9, median: m, max: m * 1.2 };
        BenchDoc {
            schema: DOC_SCHEMA.into(),
            tool: "ipcspec-bench 0.1.0".into(),
            kernel: "6.1.0".into(),
            cpu_model: "Test CPU".into(),
            cpus_online: 2,
            cpus_allowed: 2,
            pinning: "client on CPU 0, server on CPU 1 (a 2-CPU machine: one CPU each)".into(),
            load_before: Some(vec![0.1, 0.2, 0.3]),
            load_after: Some(vec![0.4, 0.5, 0.6]),
            settings: Settings { runs: 5, max_runs: 8, sizes: vec![64, 4096], latency_ms: 50, throughput_ms: 50, stable_if_p50_spread_at_most: 0.25 },
            mechanisms: vec![
                MechInfo { id: "pipe".into(), label: "pipe".into(), how: "two pipes".into(), fixed_size: None },
                MechInfo { id: "udp".into(), label: "UDP loopback".into(), how: "x|y".into(), fixed_size: None },
                MechInfo { id: "eventfd".into(), label: "eventfd".into(), how: "counters".into(), fixed_size: Some(8) },
            ],
            results: vec![
                BenchResult {
                    mechanism: "pipe".into(),
                    size: 64,
                    runs: 5,
                    stable: true,
                    latency_ns: Latency { p50: sp(8000.0), p90: sp(9000.0), p99: sp(20000.0), mean: sp(8500.0) },
                    round_trips_per_s: sp(120000.0),
                    throughput: Throughput { msgs_per_s: sp(900000.0), bytes_per_s: sp(57.6e6) },
                    ..Default::default()
                },
                BenchResult { mechanism: "udp".into(), size: 64, runs: 5, stable: false, lost: 3, ..Default::default() },
                BenchResult {
                    mechanism: "eventfd".into(),
                    size: 8,
                    runs: 5,
                    stable: true,
                    latency_ns: Latency { p50: sp(5000.0), ..Default::default() },
                    ..Default::default()
                },
            ],
            skipped: vec![Skipped { mechanism: "udp".into(), size: 4096, why: "too <big>".into() }],
            ..Default::default()
        }
    }

    #[test]
    fn a_document_reads_back_and_renders() {
        let d = doc();
        let text = serde_json::to_string(&d).unwrap();
        assert_eq!(BenchDoc::parse(&text).unwrap(), d);
        assert!(BenchDoc::parse("{}").is_err());
        assert!(BenchDoc::parse(&text.replace(DOC_SCHEMA, "other/1")).unwrap_err().contains("schema"));
        let md = doc_markdown(&d, 3);
        assert!(md.contains("| pipe | 8.0 µs (7.2 µs–9.6 µs) | 20 µs | – | – |"), "{md}");
        assert!(md.contains("| pipe | 57.6 (51.8–69.1) | 900.0 k |"), "{md}");
        assert!(md.contains(" *"), "an unstable combination is marked: {md}");
        assert!(md.contains("- UDP loopback at 4 KiB: too &lt;big&gt;"), "{md}");
        assert!(md.contains("UDP loopback at 64 B: 3 lost"), "{md}");
        assert!(md.contains("(`udp`): x\\|y"), "{md}");
        assert_eq!(d.mechanism_ids(), ["pipe", "udp", "eventfd"]);
        assert!(md.contains("| eventfd | 5.0 µs (4.5 µs–6.0 µs) (8 B) | 0 ns | – | – |"), "a fixed size in the first column: {md}");
        assert!(!md.contains("8 B p50"), "{md}");
    }

    #[test]
    fn a_report_says_what_was_not_measured() {
        let r = BenchReport {
            schema: REPORT_SCHEMA.into(),
            started_at: "2026-12-07T00:00:00Z".into(),
            duration_ms: 61000,
            load_at_start: vec![0.5, 0.4, 0.3],
            targets: vec![
                TargetBench { target: "host".into(), kind: "host".into(), comparable: true, note: "on the host".into(), wall_ms: 50000, doc: Some(doc()), error: None },
                TargetBench { target: "docker:default".into(), kind: "docker".into(), comparable: false, note: "docker".into(), wall_ms: 1, doc: None, error: Some("no daemon".into()) },
            ],
        };
        let back: BenchReport = serde_json::from_str(&report_json(&r)).unwrap();
        assert_eq!(back, r);
        let md = to_markdown(&r, 2);
        assert!(md.starts_with("## ipcspec bench\n"), "{md}");
        assert!(md.contains("### docker:default\n\ndocker (") && md.contains(" **Not comparable.**\n\nNot measured: no daemon"), "{md}");
        let t = terminal(&r);
        assert!(t.contains("docker:default: not measured: no daemon"), "{t}");
        assert!(t.contains("8.0 µs | 57.6"), "{t}");
    }

    #[test]
    fn targets_and_docker_arguments() {
        assert_eq!(parse_target("host"), Ok((None, false)));
        assert_eq!(parse_target("host/same-cpu"), Ok((None, true)));
        assert_eq!(parse_target("docker:shm-small"), Ok((Some(Mode::ShmSmall), false)));
        assert!(parse_target("host/nobody").is_err());
        assert!(parse_target("vm:6.1").unwrap_err().contains("not comparable"));
        assert!(parse_target("docker:nope").is_err() && parse_target("gvisor").is_err());
        let (a, name) = docker_args(Mode::IpcHost, &PrivilegedAs::Full, "ipcspec-bench:0badcafe", "b:1:2", &["--runs".into(), "5".into()]);
        let a = a.join(" ");
        assert!(a.starts_with(&format!("run --rm --name {name} --label org.ipcspec.role=run --label org.ipcspec.owner=b:1:2")), "{a}");
        assert!(a.contains("--ipc=host --entrypoint /ipcspec/ipcspec-bench ipcspec-bench:0badcafe --runs 5 --quiet"), "{a}");
    }

    #[test]
    fn numbers_read_well() {
        assert_eq!(fmt_ns(512.0), "512 ns");
        assert_eq!(fmt_ns(7500.0), "7.5 µs");
        assert_eq!(fmt_ns(75000.0), "75 µs");
        assert_eq!(fmt_ns(12_345_678.0), "12.3 ms");
        assert_eq!(fmt_size(65536), "64 KiB");
        assert_eq!(fmt_size(100), "100 B");
        assert_eq!(fmt_rate(1_234_567.0), "1.23 M");
        assert_eq!(fmt_mbps(1.5e9), "1500");
    }
}
