//! report.md: summary per column and suite, build errors, then the matrix (disagreeing rows
//! first) with failure messages in the cells.

use std::fmt::Write;

use super::{ResultsDoc, cell_line};
use crate::util::human_ms;

pub fn render(doc: &ResultsDoc) -> String {
    let mut m = String::new();
    let _ = writeln!(m, "# ipcspec results\n");
    let _ = writeln!(
        m,
        "{} · started {} · {} · {} tests × {} columns · {} disagreements · **{}**\n",
        doc.tool,
        doc.started_at,
        human_ms(doc.duration_ms),
        doc.summary.tests,
        doc.summary.columns,
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
            "| `{}` | {} | {} | {} | {} | {} | {} | {} | {} |",
            c.column,
            c.kernel_release.as_deref().unwrap_or("?"),
            n.pass,
            n.fail,
            n.skip,
            n.timeout,
            n.crash,
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
    // Per suite: p/f/s/t/c per column.
    let mut suites: Vec<&String> = doc.columns.iter().flat_map(|c| c.suites.keys()).collect();
    suites.sort();
    suites.dedup();
    if !suites.is_empty() {
        m.push_str("## Per suite (pass/fail/skip/timeout/crash)\n\n| suite |");
        for c in &doc.columns {
            let _ = write!(m, " `{}` |", c.column);
        }
        m.push_str("\n|---|");
        for _ in &doc.columns {
            m.push_str("---|");
        }
        m.push('\n');
        for s in suites {
            let _ = write!(m, "| {s} |");
            for c in &doc.columns {
                match c.suites.get(s) {
                    Some(n) => {
                        let _ = write!(m, " {}/{}/{}/{}/{} |", n.pass, n.fail, n.skip, n.timeout, n.crash);
                    }
                    None => m.push_str(" – |"),
                }
            }
            m.push('\n');
        }
        m.push('\n');
    }
    let _ = writeln!(
        m,
        "## Matrix\n\nRows where targets disagree for the same user come first ({}), then rows that differ only between root and nobody ({}).\n",
        doc.summary.target_disagreements,
        doc.summary.disagreements - doc.summary.target_disagreements
    );
    m.push_str("| test |");
    for c in &doc.columns {
        let _ = write!(m, " `{}` |", c.column);
    }
    m.push_str("\n|---|");
    for _ in &doc.columns {
        m.push_str("---|");
    }
    m.push('\n');
    for r in &doc.tests {
        let _ = write!(m, "| `{}` |", r.id);
        for c in &doc.columns {
            match r.cells.get(&c.column) {
                Some(cell) => {
                    let _ = write!(m, " {} |", esc(&cell_line(cell, 160)));
                }
                None => m.push_str(" – |"),
            }
        }
        m.push('\n');
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

fn esc(s: &str) -> String {
    s.replace('|', "\\|").replace('<', "&lt;").replace('>', "&gt;").replace('\n', " ")
}
