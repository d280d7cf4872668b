//! The terminal report: per column its kernel and counts; per suite passed / failed /
//! skipped; the behaviour differences (rows whose variants differ between columns); every
//! FAIL, TIMEOUT and CRASH with its message; skip reasons grouped; rows where columns
//! disagree; suites that do not build; the total time.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::{ResultsDoc, Row, cell_head, differences_line, first_lines};
use crate::model::{Kind, RunStatus};
use crate::util::human_ms;

pub fn render(doc: &ResultsDoc) -> String {
    render_with(doc, false)
}

pub fn render_with(doc: &ResultsDoc, colour: bool) -> String {
    let paint = |k: Kind, s: &str| -> String {
        if !colour {
            return s.to_string();
        }
        let code = match k {
            Kind::Pass => "32",
            Kind::Fail => "31;1",
            Kind::Skip => "33",
            Kind::Expected => "36",
            Kind::Timeout => "35;1",
            Kind::Crash => "41;97",
        };
        format!("\x1b[{code}m{s}\x1b[0m")
    };
    // A row's cells in column order, `<column> <outcome>`, for the lists of rows that differ.
    let row_cells = |r: &Row| -> String {
        let cells: Vec<String> = doc
            .columns
            .iter()
            .filter_map(|c| r.cells.get(&c.column).map(|x| format!("{} {}", c.column, paint(x.outcome.kind(), &cell_head(x)))))
            .collect();
        cells.join(", ")
    };
    let mut t = String::new();
    let _ = writeln!(t);
    for c in &doc.columns {
        let n = &c.counts;
        let _ = writeln!(
            t,
            "{:<18} kernel {:<28} {}{}  ({})",
            c.column,
            c.kernel_release.as_deref().unwrap_or("?"),
            n.sentence(),
            if n.expected > 0 { format!(", {} expected deviations", n.expected) } else { String::new() },
            human_ms(c.timings.total_ms)
        );
        if let RunStatus::Incomplete { reason } = &c.status {
            let _ = writeln!(t, "{:<18} {}", "", paint(Kind::Crash, &format!("INCOMPLETE: {reason}")));
        }
    }
    // Per suite table.
    let mut suites: Vec<&String> = doc.columns.iter().flat_map(|c| c.suites.keys()).collect();
    suites.sort();
    suites.dedup();
    if !suites.is_empty() {
        let _ = writeln!(t, "\nper suite (passed / failed / skipped; +T timed out, +C crashed, +X expected deviations):");
        let _ = write!(t, "  {:<18}", "suite");
        for c in &doc.columns {
            let _ = write!(t, " {:>16}", short(&c.column, 16));
        }
        let _ = writeln!(t);
        for s in suites {
            let _ = write!(t, "  {:<18}", s);
            for c in &doc.columns {
                let cell = match c.suites.get(s) {
                    Some(n) => {
                        let mut x = format!("{}/{}/{}", n.pass, n.fail, n.skip);
                        if n.timeout > 0 {
                            x.push_str(&format!(" +{}T", n.timeout));
                        }
                        if n.crash > 0 {
                            x.push_str(&format!(" +{}C", n.crash));
                        }
                        if n.expected > 0 {
                            x.push_str(&format!(" +{}X", n.expected));
                        }
                        x
                    }
                    None => "-".into(),
                };
                let _ = write!(t, " {:>16}", cell);
            }
            let _ = writeln!(t);
        }
    }
    if !doc.build_errors.is_empty() {
        let _ = writeln!(t, "\n{}", paint(Kind::Fail, "suites that do not build (their tests ran nowhere):"));
        for e in &doc.build_errors {
            let _ = writeln!(t, "  {}: {}", e.suite, indent(&first_lines(e.message.trim(), 12), 4));
        }
    }
    // Behaviour differences: the portability answer, before anything else about tests.
    if doc.columns.len() > 1 {
        let _ = writeln!(t, "\n{}{}", differences_line(doc), if doc.summary.behaviour_differences > 0 { ":" } else { "" });
        let rows: Vec<_> = doc.tests.iter().filter(|r| !r.variants_agree).collect();
        for r in rows.iter().take(80) {
            let _ = writeln!(t, "  {}  [{}]\n      {}", r.id, r.variants.join(" / "), row_cells(r));
        }
        if rows.len() > 80 {
            let _ = writeln!(t, "  ... {} more in the report files", rows.len() - 80);
        }
    }
    // Failures.
    let bad: Vec<_> = doc
        .tests
        .iter()
        .flat_map(|r| r.cells.iter().map(move |(col, c)| (r, col, c)))
        .filter(|(_, _, c)| c.outcome.kind().is_bad())
        .collect();
    if !bad.is_empty() {
        let _ = writeln!(t, "\nfailures ({}):", bad.len());
        let mut crashes_by_reason: BTreeMap<(String, String), usize> = BTreeMap::new();
        for (r, col, c) in &bad {
            // Many CRASH cells of one dead target share a reason: list them once.
            if c.outcome.kind() == Kind::Crash && bad.iter().filter(|(_, c2, x)| c2 == col && x.outcome == c.outcome).count() > 3 {
                *crashes_by_reason.entry(((*col).clone(), c.outcome.detail().to_string())).or_default() += 1;
                continue;
            }
            let k = c.outcome.kind();
            let _ = writeln!(t, "  {} {:<16} {}", paint(k, &format!("{:<7}", k.label())), col, r.id);
            let _ = writeln!(t, "          {}", indent(&first_lines(c.outcome.detail(), 8), 10));
        }
        for ((col, reason), n) in crashes_by_reason {
            let _ = writeln!(t, "  {} {:<16} {n} tests: {}", paint(Kind::Crash, "CRASH  "), col, first_lines(&reason, 3));
        }
    }
    // Skips grouped by reason.
    let mut skips: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for r in &doc.tests {
        for (col, c) in &r.cells {
            if c.outcome.kind() == Kind::Skip {
                skips.entry(c.outcome.detail().to_string()).or_default().push((r.id.clone(), col.clone()));
            }
        }
    }
    if !skips.is_empty() {
        let _ = writeln!(t, "\nskipped (never counted as passed), by reason:");
        for (reason, who) in &skips {
            group(&mut t, &paint(Kind::Skip, "SKIP"), reason, who);
        }
    }
    // Expected deviations (docs/expectations/) grouped by reason: known, not failures.
    let mut expected: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for r in &doc.tests {
        for (col, c) in &r.cells {
            if let crate::model::Outcome::Expected { observed, reason, issue, .. } = &c.outcome {
                let why = format!("({}) {reason}{}", observed.label(), issue.as_ref().map(|i| format!(" [{i}]")).unwrap_or_default());
                expected.entry(why).or_default().push((r.id.clone(), col.clone()));
            }
        }
    }
    if !expected.is_empty() {
        let _ = writeln!(t, "
expected deviations (listed in docs/expectations/; not failures), by reason:");
        for (why, who) in &expected {
            group(&mut t, &paint(Kind::Expected, "EXPECTED DEVIATION"), why, who);
        }
    }
    if doc.columns.len() > 1 {
        let dis: Vec<_> = doc.tests.iter().filter(|r| !r.agree).collect();
        if dis.is_empty() {
            let _ = writeln!(t, "\nevery test has one outcome (PASS, SKIP, ...) in every column{}", if doc.summary.behaviour_differences > 0 { " (but see the behaviour differences above)" } else { "" });
        } else {
            let _ = writeln!(
                t,
                "\nwhere the columns disagree ({} tests; {} differ between targets for the same user, listed first):",
                dis.len(),
                doc.summary.target_disagreements
            );
            for r in dis.iter().take(60) {
                let _ = writeln!(t, "  {}\n      {}", r.id, row_cells(r));
            }
            if dis.len() > 60 {
                let _ = writeln!(t, "  ... {} more in the report files", dis.len() - 60);
            }
        }
    }
    for c in &doc.columns {
        for d in c.diagnostics.iter().filter(|d| !d.starts_with("last console lines")) {
            let _ = writeln!(t, "note [{}]: {}", c.column, first_lines(d, 3));
        }
    }
    // The bad cells once more, in one line each, just above the verdict: a log cut to its last
    // lines (a CI excerpt) still names what failed, where the lists above are long.
    if !bad.is_empty() {
        let _ = writeln!(t, "\nbad cells ({}), in full under \"failures\" above:", bad.len());
        for (r, col, c) in bad.iter().take(12) {
            // Two lines: a panic's "panicked at <file:line>" and its message.
            let head: Vec<&str> = c.outcome.detail().lines().map(str::trim).filter(|l| !l.is_empty()).take(2).collect();
            let _ = writeln!(t, "  {} {col} {}: {}", paint(c.outcome.kind(), c.outcome.kind().label()), r.id, short(&head.join(" — "), 200));
        }
        if bad.len() > 12 {
            let _ = writeln!(t, "  ... {} more above", bad.len() - 12);
        }
    }
    let verdict = if doc.summary.ok { paint(Kind::Pass, "OK") } else { paint(Kind::Fail, "NOT OK") };
    let _ = writeln!(
        t,
        "\n{verdict}: {} tests, {} columns, {} behaviour differences, {} bad cells, {} build errors — total {}",
        doc.summary.tests,
        doc.summary.columns,
        doc.summary.behaviour_differences,
        doc.summary.bad_cells,
        doc.build_errors.len(),
        human_ms(doc.duration_ms)
    );
    t
}

/// One reason of a list grouped by reason (skips, expected deviations): `head` (the outcome,
/// painted) with how many cells and the reason, then the columns and the first four tests.
fn group(t: &mut String, head: &str, reason: &str, who: &[(String, String)]) {
    let mut cols: Vec<&str> = who.iter().map(|(_, c)| c.as_str()).collect();
    cols.sort();
    cols.dedup();
    let mut ids: Vec<&str> = who.iter().map(|(i, _)| i.as_str()).collect();
    ids.sort();
    ids.dedup();
    let _ = writeln!(t, "  {head} {} × {reason}", who.len());
    let shown: Vec<&str> = ids.iter().take(4).copied().collect();
    let more = if ids.len() > 4 { format!(" and {} more", ids.len() - 4) } else { String::new() };
    let _ = writeln!(t, "       on {}: {}{more}", cols.join(", "), shown.join(", "));
}

fn short(s: &str, n: usize) -> String {
    if s.chars().count() <= n { s.to_string() } else { s.chars().take(n - 1).collect::<String>() + "…" }
}

fn indent(s: &str, n: usize) -> String {
    s.replace('\n', &format!("\n{}", " ".repeat(n)))
}
