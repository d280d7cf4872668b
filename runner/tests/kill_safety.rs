//! Fault injection for issue 19: nothing on the machine stays changed, whatever kills a test
//! or the runner.
//!
//! 1. The global tests (every `suites/*/tests/global_*.rs` binary, run directly as
//!    `cargo test` would) are killed with SIGKILL at random moments within their run time —
//!    the whole process group, as nextest kills a test past its timeout, or the test process
//!    alone — then `ipcspec restore` runs, and the machine must be as it was before.
//! 2. Runs of the runner (`ipcspec verify` of the global tests: host, and a docker container
//!    and a VM where they can run) are killed at random moments with SIGKILL, SIGTERM or
//!    SIGINT, then `ipcspec restore` runs (what every runner start does first), and the
//!    machine must be as it was.
//!
//! "As it was": every /proc/sys value the suites touch (runner/src/leaks.rs), POSIX shared
//! memory and semaphores in /dev/shm and message queues (`ipcspec-*` of processes that are
//! gone), no process of the killed run (a marker in the environment of everything the test
//! starts), no journal entry of a process that is gone, no mount, nothing in the temporary
//! directory the killed processes were given, no container of a killed runner.
//!
//! Heavy (about three minutes): ignored unless asked for — .ci/kill-safety runs it (`cargo
//! nextest run --profile ci -p ipcspec --run-ignored only -E 'binary(kill_safety)'`), as root
//! and as uid 65534 — and in the global group of .config/nextest.toml. `IPCSPEC_KILLS_GLOBAL` and `IPCSPEC_KILLS_RUNNER` change the
//! numbers of kills (200 and 50), `IPCSPEC_KILL_SEED` replays a run (the seed is printed),
//! `IPCSPEC_KILL_TARGETS=host,docker:default,vm:6.1` chooses the runner's targets.
//! Needs root and a writable /proc/sys: skips otherwise (the CI's uid 65534 pass).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ipcspec_protocol::journal;

/// A small random generator (xorshift64*): the seed is printed, so a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// A random moment in [0, d].
    fn moment(&mut self, d: Duration) -> Duration {
        Duration::from_micros(self.below(d.as_micros() as u64 + 1))
    }

    /// A random moment in [10 ms, d], evenly spread over the logarithm of the time: as many
    /// kills in the quick start-up phases of a run as in its long test phase.
    fn log_moment(&mut self, d: Duration) -> Duration {
        let (lo, hi) = (0.010f64, d.as_secs_f64().max(0.011));
        let u = self.below(1_000_000) as f64 / 1_000_000.0;
        Duration::from_secs_f64(lo * (hi / lo).powf(u))
    }
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// What "the machine as it was" is made of.
#[derive(Clone, Debug, PartialEq, Default)]
struct State {
    sysctls: BTreeMap<String, String>,
    /// POSIX IPC objects (`ipcspec-*` in /dev/shm and the mqueue filesystem).
    ipc: BTreeSet<String>,
    /// Mounts whose line names ipcspec or the private temporary directory.
    mounts: BTreeSet<String>,
}

fn state(tmp: &Path, mq: &MqView) -> State {
    let mut s = State::default();
    for name in ipcspec::leaks::SYSCTLS {
        if let Ok(v) = fs::read_to_string(format!("/proc/sys/{name}")) {
            s.sysctls.insert(name.to_string(), v.split_whitespace().collect::<Vec<_>>().join(" "));
        }
    }
    for (dir, kind) in [(PathBuf::from("/dev/shm"), "shm"), (mq.dir(), "mq")] {
        for e in fs::read_dir(&dir).into_iter().flatten().flatten() {
            let n = e.file_name().to_string_lossy().into_owned();
            if n.starts_with("ipcspec-") || n.starts_with("sem.ipcspec-") {
                s.ipc.insert(format!("{kind}:{n}"));
            }
        }
    }
    let tmp_s = tmp.display().to_string();
    s.mounts = fs::read_to_string("/proc/self/mountinfo")
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains("ipcspec") || l.contains(&tmp_s))
        .map(|l| l.split_whitespace().skip(3).take(2).collect::<Vec<_>>().join(" "))
        .collect();
    s
}

/// The message queues of this IPC namespace: /dev/mqueue where it is mounted, else the
/// mqueue filesystem mounted in a private mount namespace of a helper process (seen
/// through /proc/<helper>/root), which lives as long as this value.
struct MqView {
    helper: Option<Child>,
    dir: PathBuf,
}

impl MqView {
    fn new(work: &Path) -> MqView {
        let mounted =
            fs::read_to_string("/proc/self/mounts").unwrap_or_default().lines().any(|l| l.split_whitespace().nth(1) == Some("/dev/mqueue"));
        if mounted {
            return MqView { helper: None, dir: "/dev/mqueue".into() };
        }
        let mnt = work.join("mq");
        fs::create_dir_all(&mnt).unwrap();
        let helper = Command::new("unshare")
            .args([
                "--mount",
                "--propagation",
                "private",
                "sh",
                "-c",
                "mount -t mqueue mqueue \"$1\" && echo ready && exec sleep 3600",
                "sh",
            ])
            .arg(&mnt)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("unshare (util-linux) to see the message queues");
        let mut helper = helper;
        let mut line = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(helper.stdout.take().unwrap()), &mut line).unwrap();
        assert_eq!(line.trim(), "ready", "mounting the mqueue filesystem in a private mount namespace failed");
        let dir = PathBuf::from(format!("/proc/{}/root{}", helper.id(), mnt.display()));
        MqView { helper: Some(helper), dir }
    }

    fn dir(&self) -> PathBuf {
        self.dir.clone()
    }
}

impl Drop for MqView {
    fn drop(&mut self) {
        if let Some(h) = &mut self.helper {
            let _ = h.kill();
            let _ = h.wait();
        }
    }
}

/// The pid in an object's name `ipcspec-<pid>-...` (after `sem.`).
fn creator(name: &str) -> Option<u32> {
    let base = name.split_once(':').map_or(name, |(_, n)| n);
    base.strip_prefix("sem.").unwrap_or(base).strip_prefix("ipcspec-")?.split('-').next()?.parse().ok()
}

/// Processes whose environment carries the marker this test gives everything it starts.
fn marked_processes(marker: &str) -> Vec<String> {
    let want = format!("IPCSPEC_KILL_TEST_MARK={marker}");
    let mut out = Vec::new();
    for e in fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else { continue };
        let Ok(env) = fs::read(format!("/proc/{pid}/environ")) else { continue };
        if env.split(|&b| b == 0).any(|kv| kv == want.as_bytes()) {
            let comm = fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
            out.push(format!("{pid} ({})", comm.trim()));
        }
    }
    out
}

/// Containers labelled with one of `owners` (runners this test killed).
fn containers_of(owners: &[String]) -> Vec<String> {
    if owners.is_empty() || !docker_works() {
        return vec![];
    }
    let mut out = Vec::new();
    let holds = Command::new("docker")
        .args(["images", "ipcspec-bundle-hold", "--format", "{{.Tag}}"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    for o in owners {
        let r = Command::new("docker").args(["ps", "-aq", "--filter", &format!("label=org.ipcspec.owner={o}")]).output();
        if let Ok(r) = r {
            out.extend(String::from_utf8_lossy(&r.stdout).lines().map(|l| format!("container {l} (owner {o})")));
        }
        // The tag that held its bundle image: `<pid>-<start>`.
        let mut parts = o.rsplitn(3, ':');
        if let (Some(start), Some(pid)) = (parts.next(), parts.next()) {
            let tag = format!("{pid}-{start}");
            if holds.lines().any(|t| t.trim() == tag) {
                out.push(format!("image tag ipcspec-bundle-hold:{tag}"));
            }
        }
    }
    out
}

fn docker_works() -> bool {
    static OK: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *OK.get_or_init(|| {
        Command::new("docker")
            .args(["info", "--format", "{{.ServerVersion}}"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// Everything that differs from `before` now, or is left behind: empty when the machine is
/// as it was.
fn differences(before: &State, tmp: &Path, mq: &MqView, marker: &str, killed_runners: &[String]) -> Vec<String> {
    let now = state(tmp, mq);
    let mut out = Vec::new();
    let dirs = journal::dirs();
    for (k, v) in &before.sysctls {
        let n = now.sysctls.get(k);
        let path = PathBuf::from(format!("/proc/sys/{k}"));
        // A live process of another run on this machine (a soak) may be changing it now: its
        // journal entry says so, and its guard puts it back.
        if n != Some(v) && !journal::changed_by_another(&dirs, &path) {
            out.push(format!("/proc/sys/{k} is {:?}, was {v:?}", n.map(String::as_str).unwrap_or("gone")));
        }
    }
    for o in now.ipc.difference(&before.ipc) {
        // Objects of live processes (other tests on the machine) are theirs.
        if creator(o).is_some_and(|p| journal::process_start(p).is_none()) {
            out.push(format!("IPC object {o} left behind"));
        }
    }
    for m in now.mounts.difference(&before.mounts) {
        out.push(format!("mount {m} left behind"));
    }
    for p in marked_processes(marker) {
        out.push(format!("process {p} left behind"));
    }
    for (f, e) in journal::all_entries(&dirs) {
        if !e.owner.is_alive() {
            out.push(format!("journal entry {} of a process that is gone ({} = {})", f.display(), e.path.display(), e.saved));
        }
    }
    if let Ok(rd) = fs::read_dir(tmp) {
        for e in rd.flatten() {
            out.push(format!("{} left in the temporary directory", e.path().display()));
        }
    }
    for c in containers_of(killed_runners) {
        out.push(format!("{c} left behind"));
    }
    out
}

/// Wait until the machine is as it was (a killed process's children take a moment to go),
/// at most 5 s; the differences that remain.
fn settle(before: &State, tmp: &Path, mq: &MqView, marker: &str, killed_runners: &[String]) -> Vec<String> {
    let t = Instant::now();
    loop {
        let d = differences(before, tmp, mq, marker, killed_runners);
        if d.is_empty() || t.elapsed() > Duration::from_secs(5) {
            return d;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Runs of the runner on this machine that this test did not start (pid and command line).
fn other_runners(marker: &str) -> Vec<String> {
    let mine = format!("IPCSPEC_KILL_TEST_MARK={marker}");
    let mut out = Vec::new();
    for e in fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else { continue };
        if fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == "ipcspec") {
            let env = fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
            let cmd = fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
            // `ipcspec guest` runs inside containers and VMs; only runners count.
            if !env.split(|&b| b == 0).any(|kv| kv == mine.as_bytes()) && !cmd.contains(" guest ") {
                out.push(format!("{pid}: {}", cmd.trim()));
            }
        }
    }
    out
}

/// `ipcspec restore`, as the next runner start does it; its output.
fn restore(tmp: &Path) -> String {
    let mut c = common::ipcspec();
    c.arg("restore").arg("--quiet").env("TMPDIR", tmp);
    let (code, out) = common::run(&mut c);
    assert!(code == 0, "ipcspec restore failed ({code}):\n{out}");
    out
}

/// The global tests' binaries, built.
fn global_binaries(ws: &ipcspec::discover::Workspace) -> Vec<PathBuf> {
    let suites: Vec<String> = ws
        .suites
        .iter()
        .filter(|(_, dir)| {
            fs::read_dir(dir.join("tests")).is_ok_and(|rd| rd.flatten().any(|e| e.file_name().to_string_lossy().starts_with("global_")))
        })
        .map(|(s, _)| s.clone())
        .collect();
    let build = ipcspec::discover::build(ws, &suites, false).expect("building the suites with global tests");
    assert!(build.errors.is_empty(), "suites do not build: {:?}", build.errors);
    build.binaries.into_iter().filter(|b| b.serial).map(|b| b.path).collect()
}

/// Start `bin` (its own process group, as nextest runs a test), marked, with `tmp` as TMPDIR.
fn spawn_marked(cmd: &mut Command, tmp: &Path, marker: &str) -> Child {
    cmd.env("IPCSPEC_KILL_TEST_MARK", marker)
        .env("TMPDIR", tmp)
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .expect("spawn")
}

fn signal(pid: i32, sig: i32) {
    // SAFETY: kill(2) of a process (group) this test started and has not reaped.
    unsafe { libc::kill(pid, sig) };
}

/// Run `child` for `after`, then send `sig` (to its process group when `group`), and reap
/// it. Whether it had ended by itself first.
fn kill_at(mut child: Child, after: Duration, sig: i32, group: bool) -> bool {
    let t = Instant::now();
    while t.elapsed() < after {
        if child.try_wait().unwrap().is_some() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(2).min(after.saturating_sub(t.elapsed())));
    }
    let pid = child.id() as i32;
    signal(if group { -pid } else { pid }, sig);
    // An interrupted runner cleans up before it exits (bounded by its own deadlines).
    let limit = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if limit.elapsed() > Duration::from_secs(60) {
            signal(-pid, libc::SIGKILL);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

/// The owner label a runner with this pid has (runner/src/leftovers.rs), read while it runs.
fn label_of(pid: u32) -> Option<String> {
    Some(journal::Owner { boot: journal::boot_id(), pid, start: journal::process_start(pid)? }.label())
}

struct Tally {
    kills: usize,
    ended_first: usize,
    states: usize,
    /// What the restores did (`restored`, `killed`, `removed`, ...: the first word of each line).
    restores: BTreeMap<String, usize>,
}

impl Tally {
    fn new() -> Tally {
        Tally { kills: 0, ended_first: 0, states: 0, restores: BTreeMap::new() }
    }

    fn count(&mut self, restore_output: &str) {
        for l in restore_output.lines().filter(|l| !l.trim().is_empty()) {
            let w = l.split_whitespace().next().unwrap_or("").trim_start_matches("ipcspec:").to_string();
            *self.restores.entry(w).or_default() += 1;
        }
    }
}

#[test]
#[ignore = "heavy (about three minutes): .ci/kill-safety runs it"]
fn random_kills_of_global_tests_and_of_the_runner_leave_the_machine_as_it_was() {
    skip_unless!(common::need_root());
    if fs::OpenOptions::new().write(true).open("/proc/sys/fs/pipe-max-size").is_err() {
        println!("\n{} /proc/sys is not writable here: the global tests cannot change anything", ipcspec_protocol::SKIP_MARKER);
        return;
    }
    let t0 = Instant::now();
    let seed = std::env::var("IPCSPEC_KILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64 | 1);
    println!("seed {seed} (IPCSPEC_KILL_SEED={seed} replays it)");
    let mut rng = Rng(seed);
    let marker = format!("{}-{seed}", std::process::id());
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf();
    let ws = ipcspec::discover::Workspace::load(Some(&root)).expect("the workspace");
    let globals = global_binaries(&ws);
    assert!(!globals.is_empty(), "no global_* test binary found");
    let work = tempfile::Builder::new().prefix("kill-safety-").tempdir().unwrap();
    let tmp = work.path().join("tmp");
    fs::create_dir_all(&tmp).unwrap();
    fs::set_permissions(&tmp, std::os::unix::fs::PermissionsExt::from_mode(0o1777)).unwrap();

    // The machine as it is, after whatever earlier runs left was restored.
    let first = restore(&tmp);
    if !first.trim().is_empty() {
        println!("restored before the test:\n{first}");
    }
    let mq = MqView::new(work.path());
    let before = state(&tmp, &mq);
    let d = settle(&before, &tmp, &mq, &marker, &[]);
    assert!(d.is_empty(), "the machine is not at rest before the test: {d:?}");

    // How long each binary runs when nothing kills it.
    let n_global = env_usize("IPCSPEC_KILLS_GLOBAL", 200);
    let mut runtimes = Vec::new();
    for b in globals.iter().filter(|_| n_global > 0) {
        let t = Instant::now();
        let mut c = spawn_marked(&mut Command::new(b), &tmp, &marker);
        c.wait().unwrap();
        runtimes.push(t.elapsed().max(Duration::from_millis(20)));
        let d = settle(&before, &tmp, &mq, &marker, &[]);
        assert!(d.is_empty(), "{} left something after a complete run: {d:?}", b.display());
    }

    // 1. The global tests, killed.
    let mut g = Tally::new();
    let mut i = 0;
    while g.kills < n_global {
        i += 1;
        let k = rng.below(globals.len() as u64) as usize;
        // Within the run time (a moment after its end is no kill: drawn again).
        let at = rng.moment(runtimes[k].mul_f64(0.9));
        let group = rng.below(2) == 0;
        let child = spawn_marked(&mut Command::new(&globals[k]), &tmp, &marker);
        if kill_at(child, at, libc::SIGKILL, group) {
            g.ended_first += 1;
        } else {
            g.kills += 1;
        }
        let out = restore(&tmp);
        g.count(&out);
        let d = settle(&before, &tmp, &mq, &marker, &[]);
        g.states += 1;
        assert!(
            d.is_empty(),
            "try {i}: {} killed with SIGKILL ({}) after {:?}; after `ipcspec restore`:\n{out}\nleft: {d:#?}\n(seed {seed})",
            globals[k].display(),
            if group { "process group" } else { "process" },
            at
        );
    }
    let t_global = t0.elapsed();

    // 2. Runs of the runner, killed. Containers and VMs pack the workspace's shared bundle
    // (target/ipcspec/bundle) with the tests they run: only when no other run of the runner
    // is going on this machine.
    let mut targets = vec!["host"];
    let others = other_runners(&marker);
    let asked = std::env::var("IPCSPEC_KILL_TARGETS").unwrap_or_default();
    if !asked.is_empty() {
        // Chosen (while developing: with a CARGO_TARGET_DIR of its own the bundle is not shared).
        targets = asked.split(',').map(str::trim).filter(|t| !t.is_empty()).map(|t| &*t.to_string().leak()).collect();
    } else if !others.is_empty() {
        println!("other runs of the runner are going ({}): the runner is killed on the host only", others.join(", "));
    } else {
        if docker_works() {
            targets.push("docker:default");
        }
        let kernel_cached = ipcspec::kernels::cache_dir(None).join("kernels/6.1").is_dir();
        if kernel_cached && ipcspec::util::on_path("qemu-system-x86_64") {
            targets.push("vm:6.1");
        }
    }
    let out_dir = work.path().join("out");
    // A small suite with global tests.
    let runner = |target: &str| -> Command {
        let mut c = common::ipcspec();
        c.args(["run", "-t", target, "-s", "posix_mq", "--format", "none", "-q", "--out"]).arg(&out_dir);
        c
    };
    // The window the kills fall in: a complete run on the host (measured, and checked to
    // leave nothing), 30 s for a container or a VM (image, boot and first tests).
    let mut windows = Vec::new();
    for t in &targets {
        if *t != "host" {
            windows.push(Duration::from_secs(30));
            continue;
        }
        let start = Instant::now();
        let mut c = spawn_marked(&mut runner(t), &tmp, &marker);
        let st = c.wait().unwrap();
        let took = start.elapsed();
        println!("a complete `ipcspec run -t {t} -s posix_mq`: {took:.1?} ({st})");
        let d = settle(&before, &tmp, &mq, &marker, &[]);
        assert!(d.is_empty(), "a complete run on {t} left something: {d:?}");
        windows.push(took);
    }
    let n_runner = env_usize("IPCSPEC_KILLS_RUNNER", 50);
    let mut r = Tally::new();
    let mut by_target: BTreeMap<&str, usize> = BTreeMap::new();
    let mut by_signal: BTreeMap<&str, usize> = BTreeMap::new();
    let mut i = 0;
    while r.kills < n_runner {
        i += 1;
        // Mostly the first (the host: the quickest); a container or a VM one time in five each.
        let k = match rng.below(10) {
            0 | 1 if targets.len() > 1 => 1,
            2 | 3 if targets.len() > 2 => 2,
            _ => 0,
        };
        // SIGINT as from `kill -INT` (the runner) or from a terminal's Ctrl-C (its process group).
        let (sig, sig_name, group) = match rng.below(10) {
            0 | 1 => (libc::SIGTERM, "SIGTERM", false),
            2 => (libc::SIGINT, "SIGINT", false),
            3 => (libc::SIGINT, "SIGINT (process group)", true),
            _ => (libc::SIGKILL, "SIGKILL", false),
        };
        let at = rng.log_moment(windows[k]);
        let child = spawn_marked(&mut runner(targets[k]), &tmp, &marker);
        // Its owner label, for its containers (read at once: the runner is just starting).
        let label = label_of(child.id());
        if kill_at(child, at, sig, group) {
            r.ended_first += 1;
        } else {
            r.kills += 1;
        }
        *by_target.entry(targets[k]).or_default() += 1;
        *by_signal.entry(sig_name).or_default() += 1;
        let out = restore(&tmp);
        r.count(&out);
        let owners: Vec<String> = label.into_iter().collect();
        let d = settle(&before, &tmp, &mq, &marker, &owners);
        r.states += 1;
        assert!(
            d.is_empty(),
            "runner kill {i}: `ipcspec run -s posix_mq` on {} killed with {sig_name} after {at:?}; after `ipcspec restore`:\n{out}\nleft: {d:#?}\n(seed {seed})",
            targets[k]
        );
    }
    let total = t0.elapsed();
    println!(
        "KILL-SAFETY: {} kills of global test binaries ({} more ended before their kill) in {:.0?}, the restores did {:?}; {} kills of the runner (tries by target {by_target:?}, by signal {by_signal:?}; {} more ended first) in {:.0?}, the restores did {:?}; {} states compared, nothing left; {:.0?} in all",
        g.kills,
        g.ended_first,
        t_global,
        g.restores,
        r.kills,
        r.ended_first,
        total - t_global,
        r.restores,
        g.states + r.states,
        total
    );
}
