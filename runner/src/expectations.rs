//! Expected deviations (issue 17), for any target: a TOML file per target family under
//! docs/expectations/, named by the kind of its targets (`gvisor.toml` for `gvisor:*`,
//! `vm.toml` for kernels with a known bug, `docker.toml` for a container mode), lists tests
//! that are expected to FAIL, SKIP, TIMEOUT or CRASH there, or to report a given variant,
//! with what the target does and why:
//!
//! ```toml
//! [[expect]]
//! tests = ["unix_sockets::autobind::*"]      # test ids or globs (`*` crosses `::`)
//! targets = ["gvisor:2022"]                  # optional: default every target of this kind
//! users = ["root"]                           # optional: default root and nobody
//! outcome = "FAIL"                           # FAIL | SKIP | TIMEOUT | CRASH | PASS
//! message = "EINVAL"                         # optional: in the failure message / skip reason
//! variant = "einval"                         # optional: the variant the test reports
//! observed = "bind() of an AF_UNIX address of only the family fails EINVAL"
//! reason = "gVisor does not autobind on an address of sizeof(sa_family_t)"
//! issue = "https://github.com/google/gvisor/issues/NNNN"   # optional
//! intermittent = true                        # optional: the deviation occurs in some runs only
//! ```
//!
//! After a run, every cell of a column whose kind has a file is checked against the entries
//! that name its test, target and user ([`Expectations::apply`]) — the first whose deviation
//! the cell shows, else the first of them (not counting intermittent ones, below):
//! - it did what the entry says: the cell becomes EXPECTED DEVIATION (model::Outcome::Expected:
//!   what was observed, the reason, the issue), which does not fail the run;
//! - it did not, and did not fail either (it passed, or skipped where a failure was
//!   expected): the expectation is stale — the cell becomes FAIL ("STALE EXPECTATION ...",
//!   as pytest's strict xfail turns an unexpected pass into a failure), which fails the run;
//! - it failed otherwise than the entry says: it stays a failure, with the entry named.
//!
//! An `intermittent` entry is for a deviation that occurs in some runs and not in others (a
//! sporadic hang of the target): where it occurs the cell is EXPECTED DEVIATION as above;
//! where the test did not fail, the cell keeps its outcome (a PASS stays a PASS: not stale),
//! and the column's note counts it as not seen. A failure otherwise than the entry says is
//! still a failure. A test that always deviates but not always alike (it fails, and in some
//! runs hangs instead) has two entries: the failure, and the hang as `intermittent`.
//!
//! A cell no entry names keeps its outcome: an unexpected FAIL is an error as always.
//! Loading is strict (unknown keys, unknown target names or kinds, bad globs, an entry that
//! says nothing it could check) and happens before anything runs.

use std::fs;
use std::path::Path;

use serde::Deserialize;

use crate::claims::Pattern;
use crate::model::{ColumnRun, Kind, Outcome, TestResult, User};

/// Where the files are, relative to the workspace.
pub const DIR: &str = "docs/expectations";

/// A target name -> (canonical name, kind), or why it is no target (the registry's parser).
pub type ParseTarget<'a> = &'a dyn Fn(&str) -> Result<(String, String), String>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    expect: Vec<RawEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    tests: Vec<String>,
    #[serde(default)]
    targets: Vec<String>,
    #[serde(default)]
    users: Vec<String>,
    #[serde(default)]
    outcome: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    variant: Option<String>,
    observed: String,
    reason: String,
    #[serde(default)]
    issue: Option<String>,
    #[serde(default)]
    intermittent: bool,
}

/// One expected deviation.
#[derive(Clone, Debug)]
pub struct Entry {
    pub patterns: Vec<Pattern>,
    /// Canonical target names; empty: every target of the file's kind.
    pub targets: Vec<String>,
    /// Empty: every user.
    pub users: Vec<User>,
    /// The outcome expected (None: any outcome that is not bad, with `variant`).
    pub outcome: Option<Kind>,
    pub message: Option<String>,
    pub variant: Option<String>,
    pub observed: String,
    pub reason: String,
    pub issue: Option<String>,
    /// The deviation occurs in some runs only: a cell that did not fail is not stale.
    pub intermittent: bool,
    /// `docs/expectations/gvisor.toml #3 (pipes::capacity::*)`: where it is written.
    pub source: String,
}

/// The expectations of one target kind.
#[derive(Clone, Debug)]
pub struct KindFile {
    /// `gvisor`: the kind of the targets it applies to (the file's stem).
    pub kind: String,
    pub entries: Vec<Entry>,
}

/// Every expectations file of a workspace.
#[derive(Clone, Debug, Default)]
pub struct Expectations {
    pub files: Vec<KindFile>,
}

/// What checking a run against the expectations found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Applied {
    pub expected: usize,
    pub stale: usize,
    /// Cells that failed otherwise than their entry says.
    pub different: usize,
}

fn kind_of_label(s: &str) -> Option<Kind> {
    Some(match s {
        "PASS" => Kind::Pass,
        "FAIL" => Kind::Fail,
        "SKIP" => Kind::Skip,
        "TIMEOUT" => Kind::Timeout,
        "CRASH" => Kind::Crash,
        _ => return None,
    })
}

/// Parse one file's text; `kind` is its stem, `path` its name for messages. Target names are
/// checked with `parse_target` (canonical name and kind). Pure.
pub fn parse(
    text: &str,
    kind: &str,
    path: &str,
    parse_target: ParseTarget,
) -> Result<KindFile, String> {
    let raw: RawFile = toml::from_str(text).map_err(|e| format!("{path}: not a valid expectations file: {}", e.to_string().trim()))?;
    let mut entries = Vec::new();
    for (i, e) in raw.expect.into_iter().enumerate() {
        let at = format!("{path}: expectation #{}", i + 1);
        if e.tests.is_empty() {
            return Err(format!("{at}: `tests` is empty"));
        }
        let patterns = e.tests.iter().map(|t| Pattern::parse(t)).collect::<Result<Vec<_>, _>>().map_err(|m| format!("{at}: {m}"))?;
        let mut targets = Vec::new();
        for t in &e.targets {
            let (name, k) = parse_target(t).map_err(|m| format!("{at}: {m}"))?;
            if k != kind {
                return Err(format!("{at}: target {t} is not a {kind} target: it belongs in {DIR}/{k}.toml"));
            }
            targets.push(name);
        }
        let users = e.users.iter().map(|u| User::parse(u)).collect::<Result<Vec<_>, _>>().map_err(|m| format!("{at}: {m}"))?;
        let outcome = match e.outcome.as_deref() {
            None => None,
            Some(o) => Some(kind_of_label(o).ok_or_else(|| format!("{at}: outcome {o:?} is not one of PASS, FAIL, SKIP, TIMEOUT, CRASH"))?),
        };
        if e.intermittent && outcome.is_none_or(|k| k == Kind::Pass) {
            return Err(format!("{at}: an `intermittent` entry expects a failure some runs show: give `outcome` FAIL, SKIP, TIMEOUT or CRASH"));
        }
        if let Some(v) = &e.variant
            && !ipcspec_protocol::is_variant_name(v)
        {
            return Err(format!("{at}: {v:?} is not a variant name"));
        }
        match (outcome, &e.variant) {
            (None, None) => return Err(format!("{at}: say what is expected: `outcome` (FAIL, SKIP, TIMEOUT, CRASH) or `variant`")),
            (Some(Kind::Pass), None) => return Err(format!("{at}: a PASS is no deviation: give the `variant` it passes with")),
            _ => {}
        }
        for (field, v) in [("observed", &e.observed), ("reason", &e.reason)] {
            if v.trim().is_empty() {
                return Err(format!("{at}: `{field}` is empty"));
            }
        }
        let mut source = format!("{path} #{} ({})", i + 1, e.tests.join(", "));
        if e.intermittent {
            source.push_str(" [intermittent]");
        }
        entries.push(Entry {
            patterns,
            targets,
            users,
            outcome,
            message: e.message.filter(|m| !m.is_empty()),
            variant: e.variant,
            observed: e.observed.trim().to_string(),
            reason: e.reason.trim().to_string(),
            issue: e.issue.filter(|i| !i.trim().is_empty()),
            intermittent: e.intermittent,
            source,
        });
    }
    Ok(KindFile { kind: kind.to_string(), entries })
}

/// Every `<kind>.toml` in `<workspace>/docs/expectations` (none: no expectations). `kinds`
/// are the target kinds there are; a file for another is an error.
pub fn load(
    workspace: &Path,
    kinds: &[&str],
    parse_target: ParseTarget,
) -> Result<Expectations, String> {
    let dir = workspace.join(DIR);
    let Ok(rd) = fs::read_dir(&dir) else { return Ok(Expectations::default()) };
    let mut paths: Vec<_> = rd.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "toml")).collect();
    paths.sort();
    let mut files = Vec::new();
    for p in paths {
        let kind = p.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let rel = format!("{DIR}/{kind}.toml");
        if !kinds.contains(&kind.as_str()) {
            return Err(format!("{rel}: there are no {kind:?} targets (files are named by the kind of their targets: {})", kinds.join(", ")));
        }
        let text = fs::read_to_string(&p).map_err(|e| format!("{rel}: {e}"))?;
        files.push(parse(&text, &kind, &rel, parse_target)?);
    }
    Ok(Expectations { files })
}

impl Entry {
    fn names(&self, id: &str, target: &str, user: User) -> bool {
        self.patterns.iter().any(|p| p.matches(id))
            && (self.targets.is_empty() || self.targets.iter().any(|t| t == target))
            && (self.users.is_empty() || self.users.contains(&user))
    }

    /// The cell did what this entry says.
    fn seen_in(&self, r: &TestResult) -> bool {
        let k = r.outcome.kind();
        let outcome_ok = match self.outcome {
            Some(want) => k == want,
            None => !k.is_bad(),
        };
        let message_ok = self.message.as_ref().is_none_or(|m| r.outcome.detail().contains(m.as_str()));
        let variant_ok = self.variant.as_ref().is_none_or(|v| r.variant.as_ref().is_some_and(|rv| rv.parts().any(|p| p == v)));
        outcome_ok && message_ok && variant_ok
    }

    /// `FAIL ("EINVAL")`, `PASS · einval`, `TIMEOUT in some runs`: what the entry expects.
    pub fn expects(&self) -> String {
        let mut s = self.outcome.map(|k| k.label().to_string()).unwrap_or_else(|| "a result".into());
        if self.intermittent {
            s.push_str(" in some runs");
        }
        if let Some(m) = &self.message {
            s.push_str(&format!(" ({m:?})"));
        }
        if let Some(v) = &self.variant {
            s.push_str(&format!(" · {v}"));
        }
        s
    }
}

fn what_it_did(r: &TestResult) -> String {
    let k = r.outcome.kind();
    let mut s = match k {
        Kind::Pass => "passed".to_string(),
        _ => {
            let d = r.outcome.detail().lines().next().unwrap_or("");
            if d.is_empty() { k.label().to_string() } else { format!("{}: {d}", k.label()) }
        }
    };
    if let Some(v) = &r.variant {
        s.push_str(&format!(" (variant {})", v.name));
    }
    s
}

impl Expectations {
    /// The file for columns of `kind`.
    pub fn for_kind(&self, kind: &str) -> Option<&KindFile> {
        self.files.iter().find(|f| f.kind == kind)
    }

    /// How many of the cells `ids` × `users` of `target` (of `kind`) an entry expects to hang
    /// (outcome TIMEOUT, intermittent ones included): each may take a whole test deadline, so
    /// a guest's overall deadline makes room for them (a run of the pty suite alone on gVisor
    /// ended INCOMPLETE without it).
    pub fn expected_hangs(&self, kind: &str, target: &str, ids: &[crate::model::TestId], users: &[User]) -> usize {
        let Some(file) = self.for_kind(kind) else { return 0 };
        let hangs: Vec<&Entry> = file.entries.iter().filter(|e| e.outcome == Some(Kind::Timeout)).collect();
        if hangs.is_empty() {
            return 0;
        }
        let mut n = 0;
        for id in ids {
            for &u in users {
                if hangs.iter().any(|e| e.names(id.as_str(), target, u)) {
                    n += 1;
                }
            }
        }
        n
    }

    /// Check every cell against the expectations of its column's kind (see the module's
    /// notes); a note per column that had any, in its diagnostics. Pure.
    pub fn apply(&self, columns: &mut [ColumnRun]) -> Applied {
        let mut total = Applied::default();
        for c in columns.iter_mut() {
            let Some(file) = self.for_kind(&c.kind) else { continue };
            let mut n = Applied::default();
            // Cells of intermittent entries that did not show their deviation this time.
            let mut unseen = 0;
            for r in c.results.iter_mut() {
                if matches!(r.outcome, Outcome::Expected { .. }) {
                    continue;
                }
                let mut naming = file.entries.iter().filter(|e| e.names(r.id.as_str(), &c.head.target, c.head.user)).peekable();
                let Some(&first) = naming.peek() else { continue };
                // Several entries may name a cell (a test that fails, and in some runs hangs
                // instead): the first whose deviation the cell shows decides; otherwise the first
                // entry that is not intermittent (a pass is stale only against such an entry).
                let mut strict = None;
                let mut seen = None;
                for e in naming {
                    if e.seen_in(r) {
                        seen = Some(e);
                        break;
                    }
                    if strict.is_none() && !e.intermittent {
                        strict = Some(e);
                    }
                }
                let e = seen.or(strict).unwrap_or(first);
                if seen.is_some() {
                    n.expected += 1;
                    r.outcome = Outcome::Expected {
                        observed: r.outcome.kind(),
                        message: r.outcome.detail().to_string(),
                        reason: e.reason.clone(),
                        issue: e.issue.clone(),
                        expectation: e.source.clone(),
                    };
                } else if e.intermittent && !r.outcome.kind().is_bad() {
                    unseen += 1;
                } else if !r.outcome.kind().is_bad() {
                    n.stale += 1;
                    r.outcome = Outcome::Fail {
                        message: format!(
                            "STALE EXPECTATION: {} expects {} here ({}: {}), but the test {}",
                            e.source,
                            e.expects(),
                            e.observed,
                            e.reason,
                            what_it_did(r)
                        ),
                    };
                } else {
                    n.different += 1;
                    let note = format!("\n(not the expected deviation: {} expects {})", e.source, e.expects());
                    match &mut r.outcome {
                        Outcome::Fail { message } | Outcome::Timeout { message } => message.push_str(&note),
                        Outcome::Crash { reason } => reason.push_str(&note),
                        _ => {}
                    }
                }
            }
            if n != Applied::default() || unseen > 0 {
                let mut note = format!(
                    "expectations ({}/{}.toml): {} expected deviations, {} stale expectations (now FAIL), {} failing otherwise than expected",
                    DIR, file.kind, n.expected, n.stale, n.different
                );
                if unseen > 0 {
                    note.push_str(&format!(", {unseen} intermittent deviations not seen this run (the cells keep their outcome)"));
                }
                c.diagnostics.push(note);
            }
            total.expected += n.expected;
            total.stale += n.stale;
            total.different += n.different;
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{TestId, Variant};
    use std::time::Duration;

    fn targets(s: &str) -> Result<(String, String), String> {
        match s {
            "gvisor" | "gvisor:2024" => Ok(("gvisor:2024".into(), "gvisor".into())),
            "gvisor:2022" => Ok(("gvisor:2022".into(), "gvisor".into())),
            "vm:6.1" | "vm:5.10" => Ok((s.to_string(), "vm".into())),
            _ => Err(format!("unknown target {s:?}")),
        }
    }

    const FILE: &str = r#"
[[expect]]
tests = ["pipes::capacity::*"]
outcome = "FAIL"
message = "pipe-max-size"
observed = "/proc/sys/fs/pipe-max-size is missing"
reason = "gVisor has no fs.pipe-max-size"

[[expect]]
tests = ["unix_sockets::bind::autobind"]
targets = ["gvisor:2022"]
users = ["root"]
outcome = "FAIL"
observed = "EINVAL"
reason = "no autobind"
issue = "https://github.com/google/gvisor/issues/1"

[[expect]]
tests = ["epoll::pwait2::works"]
variant = "absent"
observed = "ENOSYS"
reason = "not implemented"

[[expect]]
tests = ["pty::*"]
outcome = "SKIP"
observed = "no /dev/pts"
reason = "r"
"#;

    fn exp() -> Expectations {
        Expectations { files: vec![parse(FILE, "gvisor", "docs/expectations/gvisor.toml", &targets).unwrap()] }
    }

    /// Only TIMEOUT entries count, per test and user, for the target they name.
    #[test]
    fn expected_hangs_count_the_timeout_cells_of_the_target() {
        // One line per entry (TOML's inline tables): an entry that hangs everywhere, one that
        // hangs now and then as root on 2022 only, and a failure.
        let text = r#"expect = [
  { tests = ["pty::a::*"], outcome = "TIMEOUT", observed = "blocks", reason = "r" },
  { tests = ["pty::b::x"], targets = ["gvisor:2022"], users = ["root"], outcome = "TIMEOUT", intermittent = true, observed = "now and then", reason = "r" },
  { tests = ["pty::c::x"], outcome = "FAIL", observed = "fails", reason = "r" },
]"#;
        let e = Expectations { files: vec![parse(text, "gvisor", "gvisor.toml", &targets).unwrap()] };
        let ids: Vec<TestId> = ["pty::a::x", "pty::a::y", "pty::b::x", "pty::c::x"].iter().map(|s| TestId::parse(s).unwrap()).collect();
        let both = [User::Root, User::Nobody];
        assert_eq!(e.expected_hangs("gvisor", "gvisor:2024", &ids, &both), 4);
        assert_eq!(e.expected_hangs("gvisor", "gvisor:2022", &ids, &both), 5);
        assert_eq!(e.expected_hangs("gvisor", "gvisor:2022", &ids, &[User::Nobody]), 2);
        assert_eq!(e.expected_hangs("vm", "vm:6.1", &ids, &both), 0);
        let d = crate::guest_run::Deadlines { boot: Duration::from_secs(1), silence: Duration::from_secs(2), total: Duration::from_secs(100) };
        assert_eq!(d.with_hangs(3, Duration::from_secs(30)).total, Duration::from_secs(280), "two deadlines per hang: in its batch and alone");
    }

    fn res(id: &str, outcome: Outcome, variant: Option<&str>) -> TestResult {
        TestResult::new(TestId::parse(id).unwrap(), outcome, variant.map(|v| Variant { name: v.into(), lacking: true, detail: String::new() }), None)
    }

    fn col(target: &str, kind: &str, user: User, results: Vec<TestResult>) -> ColumnRun {
        ColumnRun { head: crate::model::ColumnHead::new(target, kind, user), results }
    }

    fn fail(m: &str) -> Outcome {
        Outcome::Fail { message: m.into() }
    }

    #[test]
    fn matching_deviations_become_expected_and_do_not_fail() {
        let mut cols = vec![col(
            "gvisor:2022",
            "gvisor",
            User::Root,
            vec![
                res("pipes::capacity::a", fail("read /proc/sys/fs/pipe-max-size: No such file"), None),
                res("unix_sockets::bind::autobind", fail("EINVAL"), None),
                res("epoll::pwait2::works", Outcome::Pass, Some("absent")),
                res("pty::open::x", Outcome::Skip { reason: "no pts".into() }, None),
                res("fds::dup::y", fail("unexpected"), None),
            ],
        )];
        let a = exp().apply(&mut cols);
        assert_eq!(a, Applied { expected: 4, stale: 0, different: 0 });
        let r = &cols[0].results;
        match &r[1].outcome {
            Outcome::Expected { observed, message, reason, issue, expectation } => {
                assert_eq!((*observed, message.as_str(), reason.as_str()), (Kind::Fail, "EINVAL", "no autobind"));
                assert_eq!(issue.as_deref(), Some("https://github.com/google/gvisor/issues/1"));
                assert!(expectation.starts_with("docs/expectations/gvisor.toml #2"), "{expectation}");
            }
            o => panic!("{o:?}"),
        }
        assert_eq!(r[2].outcome.kind(), Kind::Expected);
        assert_eq!(r[3].outcome.kind(), Kind::Expected);
        // A failure nobody expects stays one, and the column is not good.
        assert_eq!(r[4].outcome, fail("unexpected"));
        assert!(!cols[0].all_good());
        assert_eq!(cols[0].counts().expected, 4);
        assert!(cols[0].diagnostics[0].contains("4 expected deviations"), "{:?}", cols[0].diagnostics);
    }

    #[test]
    fn targets_users_and_kinds_narrow_an_entry() {
        let r = || vec![res("unix_sockets::bind::autobind", fail("EINVAL"), None)];
        // Another release, another user, another kind: not this entry, so an unexpected FAIL.
        let mut cols = vec![
            col("gvisor:2024", "gvisor", User::Root, r()),
            col("gvisor:2022", "gvisor", User::Nobody, r()),
            col("vm:6.1", "vm", User::Root, r()),
        ];
        assert_eq!(exp().apply(&mut cols), Applied::default());
        assert!(cols.iter().all(|c| c.results[0].outcome == fail("EINVAL")));
    }

    #[test]
    fn a_deviation_that_now_passes_is_a_stale_expectation() {
        let mut cols = vec![col(
            "gvisor:2022",
            "gvisor",
            User::Root,
            vec![
                res("unix_sockets::bind::autobind", Outcome::Pass, None),
                res("epoll::pwait2::works", Outcome::Pass, Some("present")),
                res("pty::open::x", Outcome::Pass, None),
                // Failing otherwise than expected: still a failure, with the entry named.
                res("pipes::capacity::b", fail("left: 1 right: 2"), None),
            ],
        )];
        let a = exp().apply(&mut cols);
        assert_eq!(a, Applied { expected: 0, stale: 3, different: 1 });
        let r = &cols[0].results;
        match &r[0].outcome {
            Outcome::Fail { message } => {
                assert!(message.starts_with("STALE EXPECTATION: docs/expectations/gvisor.toml #2"), "{message}");
                assert!(message.contains("expects FAIL") && message.ends_with("but the test passed"), "{message}");
            }
            o => panic!("{o:?}"),
        }
        match &r[1].outcome {
            Outcome::Fail { message } => assert!(message.contains("expects a result · absent") && message.contains("(variant present)"), "{message}"),
            o => panic!("{o:?}"),
        }
        assert_eq!(r[1].variant.as_ref().map(|v| v.name.as_str()), Some("present"), "the variant stays");
        match &r[3].outcome {
            Outcome::Fail { message } => assert!(message.contains("left: 1") && message.contains("not the expected deviation"), "{message}"),
            o => panic!("{o:?}"),
        }
        assert_eq!(cols[0].counts().fail, 4);
    }

    #[test]
    fn an_intermittent_deviation_is_expected_where_it_occurs_and_not_stale_where_it_does_not() {
        let text = r#"
[[expect]]
tests = ["pty::canonical::vwerase::*"]
outcome = "TIMEOUT"
intermittent = true
observed = "the read hangs in some runs"
reason = "a sporadic hang"
"#;
        let e = Expectations { files: vec![parse(text, "gvisor", "g.toml", &targets).unwrap()] };
        let entry = &e.files[0].entries[0];
        assert!(entry.intermittent);
        assert_eq!(entry.expects(), "TIMEOUT in some runs");
        assert!(entry.source.ends_with("[intermittent]"), "{}", entry.source);
        let timeout = || Outcome::Timeout { message: "no result".into() };
        let mut cols = vec![
            // The run where it hangs: an expected deviation, and the run is good.
            col("gvisor:2024", "gvisor", User::Root, vec![res("pty::canonical::vwerase::case_1", timeout(), None)]),
            // The run where it does not: the PASS stays a PASS, no stale expectation.
            col(
                "gvisor:2024",
                "gvisor",
                User::Nobody,
                vec![
                    res("pty::canonical::vwerase::case_1", Outcome::Pass, None),
                    res("pty::canonical::vwerase::case_2", Outcome::Pass, None),
                ],
            ),
            // Failing otherwise than the entry says is still a failure.
            col("gvisor:2022", "gvisor", User::Root, vec![res("pty::canonical::vwerase::case_1", fail("left: 1"), None)]),
        ];
        assert_eq!(e.apply(&mut cols), Applied { expected: 1, stale: 0, different: 1 });
        match &cols[0].results[0].outcome {
            Outcome::Expected { observed, expectation, .. } => {
                assert_eq!(*observed, Kind::Timeout);
                assert!(expectation.ends_with("[intermittent]"), "{expectation}");
            }
            o => panic!("{o:?}"),
        }
        assert!(cols[0].all_good() && cols[1].all_good());
        assert!(cols[1].results.iter().all(|r| r.outcome == Outcome::Pass));
        assert!(cols[1].diagnostics[0].contains("0 stale") && cols[1].diagnostics[0].contains("2 intermittent deviations not seen"), "{:?}", cols[1].diagnostics);
        assert!(!cols[2].all_good());
        match &cols[2].results[0].outcome {
            Outcome::Fail { message } => assert!(message.contains("not the expected deviation") && message.contains("TIMEOUT in some runs"), "{message}"),
            o => panic!("{o:?}"),
        }
        // Without `intermittent`, the same PASS is a stale expectation.
        let strict = Expectations { files: vec![parse(&text.replace("intermittent = true\n", ""), "gvisor", "g.toml", &targets).unwrap()] };
        let mut cols = vec![col("gvisor:2024", "gvisor", User::Root, vec![res("pty::canonical::vwerase::case_1", Outcome::Pass, None)])];
        assert_eq!(strict.apply(&mut cols), Applied { expected: 0, stale: 1, different: 0 });
    }

    #[test]
    fn a_test_that_fails_and_in_some_runs_hangs_instead_has_two_entries() {
        let text = r#"
[[expect]]
tests = ["pty::job_control::sigttou"]
outcome = "FAIL"
observed = "tcsetattr succeeds"
reason = "no SIGTTOU"

[[expect]]
tests = ["pty::job_control::sigttou"]
outcome = "TIMEOUT"
intermittent = true
observed = "in some runs the background job hangs"
reason = "no SIGTTOU, or a stop"
"#;
        let e = Expectations { files: vec![parse(text, "gvisor", "g.toml", &targets).unwrap()] };
        let run = |o: Outcome| {
            let mut cols = vec![col("gvisor:2024", "gvisor", User::Root, vec![res("pty::job_control::sigttou", o, None)])];
            let a = e.apply(&mut cols);
            (a, cols.remove(0).results.remove(0).cell.outcome)
        };
        let (a, o) = run(fail("succeeded"));
        assert_eq!(a, Applied { expected: 1, stale: 0, different: 0 });
        assert!(matches!(&o, Outcome::Expected { observed: Kind::Fail, expectation, .. } if expectation.starts_with("g.toml #1")), "{o:?}");
        let (a, o) = run(Outcome::Timeout { message: "no result".into() });
        assert_eq!(a, Applied { expected: 1, stale: 0, different: 0 });
        assert!(matches!(&o, Outcome::Expected { observed: Kind::Timeout, expectation, .. } if expectation.starts_with("g.toml #2")), "{o:?}");
        // A pass is stale against the entry that is not intermittent.
        let (a, o) = run(Outcome::Pass);
        assert_eq!(a, Applied { expected: 0, stale: 1, different: 0 });
        assert!(matches!(&o, Outcome::Fail { message } if message.starts_with("STALE EXPECTATION: g.toml #1")), "{o:?}");
        // Neither deviation: a failure naming the first entry.
        let (a, o) = run(Outcome::Crash { reason: "signal 11".into() });
        assert_eq!(a, Applied { expected: 0, stale: 0, different: 1 });
        assert!(matches!(&o, Outcome::Crash { reason } if reason.contains("g.toml #1") && reason.contains("expects FAIL")), "{o:?}");
    }

    #[test]
    fn bad_files_are_refused_with_where() {
        let p = |t: &str| parse(t, "gvisor", "g.toml", &targets).map(|_| ()).unwrap_err();
        let base = "observed = \"o\"\nreason = \"r\"\n";
        for (text, want) in [
            ("[[expect]]\ntests = []\noutcome = \"FAIL\"\n".to_string() + base, "`tests` is empty"),
            ("[[expect]]\ntests = [\"x\"]\noutcome = \"FAIL\"\n".to_string() + base, "neither a test id"),
            ("[[expect]]\ntests = [\"a::b::c\"]\n".to_string() + base, "say what is expected"),
            ("[[expect]]\ntests = [\"a::b::c\"]\noutcome = \"PASS\"\n".to_string() + base, "no deviation"),
            ("[[expect]]\ntests = [\"a::b::c\"]\noutcome = \"BROKEN\"\n".to_string() + base, "not one of"),
            ("[[expect]]\ntests = [\"a::b::c\"]\noutcome = \"FAIL\"\ntargets = [\"vm:6.1\"]\n".to_string() + base, "belongs in docs/expectations/vm.toml"),
            ("[[expect]]\ntests = [\"a::b::c\"]\noutcome = \"FAIL\"\ntargets = [\"mars\"]\n".to_string() + base, "unknown target"),
            ("[[expect]]\ntests = [\"a::b::c\"]\noutcome = \"FAIL\"\nusers = [\"admin\"]\n".to_string() + base, "unknown user"),
            ("[[expect]]\ntests = [\"a::b::c\"]\noutcome = \"FAIL\"\nobserved = \"\"\nreason = \"r\"\n".to_string(), "`observed` is empty"),
            ("[[expect]]\ntests = [\"a::b::c\"]\noutcome = \"FAIL\"\ncolour = 1\n".to_string() + base, "not a valid expectations file"),
            ("[[expect]]\ntests = [\"a::b::c\"]\nvariant = \"absent\"\nintermittent = true\n".to_string() + base, "`intermittent` entry expects a failure"),
            ("[[expect]]\ntests = [\"a::b::c\"]\noutcome = \"PASS\"\nvariant = \"absent\"\nintermittent = true\n".to_string() + base, "`intermittent` entry expects a failure"),
        ] {
            let e = p(&text);
            assert!(e.contains(want), "{text}\n=> {e}");
            assert!(e.starts_with("g.toml"), "{e}");
        }
        assert!(parse("", "gvisor", "g.toml", &targets).unwrap().entries.is_empty());
    }

    #[test]
    fn files_are_named_by_kind() {
        let dir = tempfile::tempdir().unwrap();
        assert!(load(dir.path(), &["gvisor"], &targets).unwrap().files.is_empty(), "no directory: no expectations");
        fs::create_dir_all(dir.path().join(DIR)).unwrap();
        fs::write(dir.path().join(DIR).join("gvisor.toml"), FILE).unwrap();
        fs::write(dir.path().join(DIR).join("README.md"), "not toml").unwrap();
        let e = load(dir.path(), &["host", "gvisor"], &targets).unwrap();
        assert_eq!(e.for_kind("gvisor").map(|f| f.entries.len()), Some(4));
        fs::write(dir.path().join(DIR).join("mars.toml"), "").unwrap();
        let err = load(dir.path(), &["host", "gvisor"], &targets).unwrap_err();
        assert!(err.contains("mars.toml") && err.contains("no \"mars\" targets"), "{err}");
    }
}
