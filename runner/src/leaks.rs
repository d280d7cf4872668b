//! The leak checker: what the suites may leave behind on the machine, compared before and
//! after a run of the host target (on by default; `IPCSPEC_LEAK_CHECK=0` turns it off).
//!
//! Looked at (docs/trust.md):
//! - POSIX shared memory and named semaphores: `/dev/shm/ipcspec-*`, `/dev/shm/sem.ipcspec-*`;
//! - POSIX message queues: `/dev/mqueue/ipcspec-*`, or, where the mqueue filesystem is not
//!   mounted, the same listing from a private mount namespace (`unshare --mount`; root only);
//! - FIFOs, socket files and scratch directories: `$TMPDIR/ipcspec-*`;
//! - processes: any process whose environment names a nextest test (`NEXTEST_BINARY_ID`), and
//!   zombies whose command name is one of the run's test binaries;
//! - locks in /proc/locks held by a process that no longer exists or on a file in a scratch
//!   directory;
//! - /proc/sys values the suites change (and must restore).
//!
//! Anything present after the run and not before is a leak. Names of POSIX IPC objects carry
//! the creating pid (fixtures::names::unique); a leaked process names its test in its
//! environment (`NEXTEST_TEST_NAME`); otherwise the tests that were running when the object was
//! created (its ctime against the JUnit timestamps) are named as candidates.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::model::{ColumnRun, Outcome, TestId, TestResult};

/// The prefix of every object the suites create (fixtures::names::PREFIX).
pub const PREFIX: &str = "ipcspec-";

/// The /proc/sys values the suites change under a guard: they must be back after a run.
pub const SYSCTLS: &[&str] = &[
    "fs/mqueue/msg_max",
    "fs/mqueue/msgsize_max",
    "fs/mqueue/msg_default",
    "fs/mqueue/msgsize_default",
    "fs/mqueue/queues_max",
    "fs/pipe-max-size",
    "fs/pipe-user-pages-soft",
    "fs/pipe-user-pages-hard",
    "fs/suid_dumpable",
    "fs/epoll/max_user_watches",
    "kernel/msgmax",
    "kernel/msgmnb",
    "kernel/msgmni",
    "kernel/sem",
    "kernel/shmmax",
    "kernel/shmall",
    "kernel/shmmni",
    "kernel/shm_rmid_forced",
    "kernel/pid_max",
    "kernel/yama/ptrace_scope",
    "net/core/somaxconn",
    "net/core/rmem_max",
    "net/core/wmem_max",
    "net/core/rmem_default",
    "net/core/wmem_default",
    "net/unix/max_dgram_qlen",
    "vm/memfd_noexec",
];

/// Is the checker on? (`IPCSPEC_LEAK_CHECK=0` turns it off.)
pub fn enabled() -> bool {
    !matches!(std::env::var(ipcspec_protocol::env::LEAK_CHECK).as_deref(), Ok("0") | Ok("off") | Ok("no"))
}

/// One object found on the machine.
#[derive(Clone, Debug, PartialEq)]
pub struct Object {
    /// shm, sem, mq, scratch, fifo, socket, file, process, zombie, lock, sysctl.
    pub kind: &'static str,
    /// Path, pid, lock line or sysctl name: what a person would look for.
    pub name: String,
    /// The pid that created or holds it, when known.
    pub pid: Option<i32>,
    /// Creation (change) time, seconds since the epoch, when known.
    pub ctime: Option<f64>,
    /// The test that owns it, when the object says (a process's NEXTEST_TEST_NAME).
    pub test: Option<String>,
    /// Anything else worth showing (a command line, a value).
    pub detail: String,
    /// The owning uid, when known (tells a root run's objects from a nobody run's).
    pub owner: Option<u32>,
    /// A process's NEXTEST_RUN_ID (tells this run's processes from another run's).
    pub run: Option<String>,
}

/// What a snapshot saw, by key.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    pub objects: BTreeMap<String, Object>,
    pub sysctls: BTreeMap<String, String>,
    /// What could not be looked at (e.g. message queues without root).
    pub notes: Vec<String>,
}

/// A leak: an object present after the run that was not there before.
#[derive(Clone, Debug, PartialEq)]
pub struct Leak {
    pub object: Object,
    /// Tests that were running when it was created (exactly one: its test).
    pub candidates: Vec<String>,
}

impl Leak {
    pub fn describe(&self) -> String {
        let o = &self.object;
        let mut s = format!("{} {}", o.kind, o.name);
        if !o.detail.is_empty() {
            s.push_str(&format!(" ({})", o.detail));
        }
        if let Some(p) = o.pid {
            s.push_str(&format!(", pid {p}"));
        }
        match (&o.test, self.candidates.len()) {
            (Some(t), _) => s.push_str(&format!(", left by {t}")),
            (None, 0) => {}
            (None, 1) => s.push_str(&format!(", left by {}", self.candidates[0])),
            (None, _) => s.push_str(&format!(", left by one of: {}", self.candidates.join(", "))),
        }
        s
    }
}

/// Where to look (overridable for tests).
#[derive(Clone, Debug)]
pub struct Places {
    pub shm: PathBuf,
    pub tmp: PathBuf,
    pub mqueue: Option<PathBuf>,
    pub proc_sys: PathBuf,
    /// Command names (comm, 15 bytes) of the run's test binaries, for zombies.
    pub comms: BTreeSet<String>,
}

impl Default for Places {
    fn default() -> Self {
        Places {
            shm: PathBuf::from("/dev/shm"),
            tmp: std::env::temp_dir(),
            mqueue: None,
            proc_sys: PathBuf::from("/proc/sys"),
            comms: BTreeSet::new(),
        }
    }
}

impl Places {
    /// The default places plus the comm names of these test binaries.
    pub fn for_binaries<'a>(paths: impl IntoIterator<Item = &'a Path>) -> Places {
        let mut p = Places::default();
        for b in paths {
            if let Some(n) = b.file_name().and_then(|n| n.to_str()) {
                p.comms.insert(n.chars().take(15).collect());
            }
        }
        p
    }
}

/// Look at everything now.
pub fn snapshot(places: &Places) -> Snapshot {
    let mut s = Snapshot::default();
    scan_dir(&mut s, &places.shm, "shm");
    scan_tmp(&mut s, &places.tmp);
    scan_mqueue(&mut s, places.mqueue.as_deref());
    scan_processes(&mut s, &places.comms);
    scan_locks(&mut s, &places.tmp);
    for name in SYSCTLS {
        if let Ok(v) = fs::read_to_string(places.proc_sys.join(name)) {
            s.sysctls.insert(name.to_string(), v.split_whitespace().collect::<Vec<_>>().join(" "));
        }
    }
    s
}

fn insert(s: &mut Snapshot, key: String, o: Object) {
    s.objects.insert(key, o);
}

/// The pid inside "ipcspec-<pid>-<nonce>-<n>-<tag>" (after an optional "sem.").
pub fn pid_of_name(name: &str) -> Option<i32> {
    let rest = name.strip_prefix("sem.").unwrap_or(name).strip_prefix(PREFIX)?;
    rest.split('-').next()?.parse().ok()
}

fn ctime_of(m: &fs::Metadata) -> f64 {
    m.ctime() as f64 + m.ctime_nsec() as f64 / 1e9
}

fn scan_dir(s: &mut Snapshot, dir: &Path, what: &'static str) {
    let Ok(rd) = fs::read_dir(dir) else { return };
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let kind = if name.starts_with("sem.ipcspec-") {
            "sem"
        } else if name.starts_with(PREFIX) {
            what
        } else {
            continue;
        };
        let p = e.path();
        let m = fs::symlink_metadata(&p).ok();
        insert(
            s,
            format!("{kind}:{}", p.display()),
            Object {
                kind,
                name: p.display().to_string(),
                pid: pid_of_name(&name),
                ctime: m.as_ref().map(ctime_of),
                test: None,
                detail: String::new(),
                owner: m.as_ref().map(|m| m.uid()),
                run: None,
            },
        );
    }
}

fn scan_tmp(s: &mut Snapshot, tmp: &Path) {
    let Ok(rd) = fs::read_dir(tmp) else { return };
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.starts_with(PREFIX) {
            continue;
        }
        let p = e.path();
        let Ok(m) = fs::symlink_metadata(&p) else { continue };
        let ft = m.file_type();
        let kind = if ft.is_dir() {
            "scratch"
        } else if ft.is_fifo() {
            "fifo"
        } else if ft.is_socket() {
            "socket"
        } else {
            "file"
        };
        let mut detail = String::new();
        if ft.is_dir() {
            let inside: Vec<String> = fs::read_dir(&p)
                .map(|rd| rd.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).take(5).collect())
                .unwrap_or_default();
            if !inside.is_empty() {
                detail = format!("holds {}", inside.join(", "));
            }
        }
        insert(
            s,
            format!("{kind}:{}", p.display()),
            Object { kind, name: p.display().to_string(), pid: pid_of_name(&name), ctime: Some(ctime_of(&m)), test: None, detail, owner: Some(m.uid()), run: None },
        );
    }
}

fn is_mqueue_mount(dir: &Path) -> bool {
    let Ok(m) = fs::read_to_string("/proc/self/mounts") else { return false };
    m.lines().any(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        f.len() > 2 && f[2] == "mqueue" && Path::new(f[1]) == dir
    })
}

fn scan_mqueue(s: &mut Snapshot, dir: Option<&Path>) {
    let dir = dir.map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("/dev/mqueue"));
    if is_mqueue_mount(&dir) {
        scan_dir(s, &dir, "mq");
        return;
    }
    // Not mounted: mount it in a private mount namespace (it shows this IPC namespace's queues).
    if !nix::unistd::geteuid().is_root() || !crate::util::on_path("unshare") {
        s.notes.push("message queues not checked: the mqueue filesystem is not mounted and listing it needs root and unshare(1)".into());
        return;
    }
    let mnt = std::env::temp_dir().join(format!(".ipcspec-leakcheck-mq-{}", std::process::id()));
    let _ = fs::create_dir_all(&mnt);
    let script = "mount -t mqueue mqueue \"$1\" && cd \"$1\" && for f in ipcspec-*; do [ -e \"$f\" ] && stat -c '%Z %u %n' \"$f\"; done; true";
    let out = Command::new("unshare")
        .args(["--mount", "--propagation", "private", "sh", "-c", script, "sh"])
        .arg(&mnt)
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .output();
    let _ = fs::remove_dir(&mnt);
    match out {
        Ok(o) if o.status.success() => {
            for line in String::from_utf8_lossy(&o.stdout).lines() {
                let mut f = line.splitn(3, ' ');
                let (Some(t), Some(uid), Some(name)) = (f.next(), f.next(), f.next()) else { continue };
                let path = format!("/dev/mqueue/{name}");
                insert(
                    s,
                    format!("mq:{path}"),
                    Object {
                        kind: "mq",
                        name: path,
                        pid: pid_of_name(name),
                        ctime: t.parse().ok(),
                        test: None,
                        detail: String::new(),
                        owner: uid.parse().ok(),
                        run: None,
                    },
                );
            }
        }
        Ok(o) => s.notes.push(format!("message queues not checked: mounting mqueue failed: {}", String::from_utf8_lossy(&o.stderr).trim())),
        Err(e) => s.notes.push(format!("message queues not checked: unshare: {e}")),
    }
}

fn environ_var(pid: i32, var: &str) -> Option<String> {
    let env = fs::read(format!("/proc/{pid}/environ")).ok()?;
    let want = format!("{var}=");
    env.split(|&b| b == 0)
        .find_map(|kv| std::str::from_utf8(kv).ok()?.strip_prefix(want.as_str()).map(str::to_string))
}

fn scan_processes(s: &mut Snapshot, comms: &BTreeSet<String>) {
    let me = std::process::id() as i32;
    let Ok(rd) = fs::read_dir("/proc") else { return };
    for e in rd.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|n| n.parse::<i32>().ok()) else { continue };
        if pid == me {
            continue;
        }
        let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else { continue };
        // pid (comm) state ppid ...
        let (Some(l), Some(r)) = (stat.find('('), stat.rfind(')')) else { continue };
        let comm = stat[l + 1..r].to_string();
        let state = stat[r + 1..].split_whitespace().next().unwrap_or("?").to_string();
        let ppid = stat[r + 1..].split_whitespace().nth(1).unwrap_or("?").to_string();
        let binary = environ_var(pid, "NEXTEST_BINARY_ID");
        let zombie_of_a_test = state == "Z" && comms.contains(&comm);
        if binary.is_none() && !zombie_of_a_test {
            continue;
        }
        let test = match (&binary, environ_var(pid, "NEXTEST_TEST_NAME")) {
            (Some(b), Some(t)) => Some(format!("{b}::{t}")),
            _ => None,
        };
        let cmdline = fs::read(format!("/proc/{pid}/cmdline"))
            .map(|c| c.split(|&b| b == 0).map(|a| String::from_utf8_lossy(a).into_owned()).collect::<Vec<_>>().join(" "))
            .unwrap_or_default();
        let kind = if state == "Z" { "zombie" } else { "process" };
        let md = fs::metadata(format!("/proc/{pid}")).ok();
        let ctime = md.as_ref().map(ctime_of);
        insert(
            s,
            format!("{kind}:{pid}"),
            Object {
                kind,
                name: format!("pid {pid} ({comm})"),
                pid: Some(pid),
                ctime,
                test,
                detail: format!("state {state}, parent {ppid}{}", if cmdline.is_empty() { String::new() } else { format!(", {}", cmdline.trim()) }),
                owner: md.as_ref().map(|m| m.uid()),
                run: environ_var(pid, "NEXTEST_RUN_ID"),
            },
        );
    }
}

/// Inode numbers of everything inside the scratch directories.
fn scratch_inodes(tmp: &Path) -> BTreeMap<u64, (String, u32)> {
    let mut m = BTreeMap::new();
    let Ok(rd) = fs::read_dir(tmp) else { return m };
    for e in rd.flatten() {
        if !e.file_name().to_string_lossy().starts_with(PREFIX) {
            continue;
        }
        let p = e.path();
        if let Ok(md) = fs::symlink_metadata(&p) {
            m.insert(md.ino(), (p.display().to_string(), md.uid()));
        }
        if let Ok(inner) = fs::read_dir(&p) {
            for f in inner.flatten() {
                if let Ok(md) = fs::symlink_metadata(f.path()) {
                    m.insert(md.ino(), (f.path().display().to_string(), md.uid()));
                }
            }
        }
    }
    m
}

fn scan_locks(s: &mut Snapshot, tmp: &Path) {
    let Ok(text) = fs::read_to_string("/proc/locks") else { return };
    let inodes = scratch_inodes(tmp);
    for line in text.lines() {
        // "1: POSIX  ADVISORY  WRITE 1234 00:2a:5678 0 EOF"; a blocked request has "->".
        let f: Vec<&str> = line.split_whitespace().filter(|w| *w != "->").collect();
        if f.len() < 8 {
            continue;
        }
        let pid: i32 = f[4].parse().unwrap_or(-1);
        let inode: u64 = f[5].rsplit(':').next().and_then(|i| i.parse().ok()).unwrap_or(0);
        let alive = pid > 0 && Path::new(&format!("/proc/{pid}")).exists();
        let on_scratch = inodes.get(&inode);
        if alive && on_scratch.is_none() {
            continue;
        }
        if pid <= 0 && on_scratch.is_none() {
            continue; // OFD locks (pid -1) elsewhere are not ours to judge
        }
        let what = format!("{} {} {} on {}", f[1], f[3], f[6..].join("-"), on_scratch.map(|(p, _)| p.clone()).unwrap_or_else(|| format!("inode {}", f[5])));
        let why = if alive { "on a scratch file".to_string() } else { "held by a vanished pid".to_string() };
        insert(
            s,
            format!("lock:{} {} {} {}", f[1], f[3], f[5], f[6..].join(" ")),
            Object {
                kind: "lock",
                name: what,
                pid: (pid > 0).then_some(pid),
                ctime: None,
                test: None,
                detail: why,
                owner: on_scratch.map(|(_, uid)| *uid),
                run: if alive { environ_var(pid, "NEXTEST_RUN_ID") } else { None },
            },
        );
    }
}

/// What `after` has that `before` did not, plus every sysctl whose value changed.
pub fn diff(before: &Snapshot, after: &Snapshot) -> Vec<Leak> {
    let mut out: Vec<Leak> = after
        .objects
        .iter()
        .filter(|(k, _)| !before.objects.contains_key(*k))
        .map(|(_, o)| Leak { object: o.clone(), candidates: Vec::new() })
        .collect();
    for (name, was) in &before.sysctls {
        match after.sysctls.get(name) {
            Some(now) if now != was => out.push(Leak {
                object: Object {
                    kind: "sysctl",
                    name: format!("/proc/sys/{name}"),
                    pid: None,
                    ctime: None,
                    test: None,
                    detail: format!("was {was}, now {now}"),
                    owner: None,
                    run: None,
                },
                candidates: Vec::new(),
            }),
            _ => {}
        }
    }
    out
}

/// Snapshot again until nothing is left or `limit` passes: a killed test's children may take
/// a moment to be torn down, which is not a leak.
pub fn settle(before: &Snapshot, places: &Places, limit: Duration, ours: &Ours) -> (Vec<Leak>, Snapshot) {
    let start = Instant::now();
    loop {
        let after = snapshot(places);
        let mut leaks = diff(before, &after);
        leaks.retain(|l| ours.owns(&l.object));
        if leaks.is_empty() || start.elapsed() >= limit {
            return (leaks, after);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Which objects belong to the run being checked, when other runs may be going on at the same
/// time on the machine (a soak as root and one as nobody, a selfcheck, another engineer):
/// objects owned by another uid, processes of another nextest run, and IPC objects whose
/// creator is a live test process of another run are someone else's.
#[derive(Clone, Debug, Default)]
pub struct Ours {
    /// The uid the tests ran as (None: any).
    pub uid: Option<u32>,
    /// This run's NEXTEST_RUN_ID (None: any).
    pub run_id: Option<String>,
}

impl Ours {
    pub fn owns(&self, o: &Object) -> bool {
        if let (Some(want), Some(have)) = (self.uid, o.owner)
            && want != have
        {
            return false;
        }
        if let (Some(want), Some(have)) = (&self.run_id, &o.run) {
            return want == have;
        }
        if let (Some(want), Some(pid), "shm" | "sem" | "mq" | "fifo" | "socket" | "file") = (&self.run_id, o.pid, o.kind)
            && let Some(theirs) = environ_var(pid, "NEXTEST_RUN_ID")
        {
            return &theirs == want;
        }
        true
    }
}

/// The run id nextest writes into its JUnit (`<testsuites uuid="...">`).
pub fn run_id(junit_xml: &str) -> Option<String> {
    crate::nextest_junit::report(junit_xml).ok()?.uuid.map(|u| u.to_string())
}

/// When each test ran, from nextest's JUnit: (test id, start, end) in seconds since the epoch.
pub fn test_windows(junit_xml: &str) -> Vec<(String, f64, f64)> {
    let Ok(r) = crate::nextest_junit::report(junit_xml) else { return Vec::new() };
    let mut out = Vec::new();
    // nextest's setup scripts (`@setup-script:<name>`) are no tests.
    for c in r.test_suites.iter().filter(|s| !s.name.as_str().starts_with("@setup-script:")).flat_map(|s| &s.test_cases) {
        let class = c.classname.as_ref().map_or("", |s| s.as_str());
        if let Some(t) = c.timestamp {
            let start = t.timestamp_millis() as f64 / 1000.0;
            out.push((format!("{class}::{}", c.name.as_str()), start, start + c.time.map_or(0.0, |d| d.as_secs_f64())));
        }
    }
    out
}

/// Name the tests that were running when each leaked object was created.
pub fn attribute(leaks: &mut [Leak], windows: &[(String, f64, f64)]) {
    for l in leaks.iter_mut() {
        if l.object.test.is_some() {
            continue;
        }
        let Some(t) = l.object.ctime else { continue };
        l.candidates = windows.iter().filter(|(_, a, b)| *a - 0.5 <= t && t <= *b + 0.5).map(|(id, _, _)| id.clone()).collect();
        l.candidates.sort();
        l.candidates.dedup();
    }
}

/// Remove a leaked object where that is safe and simple (IPC objects, scratch entries under
/// the prefix); returns whether it is gone. Processes, locks and sysctls are left alone.
pub fn remove(o: &Object) -> bool {
    let p = Path::new(&o.name);
    let ours = p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with(PREFIX) || n.starts_with("sem.ipcspec-"));
    if !ours {
        return false;
    }
    match o.kind {
        "shm" | "sem" | "fifo" | "socket" | "file" => fs::remove_file(p).is_ok(),
        "scratch" => fs::remove_dir_all(p).is_ok(),
        "mq" => {
            let Some(name) = p.file_name().and_then(|n| n.to_str()) else { return false };
            let Ok(c) = std::ffi::CString::new(format!("/{name}")) else { return false };
            // SAFETY: a valid C string.
            unsafe { libc::mq_unlink(c.as_ptr()) == 0 }
        }
        _ => false,
    }
}

/// The id of the row that holds leaks no single test can be blamed for.
pub fn unattributed_id() -> TestId {
    TestId::new("ipcspec::leak_check", "nothing_is_left_behind_after_the_run")
}

/// Report the leaks in a column: a test that left something fails with the object named (a
/// passing test becomes FAIL); leaks no single test can be blamed for fail an extra row,
/// `ipcspec::leak_check::nothing_is_left_behind_after_the_run`. Every leak is also a
/// diagnostic line.
pub fn apply(col: &mut ColumnRun, leaks: &[Leak]) {
    let mut unblamed: Vec<String> = Vec::new();
    for l in leaks {
        col.diagnostics.push(format!("leak: {}", l.describe()));
        let owner = l.object.test.clone().or_else(|| (l.candidates.len() == 1).then(|| l.candidates[0].clone()));
        let slot = owner.as_ref().and_then(|id| col.results.iter_mut().find(|r| r.id.as_str() == id));
        match slot {
            Some(r) => {
                let msg = format!("left behind: {}", l.describe());
                r.outcome = match &r.outcome {
                    Outcome::Pass | Outcome::Skip { .. } => Outcome::Fail { message: msg },
                    Outcome::Fail { message } => Outcome::Fail { message: format!("{message}\n{msg}") },
                    other => other.clone(),
                };
            }
            None => unblamed.push(l.describe()),
        }
    }
    if !unblamed.is_empty() {
        col.results.push(TestResult::new(
            unattributed_id(),
            Outcome::Fail { message: format!("left behind after the run:\n{}", unblamed.join("\n")) },
            None,
            None,
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pid_from_names() {
        assert_eq!(pid_of_name("ipcspec-1234-deadbeef-0-x"), Some(1234));
        assert_eq!(pid_of_name("sem.ipcspec-77-00-1-y"), Some(77));
        assert_eq!(pid_of_name("ipcspec-abc"), None);
        assert_eq!(pid_of_name("other"), None);
    }

    #[test]
    fn junit_times_and_run_id() {
        let x = include_str!("../tests/data/nextest-0.9.143-junit.xml");
        assert_eq!(run_id(x).as_deref(), Some("b8900d9a-f414-4b98-8e6a-5b1fbeded8a9"));
        let w = test_windows(x);
        let (id, start, end) = w.iter().find(|(id, _, _)| id == "nxj::t::aborts").unwrap();
        assert_eq!(id, "nxj::t::aborts");
        // 2026-11-27T21:20:15.981+00:00, 7 ms.
        assert!((start - 1_795_814_415.981).abs() < 1e-6 && (end - start - 0.007).abs() < 1e-6, "{start} {end}");
        assert!(run_id("<a").is_none() && test_windows("<a").is_empty());
    }

    #[test]
    fn objects_of_other_runs_are_not_ours() {
        let o = |owner, run: Option<&str>| Object {
            kind: "process",
            name: "x".into(),
            pid: None,
            ctime: None,
            test: None,
            detail: String::new(),
            owner,
            run: run.map(str::to_string),
        };
        let ours = Ours { uid: Some(65534), run_id: Some("r1".into()) };
        assert!(ours.owns(&o(Some(65534), Some("r1"))));
        assert!(!ours.owns(&o(Some(0), Some("r1"))));
        assert!(!ours.owns(&o(Some(65534), Some("r2"))));
        assert!(ours.owns(&o(None, None)));
        assert!(Ours::default().owns(&o(Some(0), Some("r2"))));
    }

    #[test]
    fn windows_from_the_sample_junit() {
        let xml = include_str!("../tests/data/nextest-0.9.143-junit.xml");
        assert_eq!(run_id(xml).as_deref(), Some("b8900d9a-f414-4b98-8e6a-5b1fbeded8a9"));
        let w = test_windows(xml);
        assert!(w.iter().any(|(id, a, b)| id == "nxj::t::fails" && b > a), "{w:?}");
    }

    #[test]
    fn a_leak_with_one_candidate_fails_that_test_and_others_get_their_own_row() {
        let mut col = ColumnRun {
            head: crate::model::ColumnHead::new("host", "host", crate::model::User::Root),
            results: vec![TestResult::new(TestId::new("a::b", "c"), Outcome::Pass, None, None)],
        };
        let obj = |name: &str| Object {
            kind: "shm",
            name: name.into(),
            pid: Some(1),
            ctime: Some(10.0),
            test: None,
            detail: String::new(),
            owner: Some(0),
            run: None,
        };
        let mut leaks = vec![Leak { object: obj("/dev/shm/ipcspec-1-x"), candidates: vec![] }, Leak { object: obj("/dev/shm/ipcspec-1-y"), candidates: vec![] }];
        attribute(&mut leaks[..1], &[("a::b::c".into(), 9.0, 11.0)]);
        apply(&mut col, &leaks);
        assert!(matches!(&col.results[0].outcome, Outcome::Fail { message } if message.contains("ipcspec-1-x")));
        assert_eq!(col.results[1].id, unattributed_id());
        assert!(!col.all_good());
        assert_eq!(col.diagnostics.len(), 2);
    }
}
