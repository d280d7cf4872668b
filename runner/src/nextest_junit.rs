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
//! Pure function of the XML text; errors for malformed XML, never a panic.

use quick_xml::events::Event;
use quick_xml::Reader;

use crate::classify::{classify, Exit};
use crate::model::{Outcome, TestId, TestResult};

#[derive(Default)]
struct Case {
    classname: String,
    name: String,
    time_s: Option<f64>,
    failure: Option<(String, String, String)>, // (type, message attr, text)
    skipped: bool,
    out: String,
    err: String,
}

#[derive(Clone, Copy, PartialEq)]
enum Text {
    None,
    Failure,
    Out,
    Err,
}

/// Parse nextest's JUnit into results. `binary_ids_for_lib` is not needed: ids are
/// `classname::name`.
pub fn parse(xml: &str) -> Result<Vec<TestResult>, String> {
    let mut reader = Reader::from_str(xml);
    let mut results = Vec::new();
    let mut case: Option<Case> = None;
    let mut text = Text::None;
    let mut depth_in_case = 0usize;
    loop {
        let ev = reader
            .read_event()
            .map_err(|e| format!("malformed JUnit XML at byte {}: {e}", reader.buffer_position()))?;
        match ev {
            Event::Start(e) if e.name().as_ref() == b"testcase" => {
                case = Some(case_attrs(&e)?);
                depth_in_case = 0;
            }
            Event::Empty(e) if e.name().as_ref() == b"testcase" => {
                // <testcase .../>: a complete passing case without output.
                results.push(finish(case_attrs(&e)?)?);
            }
            Event::Start(e) => {
                if let Some(c) = case.as_mut() {
                    depth_in_case += 1;
                    match e.name().as_ref() {
                        b"failure" | b"error" => {
                            let (t, m) = failure_attrs(&e)?;
                            c.failure.get_or_insert((t, m, String::new()));
                            text = Text::Failure;
                        }
                        b"skipped" => c.skipped = true,
                        b"system-out" => text = Text::Out,
                        b"system-err" => text = Text::Err,
                        _ => text = Text::None,
                    }
                }
            }
            Event::Empty(e) => {
                if let Some(c) = case.as_mut() {
                    match e.name().as_ref() {
                        b"failure" | b"error" => {
                            let (t, m) = failure_attrs(&e)?;
                            c.failure.get_or_insert((t, m, String::new()));
                        }
                        b"skipped" => c.skipped = true,
                        _ => {}
                    }
                }
            }
            Event::Text(t) => {
                if let Some(c) = case.as_mut() {
                    let s = t.unescape().map_err(|e| format!("bad text in JUnit: {e}"))?;
                    push_text(c, text, &s);
                }
            }
            Event::CData(t) => {
                if let Some(c) = case.as_mut() {
                    push_text(c, text, &String::from_utf8_lossy(&t));
                }
            }
            Event::End(e) => {
                if e.name().as_ref() == b"testcase" {
                    if let Some(c) = case.take() {
                        results.push(finish(c)?);
                    }
                } else if case.is_some() {
                    depth_in_case = depth_in_case.saturating_sub(1);
                    text = Text::None;
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if case.is_some() {
        return Err("JUnit XML ends inside a <testcase>".into());
    }
    Ok(results)
}

fn case_attrs(e: &quick_xml::events::BytesStart<'_>) -> Result<Case, String> {
    let mut c = Case::default();
    for a in e.attributes().flatten() {
        let v = a.unescape_value().map_err(|e| e.to_string())?.into_owned();
        match a.key.as_ref() {
            b"name" => c.name = v,
            b"classname" => c.classname = v,
            b"time" => c.time_s = v.parse().ok(),
            _ => {}
        }
    }
    Ok(c)
}

fn failure_attrs(e: &quick_xml::events::BytesStart<'_>) -> Result<(String, String), String> {
    let mut ty = String::new();
    let mut msg = String::new();
    for a in e.attributes().flatten() {
        let v = a.unescape_value().map_err(|e| e.to_string())?.into_owned();
        match a.key.as_ref() {
            b"type" => ty = v,
            b"message" => msg = v,
            _ => {}
        }
    }
    Ok((ty, msg))
}

fn push_text(c: &mut Case, text: Text, s: &str) {
    match text {
        Text::Failure => {
            if let Some(f) = c.failure.as_mut() {
                f.2.push_str(s);
            }
        }
        Text::Out => c.out.push_str(s),
        Text::Err => c.err.push_str(s),
        Text::None => {}
    }
}

fn finish(c: Case) -> Result<TestResult, String> {
    if c.classname.is_empty() || c.name.is_empty() {
        return Err("a <testcase> without name or classname".into());
    }
    let binary = lib_binary_id(&c.classname);
    let id = TestId::parse(&format!("{binary}::{}", c.name))?;
    let duration_ms = c.time_s.map(|s| (s * 1000.0).round().max(0.0) as u64);
    let outcome = match &c.failure {
        None if c.skipped => Outcome::Skip { reason: "ignored (not run by nextest)".into() },
        None => classify(Exit::Code(0), &c.out, &c.err),
        Some((ty, msg, body)) => failure_outcome(ty, msg, body, &c, duration_ms.unwrap_or(0)),
    };
    Ok(TestResult { id, outcome, duration_ms })
}

/// nextest's binary id of a library's unit tests is the bare package name; give it the
/// file part `lib` so that every id has three parts.
pub fn lib_binary_id(classname: &str) -> String {
    if classname.contains("::") { classname.to_string() } else { format!("{classname}::lib") }
}

fn failure_outcome(ty: &str, msg: &str, body: &str, c: &Case, ms: u64) -> Outcome {
    if ty == "test timeout" || ty.contains("timeout") {
        return classify(Exit::TimedOut(ms), &c.out, &c.err);
    }
    if let Some(code) = ty.strip_prefix("test failure with exit code ").and_then(|n| n.trim().parse::<i32>().ok()) {
        let err = if c.err.trim().is_empty() { body } else { &c.err };
        return classify(Exit::Code(code), &c.out, err);
    }
    if ty == "test abort" || msg.contains("signal") {
        // "process aborted with signal 11 (SIGSEGV)"
        let sig = msg
            .split("signal ")
            .nth(1)
            .and_then(|r| r.split(|ch: char| !ch.is_ascii_digit()).next())
            .and_then(|n| n.parse::<i32>().ok());
        if let Some(sig) = sig {
            return classify(Exit::Signal(sig), &c.out, &c.err);
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
        assert!(parse("<testsuites><testcase/></testsuites>").is_err());
    }

    #[test]
    fn empty_testcase_element_passes() {
        let rs = parse(r#"<testsuites><testsuite name="a::b"><testcase name="t" classname="a::b" time="0.5"/></testsuite></testsuites>"#).unwrap();
        assert_eq!(rs.len(), 1);
        assert_eq!(rs[0].outcome, Outcome::Pass);
        assert_eq!(rs[0].duration_ms, Some(500));
    }
}
