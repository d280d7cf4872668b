//! Reading the JUnit XML that cargo-nextest writes (profile `ipcspec`, output stored for
//! passing tests too) into results.
//!
//! What nextest 0.9 writes (runner/tests/data/nextest-0.9.143-junit.xml is a real sample
//! with a pass, a panic, a SKIP marker, a hang, an abort, a segfault and an exit(3)):
//! - `<testsuite name="<binary id>">`, `<testcase name="<test>" classname="<binary id>" time="s">`;
//! - a failed test: `<failure type="test failure with exit code N" message=...>` with the
//!   panic in `<system-err>`;
//! - a signal: `<failure type="test abort" message="process aborted with signal 6 (SIGABRT)">`;
//! - a test killed by `terminate-after`: `<failure type="test timeout"/>`;
//! - the SKIP marker is in `<system-out>` of a passing test.
//!
//! Pure functions of the XML text (read with quick-junit, the crate nextest writes it with);
//! errors for malformed XML, never a panic. [`read_after_run`] reads the file a run wrote.

use std::fs;
use std::path::Path;
use std::process::ExitStatus;

use quick_junit::{Report, TestCaseStatus, XmlString};

use crate::classify::{Exit, classify};
use crate::model::{Outcome, TestId, TestResult};

/// Read a JUnit report (quick-junit's reader: nextest writes with quick-junit). Errors for
/// malformed XML, never a panic.
pub fn report(xml: &str) -> Result<Report, String> {
    Report::deserialize_from_str(xml).map_err(|e| format!("malformed JUnit XML: {e}"))
}

/// The JUnit report a `cargo nextest run` that ended with `status` wrote to `junit`, copied to
/// `keep_as` (beside the run's other logs) and parsed: its text and its results. Without a
/// report the error names the run's log `log_path` and ends with its tail: what nextest
/// said is the only clue.
pub fn read_after_run(junit: &Path, status: ExitStatus, log_path: &Path, keep_as: &Path) -> anyhow::Result<(String, Vec<TestResult>)> {
    let xml = fs::read_to_string(junit).map_err(|_| {
        anyhow::anyhow!(
            "cargo nextest run ended ({status}) without writing {}; see {}:\n{}",
            junit.display(),
            log_path.display(),
            crate::util::console_tail(&fs::read(log_path).unwrap_or_default(), 20)
        )
    })?;
    let _ = fs::copy(junit, keep_as);
    let results = parse(&xml).map_err(|e| anyhow::anyhow!("reading {}: {e}", junit.display()))?;
    Ok((xml, results))
}

/// Parse nextest's JUnit into results; ids are `classname::name`.
pub fn parse(xml: &str) -> Result<Vec<TestResult>, String> {
    let r = report(xml)?;
    let mut results = Vec::new();
    // nextest reports its setup scripts (`@setup-script:<name>`, .config/nextest.toml) as
    // test suites of their own: they are no tests.
    for suite in r.test_suites.iter().filter(|s| !s.name.as_str().starts_with("@setup-script:")) {
        for c in &suite.test_cases {
            results.push(finish(c)?);
        }
    }
    Ok(results)
}

fn text(s: &Option<XmlString>) -> &str {
    s.as_ref().map_or("", XmlString::as_str)
}

fn finish(c: &quick_junit::TestCase) -> Result<TestResult, String> {
    let classname = text(&c.classname);
    if classname.is_empty() || c.name.as_str().is_empty() {
        return Err("a <testcase> without name or classname".into());
    }
    let binary = lib_binary_id(classname);
    let id = TestId::parse(&format!("{binary}::{}", c.name.as_str()))?;
    let duration_ms = c.time.map(|t| (t.as_secs_f64() * 1000.0).round() as u64);
    let (out, err) = (text(&c.system_out), text(&c.system_err));
    let outcome = match &c.status {
        TestCaseStatus::Skipped { .. } => Outcome::Skip { reason: "ignored (not run by nextest)".into() },
        TestCaseStatus::Success { .. } => classify(Exit::Code(0), out, err),
        TestCaseStatus::NonSuccess { message, ty, description, .. } => {
            failure_outcome(text(ty), text(message), text(description), out, err, duration_ms.unwrap_or(0))
        }
    };
    let variant = crate::classify::variant_of(out);
    Ok(TestResult::new(id, outcome, variant, duration_ms))
}

/// nextest's binary id of a library's unit tests is the bare package name; give it the
/// file part `lib` so that every id has three parts.
pub fn lib_binary_id(classname: &str) -> String {
    if classname.contains("::") { classname.to_string() } else { format!("{classname}::lib") }
}

fn failure_outcome(ty: &str, msg: &str, body: &str, out: &str, err: &str, ms: u64) -> Outcome {
    if ty == "test timeout" || ty.contains("timeout") {
        return classify(Exit::TimedOut(ms), out, err);
    }
    if let Some(code) = ty.strip_prefix("test failure with exit code ").and_then(|n| n.trim().parse::<i32>().ok()) {
        let err = if err.trim().is_empty() { body } else { err };
        return classify(Exit::Code(code), out, err);
    }
    if ty == "test abort" || msg.contains("signal") {
        // "process aborted with signal 11 (SIGSEGV)"
        let sig = msg
            .split("signal ")
            .nth(1)
            .and_then(|r| r.split(|ch: char| !ch.is_ascii_digit()).next())
            .and_then(|n| n.parse::<i32>().ok());
        if let Some(sig) = sig {
            return classify(Exit::Signal(sig), out, err);
        }
        return Outcome::Crash { reason: if msg.is_empty() { ty.to_string() } else { msg.to_string() } };
    }
    // Anything else nextest may add (leaks marked as failures, exec failures, ...): a
    // failure named by its type and message.
    let mut message = ty.to_string();
    if !msg.is_empty() {
        message.push_str(": ");
        message.push_str(msg);
    }
    if message.is_empty() {
        message = "failed (no detail in JUnit)".into();
    }
    Outcome::Fail { message: crate::classify::clip(&message) }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = include_str!("../tests/data/nextest-0.9.143-junit.xml");

    fn outcome(rs: &[TestResult], name: &str) -> Outcome {
        rs.iter().find(|r| r.id.name() == name).unwrap_or_else(|| panic!("{name}")).outcome.clone()
    }

    #[test]
    fn real_nextest_junit() {
        let rs = parse(SAMPLE).unwrap();
        assert_eq!(rs.len(), 8);
        assert_eq!(outcome(&rs, "passes"), Outcome::Pass);
        assert_eq!(outcome(&rs, "inner::nested"), Outcome::Pass);
        assert_eq!(outcome(&rs, "skips"), Outcome::Skip { reason: "requires kernel >= 9.9, running 6.1.0".into() });
        assert!(matches!(outcome(&rs, "hangs"), Outcome::Timeout { .. }));
        assert_eq!(
            outcome(&rs, "aborts"),
            Outcome::Fail { message: "STUCK: still reading after 10s; aborting the test".into() }
        );
        assert_eq!(outcome(&rs, "segfaults"), Outcome::Crash { reason: "killed by signal 11 (SIGSEGV)".into() });
        assert_eq!(outcome(&rs, "exits_3"), Outcome::Fail { message: "exit code 3".into() });
        match outcome(&rs, "fails") {
            Outcome::Fail { message } => {
                assert!(message.contains("expected one got two"), "{message}");
                assert!(!message.contains("stack backtrace"), "{message}");
            }
            o => panic!("{o:?}"),
        }
        let id = &rs.iter().find(|r| r.id.name() == "passes").unwrap().id;
        assert_eq!(id.as_str(), "nxj::t::passes");
    }

    #[test]
    fn malformed_xml_is_an_error_not_a_panic() {
        for bad in ["<testsuites><testcase name='a' classname='x::y'>", "<a><b></a>", "<testcase/>", "\u{0}<<<"] {
            let _ = parse(bad);
        }
        assert!(parse("<testsuites><testcase name='a' classname='x::y'>").is_err());
        // A case without a name, or without the classname that makes its id.
        assert!(parse(r#"<testsuites><testsuite name="a::b"><testcase/></testsuite></testsuites>"#).is_err());
        assert!(parse(r#"<testsuites><testsuite name="a::b"><testcase name="t"/></testsuite></testsuites>"#).is_err());
    }

    #[test]
    fn empty_testcase_element_passes() {
        let rs = parse(r#"<testsuites><testsuite name="a::b"><testcase name="t" classname="a::b" time="0.5"/></testsuite></testsuites>"#).unwrap();
        assert_eq!(rs.len(), 1);
        assert_eq!(rs[0].outcome, Outcome::Pass);
        assert_eq!(rs[0].duration_ms, Some(500));
    }
}
