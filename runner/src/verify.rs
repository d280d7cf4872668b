//! `ipcspec verify <claims.toml>`: run exactly the tests of each claim on exactly its targets
//! and give a verdict per claim and target.
//!
//! Verdicts (per claim and column):
//! - HOLDS: every matching test passed, with a variant the claim accepts;
//! - PARTLY: none failed, some passed, some skipped (the skipped part is not verified);
//! - UNVERIFIED: every matching test skipped for a reason unrelated to the feature (no
//!   privilege, a facility the target lacks) — the claim is *not* shown to hold;
//! - DOES NOT HOLD: no test failed, but a test showed that the feature is not there: it
//!   passed (or skipped) with a *lacking* variant (`absent`: ENOSYS before the version that
//!   added the call; `blocked`: a seccomp filter), or with a variant outside the claim's
//!   `accept` list. The kernel behaves as documented, and the application would break;
//! - FAILS: some matching test failed, timed out or crashed.
//!
//! Exit status: 1 if any claim FAILS or DOES NOT HOLD anywhere; otherwise 3 if any is
//! UNVERIFIED somewhere; otherwise 0. (2 is a usage or input error, as for every command.)

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::{Deserialize, Serialize};

use crate::claims::{Claim, ClaimsFile};
use crate::execute::Session;
use crate::model::{Kind, TestId, TestResult, Variant};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Verdict {
    Fails,
    #[serde(rename = "DOES NOT HOLD")]
    DoesNotHold,
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
            Verdict::DoesNotHold => "DOES NOT HOLD",
            Verdict::Fails => "FAILS",
        }
    }
}

/// The verdict on one claim in one column, with the evidence.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ClaimResult {
    /// The claims file's key (its file name without `.toml`): claim names are unique within
    /// a file only.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub file: String,
    pub claim: String,
    pub column: String,
    pub verdict: Verdict,
    pub tests: usize,
    pub passed: usize,
    pub skipped: usize,
    /// Why the verdict is not HOLDS, in one line (the first failure, or the variant that
    /// shows the feature is not there: "absent: ENOSYS: epoll_pwait2 was added in 5.11").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// (test id, outcome label, message) of every test that did not pass, and of every test
    /// whose variant the claim does not accept (label `PASS · absent`).
    pub details: Vec<(String, String, String)>,
    /// The variants the tests showed here (names, without repeats).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variants: Vec<String>,
}

/// Whether a claim accepts a test's variant: with `accept`, every part of it must be named
/// there; without, it must not be lacking. A test without a variant is accepted.
pub fn accepts(claim: &Claim, v: Option<&Variant>) -> bool {
    let Some(v) = v else { return true };
    match &claim.accept {
        Some(list) => v.parts().all(|p| list.iter().any(|a| a == p)),
        None => !v.lacking,
    }
}

/// A claims file read for `verify`: its path, its key (the file name without `.toml`) and
/// its claims, bound to the catalog.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub path: std::path::PathBuf,
    pub key: String,
    pub file: ClaimsFile,
    /// Each claim's targets as the file names them (`--targets` replaces those the run uses,
    /// not those the application claims).
    pub declared: BTreeMap<String, Vec<String>>,
}

/// Read and parse every claims file, before the workspace is even looked at: a file that is
/// not UTF-8 or not a claims file is refused at once, naming the file (and without needing
/// cargo, which a user who cannot run the toolchain would otherwise hit first).
pub fn read(paths: &[std::path::PathBuf]) -> Result<Vec<(std::path::PathBuf, ClaimsFile)>, String> {
    if paths.is_empty() {
        return Err("no claims file given".into());
    }
    paths
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).map_err(|e| format!("reading the claims file {}: {e}", p.display()))?;
            let file = crate::claims::parse(&text).map_err(|e| format!("{}: {e}", p.display()))?;
            Ok((p.clone(), file))
        })
        .collect()
}

/// Bind every file [`read`] gave to the catalog, before anything is built: a selector that
/// names no test of the catalog, or two files with the same key, is an error naming the file.
/// `targets`, when given, replaces every claim's targets.
pub fn bind(read: Vec<(std::path::PathBuf, ClaimsFile)>, cat: &crate::catalog::Catalog, targets: Option<&[crate::target::Column]>) -> Result<Vec<Loaded>, String> {
    let mut out: Vec<Loaded> = Vec::new();
    for (p, mut file) in read {
        file.bind(cat).map_err(|e| format!("{}: {e}", p.display()))?;
        let declared = file.claims.iter().map(|c| (c.name.clone(), c.columns.iter().map(|x| x.name()).collect())).collect();
        if let Some(cols) = targets {
            crate::claims::set_columns(&mut file, cols);
        }
        let key = p.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        if let Some(prev) = out.iter().find(|l| l.key == key) {
            return Err(format!("{} and {} have the same name {key:?}: verdicts are kept per file name", prev.path.display(), p.display()));
        }
        out.push(Loaded { path: p, key, file, declared });
    }
    Ok(out)
}

/// Verdicts of every loaded file, each marked with its file's key.
pub fn verdicts_all(files: &[Loaded], session: &Session) -> Vec<ClaimResult> {
    let cols: Vec<(&str, &[TestResult])> = session.columns.iter().map(|r| (r.column.as_str(), r.results.as_slice())).collect();
    verdicts_all_in(files, &cols)
}

/// [`verdicts_all`] from the results of some columns.
pub fn verdicts_all_in(files: &[Loaded], columns: &[(&str, &[TestResult])]) -> Vec<ClaimResult> {
    let mut out = Vec::new();
    for l in files {
        for mut r in verdicts_in(&l.file, columns) {
            r.file = l.key.clone();
            out.push(r);
        }
    }
    out
}

/// The terminal form of several files' verdicts: each file's claims under its name, then
/// one count line over all.
pub fn render_all(files: &[Loaded], rs: &[ClaimResult]) -> String {
    if let [one] = files {
        return render(&one.file, rs);
    }
    let mut t = String::new();
    for l in files {
        let mine: Vec<ClaimResult> = rs.iter().filter(|r| r.file == l.key).cloned().collect();
        let body = render(&l.file, &mine);
        let body = body.rsplit_once("\n\n").map_or(body.as_str(), |(b, _)| b);
        let _ = writeln!(t, "\n== {} ({})", l.file.application.as_deref().unwrap_or(&l.key), l.path.display());
        t.push_str(body);
        t.push('\n');
    }
    t.push_str(&count_line(rs));
    t
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
    let cols: Vec<(&str, &[TestResult])> = session.columns.iter().map(|r| (r.column.as_str(), r.results.as_slice())).collect();
    verdicts_in(file, &cols)
}

/// Verdicts from the results of some columns, wherever they come from: a run, or the
/// results.json of an earlier matrix run (`verify --results`).
pub fn verdicts_in(file: &ClaimsFile, columns: &[(&str, &[TestResult])]) -> Vec<ClaimResult> {
    let mut out = Vec::new();
    for c in &file.claims {
        for col in &c.columns {
            let name = col.name();
            let Some((_, run_results)) = columns.iter().find(|(n, _)| *n == name) else { continue };
            let results: Vec<_> = run_results.iter().filter(|r| c.matches(r.id.as_str())).collect();
            let passed = results.iter().filter(|r| r.outcome.kind() == Kind::Pass).count();
            let skipped = results.iter().filter(|r| r.outcome.kind() == Kind::Skip).count();
            let bad = results.iter().any(|r| r.outcome.kind().is_bad());
            // A deviation the target's expectations file lists: known, and the claim does
            // not hold there.
            let expected: Vec<_> = results.iter().filter(|r| r.outcome.kind() == Kind::Expected).collect();
            // A variant counts whether the test passed or skipped: a test that cannot run
            // because the feature is absent says so with its variant.
            let unaccepted: Vec<_> = results
                .iter()
                .filter(|r| matches!(r.outcome.kind(), Kind::Pass | Kind::Skip) && !accepts(c, r.variant.as_ref()))
                .collect();
            let mut variants: Vec<String> = Vec::new();
            for v in results.iter().filter_map(|r| r.variant.as_ref()) {
                if !variants.contains(&v.name) {
                    variants.push(v.name.clone());
                }
            }
            let verdict = if bad {
                Verdict::Fails
            } else if !unaccepted.is_empty() || !expected.is_empty() {
                Verdict::DoesNotHold
            } else if results.is_empty() || passed == 0 {
                Verdict::Unverified
            } else if skipped > 0 {
                Verdict::Partly
            } else {
                Verdict::Holds
            };
            let mut details: Vec<(String, String, String)> = results
                .iter()
                .filter(|r| r.outcome.kind().is_bad())
                .map(|r| (r.id.to_string(), r.outcome.kind().label().to_string(), r.outcome.detail().to_string()))
                .collect();
            for r in &unaccepted {
                let v = r.variant.as_ref().expect("only a variant can be unaccepted");
                details.push((r.id.to_string(), format!("{} · {}", r.outcome.kind().label(), v.name), v.detail.clone()));
            }
            for r in &expected {
                details.push((r.id.to_string(), r.outcome.kind().label().to_string(), r.outcome.detail().to_string()));
            }
            details.extend(
                results
                    .iter()
                    .filter(|r| r.outcome.kind() == Kind::Skip && accepts(c, r.variant.as_ref()))
                    .map(|r| (r.id.to_string(), "SKIP".to_string(), r.outcome.detail().to_string())),
            );
            let reason = match verdict {
                Verdict::Holds => None,
                Verdict::DoesNotHold => unaccepted
                    .first()
                    .and_then(|r| r.variant.as_ref())
                    .map(|v| {
                        let why = if c.accept.is_some() && !v.lacking {
                            format!("variant {} is not among those the claim accepts", v.name)
                        } else {
                            v.name.clone()
                        };
                        if v.detail.is_empty() { why } else { format!("{why}: {}", v.detail) }
                    })
                    .or_else(|| expected.first().map(|r| format!("expected deviation ({}): {}", r.id, r.outcome.detail()))),
                _ if results.is_empty() => Some("none of its tests ran there (a suite not built or not run for this column)".to_string()),
                _ => details.first().map(|(id, k, m)| format!("{k} {id}: {}", m.lines().next().unwrap_or(""))),
            };
            out.push(ClaimResult {
                file: String::new(),
                claim: c.name.clone(),
                column: name,
                verdict,
                tests: results.len(),
                passed,
                skipped,
                reason,
                details,
                variants,
            });
        }
    }
    out
}

/// 1 on any FAILS or DOES NOT HOLD, else 3 on any UNVERIFIED, else 0.
pub fn exit_code(rs: &[ClaimResult]) -> i32 {
    if rs.iter().any(|r| matches!(r.verdict, Verdict::Fails | Verdict::DoesNotHold)) {
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
            let variants = if r.variants.is_empty() { String::new() } else { format!(" · variants {}", r.variants.join(", ")) };
            let _ = writeln!(
                t,
                "    {:<13} {:<18} {} tests: {} passed, {} skipped{variants}",
                r.verdict.label(),
                r.column,
                r.tests,
                r.passed,
                r.skipped
            );
            if let (Verdict::DoesNotHold, Some(why)) = (r.verdict, &r.reason) {
                let _ = writeln!(t, "                  {why}");
            }
            for (id, k, msg) in r.details.iter().take(10) {
                let first = msg.lines().next().unwrap_or("");
                let _ = writeln!(t, "                {k:<8} {id}: {first}");
            }
        }
    }
    t.push_str(&count_line(rs));
    t
}

fn count_line(rs: &[ClaimResult]) -> String {
    let mut t = String::new();
    let count = |v: Verdict| rs.iter().filter(|r| r.verdict == v).count();
    let _ = writeln!(
        t,
        "\n{} claim×target verdicts: {} hold, {} partly (some tests skipped), {} unverified (all skipped: NOT shown to hold), {} do not hold (the feature is not there), {} fail",
        rs.len(),
        count(Verdict::Holds),
        count(Verdict::Partly),
        count(Verdict::Unverified),
        count(Verdict::DoesNotHold),
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
    fn a_lacking_variant_does_not_hold_unless_accepted() {
        use crate::model::{Outcome, TestResult};
        let text = |accept: &str| {
            format!("targets = [\"host\", \"vm:5.10\"]\n[[claim]]\nname = \"pwait2\"\ntests = [\"pipes::cap::*\"]\n{accept}")
        };
        let mut s = session();
        let v = |name: &str, lacking| Some(Variant { name: name.into(), lacking, detail: format!("{name} here") });
        for col in &mut s.columns {
            let old = col.column == "vm:5.10";
            col.results = vec![
                TestResult::new(s.tests[0].clone(), Outcome::Pass, if old { v("absent", true) } else { v("present", false) }, None),
                TestResult::new(s.tests[1].clone(), Outcome::Pass, None, None),
            ];
        }
        let f = crate::claims::parse(&text("")).unwrap();
        let rs = verdicts(&f, &s);
        assert_eq!((rs[0].column.as_str(), rs[0].verdict), ("host", Verdict::Holds));
        assert_eq!((rs[1].column.as_str(), rs[1].verdict), ("vm:5.10", Verdict::DoesNotHold));
        assert_eq!(rs[1].reason.as_deref(), Some("absent: absent here"));
        assert_eq!(rs[1].variants, ["absent"]);
        assert_eq!(exit_code(&rs), 1);
        let out = render(&f, &rs);
        assert!(out.contains("DOES NOT HOLD") && out.contains("absent: absent here"), "{out}");
        // An application that handles both accepts both.
        let f = crate::claims::parse(&text("accept = [\"present\", \"absent\"]")).unwrap();
        assert!(verdicts(&f, &s).iter().all(|r| r.verdict == Verdict::Holds));
        // One that needs the old behaviour accepts only that: the new kernel does not hold.
        let f = crate::claims::parse(&text("accept = [\"absent\"]")).unwrap();
        let rs = verdicts(&f, &s);
        assert_eq!(rs[0].verdict, Verdict::DoesNotHold);
        assert!(rs[0].reason.as_deref().unwrap().contains("not among those the claim accepts"), "{:?}", rs[0].reason);
        assert_eq!(rs[1].verdict, Verdict::Holds);
        // A skip that reports the feature absent is a negative verdict, not "unverified".
        for col in &mut s.columns {
            col.results[0].outcome = Outcome::Skip { reason: "feature absent".into() };
        }
        let f = crate::claims::parse(&text("")).unwrap();
        let rs = verdicts(&f, &s);
        assert_eq!(rs[1].verdict, Verdict::DoesNotHold);
        assert_eq!(rs[0].verdict, Verdict::Partly);
        assert_eq!(serde_json::to_value(rs[1].verdict).unwrap(), "DOES NOT HOLD");
    }

    #[test]
    fn an_expected_deviation_does_not_hold_and_says_why() {
        use crate::model::{Kind, Outcome};
        let f = crate::claims::parse("targets = [\"host\", \"vm:5.10\"]\n[[claim]]\nname = \"cap\"\ntests = [\"pipes::cap::*\"]").unwrap();
        let mut s = session();
        // vm:5.10's FAIL of pipes::cap::b is listed in its expectations file.
        s.columns[1].results[1].outcome = Outcome::Expected {
            observed: Kind::Fail,
            message: "left: 4096".into(),
            reason: "a known kernel bug".into(),
            issue: None,
            expectation: "docs/expectations/vm.toml #1 (pipes::cap::b)".into(),
        };
        let rs = verdicts(&f, &s);
        assert_eq!((rs[0].verdict, rs[1].verdict), (Verdict::Holds, Verdict::DoesNotHold));
        assert_eq!(rs[1].reason.as_deref(), Some("expected deviation (pipes::cap::b): a known kernel bug"));
        assert!(rs[1].details.iter().any(|(id, k, _)| id == "pipes::cap::b" && k == "EXPECTED DEVIATION"), "{:?}", rs[1].details);
        assert_eq!(exit_code(&rs), 1);
    }

    #[test]
    fn a_claim_matching_nothing_is_an_error() {
        let f = crate::claims::parse("targets=[\"host\"]\n[[claim]]\nname=\"x\"\ntests=[\"nosuch::*\"]").unwrap();
        let e = resolve(&f, &session().tests).unwrap_err();
        assert!(e.contains("no test matches nosuch::*"), "{e}");
    }
}
