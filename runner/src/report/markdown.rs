//! report.md: summary per column, build errors, the failures, the behaviour differences,
//! the roll-up per suite, the skips grouped by reason, then the matrix (behaviour
//! differences and failures first) with messages in the cells. summary.md ([`summary`]) is
//! the same without the matrix and with long lists cut, for places with a size limit (a CI
//! job summary takes at most 1 MiB).

use std::fmt::Write;

use super::{ColumnSummary, ResultsDoc, cell_head, cell_line, differences_line, skipped_by_reason};
use crate::util::human_ms;
use crate::util::markdown_cell as esc;

/// The whole report.
pub fn render(doc: &ResultsDoc) -> String {
    render_with(doc, None)
}

/// The short report: everything but the matrix; at most `limit` lines in each list.
pub fn summary(doc: &ResultsDoc, limit: usize) -> String {
    render_with(doc, Some(limit))
}

/// The head of a table with one column per column of the matrix after `lead` (`| test |`),
/// and its separator line after `lead_rule` (`|---|`): the report's three tables of that
/// shape.
fn column_head(m: &mut String, doc: &ResultsDoc, lead: &str, lead_rule: &str) {
    m.push_str(lead);
    for c in &doc.columns {
        let _ = write!(m, " `{}` |", c.column);
    }
    m.push('\n');
    m.push_str(lead_rule);
    for _ in &doc.columns {
        m.push_str("---|");
    }
    m.push('\n');
}

/// The rest of a row of such a table: `cell` of each column, a dash where it has none.
fn column_cells(m: &mut String, doc: &ResultsDoc, cell: impl Fn(&ColumnSummary) -> Option<String>) {
    for c in &doc.columns {
        match cell(c) {
            Some(text) => {
                let _ = write!(m, " {text} |");
            }
            None => m.push_str(" – |"),
        }
    }
    m.push('\n');
}

fn render_with(doc: &ResultsDoc, limit: Option<usize>) -> String {
    let cap = limit.unwrap_or(usize::MAX);
    let mut m = String::new();
    let _ = writeln!(m, "# ipcspec results\n");
    let _ = writeln!(
        m,
        "{} · started {} · {} · {} tests × {} columns · {} behaviour differences · {} disagreements · **{}**\n",
        doc.tool,
        doc.started_at,
        human_ms(doc.duration_ms),
        doc.summary.tests,
        doc.summary.columns,
        doc.summary.behaviour_differences,
        doc.summary.disagreements,
        if doc.summary.ok { "all passed or skipped" } else { "FAILURES" }
    );
    m.push_str("## Columns\n\n| column | kernel | pass | fail | skip | timeout | crash | status | time |\n|---|---|---:|---:|---:|---:|---:|---|---:|\n");
    for c in &doc.columns {
        let n = &c.counts;
        let status = match &c.status {
            crate::model::RunStatus::Complete => "complete".to_string(),
            crate::model::RunStatus::Incomplete { reason } => format!("incomplete: {}", esc(reason)),
        };
        let _ = writeln!(
            m,
            "| `{}` | {} | {} | {} | {} |",
            c.column,
            c.kernel_release.as_deref().unwrap_or("?"),
            n.joined(" | "),
            status,
            human_ms(c.timings.total_ms)
        );
    }
    m.push('\n');
    if !doc.build_errors.is_empty() {
        m.push_str("## Suites that do not build\n\n");
        for e in &doc.build_errors {
            let _ = writeln!(m, "- **{}**\n\n```\n{}\n```\n", e.suite, e.message.trim());
        }
    }
    // Failures: every bad cell with its message.
    let bad: Vec<(&super::Row, &String, &super::Cell)> = doc
        .tests
        .iter()
        .flat_map(|r| doc.columns.iter().filter_map(move |c| r.cells.get(&c.column).map(|cell| (r, &c.column, cell))))
        .filter(|(_, _, cell)| cell.outcome.kind().is_bad())
        .collect();
    if !bad.is_empty() {
        let _ = writeln!(m, "## Failures ({} cells)\n\n| test | column | outcome |\n|---|---|---|", bad.len());
        for (r, col, cell) in bad.iter().take(cap) {
            let _ = writeln!(m, "| `{}` | `{}` | {} |", r.id, col, esc(&cell_line(cell, 300)));
        }
        if bad.len() > cap {
            let _ = writeln!(m, "| … | {} more | |", bad.len() - cap);
        }
        m.push('\n');
    }
    // Behaviour differences: which semantics hold where.
    if doc.columns.len() > 1 {
        let _ = writeln!(m, "## Behaviour differences\n\n{}.\n", differences_line(doc));
        let all: Vec<_> = doc.tests.iter().filter(|r| !r.variants_agree).collect();
        let rows: Vec<_> = all.iter().take(cap).collect();
        if !rows.is_empty() {
            column_head(&mut m, doc, "| test | variants |", "|---|---|");
            for r in &rows {
                let _ = write!(m, "| `{}` | {} |", r.id, esc(&r.variants.join(" / ")));
                column_cells(&mut m, doc, |c| r.cells.get(&c.column).map(|cell| esc(&cell_head(cell))));
            }
            if all.len() > rows.len() {
                let _ = writeln!(m, "| … {} more in report.md and matrix.html | |", all.len() - rows.len());
            }
            m.push('\n');
        }
    }
    // Per suite: p/f/s/t/c per column.
    let mut suites: Vec<&String> = doc.columns.iter().flat_map(|c| c.suites.keys()).collect();
    suites.sort();
    suites.dedup();
    if !suites.is_empty() {
        m.push_str("## Per suite (pass/fail/skip/timeout/crash)\n\n");
        column_head(&mut m, doc, "| suite |", "|---|");
        for s in suites {
            let _ = write!(m, "| {s} |");
            column_cells(&mut m, doc, |c| c.suites.get(s).map(|n| n.joined("/")));
        }
        m.push('\n');
    }
    // Skips, grouped by reason.
    let skips = skipped_by_reason(doc);
    if !skips.is_empty() {
        m.push_str("## Skipped, by reason\n\n| reason | cells | columns | tests |\n|---|---:|---|---|\n");
        for (reason, cells) in skips.iter().take(cap) {
            let mut cols: Vec<&str> = cells.iter().map(|(_, c)| c.as_str()).collect();
            cols.dedup();
            let mut tests: Vec<&str> = cells.iter().map(|(t, _)| t.as_str()).collect();
            tests.dedup();
            let shown: Vec<String> = tests.iter().take(3).map(|t| format!("`{t}`")).collect();
            let more = if tests.len() > 3 { format!(" and {} more", tests.len() - 3) } else { String::new() };
            let mut uniq: Vec<&str> = Vec::new();
            for c in cols {
                if !uniq.contains(&c) {
                    uniq.push(c);
                }
            }
            let _ = writeln!(m, "| {} | {} | {} | {}{more} |", esc(reason), cells.len(), esc(&uniq.join(", ")), shown.join(", "));
        }
        if skips.len() > cap {
            let _ = writeln!(m, "| … {} more reasons | | | |", skips.len() - cap);
        }
        m.push('\n');
    }
    if limit.is_some() {
        let _ = writeln!(m, "The whole matrix ({} tests × {} columns), with a log for every cell: `matrix.html` and `report.md` in the results.", doc.summary.tests, doc.summary.columns);
        return m;
    }
    let _ = writeln!(
        m,
        "## Matrix\n\nBehaviour differences come first ({}), then rows with a FAIL, TIMEOUT or CRASH, then rows where targets disagree for the same user ({}), then rows that differ only between root and nobody ({}). A cell is the outcome and, for a test with more than one documented outcome, the variant it saw (`PASS · absent`).\n",
        doc.summary.behaviour_differences,
        doc.summary.target_disagreements,
        doc.summary.disagreements - doc.summary.target_disagreements
    );
    column_head(&mut m, doc, "| test |", "|---|");
    for r in &doc.tests {
        let _ = write!(m, "| `{}` |", r.id);
        column_cells(&mut m, doc, |c| r.cells.get(&c.column).map(|cell| esc(&cell_line(cell, 160))));
    }
    let diags: Vec<_> = doc.columns.iter().filter(|c| !c.diagnostics.is_empty()).collect();
    if !diags.is_empty() {
        m.push_str("\n## Diagnostics\n\n");
        for c in diags {
            let _ = writeln!(m, "### `{}`\n", c.column);
            for d in &c.diagnostics {
                if d.contains('\n') {
                    let _ = writeln!(m, "```\n{}\n```\n", d);
                } else {
                    let _ = writeln!(m, "- {}", esc(d));
                }
            }
            m.push('\n');
        }
    }
    m
}
