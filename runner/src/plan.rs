//! What a run asks of a target: which tests (per test binary) and which test-only faults to
//! inject. Plain data, shared by the orchestrator, the bundle, the guest executor and every
//! target; it depends on nothing but the vocabulary ([`crate::model`]).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::model::{TestId, User};

/// Which tests to run: binary id -> test names, and where each binary is.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Plan {
    pub binaries: Vec<PlannedBinary>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PlannedBinary {
    /// `<suite>::<file>`.
    pub id: String,
    pub path: PathBuf,
    pub serial: bool,
    pub tests: Vec<String>,
}

impl Plan {
    pub fn ids(&self) -> Vec<TestId> {
        self.binaries.iter().flat_map(|b| b.tests.iter().map(move |t| TestId::new(&b.id, t))).collect()
    }

    pub fn len(&self) -> usize {
        self.binaries.iter().map(|b| b.tests.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn suites(&self) -> Vec<String> {
        let mut s: Vec<String> = self.binaries.iter().map(|b| b.id.split("::").next().unwrap_or("").to_string()).collect();
        s.dedup();
        s
    }

    /// Keep only the tests for which `keep` is true (and drop empty binaries).
    pub fn filtered(&self, keep: impl Fn(&TestId) -> bool) -> Plan {
        let binaries = self
            .binaries
            .iter()
            .filter_map(|b| {
                let tests: Vec<String> = b.tests.iter().filter(|t| keep(&TestId::new(&b.id, t))).cloned().collect();
                (!tests.is_empty()).then(|| PlannedBinary { tests, ..b.clone() })
            })
            .collect();
        Plan { binaries }
    }
}

/// Test-only faults the guest executor injects, to prove that no result is ever lost. Each
/// is absent (empty) unless asked for.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Inject {
    /// These tests hang (the child pauses instead of running the test) until the executor
    /// kills them: they must come out as TIMEOUT.
    pub hang: Vec<String>,
    /// These tests hang in their binary's batch only (the batch process announces the test
    /// and pauses): a hang beside the others of its process must run again alone, and the
    /// test's own result count.
    pub hang_in_batch: Vec<String>,
    /// Right before this test starts (as root), the guest crashes its kernel through
    /// /proc/sysrq-trigger: it and every later test must come out as CRASH.
    pub panic_before: Option<String>,
}

impl Inject {
    pub fn is_empty(&self) -> bool {
        self.hang.is_empty() && self.hang_in_batch.is_empty() && self.panic_before.is_none()
    }

    /// Whether `list` (one of the fault lists) names test `test` of binary `binary_id` as
    /// `user`: by its id, or by its id with `/root` or `/nobody`.
    pub fn names(list: &[String], binary_id: &str, test: &str, user: User) -> bool {
        let id = format!("{binary_id}::{test}");
        list.iter().any(|h| *h == id || *h == format!("{id}/{}", user.name()))
    }
}
