//! The vocabulary every other module speaks: test ids, outcomes, users, runs of a target.
//!
//! Nothing here does I/O. The JSON shapes of these types are part of the results schema
//! (docs/results-schema.md): rename nothing without bumping [`RESULTS_SCHEMA`].

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// The schema id written into results.json.
pub const RESULTS_SCHEMA: &str = "ipcspec-results/1";

/// `<suite>::<file>::<test name>`; the test name may contain `::` itself (a test inside a
/// module, an rstest case: `writes_never_interleave::case_1_anonymous`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TestId(String);

impl TestId {
    /// A test of `binary` (a nextest binary id, `<suite>::<file>`) named `name`.
    pub fn new(binary: &str, name: &str) -> TestId {
        TestId(format!("{binary}::{name}"))
    }

    /// Parse a full id; it needs at least three non-empty `::`-separated parts.
    pub fn parse(s: &str) -> Result<TestId, String> {
        let parts: Vec<&str> = s.split("::").collect();
        if parts.len() < 3 || parts.iter().any(|p| p.is_empty()) {
            return Err(format!("{s:?} is not a test id (<suite>::<file>::<test name>)"));
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(format!("{s:?} is not a test id (it contains whitespace)"));
        }
        Ok(TestId(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn suite(&self) -> &str {
        self.0.split("::").next().unwrap_or("")
    }

    pub fn file(&self) -> &str {
        self.0.split("::").nth(1).unwrap_or("")
    }

    /// `<suite>::<file>`: nextest's binary id.
    pub fn binary(&self) -> &str {
        let s = self.suite().len() + 2 + self.file().len();
        self.0.get(..s).unwrap_or(&self.0)
    }

    /// The test's name inside its binary (what libtest lists).
    pub fn name(&self) -> &str {
        let s = self.suite().len() + 2 + self.file().len() + 2;
        self.0.get(s..).unwrap_or("")
    }
}

impl fmt::Display for TestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A column's name: `host` + root -> `host`; `vm:6.1` + nobody -> `vm:6.1/nobody`.
pub fn column_name(target: &str, user: User) -> String {
    match user {
        User::Root => target.to_string(),
        User::Nobody => format!("{target}/nobody"),
    }
}

/// What one test did on one target as one user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "UPPERCASE")]
pub enum Outcome {
    Pass,
    /// An assertion failed (or the test exited non-zero): the message says what differs.
    Fail { message: String },
    /// The test said it cannot run here (the SKIP marker): never counted as a pass.
    Skip { reason: String },
    /// The test did not finish within its deadline and was killed.
    Timeout { message: String },
    /// The test, or the whole target (a kernel panic, a dead VM), died without a verdict.
    Crash { reason: String },
    /// The target deviates from the claim exactly as its expectations file says
    /// (`docs/expectations/<kind>.toml`; runner/src/expectations.rs): not a failure.
    #[serde(rename = "EXPECTED_DEVIATION")]
    Expected {
        /// What the test did: FAIL, SKIP, TIMEOUT, CRASH, or PASS with the expected variant.
        observed: Kind,
        /// Its message or skip reason (empty for a PASS).
        #[serde(default, skip_serializing_if = "String::is_empty")]
        message: String,
        /// Why the target behaves so (the expectation's one line).
        reason: String,
        /// The upstream issue, where one exists.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        issue: Option<String>,
        /// Which expectation: `docs/expectations/gvisor.toml: <id pattern>`.
        expectation: String,
    },
}

/// The outcome kinds, in the order reports list them (worst first).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Kind {
    Crash,
    Timeout,
    Fail,
    #[serde(rename = "EXPECTED_DEVIATION")]
    Expected,
    Skip,
    Pass,
}

impl Kind {
    pub const ALL: [Kind; 6] = [Kind::Pass, Kind::Fail, Kind::Skip, Kind::Expected, Kind::Timeout, Kind::Crash];

    pub fn label(self) -> &'static str {
        match self {
            Kind::Pass => "PASS",
            Kind::Fail => "FAIL",
            Kind::Skip => "SKIP",
            Kind::Expected => "EXPECTED DEVIATION",
            Kind::Timeout => "TIMEOUT",
            Kind::Crash => "CRASH",
        }
    }

    /// FAIL, TIMEOUT and CRASH make a run unsuccessful; PASS and SKIP do not.
    pub fn is_bad(self) -> bool {
        matches!(self, Kind::Fail | Kind::Timeout | Kind::Crash)
    }
}

impl Outcome {
    pub fn kind(&self) -> Kind {
        match self {
            Outcome::Pass => Kind::Pass,
            Outcome::Fail { .. } => Kind::Fail,
            Outcome::Skip { .. } => Kind::Skip,
            Outcome::Timeout { .. } => Kind::Timeout,
            Outcome::Crash { .. } => Kind::Crash,
            Outcome::Expected { .. } => Kind::Expected,
        }
    }

    /// The message, reason or nothing (PASS); for an expected deviation, why it is expected.
    pub fn detail(&self) -> &str {
        match self {
            Outcome::Pass => "",
            Outcome::Fail { message } | Outcome::Timeout { message } => message,
            Outcome::Skip { reason } | Outcome::Crash { reason } | Outcome::Expected { reason, .. } => reason,
        }
    }
}

/// Whom the tests run as. Root and nobody are separate columns of the matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum User {
    Root,
    /// uid/gid 65534, no supplementary groups.
    Nobody,
}

impl User {
    pub const NOBODY_ID: u32 = 65534;

    pub fn parse(s: &str) -> Result<User, String> {
        match s {
            "root" => Ok(User::Root),
            "nobody" | "65534" => Ok(User::Nobody),
            _ => Err(format!("unknown user {s:?} (expected root or nobody)")),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            User::Root => "root",
            User::Nobody => "nobody",
        }
    }
}

/// Which of a claim's documented outcomes a test saw (`present`, `absent`, `eloop`, …),
/// reported by the test itself (fixtures::variant). Several reports of one test are
/// combined: names joined with `+` in the order reported, lacking if any was.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Variant {
    pub name: String,
    /// The variant means that the feature the claim is about is not available here
    /// (`absent`, `blocked`, …): `verify` gives a claim relying on it a negative verdict.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub lacking: bool,
    /// The test's one-line why ("ENOSYS: epoll_pwait2 was added in 5.11; kernel 5.10.0").
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

impl Variant {
    /// The single names of a combined variant (`present+eloop` -> `present`, `eloop`).
    pub fn parts(&self) -> impl Iterator<Item = &str> {
        self.name.split('+').filter(|p| !p.is_empty())
    }

    /// `absent` or `absent (lacking)`, for cells and messages.
    pub fn label(&self) -> String {
        if self.lacking { format!("{} (lacking)", self.name) } else { self.name.clone() }
    }
}

/// `$outer` reads and writes the fields of its part `$field` (a `$inner`) as its own: a
/// record made of a shared part and its own fields, the shared part flattened in the JSON too.
macro_rules! reads_through {
    ($outer:ty, $field:ident: $inner:ty) => {
        impl std::ops::Deref for $outer {
            type Target = $inner;
            fn deref(&self) -> &$inner {
                &self.$field
            }
        }

        impl std::ops::DerefMut for $outer {
            fn deref_mut(&mut self) -> &mut $inner {
                &mut self.$field
            }
        }
    };
}
pub(crate) use reads_through;

/// What one test did in one column: its outcome, the variant it reported, its wall time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cell {
    #[serde(flatten)]
    pub outcome: Outcome,
    /// The variant the test reported, if it has more than one documented outcome.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<Variant>,
    /// Wall time of the test process, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
}

/// One test's result in one column: its id and its cell (flattened: the JSON keeps one level).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestResult {
    pub id: TestId,
    #[serde(flatten)]
    pub cell: Cell,
}

impl TestResult {
    pub fn new(id: TestId, outcome: Outcome, variant: Option<Variant>, duration_ms: Option<u64>) -> TestResult {
        TestResult { id, cell: Cell { outcome, variant, duration_ms } }
    }
}

// A result's cell is read through it (`r.outcome`, `r.variant`).
reads_through!(TestResult, cell: Cell);

/// Whether a column ran to its end.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum RunStatus {
    /// Every planned test has a result of its own.
    Complete,
    /// The target died part way (kernel panic, dead VM, no end marker): the tests it never
    /// reported are CRASH with this reason.
    Incomplete { reason: String },
}

/// Where the time of one column went (milliseconds; absent when not measured).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timings {
    /// From starting the target to its first sign of life (VM: first result-stream record).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boot_ms: Option<u64>,
    /// Running the tests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tests_ms: Option<u64>,
    /// From the end of the tests to the target being gone (VM: power-off, file read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub teardown_ms: Option<u64>,
    /// Everything, start to end.
    pub total_ms: u64,
}

/// What a column is — one target as one user — and how its run went: the kernel the tests
/// saw, whether it ran to its end, where the time went, notes for the reader. A run's results
/// ([`ColumnRun`]) and the report's summary of a column (`report::ColumnSummary`) both
/// begin with it (flattened: the JSON keeps one level).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ColumnHead {
    /// The column's name: `host`, `host/nobody`, `vm:6.1`, `vm:6.1/nobody`.
    pub column: String,
    /// The target part of the name: `host`, `vm:6.1`.
    pub target: String,
    /// `host`, `vm` or `docker`.
    pub kind: String,
    pub user: User,
    /// `uname -r` as the tests saw it.
    pub kernel_release: Option<String>,
    /// Where the kernel came from (Debian package and version, or a path).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernel_source: Option<String>,
    pub status: RunStatus,
    pub timings: Timings,
    /// Things the reader should know that are not test outcomes (parse errors of the result
    /// stream, kernel config notes, the last console lines of a crashed VM).
    #[serde(default)]
    pub diagnostics: Vec<String>,
}

impl ColumnHead {
    /// The column of `target` (a target of `kind`) as `user`: complete, nothing else known yet.
    pub fn new(target: &str, kind: &str, user: User) -> ColumnHead {
        ColumnHead {
            column: column_name(target, user),
            target: target.into(),
            kind: kind.into(),
            user,
            kernel_release: None,
            kernel_source: None,
            status: RunStatus::Complete,
            timings: Timings::default(),
            diagnostics: vec![],
        }
    }
}

/// The results of one column: one target as one user.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ColumnRun {
    #[serde(flatten)]
    pub head: ColumnHead,
    pub results: Vec<TestResult>,
}

// A column's head is read through the run (`col.column`, `col.status`), as before the split.
reads_through!(ColumnRun, head: ColumnHead);

impl ColumnRun {
    pub fn counts(&self) -> Counts {
        Counts::of(self.results.iter().map(|r| r.outcome.kind()))
    }

    pub fn result(&self, id: &TestId) -> Option<&TestResult> {
        self.results.iter().find(|r| &r.id == id)
    }

    /// Counts per suite, suites in name order.
    pub fn counts_by_suite(&self) -> BTreeMap<String, Counts> {
        let mut m: BTreeMap<String, Counts> = BTreeMap::new();
        for r in &self.results {
            m.entry(r.id.suite().to_string()).or_default().add(r.outcome.kind());
        }
        m
    }

    pub fn all_good(&self) -> bool {
        self.results.iter().all(|r| !r.outcome.kind().is_bad())
    }
}

/// How many results of each kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub pass: usize,
    pub fail: usize,
    pub skip: usize,
    pub timeout: usize,
    pub crash: usize,
    /// Expected deviations (docs/expectations/): not failures.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub expected: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Counts {
    pub fn of(kinds: impl Iterator<Item = Kind>) -> Counts {
        let mut c = Counts::default();
        for k in kinds {
            c.add(k);
        }
        c
    }

    pub fn add(&mut self, k: Kind) {
        match k {
            Kind::Pass => self.pass += 1,
            Kind::Fail => self.fail += 1,
            Kind::Skip => self.skip += 1,
            Kind::Timeout => self.timeout += 1,
            Kind::Crash => self.crash += 1,
            Kind::Expected => self.expected += 1,
        }
    }

    pub fn total(&self) -> usize {
        self.pass + self.fail + self.skip + self.timeout + self.crash + self.expected
    }

    pub fn bad(&self) -> usize {
        self.fail + self.timeout + self.crash
    }

    /// The five outcomes' counts, with their words, in the order every report gives them.
    pub fn outcomes(&self) -> [(usize, &'static str); 5] {
        [(self.pass, "passed"), (self.fail, "failed"), (self.skip, "skipped"), (self.timeout, "timed out"), (self.crash, "crashed")]
    }

    /// "3 passed, 0 failed, 1 skipped, 0 timed out, 0 crashed".
    pub fn sentence(&self) -> String {
        self.outcomes().map(|(n, w)| format!("{n} {w}")).join(", ")
    }

    /// The five counts joined by `sep` ("3/0/1/0/0").
    pub fn joined(&self, sep: &str) -> String {
        self.outcomes().map(|(n, _)| n.to_string()).join(sep)
    }
}

/// A suite that did not compile: its tests cannot run anywhere.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildError {
    pub suite: String,
    pub message: String,
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
    /// Container targets: the bundle image (`ipcspec-bundle:<key>`), whether this run built it
    /// (false: cached) and how long making sure it exists took.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docker_image: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docker_image_built: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docker_image_ms: Option<u64>,
    pub jobs: usize,
}


#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_id_parts() {
        let id = TestId::parse("pipes::atomicity::writes_never_interleave::case_1_fifo").unwrap();
        assert_eq!(id.suite(), "pipes");
        assert_eq!(id.file(), "atomicity");
        assert_eq!(id.binary(), "pipes::atomicity");
        assert_eq!(id.name(), "writes_never_interleave::case_1_fifo");
    }

    #[test]
    fn test_id_rejects_bad_input() {
        for bad in ["", "pipes", "pipes::x", "a::::b", "a::b::", "a::b::c d", "::a::b"] {
            assert!(TestId::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn outcome_json_shape_is_stable() {
        let r = TestResult::new(TestId::new("fds::dup", "x"), Outcome::Fail { message: "left: 1".into() }, None, Some(3));
        let j = serde_json::to_string(&r).unwrap();
        assert_eq!(j, r#"{"id":"fds::dup::x","outcome":"FAIL","message":"left: 1","duration_ms":3}"#);
        let back: TestResult = serde_json::from_str(&j).unwrap();
        assert_eq!(back, r);
        let p = serde_json::to_string(&Outcome::Pass).unwrap();
        assert_eq!(p, r#"{"outcome":"PASS"}"#);
    }
}
