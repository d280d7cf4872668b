//! JUnit XML for one column (CI systems show it per target): a `<testsuite>` per test
//! binary, FAIL as `<failure>`, TIMEOUT and CRASH as `<error>`, SKIP as `<skipped>` with
//! the reason.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::ResultsDoc;
use crate::model::{Kind, TestId};

pub fn render(doc: &ResultsDoc, column: &str) -> String {
    let mut suites: BTreeMap<String, Vec<(String, &super::Cell)>> = BTreeMap::new();
    for row in &doc.tests {
        if let Some(cell) = row.cells.get(column) {
            let id = TestId::parse(&row.id).ok();
            let binary = id.as_ref().map(|i| i.binary().to_string()).unwrap_or_else(|| row.suite.clone());
            let name = id.as_ref().map(|i| i.name().to_string()).unwrap_or_else(|| row.id.clone());
            suites.entry(binary).or_default().push((name, cell));
        }
    }
    let count = |k: &[Kind]| doc.tests.iter().filter_map(|r| r.cells.get(column)).filter(|c| k.contains(&c.outcome.kind())).count();
    let total = doc.tests.iter().filter(|r| r.cells.contains_key(column)).count();
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        x,
        "<testsuites name=\"ipcspec {}\" tests=\"{total}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">",
        esc(column),
        count(&[Kind::Fail]),
        count(&[Kind::Timeout, Kind::Crash]),
        count(&[Kind::Skip])
    );
    for (binary, cases) in &suites {
        let f = cases.iter().filter(|(_, c)| c.outcome.kind() == Kind::Fail).count();
        let e = cases.iter().filter(|(_, c)| matches!(c.outcome.kind(), Kind::Timeout | Kind::Crash)).count();
        let s = cases.iter().filter(|(_, c)| c.outcome.kind() == Kind::Skip).count();
        let _ = writeln!(
            x,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{f}\" errors=\"{e}\" skipped=\"{s}\">",
            esc(binary),
            cases.len()
        );
        for (name, cell) in cases {
            let time = cell.duration_ms.map(|ms| format!(" time=\"{:.3}\"", ms as f64 / 1000.0)).unwrap_or_default();
            let open = format!("    <testcase name=\"{}\" classname=\"{}\"{time}", esc(name), esc(binary));
            let d = esc(cell.outcome.detail());
            let first = esc(cell.outcome.detail().lines().next().unwrap_or(""));
            match cell.outcome.kind() {
                Kind::Pass => {
                    let _ = writeln!(x, "{open}/>");
                }
                Kind::Skip => {
                    let _ = writeln!(x, "{open}>\n      <skipped message=\"{d}\"/>\n    </testcase>");
                }
                Kind::Fail => {
                    let _ = writeln!(x, "{open}>\n      <failure type=\"FAIL\" message=\"{first}\">{d}</failure>\n    </testcase>");
                }
                k @ (Kind::Timeout | Kind::Crash) => {
                    let _ = writeln!(x, "{open}>\n      <error type=\"{}\" message=\"{first}\">{d}</error>\n    </testcase>", k.label());
                }
            }
        }
        x.push_str("  </testsuite>\n");
    }
    x.push_str("</testsuites>\n");
    x
}

/// XML text/attribute escaping; control characters XML 1.0 cannot carry become U+FFFD.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            '\n' => o.push_str("&#10;"),
            '\t' | '\r' => o.push(c),
            c if (c as u32) < 0x20 => o.push('\u{fffd}'),
            c => o.push(c),
        }
    }
    o
}

#[cfg(test)]
mod tests {
    #[test]
    fn our_junit_is_read_back_by_our_junit_reader() {
        let d = super::super::document(&super::super::tests::session());
        let x = super::render(&d, "vm:5.10");
        let rs = crate::nextest_junit::parse(&x).unwrap();
        assert_eq!(rs.len(), 3);
        assert!(rs.iter().any(|r| r.outcome.kind() == crate::model::Kind::Fail));
    }
}
