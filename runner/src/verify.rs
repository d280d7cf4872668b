//! `ipcspec verify <claims.toml>`: run exactly the tests of each claim on exactly its targets
//! and give a verdict per claim and target.
//!
//! Verdicts (per claim and column):
//! - HOLDS: every matching test passed;
//! - PARTLY: none failed, some passed, some skipped (the skipped part is not verified);
//! - UNVERIFIED: every matching test skipped — the claim is *not* shown to hold;
//! - FAILS: some matching test failed, timed out or crashed.
//!
//! Exit status: 1 if any claim FAILS anywhere; otherwise 3 if any is UNVERIFIED somewhere;
//! otherwise 0. (2 is a usage or input error, as for every command.)

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::{Deserialize, Serialize};

use crate::claims::ClaimsFile;
use crate::execute::Session;
use crate::model::{Kind, TestId};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Verdict {
    Fails,
    Unverified,
    Partly,
    Holds,
}

impl Verdict {
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Holds => "HOLDS",
            Verdict::Partly => "PARTLY",
            Verdict::Unverified => "UNVERIFIED",
            Verdict::Fails => "FAILS",
        }
    }
}

/// The verdict on one claim in one column, with the evidence.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ClaimResult {
    pub claim: String,
    pub column: String,
    pub verdict: Verdict,
    pub tests: usize,
    pub passed: usize,
    pub skipped: usize,
    /// (test id, outcome label, message) of every test that did not pass.
    pub details: Vec<(String, String, String)>,
}

/// Every test id of `all` that a claim of `file` selects, per claim; a claim that selects no
/// test is an error naming its patterns.
pub fn resolve(file: &ClaimsFile, all: &[TestId]) -> Result<BTreeMap<String, Vec<TestId>>, String> {
    let mut out = BTreeMap::new();
    for c in &file.claims {
        let ids: Vec<TestId> = all.iter().filter(|id| c.matches(id.as_str())).cloned().collect();
        if ids.is_empty() {
            let pats: Vec<&str> = c.patterns.iter().map(|p| p.text.as_str()).collect();
            return Err(format!(
                "claim {:?}: no test matches {} (test ids look like pipes::atomicity::write_of_pipe_buf_bytes_is_atomic; `ipcspec catalog` lists them)",
                c.name,
                pats.join(", ")
            ));
        }
        out.insert(c.name.clone(), ids);
    }
    Ok(out)
}

/// Verdicts from a session that ran the claims' tests.
pub fn verdicts(file: &ClaimsFile, session: &Session) -> Vec<ClaimResult> {
    let mut out = Vec::new();
    for c in &file.claims {
        for col in &c.columns {
            let name = col.name();
            let Some(run) = session.columns.iter().find(|r| r.column == name) else { continue };
            let results: Vec<_> = run.results.iter().filter(|r| c.matches(r.id.as_str())).collect();
            let passed = results.iter().filter(|r| r.outcome.kind() == Kind::Pass).count();
            let skipped = results.iter().filter(|r| r.outcome.kind() == Kind::Skip).count();
            let bad = results.iter().any(|r| r.outcome.kind().is_bad());
            let verdict = if bad {
                Verdict::Fails
            } else if results.is_empty() || passed == 0 {
                Verdict::Unverified
            } else if skipped > 0 {
                Verdict::Partly
            } else {
                Verdict::Holds
            };
            let details = results
                .iter()
                .filter(|r| r.outcome.kind() != Kind::Pass)
                .map(|r| (r.id.to_string(), r.outcome.kind().label().to_string(), r.outcome.detail().to_string()))
                .collect();
            out.push(ClaimResult { claim: c.name.clone(), column: name, verdict, tests: results.len(), passed, skipped, details });
        }
    }
    out
}

/// 1 on any FAILS, else 3 on any UNVERIFIED, else 0.
pub fn exit_code(rs: &[ClaimResult]) -> i32 {
    if rs.iter().any(|r| r.verdict == Verdict::Fails) {
        1
    } else if rs.iter().any(|r| r.verdict == Verdict::Unverified) {
        3
    } else {
        0
    }
}

/// The terminal form.
pub fn render(file: &ClaimsFile, rs: &[ClaimResult]) -> String {
    let mut t = String::new();
    let _ = writeln!(t, "\nclaims:");
    for c in &file.claims {
        let _ = writeln!(t, "\n  {}", c.name);
        if let Some(w) = &c.why {
            let _ = writeln!(t, "    why: {w}");
        }
        for r in rs.iter().filter(|r| r.claim == c.name) {
            let _ = writeln!(
                t,
                "    {:<11} {:<18} {} tests: {} passed, {} skipped",
                r.verdict.label(),
                r.column,
                r.tests,
                r.passed,
                r.skipped
            );
            for (id, k, msg) in r.details.iter().take(10) {
                let first = msg.lines().next().unwrap_or("");
                let _ = writeln!(t, "                {k:<8} {id}: {first}");
            }
        }
    }
    let count = |v: Verdict| rs.iter().filter(|r| r.verdict == v).count();
    let _ = writeln!(
        t,
        "\n{} claim×target verdicts: {} hold, {} partly (some tests skipped), {} unverified (all skipped: NOT shown to hold), {} fail",
        rs.len(),
        count(Verdict::Holds),
        count(Verdict::Partly),
        count(Verdict::Unverified),
        count(Verdict::Fails)
    );
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::session;

    #[test]
    fn verdicts_distinguish_skips() {
        let f = crate::claims::parse(
            r#"
targets = ["host", "vm:5.10"]
[[claim]]
name = "cap"
tests = ["pipes::cap::*"]
[[claim]]
name = "dup"
tests = ["fds::*"]
"#,
        )
        .unwrap();
        let s = session();
        let ids = resolve(&f, &s.tests).unwrap();
        assert_eq!(ids["cap"].len(), 2);
        let rs = verdicts(&f, &s);
        let v: Vec<(String, String, Verdict)> = rs.iter().map(|r| (r.claim.clone(), r.column.clone(), r.verdict)).collect();
        assert_eq!(
            v,
            vec![
                ("cap".into(), "host".into(), Verdict::Holds),
                ("cap".into(), "vm:5.10".into(), Verdict::Fails),
                ("dup".into(), "host".into(), Verdict::Holds),
                ("dup".into(), "vm:5.10".into(), Verdict::Unverified),
            ]
        );
        assert_eq!(exit_code(&rs), 1);
        assert_eq!(exit_code(&rs[2..]), 3);
        assert_eq!(exit_code(&rs[..1]), 0);
        assert!(render(&f, &rs).contains("UNVERIFIED"));
    }

    #[test]
    fn a_claim_matching_nothing_is_an_error() {
        let f = crate::claims::parse("targets=[\"host\"]\n[[claim]]\nname=\"x\"\ntests=[\"nosuch::*\"]").unwrap();
        let e = resolve(&f, &session().tests).unwrap_err();
        assert!(e.contains("no test matches nosuch::*"), "{e}");
    }
}
