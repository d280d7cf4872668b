//! Reports of a run: one document ([`ResultsDoc`], the JSON schema of docs/results-schema.md)
//! from which every format is rendered — terminal, Markdown, JSON, JUnit per column, HTML.
//!
//! Rows are tests, columns are targets as users; rows where the columns disagree come first,
//! because that is the portability answer.

pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod terminal;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::{Deserialize, Serialize};

use crate::execute::{Phases, Session};
use crate::model::{BuildError, Counts, Kind, Outcome, RESULTS_SCHEMA, RunStatus, Timings, User};

/// results.json.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResultsDoc {
    pub schema: String,
    pub tool: String,
    pub started_at: String,
    pub duration_ms: u64,
    pub phases: Phases,
    pub columns: Vec<ColumnSummary>,
    pub build_errors: Vec<BuildError>,
    pub summary: Summary,
    pub tests: Vec<Row>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ColumnSummary {
    pub column: String,
    pub target: String,
    pub kind: String,
    pub user: User,
    pub kernel_release: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernel_source: Option<String>,
    pub status: RunStatus,
    pub timings: Timings,
    pub counts: Counts,
    pub suites: BTreeMap<String, Counts>,
    pub diagnostics: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub tests: usize,
    pub columns: usize,
    /// Rows whose cells are not all of one kind.
    pub disagreements: usize,
    /// Rows where targets disagree for the same user.
    #[serde(default)]
    pub target_disagreements: usize,
    /// Cells that are FAIL, TIMEOUT or CRASH.
    pub bad_cells: usize,
    /// True when nothing failed, timed out or crashed and every suite built.
    pub ok: bool,
}

fn yes() -> bool {
    true
}

/// One test across all columns.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub id: String,
    pub suite: String,
    pub claim: Option<String>,
    #[serde(default)]
    pub sources: Vec<String>,
    /// All cells of the same kind.
    pub agree: bool,
    /// For each user, all targets' cells of the same kind (false: a portability difference
    /// between targets, not only between root and nobody).
    #[serde(default = "yes")]
    pub targets_agree: bool,
    /// column name -> cell (a column that did not plan the test has no cell).
    pub cells: BTreeMap<String, Cell>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cell {
    #[serde(flatten)]
    pub outcome: Outcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
}

impl Row {
    pub fn kinds(&self) -> Vec<Kind> {
        self.cells.values().map(|c| c.outcome.kind()).collect()
    }

    /// The worst kind in the row (for sorting and colouring).
    pub fn worst(&self) -> Kind {
        self.kinds().into_iter().min().unwrap_or(Kind::Pass)
    }
}

/// Build the document from a session.
pub fn document(s: &Session) -> ResultsDoc {
    let columns: Vec<ColumnSummary> = s
        .columns
        .iter()
        .map(|c| ColumnSummary {
            column: c.column.clone(),
            target: c.target.clone(),
            kind: c.kind.clone(),
            user: c.user,
            kernel_release: c.kernel_release.clone(),
            kernel_source: c.kernel_source.clone(),
            status: c.status.clone(),
            timings: c.timings.clone(),
            counts: c.counts(),
            suites: c.counts_by_suite(),
            diagnostics: c.diagnostics.clone(),
        })
        .collect();
    let mut rows: Vec<Row> = s
        .tests
        .iter()
        .map(|id| {
            let mut cells = BTreeMap::new();
            for c in &s.columns {
                if let Some(r) = c.result(id) {
                    cells.insert(c.column.clone(), Cell { outcome: r.outcome.clone(), duration_ms: r.duration_ms });
                }
            }
            let entry = s.catalog.lookup(id.as_str());
            let kinds: Vec<Kind> = cells.values().map(|c: &Cell| c.outcome.kind()).collect();
            Row {
                id: id.to_string(),
                suite: id.suite().to_string(),
                claim: entry.map(|e| e.claim.clone()).filter(|c| !c.is_empty()),
                sources: entry.map(|e| e.sources.clone()).unwrap_or_default(),
                agree: kinds.windows(2).all(|w| w[0] == w[1]),
                targets_agree: targets_agree(&cells),
                cells,
            }
        })
        .collect();
    order_rows(&mut rows);
    let bad_cells = rows.iter().flat_map(|r| r.cells.values()).filter(|c| c.outcome.kind().is_bad()).count();
    let summary = Summary {
        tests: rows.len(),
        columns: columns.len(),
        disagreements: rows.iter().filter(|r| !r.agree).count(),
        target_disagreements: rows.iter().filter(|r| !r.targets_agree).count(),
        bad_cells,
        ok: s.all_good(),
    };
    ResultsDoc {
        schema: RESULTS_SCHEMA.into(),
        tool: crate::guest::executor_version(),
        started_at: s.started_at.clone(),
        duration_ms: s.duration_ms,
        phases: s.phases.clone(),
        columns,
        build_errors: s.build_errors.clone(),
        summary,
        tests: rows,
    }
}

/// For each user (columns named `.../nobody` or not), are the cells of every target of one
/// kind?
pub fn targets_agree(cells: &BTreeMap<String, Cell>) -> bool {
    let mut by_user: BTreeMap<bool, Vec<Kind>> = BTreeMap::new();
    for (col, c) in cells {
        by_user.entry(col.ends_with("/nobody")).or_default().push(c.outcome.kind());
    }
    by_user.values().all(|ks| ks.windows(2).all(|w| w[0] == w[1]))
}

/// Rows where targets disagree first (the portability answer), then rows that differ only
/// between root and nobody, then rows with a bad cell, then the rest; worst first, then by
/// id, within each group.
pub fn order_rows(rows: &mut [Row]) {
    rows.sort_by(|a, b| {
        let ka = (a.targets_agree, a.agree, !a.kinds().iter().any(|k| k.is_bad()), a.worst());
        let kb = (b.targets_agree, b.agree, !b.kinds().iter().any(|k| k.is_bad()), b.worst());
        ka.cmp(&kb).then_with(|| a.id.cmp(&b.id))
    });
}

/// Which files to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Format {
    Markdown,
    Json,
    Junit,
    Html,
}

impl Format {
    pub const ALL: [Format; 4] = [Format::Markdown, Format::Json, Format::Junit, Format::Html];

    pub fn parse_list(s: &str) -> Result<Vec<Format>, String> {
        let mut out = Vec::new();
        for p in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let f = match p {
                "md" | "markdown" => vec![Format::Markdown],
                "json" => vec![Format::Json],
                "junit" | "xml" => vec![Format::Junit],
                "html" => vec![Format::Html],
                "all" => Format::ALL.to_vec(),
                "terminal" | "none" => vec![],
                _ => return Err(format!("unknown format {p:?} (markdown, json, junit, html, all, none)")),
            };
            for x in f {
                if !out.contains(&x) {
                    out.push(x);
                }
            }
        }
        Ok(out)
    }
}

/// Write the chosen formats into `out`; returns the files written.
pub fn write_all(doc: &ResultsDoc, out: &Path, formats: &[Format]) -> Result<Vec<PathBuf>> {
    use crate::util::write_atomic;
    let mut written = Vec::new();
    for f in formats {
        match f {
            Format::Markdown => {
                let p = out.join("report.md");
                write_atomic(&p, markdown::render(doc).as_bytes())?;
                written.push(p);
            }
            Format::Json => {
                let p = out.join("results.json");
                write_atomic(&p, json::render(doc).as_bytes())?;
                written.push(p);
            }
            Format::Junit => {
                for c in &doc.columns {
                    let p = out.join("junit").join(format!("{}.xml", crate::util::file_stem(&c.column)));
                    write_atomic(&p, junit::render(doc, &c.column).as_bytes())?;
                    written.push(p);
                }
            }
            Format::Html => {
                let p = out.join("matrix.html");
                write_atomic(&p, html::render(doc).as_bytes())?;
                written.push(p);
            }
        }
    }
    Ok(written)
}

/// The first `n` lines of a message, for compact cells.
pub fn first_lines(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().collect();
    let mut out = lines[..lines.len().min(n)].join("\n");
    if lines.len() > n {
        out.push_str(" …");
    }
    out
}

/// A one-line form of a cell: `PASS`, `FAIL: left: 1 …`.
pub fn cell_line(c: &Cell, max: usize) -> String {
    let k = c.outcome.kind().label();
    let d = c.outcome.detail().split_whitespace().collect::<Vec<_>>().join(" ");
    if d.is_empty() {
        return k.to_string();
    }
    let d: String = if d.chars().count() > max { format!("{}…", d.chars().take(max).collect::<String>()) } else { d };
    format!("{k}: {d}")
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::catalog::Catalog;
    use crate::model::{ColumnRun, TestId, TestResult};

    pub fn session() -> Session {
        let ids = ["pipes::cap::a", "pipes::cap::b", "fds::dup::c"].map(|s| TestId::parse(s).unwrap());
        let col = |name: &str, user, outs: [Outcome; 3]| ColumnRun {
            column: name.into(),
            target: name.split('/').next().unwrap().into(),
            kind: "vm".into(),
            user,
            kernel_release: Some("6.1.0-56-cloud-amd64".into()),
            kernel_source: None,
            status: RunStatus::Complete,
            timings: Timings { total_ms: 1000, ..Default::default() },
            results: ids
                .iter()
                .zip(outs)
                .map(|(id, o)| TestResult { id: id.clone(), outcome: o, duration_ms: Some(3) })
                .collect(),
            diagnostics: vec![],
        };
        Session {
            started_at: "2026-11-27T00:00:00Z".into(),
            duration_ms: 5,
            columns: vec![
                col("host", User::Root, [Outcome::Pass, Outcome::Pass, Outcome::Pass]),
                col(
                    "vm:5.10",
                    User::Root,
                    [
                        Outcome::Pass,
                        Outcome::Fail { message: "assertion `left == right` failed\n  left: 4096\n right: 65536 <&>".into() },
                        Outcome::Skip { reason: "requires kernel >= 5.11".into() },
                    ],
                ),
            ],
            build_errors: vec![BuildError { suite: "epoll".into(), message: "error[E0425]: x".into() }],
            phases: Phases::default(),
            catalog: Catalog::default(),
            workspace_root: "/w".into(),
            tests: ids.to_vec(),
        }
    }

    #[test]
    fn disagreements_come_first() {
        let d = document(&session());
        let ids: Vec<&str> = d.tests.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["pipes::cap::b", "fds::dup::c", "pipes::cap::a"]);
        assert_eq!(d.summary.disagreements, 2);
        assert_eq!(d.summary.bad_cells, 1);
        assert!(!d.summary.ok);
    }

    #[test]
    fn every_format_renders_and_escapes() {
        let d = document(&session());
        let md = markdown::render(&d);
        assert!(md.contains("| `pipes::cap::b` |"), "{md}");
        let h = html::render(&d);
        assert!(h.contains("&lt;&amp;&gt;") && !h.contains("<&>"));
        let j = junit::render(&d, "vm:5.10");
        assert!(j.contains("<failure") && j.contains("<skipped"));
        let back: ResultsDoc = serde_json::from_str(&json::render(&d)).unwrap();
        assert_eq!(back, d);
        let t = terminal::render(&d);
        assert!(t.contains("epoll") && t.contains("FAIL"), "{t}");
        assert_eq!(Format::parse_list("md,html"), Ok(vec![Format::Markdown, Format::Html]));
        assert!(Format::parse_list("pdf").is_err());
    }
}
