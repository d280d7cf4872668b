//! The host's side of every target that runs the guest executor (runner/src/guest.rs) — VMs,
//! containers, and what comes next (gVisor, a container inside a VM): the guest plan made
//! from the run's plan and the bundle, the loop that follows a guest's result stream with
//! its deadlines, and the columns made from what came back, in which every planned
//! (test, user) gets exactly one cell.
//!
//! A target supplies only what differs: how its guest is started and stopped
//! ([`GuestProcess`]), the words for its deadlines, and why its guest ended.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::Read;
use std::process::ExitStatus;
use std::time::{Duration, Instant};

use anyhow::Result;

use crate::bundle::Bundle;
use crate::frame::{Decoder, Diagnostic, Record};
use crate::guest::GuestPlan;
use crate::model::{ColumnHead, ColumnRun, Outcome, RunStatus, TestId, TestResult, Timings, User, Variant};
use crate::plan::{Inject, Plan, PlannedBinary};

/// How the executor in a guest runs the tests.
#[derive(Clone, Debug)]
pub struct ExecutorSettings {
    /// Tests at once.
    pub parallel: usize,
    /// Per-test deadline, already scaled.
    pub timeout: Duration,
    /// IPCSPEC_TIME_SCALE of the tests.
    pub time_scale: f64,
    pub batch: bool,
    pub inject: Inject,
}

/// The plan as the guest sees it: `plan`'s tests with the binaries' paths inside the guest,
/// results on standard output, test output under /run/ipcspec, no limits, no disk, no extra
/// environment. A target sets what differs (a VM: the serial port, the host's limits, the
/// disk; a container: its mode's variables).
pub fn guest_plan(bundle: &Bundle, plan: &Plan, users: &[User], s: &ExecutorSettings) -> GuestPlan {
    let binaries = plan
        .binaries
        .iter()
        .map(|b| {
            let path = bundle.guest_plan.binaries.iter().find(|g| g.id == b.id).map(|g| g.path.clone()).unwrap_or_else(|| b.path.clone());
            PlannedBinary { path, ..b.clone() }
        })
        .collect();
    GuestPlan {
        plan: Plan { binaries },
        users: users.to_vec(),
        parallel: s.parallel.max(1),
        timeout_ms: s.timeout.as_millis() as u64,
        time_scale: s.time_scale,
        results: "-".into(),
        heartbeat_ms: 2000,
        work_dir: "/run/ipcspec".into(),
        inject: s.inject.clone(),
        batch: s.batch,
        limits: Vec::new(),
        disk: None,
        env: Vec::new(),
        container: None,
    }
}

/// A deadline that passed while following a guest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stall {
    /// No first record within the boot deadline.
    NoStart(Duration),
    /// Nothing on the result stream for this long.
    Silent(Duration),
    /// The whole run went past its budget.
    PastDeadline(Duration),
    /// The last record came, but the guest did not end.
    NoExit,
}

impl Stall {
    /// The sentence the report gives for a stall of a container-like guest (`what`: "the
    /// container", "the sandbox"), which ends by exiting; a VM says it its own way.
    pub fn describe_exiting(self, what: &str) -> String {
        match self {
            Stall::NoStart(d) => format!("{what} did not start the executor within {} s", d.as_secs()),
            Stall::Silent(d) => format!("{what} stopped answering (no result for {} s)", d.as_secs()),
            Stall::PastDeadline(d) => format!("{what} ran past its deadline of {} s", d.as_secs()),
            Stall::NoExit => format!("{what} did not exit after its last result"),
        }
    }
}

/// The host-side deadlines of one guest.
#[derive(Clone, Copy, Debug)]
pub struct Deadlines {
    pub boot: Duration,
    pub silence: Duration,
    pub total: Duration,
}

impl Deadlines {
    /// Room in the overall deadline for `hangs` test runs that are expected to use their
    /// whole `test_deadline` (expected TIMEOUTs): the per-test budget assumes tests that end.
    /// A hang costs two deadlines: in its batch, and again alone (runner/src/guest.rs).
    pub fn with_hangs(mut self, hangs: usize, test_deadline: Duration) -> Deadlines {
        self.total += test_deadline * (2 * hangs as u32);
        self
    }
}

/// The grace after the `done` record before the guest is stopped.
const AFTER_DONE: Duration = Duration::from_secs(20);

/// A running guest, as the loop that follows it needs it.
pub trait GuestProcess {
    /// It ended (reaped), or None while it runs.
    fn try_wait(&mut self) -> std::io::Result<Option<ExitStatus>>;
    /// Stop it now (a deadline passed) and reap it.
    fn stop(&mut self) -> std::io::Result<ExitStatus>;
    /// Called at every poll (a container: stop here while the runner is being interrupted).
    fn tick(&mut self) {}
    /// Called once it ended, before the stream is read one last time (a container: wait
    /// for the thread that copies its output).
    fn ended(&mut self) {}
    /// The reason for a deadline, in this guest's words ("the VM stopped answering ...").
    fn describe(&self, stall: Stall) -> String;
}

/// What came back from one guest.
#[derive(Debug, Default)]
pub struct GuestOutput {
    pub records: Vec<Record>,
    pub diagnostics: Vec<Diagnostic>,
    pub truncated: bool,
    /// Why the guest ended before its `done` record, when the host had to stop it.
    pub killed_because: Option<String>,
    /// The exit status of what ran the guest (QEMU, the docker client).
    pub exit_status: Option<i32>,
    /// The end of its console or log (filled in by the target).
    pub console_tail: String,
    /// What its console says killed it (a VM: the kernel's panic line), found anywhere in
    /// the console, not only in its tail (a long call trace follows a panic).
    pub crash: Option<String>,
    pub boot_ms: Option<u64>,
    pub tests_ms: Option<u64>,
    pub teardown_ms: Option<u64>,
    pub total_ms: u64,
}

impl GuestOutput {
    /// The guest's `done` record came: it reported everything it was going to.
    pub fn finished(&self) -> bool {
        self.records.iter().any(|r| matches!(r, Record::Done { .. }))
    }
}

/// Follow a guest started at `start` whose result stream is being written to `results`:
/// decode records as they come (`on_record` sees each; it may ask for the guest to be
/// stopped by setting the reason), stop the guest when a deadline passes, and return
/// everything that came, with the timings.
pub fn follow(
    guest: &mut dyn GuestProcess,
    results: &mut fs::File,
    start: Instant,
    deadlines: &Deadlines,
    mut on_record: impl FnMut(&Record, &mut Option<String>),
) -> Result<GuestOutput> {
    let mut dec = Decoder::default();
    let mut out = GuestOutput::default();
    let (mut hello_at, mut done_at): (Option<Instant>, Option<Instant>) = (None, None);
    let mut last_byte = Instant::now();
    let mut stop: Option<String> = None;
    let mut buf = vec![0u8; 64 * 1024];
    let mut drain = |out: &mut GuestOutput, hello_at: &mut Option<Instant>, done_at: &mut Option<Instant>, stop: &mut Option<String>| -> bool {
        let mut got = false;
        while let Ok(n) = results.read(&mut buf) {
            if n == 0 {
                break;
            }
            got = true;
            dec.feed(&buf[..n]);
        }
        for r in dec.take_records() {
            match &r {
                Record::Hello { .. } if hello_at.is_none() => *hello_at = Some(Instant::now()),
                Record::Done { .. } => *done_at = Some(Instant::now()),
                _ => {}
            }
            on_record(&r, stop);
            out.records.push(r);
        }
        got
    };
    loop {
        guest.tick();
        let exited = guest.try_wait()?;
        if drain(&mut out, &mut hello_at, &mut done_at, &mut stop) {
            last_byte = Instant::now();
        }
        if let Some(st) = exited {
            out.exit_status = st.code();
            break;
        }
        let reason = if let Some(r) = stop.take() {
            Some(r)
        } else if hello_at.is_none() && start.elapsed() > deadlines.boot {
            Some(guest.describe(Stall::NoStart(deadlines.boot)))
        } else if hello_at.is_some() && done_at.is_none() && last_byte.elapsed() > deadlines.silence {
            Some(guest.describe(Stall::Silent(deadlines.silence)))
        } else if start.elapsed() > deadlines.total {
            Some(guest.describe(Stall::PastDeadline(deadlines.total)))
        } else if done_at.is_some_and(|t| t.elapsed() > AFTER_DONE) {
            Some(guest.describe(Stall::NoExit))
        } else {
            None
        };
        if let Some(r) = reason {
            let st = guest.stop()?;
            out.exit_status = st.code();
            drain(&mut out, &mut hello_at, &mut done_at, &mut stop);
            if done_at.is_none() {
                out.killed_because = Some(r);
            }
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    guest.ended();
    drain(&mut out, &mut hello_at, &mut done_at, &mut stop);
    let end = Instant::now();
    let fin = dec.finish();
    out.records.extend(fin.records);
    out.diagnostics = fin.diagnostics;
    out.truncated = fin.truncated;
    out.boot_ms = hello_at.map(|h| (h - start).as_millis() as u64);
    out.tests_ms = match (hello_at, done_at) {
        (Some(h), Some(d)) => Some((d - h).as_millis() as u64),
        _ => None,
    };
    out.teardown_ms = done_at.map(|d| (end - d).as_millis() as u64);
    out.total_ms = (end - start).as_millis() as u64;
    Ok(out)
}

/// What a column says about where its tests ran.
#[derive(Clone, Debug, Default)]
pub struct ColumnInfo {
    /// `vm:6.1`, `docker:default`.
    pub target: String,
    /// `vm`, `docker`: the column's kind in results.json.
    pub kind: String,
    /// The kernel release expected (the guest's own `hello` wins).
    pub release: String,
    pub source: String,
    /// Notes for every column (kernel config, mode flags).
    pub notes: Vec<String>,
}

/// Turn a guest's output into columns: every planned (test, user) gets exactly one result;
/// those the guest never reported are CRASH with `ended`, the reason the guest ended (used
/// only when its `done` record is missing). Pure.
pub fn columns_from(info: &ColumnInfo, plan: &Plan, users: &[User], out: &GuestOutput, ended: &str) -> Vec<ColumnRun> {
    let mut release = None;
    let mut notes: Vec<String> = info.notes.clone();
    let mut got: BTreeMap<(String, User), (Outcome, Option<Variant>, u64)> = BTreeMap::new();
    let mut running: BTreeSet<(String, User)> = BTreeSet::new();
    let mut done_seen = false;
    let mut extra = Vec::new();
    for r in &out.records {
        match r {
            Record::Hello { kernel_release, .. } => release = Some(kernel_release.clone()),
            Record::Started { id, user } => {
                running.insert((id.clone(), *user));
            }
            Record::Result { id, user, outcome, variant, duration_ms, .. } => {
                running.remove(&(id.clone(), *user));
                if let std::collections::btree_map::Entry::Vacant(e) = got.entry((id.clone(), *user)) {
                    e.insert((outcome.clone(), variant.clone(), *duration_ms));
                } else {
                    extra.push(format!("duplicate result for {id} as {}: the first one is kept", user.name()));
                }
            }
            Record::Note { message } => notes.push(format!("guest: {message}")),
            Record::Done { .. } => done_seen = true,
            Record::Heartbeat { .. } => {}
        }
    }
    notes.extend(extra);
    for d in &out.diagnostics {
        notes.push(format!("result stream, byte {}: {}", d.offset, d.message));
    }
    let cause = (!done_seen).then(|| if release.is_none() { format!("the guest executor never started: {ended}") } else { ended.to_string() });
    let planned: BTreeSet<TestId> = plan.ids().into_iter().collect();
    for (id, u) in got.keys() {
        if TestId::parse(id).map_or(true, |t| !planned.contains(&t)) || !users.contains(u) {
            notes.push(format!("the guest reported a test that was not planned: {id} as {}", u.name()));
        }
    }
    let mut cols = Vec::new();
    for &user in users {
        let mut results = Vec::new();
        for id in plan.ids() {
            let key = (id.as_str().to_string(), user);
            let (outcome, variant, duration_ms) = match got.get(&key) {
                Some((o, v, ms)) => (o.clone(), v.clone(), Some(*ms)),
                None => {
                    let base = cause.clone().unwrap_or_else(|| "the guest finished without reporting this test".into());
                    let reason = if running.contains(&key) { format!("{base} — while this test was running") } else { base };
                    (Outcome::Crash { reason }, None, None)
                }
            };
            results.push(TestResult::new(id, outcome, variant, duration_ms));
        }
        let complete = results.iter().all(|r| got.contains_key(&(r.id.as_str().to_string(), user)));
        let mut diagnostics = notes.clone();
        if cause.is_some() && !out.console_tail.is_empty() {
            let tail: Vec<&str> = out.console_tail.lines().collect();
            let from = tail.len().saturating_sub(15);
            diagnostics.push(format!("last console lines:\n{}", tail[from..].join("\n")));
        }
        cols.push(ColumnRun {
            head: ColumnHead {
                kernel_release: release.clone().or_else(|| Some(info.release.clone())),
                kernel_source: Some(info.source.clone()),
                status: if complete && cause.is_none() {
                    RunStatus::Complete
                } else {
                    RunStatus::Incomplete { reason: cause.clone().unwrap_or_else(|| "some tests were not reported".into()) }
                },
                timings: Timings { boot_ms: out.boot_ms, tests_ms: out.tests_ms, teardown_ms: out.teardown_ms, total_ms: out.total_ms },
                diagnostics,
                ..ColumnHead::new(&info.target, &info.kind, user)
            },
            results,
        });
    }
    cols
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info() -> ColumnInfo {
        ColumnInfo {
            target: "vm:6.1".into(),
            kind: "vm".into(),
            release: "6.1.0-56-cloud-amd64".into(),
            source: "linux-image-6.1.0-56-cloud-amd64".into(),
            notes: vec![],
        }
    }

    fn plan() -> Plan {
        Plan { binaries: vec![PlannedBinary { id: "fds::dup".into(), path: "/b".into(), serial: false, tests: vec!["a".into(), "b".into(), "c".into()] }] }
    }

    fn result(id: &str, user: User, outcome: Outcome) -> Record {
        Record::Result { id: id.into(), user, outcome, variant: None, duration_ms: 1, output: String::new() }
    }

    fn hello(planned: usize) -> Record {
        Record::Hello { executor: "x".into(), kernel_release: "6.1.0-56-cloud-amd64".into(), time_scale: 1.0, parallel: 1, planned }
    }

    #[test]
    fn a_crash_part_way_keeps_what_was_reported() {
        let out = GuestOutput {
            records: vec![
                hello(6),
                Record::Started { id: "fds::dup::a".into(), user: User::Root },
                result("fds::dup::a", User::Root, Outcome::Pass),
                Record::Started { id: "fds::dup::b".into(), user: User::Root },
            ],
            console_tail: "[ 3.0] Kernel panic - not syncing: sysrq triggered crash".into(),
            exit_status: Some(0),
            ..Default::default()
        };
        let cols = columns_from(&info(), &plan(), &[User::Root, User::Nobody], &out, "the kernel crashed (sysrq triggered crash)");
        assert_eq!(cols.len(), 2);
        assert_eq!(cols[0].column, "vm:6.1");
        assert_eq!(cols[1].column, "vm:6.1/nobody");
        assert_eq!(cols[0].kind, "vm");
        assert_eq!(cols[0].results[0].outcome, Outcome::Pass);
        match &cols[0].results[1].outcome {
            Outcome::Crash { reason } => {
                assert!(reason.contains("sysrq triggered crash") && reason.contains("while this test was running"), "{reason}")
            }
            o => panic!("{o:?}"),
        }
        assert!(matches!(cols[0].results[2].outcome, Outcome::Crash { .. }));
        assert!(cols[1].results.iter().all(|r| matches!(r.outcome, Outcome::Crash { .. })));
        assert!(matches!(cols[0].status, RunStatus::Incomplete { .. }));
        assert!(cols[0].diagnostics.iter().any(|d| d.starts_with("last console lines:")));
    }

    #[test]
    fn a_guest_that_never_started_crashes_every_cell() {
        let out = GuestOutput { killed_because: Some("the VM did not start the executor within 60 s".into()), ..Default::default() };
        let cols = columns_from(&info(), &plan(), &[User::Root], &out, "the VM did not start the executor within 60 s");
        assert_eq!(cols[0].results.len(), 3);
        for r in &cols[0].results {
            match &r.outcome {
                Outcome::Crash { reason } => assert!(reason.contains("never started") && reason.contains("within 60 s"), "{reason}"),
                o => panic!("{o:?}"),
            }
        }
        assert_eq!(cols[0].kernel_release.as_deref(), Some("6.1.0-56-cloud-amd64"));
    }

    #[test]
    fn a_complete_run() {
        let mut records = vec![hello(3)];
        for t in ["a", "b", "c"] {
            records.push(result(&format!("fds::dup::{t}"), User::Root, Outcome::Pass));
        }
        records.push(result("fds::dup::zzz", User::Root, Outcome::Pass));
        records.push(result("fds::dup::a", User::Root, Outcome::Fail { message: "again".into() }));
        records.push(Record::Done { results: 3, duration_ms: 5 });
        let out = GuestOutput { records, ..Default::default() };
        assert!(out.finished());
        let cols = columns_from(&info(), &plan(), &[User::Root], &out, "unused");
        assert_eq!(cols[0].status, RunStatus::Complete);
        assert_eq!(cols[0].counts().pass, 3);
        assert!(cols[0].diagnostics.iter().any(|d| d.contains("not planned")));
        assert!(cols[0].diagnostics.iter().any(|d| d.contains("duplicate result")));
    }

    /// A fake guest: writes `stream` into the result file at its first poll, then either
    /// ends or never does.
    struct Fake {
        file: std::path::PathBuf,
        stream: Vec<u8>,
        ends: bool,
        stopped: bool,
        polls: usize,
    }

    impl GuestProcess for Fake {
        fn try_wait(&mut self) -> std::io::Result<Option<ExitStatus>> {
            use std::os::unix::process::ExitStatusExt;
            self.polls += 1;
            if self.polls == 1 {
                fs::write(&self.file, &self.stream)?;
                return Ok(None);
            }
            Ok((self.ends && self.polls > 2).then(|| ExitStatus::from_raw(0)))
        }
        fn stop(&mut self) -> std::io::Result<ExitStatus> {
            use std::os::unix::process::ExitStatusExt;
            self.stopped = true;
            Ok(ExitStatus::from_raw(9))
        }
        fn describe(&self, stall: Stall) -> String {
            format!("{stall:?}")
        }
    }

    #[test]
    fn following_a_guest_reads_its_stream_and_stops_it_at_a_deadline() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.bin");
        fs::write(&path, b"").unwrap();
        let mut stream = crate::frame::encode(&hello(1));
        stream.extend(crate::frame::encode(&result("fds::dup::a", User::Root, Outcome::Pass)));
        stream.extend(crate::frame::encode(&Record::Done { results: 1, duration_ms: 1 }));
        let mut g = Fake { file: path.clone(), stream: stream.clone(), ends: true, stopped: false, polls: 0 };
        let d = Deadlines { boot: Duration::from_secs(5), silence: Duration::from_secs(5), total: Duration::from_secs(5) };
        let mut seen = 0;
        let out = follow(&mut g, &mut fs::File::open(&path).unwrap(), Instant::now(), &d, |_, _| seen += 1).unwrap();
        assert_eq!((out.records.len(), seen, out.exit_status), (3, 3, Some(0)));
        assert!(out.finished() && !g.stopped && out.killed_because.is_none() && out.tests_ms.is_some());

        // A guest that says hello and then nothing: stopped at the silence deadline.
        let mut g = Fake { file: path.clone(), stream: crate::frame::encode(&hello(1)), ends: false, stopped: false, polls: 0 };
        let d = Deadlines { boot: Duration::from_secs(5), silence: Duration::from_millis(100), total: Duration::from_secs(5) };
        let out = follow(&mut g, &mut fs::File::open(&path).unwrap(), Instant::now(), &d, |_, _| {}).unwrap();
        assert!(g.stopped);
        assert_eq!(out.killed_because.as_deref(), Some("Silent(100ms)"));

        // A record can ask for the guest to be stopped.
        let mut g = Fake { file: path.clone(), stream, ends: false, stopped: false, polls: 0 };
        let d = Deadlines { boot: Duration::from_secs(5), silence: Duration::from_secs(5), total: Duration::from_secs(5) };
        let out = follow(&mut g, &mut fs::File::open(&path).unwrap(), Instant::now(), &d, |r, stop| {
            if matches!(r, Record::Hello { .. }) {
                *stop = Some("asked".into());
            }
        })
        .unwrap();
        assert!(g.stopped);
        // Its done record came in the same read: nothing was lost, so no reason is kept.
        assert!(out.finished() && out.killed_because.is_none());
    }
}
