//! Reports of a run: one document ([`ResultsDoc`], the JSON schema of docs/results-schema.md)
//! from which every format is rendered — terminal, Markdown, JSON, JUnit per column, HTML.
//!
//! Rows are tests, columns are targets as users. A cell is an outcome plus the variant the
//! test reported (`PASS · absent`). Rows whose variants differ between columns — behaviour
//! differences: the feature is there on one target and absent on another, or the kernels
//! show different documented behaviours — come first, then rows whose outcomes disagree,
//! because that is the portability answer.

pub mod html;
pub mod json;
pub mod junit;
pub mod logs;
pub mod markdown;
pub mod merge;
pub mod terminal;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::{Deserialize, Serialize};

use crate::execute::{Phases, Session};
pub use crate::model::Cell;
use crate::model::{BuildError, ColumnHead, Counts, Kind, Outcome, RESULTS_SCHEMA};

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
    /// A merged document (`ipcspec report --merge`): the runs it was made of, in column
    /// order. Absent for a single run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged_from: Vec<MergedInput>,
}

/// One run a merged document was made of.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MergedInput {
    /// Its results.json, as given.
    pub path: String,
    pub started_at: String,
    pub duration_ms: u64,
    pub columns: Vec<String>,
}

/// A column of the report: its head and its counts (overall and per suite).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ColumnSummary {
    #[serde(flatten)]
    pub head: ColumnHead,
    pub counts: Counts,
    pub suites: BTreeMap<String, Counts>,
}

crate::model::reads_through!(ColumnSummary, head: ColumnHead);

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub tests: usize,
    pub columns: usize,
    /// Rows whose cells show different variants (behaviour differences).
    #[serde(default)]
    pub behaviour_differences: usize,
    /// The same, counted by test function (claim) rather than by parametrised case.
    #[serde(default)]
    pub behaviour_difference_claims: usize,
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
    /// The cells show one variant (or none): false is a behaviour difference.
    #[serde(default = "yes")]
    pub variants_agree: bool,
    /// The distinct variants the cells show, in column order (empty: the test reports none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variants: Vec<String>,
    /// column name -> cell (a column that did not plan the test has no cell).
    pub cells: BTreeMap<String, Cell>,
}


impl Row {
    pub fn kinds(&self) -> Vec<Kind> {
        self.cells.values().map(|c| c.outcome.kind()).collect()
    }

    /// The variant names the cells show, in column order, without repeats; cells that pass
    /// without reporting one count as "(none)" when another cell has one.
    pub fn distinct_variants(cells: &BTreeMap<String, Cell>, order: &[String]) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut none = false;
        for col in order {
            let Some(c) = cells.get(col) else { continue };
            match &c.variant {
                Some(v) if !out.contains(&v.name) => out.push(v.name.clone()),
                Some(_) => {}
                None if c.outcome.kind() == Kind::Pass => none = true,
                None => {}
            }
        }
        if none && !out.is_empty() {
            out.push(NO_VARIANT.to_string());
        }
        out
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
        .map(|c| ColumnSummary { head: c.head.clone(), counts: c.counts(), suites: c.counts_by_suite() })
        .collect();
    let order: Vec<String> = s.columns.iter().map(|c| c.column.clone()).collect();
    let mut rows: Vec<Row> = s
        .tests
        .iter()
        .map(|id| {
            let mut cells = BTreeMap::new();
            for c in &s.columns {
                if let Some(r) = c.result(id) {
                    cells.insert(c.column.clone(), r.cell.clone());
                }
            }
            let entry = s.catalog.lookup(id.as_str());
            make_row(
                id.to_string(),
                entry.map(|e| e.claim.clone()).filter(|c| !c.is_empty()),
                entry.map(|e| e.sources.clone()).unwrap_or_default(),
                cells,
                &order,
            )
        })
        .collect();
    order_rows(&mut rows);
    let summary = summarize(&rows, columns.len(), s.all_good(), |id| s.catalog.lookup(id).map_or(id.to_string(), |e| e.id.clone()));
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
        merged_from: Vec::new(),
    }
}

/// A row from its cells: whether they agree (kinds, per user across targets, variants).
pub fn make_row(id: String, claim: Option<String>, sources: Vec<String>, cells: BTreeMap<String, Cell>, order: &[String]) -> Row {
    let kinds: Vec<Kind> = cells.values().map(|c: &Cell| c.outcome.kind()).collect();
    let variants = Row::distinct_variants(&cells, order);
    let suite = id.split("::").next().unwrap_or("").to_string();
    Row {
        suite,
        claim,
        sources,
        agree: kinds.windows(2).all(|w| w[0] == w[1]),
        targets_agree: targets_agree(&cells),
        variants_agree: variants.len() < 2,
        variants,
        cells,
        id,
    }
}

/// The summary of ordered rows; `claim_of` names the claim (test function) of a test case,
/// so that the parametrised cases of one claim count once; `ok` is the run's own verdict
/// (no bad cell, every suite built).
pub fn summarize(rows: &[Row], columns: usize, ok: bool, claim_of: impl Fn(&str) -> String) -> Summary {
    let bad_cells = rows.iter().flat_map(|r| r.cells.values()).filter(|c| c.outcome.kind().is_bad()).count();
    let differing: Vec<&Row> = rows.iter().filter(|r| !r.variants_agree).collect();
    let claims: std::collections::BTreeSet<String> = differing.iter().map(|r| claim_of(&r.id)).collect();
    Summary {
        tests: rows.len(),
        columns,
        behaviour_differences: differing.len(),
        behaviour_difference_claims: claims.len(),
        disagreements: rows.iter().filter(|r| !r.agree).count(),
        target_disagreements: rows.iter().filter(|r| !r.targets_agree).count(),
        bad_cells,
        ok,
    }
}

/// Skipped cells grouped by their reason, the most frequent reason first: (reason, the
/// (test id, column) pairs in row then column order).
pub fn skipped_by_reason(doc: &ResultsDoc) -> Vec<(String, Vec<(String, String)>)> {
    let mut by: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for r in &doc.tests {
        for c in &doc.columns {
            if let Some(cell) = r.cells.get(&c.column)
                && let Outcome::Skip { reason } = &cell.outcome
            {
                by.entry(reason.trim().to_string()).or_default().push((r.id.clone(), c.column.clone()));
            }
        }
    }
    let mut v: Vec<_> = by.into_iter().collect();
    v.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then_with(|| a.0.cmp(&b.0)));
    v
}

/// One line of the roll-up: a suite (mechanism) or one test file of it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Rollup {
    /// `pipes`, or `pipes::capacity` for a file.
    pub name: String,
    pub tests: usize,
    /// Rows whose variants differ (behaviour differences).
    pub differences: usize,
    /// Rows with a FAIL, TIMEOUT or CRASH cell.
    pub failing: usize,
    /// Per column of the document, in its order.
    pub columns: Vec<Counts>,
    /// A suite's files (empty for a file).
    pub files: Vec<Rollup>,
}

/// The roll-up per suite, each with its test files: counts per column, behaviour differences
/// and failing rows; suites in name order.
pub fn rollup(doc: &ResultsDoc) -> Vec<Rollup> {
    let mut suites: BTreeMap<String, Rollup> = BTreeMap::new();
    let mut files: BTreeMap<String, Rollup> = BTreeMap::new();
    let blank = |name: &str| Rollup { name: name.to_string(), columns: vec![Counts::default(); doc.columns.len()], ..Default::default() };
    for r in &doc.tests {
        let file = r.id.splitn(3, "::").take(2).collect::<Vec<_>>().join("::");
        for key in [&r.suite, &file] {
            let into = if key == &r.suite { &mut suites } else { &mut files };
            let e = into.entry(key.clone()).or_insert_with(|| blank(key));
            e.tests += 1;
            e.differences += usize::from(!r.variants_agree);
            e.failing += usize::from(r.cells.values().any(|c| c.outcome.kind().is_bad()));
            for (i, c) in doc.columns.iter().enumerate() {
                if let Some(cell) = r.cells.get(&c.column) {
                    e.columns[i].add(cell.outcome.kind());
                }
            }
        }
    }
    for (name, f) in files {
        let suite = name.split("::").next().unwrap_or("").to_string();
        if let Some(s) = suites.get_mut(&suite) {
            s.files.push(f);
        }
    }
    suites.into_values().collect()
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

/// Behaviour differences first (variants differ), then rows with a bad cell (FAIL, TIMEOUT,
/// CRASH), then rows where targets disagree (the portability answer), then rows that differ
/// only between root and nobody, then the rest; worst first, then by id, within each group.
pub fn order_rows(rows: &mut [Row]) {
    rows.sort_by(|a, b| {
        let ka = (a.variants_agree, !a.kinds().iter().any(|k| k.is_bad()), a.targets_agree, a.agree, a.worst());
        let kb = (b.variants_agree, !b.kinds().iter().any(|k| k.is_bad()), b.targets_agree, b.agree, b.worst());
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
                let p = out.join("summary.md");
                write_atomic(&p, markdown::summary(doc, SUMMARY_LIST_LIMIT).as_bytes())?;
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

/// At most this many lines in each list of summary.md.
pub const SUMMARY_LIST_LIMIT: usize = 60;

/// The reports of a run in `out`, and the log of every cell (`logs/<column>/<test>.log`,
/// from the run's files in `out/logs`) when the HTML matrix, which links to them, is written.
pub fn write_run(doc: &ResultsDoc, out: &Path, formats: &[Format]) -> Result<Vec<PathBuf>> {
    let written = write_all(doc, out, formats)?;
    if formats.contains(&Format::Html) {
        let dir = out.join("logs");
        logs::write(doc, &dir, &dir)?;
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

/// Shown for a passing cell that reported no variant in a row where others did.
pub const NO_VARIANT: &str = "(none)";

/// The one-line summary of the behaviour differences.
pub fn differences_line(doc: &ResultsDoc) -> String {
    let s = &doc.summary;
    match s.behaviour_differences {
        0 => "no claim behaves differently across these targets".to_string(),
        n => format!(
            "{} claim{} ({n} test case{}) behave{} differently across these targets",
            s.behaviour_difference_claims,
            if s.behaviour_difference_claims == 1 { "" } else { "s" },
            if n == 1 { "" } else { "s" },
            if s.behaviour_difference_claims == 1 { "s" } else { "" },
        ),
    }
}

/// `PASS`, `PASS · absent`, `SKIP · blocked`, `EXPECTED DEVIATION (FAIL)`: the outcome and
/// the variant.
pub fn cell_head(c: &Cell) -> String {
    let kind = match &c.outcome {
        Outcome::Expected { observed, .. } => format!("{} ({})", Kind::Expected.label(), observed.label()),
        o => o.kind().label().to_string(),
    };
    match &c.variant {
        Some(v) => format!("{kind} · {}", v.name),
        None => kind,
    }
}

/// What a cell has to say: the failure message or skip reason, else the variant's why.
pub fn cell_detail(c: &Cell) -> &str {
    match (c.outcome.detail(), &c.variant) {
        ("", Some(v)) => &v.detail,
        (d, _) => d,
    }
}

/// A one-line form of a cell: `PASS`, `PASS · absent: ENOSYS …`, `FAIL: left: 1 …`.
pub fn cell_line(c: &Cell, max: usize) -> String {
    let head = cell_head(c);
    let k = head.as_str();
    let d = cell_detail(c).split_whitespace().collect::<Vec<_>>().join(" ");
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
    use crate::model::{ColumnRun, TestId, TestResult, Timings, User, Variant};

    pub fn session() -> Session {
        let ids = ["pipes::cap::a", "pipes::cap::b", "fds::dup::c"].map(|s| TestId::parse(s).unwrap());
        let col = |target: &str, user, outs: [Outcome; 3]| ColumnRun {
            head: ColumnHead {
                kernel_release: Some("6.1.0-56-cloud-amd64".into()),
                timings: Timings { total_ms: 1000, ..Default::default() },
                ..ColumnHead::new(target, "vm", user)
            },
            results: ids
                .iter()
                .zip(outs)
                .map(|(id, o)| TestResult::new(id.clone(), o, None, Some(3)))
                .collect(),
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
    fn behaviour_differences_come_first_in_every_format() {
        let mut s = session();
        let v = |name: &str, lacking| Some(Variant { name: name.into(), lacking, detail: format!("why {name}") });
        // pipes::cap::a passes everywhere, but with the feature on the host only.
        s.columns[0].results[0].variant = v("present", false);
        s.columns[1].results[0].variant = v("absent", true);
        // fds::dup::c reports one variant where it ran: no difference.
        s.columns[0].results[2].variant = v("eloop", false);
        let d = document(&s);
        assert_eq!(d.tests[0].id, "pipes::cap::a");
        assert!(!d.tests[0].variants_agree && d.tests[0].agree);
        assert_eq!(d.tests[0].variants, ["present", "absent"]);
        assert!(d.tests.iter().filter(|r| r.id != "pipes::cap::a").all(|r| r.variants_agree));
        assert_eq!((d.summary.behaviour_differences, d.summary.behaviour_difference_claims), (1, 1));
        assert_eq!(differences_line(&d), "1 claim (1 test case) behaves differently across these targets");
        let t = terminal::render(&d);
        let at = t.find("behaves differently").unwrap();
        assert!(at < t.find("failures").unwrap(), "{t}");
        assert!(t.contains("host PASS · present, vm:5.10 PASS · absent"), "{t}");
        let md = markdown::render(&d);
        assert!(md.find("## Behaviour differences").unwrap() < md.find("## Matrix").unwrap());
        assert!(md.contains("| `pipes::cap::a` | present / absent | PASS · present | PASS · absent |"), "{md}");
        assert!(md.contains("PASS · absent: why absent"), "{md}");
        let h = html::render(&d);
        assert!(h.contains("<tr id=\"t-pipes::cap::a\" class=\"v\"") && h.contains("PASS</a> <span class=\"v lack\">· absent</span>"), "{h}");
        let j = junit::render(&d, "vm:5.10");
        assert!(j.contains("<property name=\"variant\" value=\"absent\"/>") && j.contains("<property name=\"variant.lacking\" value=\"true\"/>"), "{j}");
        assert_eq!(crate::nextest_junit::parse(&j).unwrap().len(), 3, "our JUnit with properties reads back");
        let back: ResultsDoc = serde_json::from_str(&json::render(&d)).unwrap();
        assert_eq!(back, d);
        // A passing cell without a variant in a row where another has one is a difference
        // too (a branch that forgot to report).
        let mut s2 = session();
        s2.columns[0].results[0].variant = v("present", false);
        let d2 = document(&s2);
        let row = d2.tests.iter().find(|r| r.id == "pipes::cap::a").unwrap();
        assert_eq!(row.variants, ["present", NO_VARIANT]);
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
        // The bad cells again just above the verdict, so that the last lines of a log name
        // them: the first two lines of the message on one line.
        let tail: Vec<&str> = t.lines().rev().take(4).collect();
        assert!(
            tail.iter().any(|l| l.contains("FAIL vm:5.10 pipes::cap::b: assertion `left == right` failed — left: 4096")),
            "{t}"
        );
        assert_eq!(Format::parse_list("md,html"), Ok(vec![Format::Markdown, Format::Html]));
        assert!(Format::parse_list("pdf").is_err());
    }

    #[test]
    fn reports_show_expected_deviations_and_they_do_not_fail_the_run() {
        // Here, not in expectations.rs: the reports depend on the expectations, not the other way.
        use crate::expectations::{parse, Applied, Expectations};
        use crate::report as report;
        let targets = |s: &str| -> Result<(String, String), String> {
            match s {
                "vm:6.1" | "vm:5.10" => Ok((s.to_string(), "vm".into())),
                _ => Err(format!("unknown target {s:?}")),
            }
        };
        let mut s = session();
        s.build_errors.clear();
        assert!(!s.all_good(), "vm:5.10 fails pipes::cap::b");
        let text = "[[expect]]\ntests = [\"pipes::cap::b\"]\ntargets = [\"vm:5.10\"]\noutcome = \"FAIL\"\nmessage = \"65536\"\nobserved = \"the capacity is 4096\"\nreason = \"a known bug of 5.10\"\nissue = \"https://example.invalid/1\"\n";
        let e = Expectations { files: vec![parse(text, "vm", "docs/expectations/vm.toml", &targets).unwrap()] };
        assert_eq!(e.apply(&mut s.columns), Applied { expected: 1, stale: 0, different: 0 });
        assert!(s.all_good());
        let d = report::document(&s);
        assert!(d.summary.ok && d.summary.bad_cells == 0, "{:?}", d.summary);
        assert_eq!(d.columns[1].counts.expected, 1);
        let t = terminal::render(&d);
        assert!(t.contains("1 expected deviations") && t.contains("expected deviations (listed in docs/expectations/"), "{t}");
        assert!(t.contains("EXPECTED DEVIATION 1 × (FAIL) a known bug of 5.10 [https://example.invalid/1]"), "{t}");
        let md = markdown::render(&d);
        assert!(md.contains("EXPECTED DEVIATION (FAIL)"), "{md}");
        let j = junit::render(&d, "vm:5.10");
        assert!(j.contains("<skipped") && j.contains("EXPECTED DEVIATION"), "{j}");
        assert!(!j.contains("<failure"), "{j}");
        let js = json::render(&d);
        assert!(js.contains("\"outcome\": \"EXPECTED_DEVIATION\"") && js.contains("\"observed\": \"FAIL\""), "{js}");
        let back: report::ResultsDoc = serde_json::from_str(&js).unwrap();
        assert_eq!(back, d);
        assert!(html::render(&d).contains("EXPECTED DEVIATION"));
    }
}
