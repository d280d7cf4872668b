//! JUnit XML for one column (CI systems show it per target): a `<testsuite>` per test
//! binary, FAIL as `<failure>`, TIMEOUT and CRASH as `<error>`, SKIP as `<skipped>` with
//! the reason; a test's variant as the testcase's properties `variant`, `variant.lacking`
//! and `variant.detail`.

use std::collections::BTreeMap;
use std::time::Duration;

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use super::ResultsDoc;
use crate::model::{Kind, TestId};

/// The column's JUnit, written by quick-junit (the crate nextest writes its own with; it
/// escapes, drops what XML 1.0 cannot carry and counts per suite).
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
    let mut report = Report::new(format!("ipcspec {column}"));
    for (binary, cases) in suites {
        let mut suite = TestSuite::new(binary.clone());
        for (name, cell) in cases {
            let detail = cell.outcome.detail();
            let first = detail.lines().next().unwrap_or("");
            let status = match cell.outcome.kind() {
                Kind::Pass => TestCaseStatus::success(),
                Kind::Skip => {
                    let mut s = TestCaseStatus::skipped();
                    s.set_message(detail);
                    s
                }
                // Known and listed (docs/expectations/): skipped with what was seen and why.
                Kind::Expected => {
                    let mut s = TestCaseStatus::skipped();
                    s.set_type("EXPECTED DEVIATION").set_message(crate::report::cell_line(cell, 300));
                    s
                }
                k => {
                    // FAIL is a failure; TIMEOUT and CRASH are errors (no verdict).
                    let mut s = TestCaseStatus::non_success(if k == Kind::Fail { NonSuccessKind::Failure } else { NonSuccessKind::Error });
                    s.set_type(k.label()).set_message(first).set_description(detail);
                    s
                }
            };
            let mut case = TestCase::new(name, status);
            case.set_classname(binary.clone());
            if let Some(ms) = cell.duration_ms {
                case.set_time(Duration::from_millis(ms));
            }
            if let Some(v) = &cell.variant {
                case.add_properties([
                    Property::new("variant", v.name.as_str()),
                    Property::new("variant.lacking", v.lacking.to_string()),
                    Property::new("variant.detail", v.detail.as_str()),
                ]);
            }
            suite.add_test_case(case);
        }
        report.add_test_suite(suite);
    }
    report.to_string().unwrap_or_else(|e| format!("<!-- the JUnit report could not be written: {e} -->\n"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn our_junit_is_read_back_by_our_junit_reader() {
        let d = super::super::document(&super::super::tests::session());
        let x = super::render(&d, "vm:5.10");
        let rs = crate::nextest_junit::parse(&x).unwrap();
        assert_eq!(rs.len(), 3);
        let r = crate::nextest_junit::report(&x).unwrap();
        assert_eq!(r.name.as_ref().map(|n| n.as_str()), Some("ipcspec vm:5.10"));
        assert_eq!((r.tests, r.failures), (3, 1));
        assert!(rs.iter().any(|r| r.outcome.kind() == crate::model::Kind::Fail));
    }
}
