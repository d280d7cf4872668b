//! docs/mechanisms.md, "Choosing an IPC mechanism": the mechanisms × properties table where
//! every cell is a tested fact, and what each mechanism costs.
//!
//! The table lives in one data file, docs/mechanisms.toml ([`Table`]): each cell is the value
//! as stated and the test ids that prove it (`suite::file::test`, or `suite::file::test[case]`
//! for some cases of a parametrised test), or why it cannot be tested (`untestable`), or the
//! test it still needs (`missing`: shown as "not yet tested"). [`problems`] checks every named
//! test against the claims catalog, so a typo or a renamed test fails `ipcspec catalog
//! --check` and the table cannot drift from the tests.
//!
//! With the observations of a matrix run (docs/mechanisms-observed.json, recorded by
//! `ipcspec catalog --observed results.json`, as for docs/kernel-changes.md) each cell shows
//! what its tests did on every target, so a difference between kernels or in a container is
//! visible in the table. The bench section renders what `ipcspec bench --record` kept
//! (docs/mechanisms-bench.json, [`crate::bench`]) and compares it with a published reference
//! (the table file's `[reference]`). The page is a pure function of committed files.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::bench::{self, BenchReport};
use crate::catalog::Catalog;
use crate::report::ResultsDoc;
use crate::util::markdown_cell as esc;

pub const TABLE_FILE: &str = "docs/mechanisms.toml";
pub const OBSERVED_FILE: &str = "docs/mechanisms-observed.json";
pub const OBSERVED_SCHEMA: &str = "ipcspec-mechanisms-observed/1";

/// docs/mechanisms.toml.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Table {
    pub mechanism: Vec<Mechanism>,
    pub property: Vec<Property>,
    /// mechanism id -> property id -> cell.
    pub cells: BTreeMap<String, BTreeMap<String, Cell>>,
    #[serde(default)]
    pub reference: Option<Reference>,
}

/// A row of the table.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mechanism {
    pub id: String,
    pub name: String,
    /// The calls that make and use it.
    pub calls: String,
    /// The `ipcspec-bench` mechanisms that measure it (its cost in the overview).
    #[serde(default)]
    pub bench: Vec<String>,
}

/// A column of the table.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Property {
    pub id: String,
    pub name: String,
    pub question: String,
}

/// One fact.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cell {
    /// The value as stated, short (the overview shows it).
    pub value: String,
    /// More of it (the property's section shows it).
    #[serde(default)]
    pub note: String,
    /// The tests that prove it: `suite::file::test` or `suite::file::test[case]`.
    #[serde(default)]
    pub tests: Vec<String>,
    /// Why no test can prove it.
    #[serde(default)]
    pub untestable: Option<String>,
    /// The test it still needs (the claim to assert): "not yet tested".
    #[serde(default)]
    pub missing: Option<String>,
}

/// How a cell stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Tested,
    Untestable,
    NotYetTested,
}

impl Cell {
    /// A cell that names a missing test is not yet tested, whatever tests it already names
    /// (they are shown as partial evidence).
    pub fn status(&self) -> Status {
        if self.missing.is_some() {
            Status::NotYetTested
        } else if !self.tests.is_empty() {
            Status::Tested
        } else if self.untestable.is_some() {
            Status::Untestable
        } else {
            Status::NotYetTested
        }
    }
}

/// A published benchmark to compare with.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reference {
    pub name: String,
    pub url: String,
    /// Its machine, as published.
    pub machine: String,
    /// What its figures count.
    pub method: String,
    /// Its two message sizes, as labelled.
    pub small: String,
    pub large: String,
    /// Why ours differ, in general.
    pub differences: String,
    pub row: Vec<ReferenceRow>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferenceRow {
    /// Its method, as labelled.
    pub label: String,
    /// The `ipcspec-bench` mechanism that does the same.
    pub ours: String,
    /// Its figure (messages per second) at its small and large size.
    pub small: f64,
    pub large: f64,
    /// Why this row differs.
    pub why: String,
}

/// A test named by a cell: the catalog id of the function, and a case filter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestRef {
    pub id: String,
    pub case: Option<String>,
}

impl TestRef {
    pub fn parse(s: &str) -> Result<TestRef, String> {
        let s = s.trim();
        let (id, case) = match s.split_once('[') {
            Some((id, rest)) => {
                let c = rest.strip_suffix(']').ok_or_else(|| format!("{s:?}: a case filter is `[case]` at the end"))?;
                if c.is_empty() {
                    return Err(format!("{s:?}: an empty case filter"));
                }
                (id, Some(c.to_string()))
            }
            None => (s, None),
        };
        if id.split("::").count() < 3 || id.split("::").any(|p| p.is_empty() || !p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')) {
            return Err(format!("{s:?} is not a test id (suite::file::test)"));
        }
        Ok(TestRef { id: id.to_string(), case })
    }

    /// Does a case of this test (the part of a result id after the function's id, or a case
    /// name of the catalog) match the filter? Compared without case and underscores, so that
    /// `unix_stream` matches `case_3_unix_stream` and `kind_3_Kind__UnixStream`.
    pub fn matches_case(&self, case: &str) -> bool {
        match &self.case {
            None => true,
            Some(f) => norm(case).contains(&norm(f)),
        }
    }
}

fn norm(s: &str) -> String {
    s.chars().filter(|c| *c != '_').flat_map(char::to_lowercase).collect()
}

/// Parse docs/mechanisms.toml.
pub fn parse(text: &str) -> Result<Table, String> {
    toml::from_str(text).map_err(|e| format!("{TABLE_FILE}: {}", e.to_string().trim()))
}

/// Everything wrong with the table, checked against the catalog: every mechanism has a cell
/// for every property and nothing else; a cell is proved by tests, or says why it cannot be,
/// or names the test it needs; every named test exists (and its case filter matches a case).
pub fn problems(t: &Table, cat: &Catalog) -> Vec<String> {
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for m in &t.mechanism {
        if !seen.insert(format!("m:{}", m.id)) {
            out.push(format!("mechanism {:?} twice", m.id));
        }
    }
    for p in &t.property {
        if !seen.insert(format!("p:{}", p.id)) {
            out.push(format!("property {:?} twice", p.id));
        }
    }
    for (m, props) in &t.cells {
        if !t.mechanism.iter().any(|x| &x.id == m) {
            out.push(format!("cells.{m}: no such mechanism"));
        }
        for p in props.keys() {
            if !t.property.iter().any(|x| &x.id == p) {
                out.push(format!("cells.{m}.{p}: no such property"));
            }
        }
    }
    for m in &t.mechanism {
        for p in &t.property {
            let at = format!("cells.{}.{}", m.id, p.id);
            let Some(c) = t.cells.get(&m.id).and_then(|ps| ps.get(&p.id)) else {
                out.push(format!("{at}: missing (every mechanism needs a cell for every property)"));
                continue;
            };
            if c.value.trim().is_empty() {
                out.push(format!("{at}: an empty value"));
            }
            match (c.tests.is_empty(), &c.untestable, &c.missing) {
                (true, None, None) => out.push(format!("{at}: no test proves it; name one (tests), say why none can (untestable), or name the test it needs (missing)")),
                (false, Some(_), _) => out.push(format!("{at}: names tests and says it cannot be tested")),
                (_, Some(_), Some(_)) => out.push(format!("{at}: both untestable and missing")),
                _ => {}
            }
            for s in &c.tests {
                match TestRef::parse(s) {
                    Err(e) => out.push(format!("{at}: {e}")),
                    Ok(r) => match cat.tests.iter().find(|e| e.id == r.id) {
                        None => out.push(format!("{at}: no test {} in the catalog (renamed or misspelt?)", r.id)),
                        Some(e) => {
                            if let Some(f) = &r.case {
                                if !e.parametrised {
                                    out.push(format!("{at}: {} has no cases, so no case matches [{f}]", r.id));
                                } else if !e.cases.is_empty() && !e.cases.iter().any(|c| r.matches_case(c)) {
                                    out.push(format!("{at}: no case of {} matches [{f}] (cases: {})", r.id, e.cases.join(", ")));
                                }
                            }
                        }
                    },
                }
            }
        }
    }
    out
}

/// What a matrix run showed for the tests the table names.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observed {
    pub schema: String,
    pub started_at: String,
    /// The run's columns in its order: column, kernel release.
    pub columns: Vec<(String, String)>,
    /// Test function id -> case (the rest of the result id; empty for a plain test) ->
    /// column -> what the cell showed (`PASS`, `PASS · absent`, `SKIP`, ...).
    pub seen: BTreeMap<String, BTreeMap<String, BTreeMap<String, String>>>,
}

/// The observations of `doc` for every test the table names (all columns).
pub fn observe(doc: &ResultsDoc, cat: &Catalog, t: &Table) -> Observed {
    let wanted: BTreeSet<String> =
        t.cells.values().flat_map(|ps| ps.values()).flat_map(|c| c.tests.iter()).filter_map(|s| TestRef::parse(s).ok()).map(|r| r.id).collect();
    let mut seen: BTreeMap<String, BTreeMap<String, BTreeMap<String, String>>> = BTreeMap::new();
    for row in &doc.tests {
        let Some(entry) = cat.lookup(&row.id) else { continue };
        if !wanted.contains(&entry.id) {
            continue;
        }
        let case = row.id.strip_prefix(entry.id.as_str()).unwrap_or("").trim_start_matches(':').to_string();
        let cols = seen.entry(entry.id.clone()).or_default().entry(case).or_default();
        for (col, cell) in &row.cells {
            cols.insert(col.clone(), crate::report::cell_head(cell));
        }
    }
    Observed {
        schema: OBSERVED_SCHEMA.into(),
        started_at: doc.started_at.clone(),
        columns: doc.columns.iter().map(|c| (c.column.clone(), c.kernel_release.clone().unwrap_or_default())).collect(),
        seen,
    }
}

/// One cell's observations in one column: `✓` when every matching case passed without a
/// variant, else the distinct outcomes (`✓ absent`, `skip (blocked)`, `**FAIL**`).
pub fn observed_in(o: &Observed, refs: &[TestRef], column: &str) -> Option<String> {
    let mut labels: Vec<String> = Vec::new();
    for r in refs {
        let Some(cases) = o.seen.get(&r.id) else { continue };
        for (case, cols) in cases {
            if !r.matches_case(case) {
                continue;
            }
            if let Some(l) = cols.get(column) {
                let l = short_label(l);
                if !labels.contains(&l) {
                    labels.push(l);
                }
            }
        }
    }
    if labels.is_empty() {
        return None;
    }
    Some(labels.join(" / "))
}

fn short_label(l: &str) -> String {
    let (kind, variant) = match l.split_once(" · ") {
        Some((k, v)) => (k, Some(v)),
        None => (l, None),
    };
    let k = match kind {
        "PASS" => "✓".to_string(),
        "SKIP" => "skip".to_string(),
        "FAIL" | "TIMEOUT" | "CRASH" => format!("**{kind}**"),
        other => other.to_string(),
    };
    match (variant, kind) {
        (None, _) => k,
        (Some(v), "SKIP") => format!("skip ({v})"),
        (Some(v), _) => format!("{k} {v}"),
    }
}

/// GitHub's anchor of a heading: lower case, spaces to dashes, other punctuation dropped.
pub fn anchor(heading: &str) -> String {
    heading
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c.to_ascii_lowercase()),
            _ => None,
        })
        .collect()
}

/// `[`id`](catalog.md#suitefile)` plus the case filter.
fn test_link(r: &TestRef) -> String {
    let file = r.id.split("::").take(2).collect::<Vec<_>>().join("::");
    let case = r.case.as_ref().map(|c| format!(" `[{c}]`")).unwrap_or_default();
    format!("[`{}`](catalog.md#{}){case}", r.id, anchor(&file))
}

/// Counts of the cells: (all, tested, untestable, not yet tested).
pub fn coverage(t: &Table) -> (usize, usize, usize, usize) {
    let cells: Vec<&Cell> = t.mechanism.iter().flat_map(|m| t.property.iter().filter_map(|p| t.cells.get(&m.id).and_then(|ps| ps.get(&p.id)))).collect();
    let n = |s: Status| cells.iter().filter(|c| c.status() == s).count();
    (cells.len(), n(Status::Tested), n(Status::Untestable), n(Status::NotYetTested))
}

/// The root columns of the observations, each with its nobody column if the run had one.
fn root_columns(o: &Observed) -> Vec<(String, String, Option<String>)> {
    o.columns
        .iter()
        .filter(|(c, _)| !c.ends_with("/nobody"))
        .map(|(c, k)| {
            let nobody = format!("{c}/nobody");
            let has = o.columns.iter().any(|(x, _)| *x == nobody);
            (c.trim_end_matches("/root").to_string(), k.clone(), has.then_some(nobody))
        })
        .collect()
}

/// docs/mechanisms.md.
pub fn to_markdown(t: &Table, o: &Observed, bench: Option<&BenchReport>) -> String {
    let mut md = String::new();
    md.push_str("# Choosing an IPC mechanism\n\n");
    md.push_str("Generated by `cargo run -p ipcspec -- catalog` from docs/mechanisms.toml (each cell: the value as stated and the\n");
    md.push_str("tests that prove it), the claims catalog (docs/catalog.md), what a matrix run observed\n");
    md.push_str("(docs/mechanisms-observed.json, refreshed with `ipcspec catalog --observed results/matrix/results.json`)\n");
    md.push_str("and what `ipcspec bench --record` measured (docs/mechanisms-bench.json); do not edit. `catalog --check`\n");
    md.push_str("fails when a cell names a test the catalog does not have.\n\n");
    let (n, tested, untestable, missing) = coverage(t);
    md.push_str(&format!(
        "{} mechanisms × {} properties = {n} cells: **{tested} proved by tests**, {untestable} that no test can prove (marked †, the cell says why), {missing} not yet tested (marked ‡, the test they need is named).\n\n",
        t.mechanism.len(),
        t.property.len()
    ));
    let cols = root_columns(o);
    if cols.is_empty() {
        md.push_str("No matrix run observed yet: the per-target columns appear after `ipcspec catalog --observed <results.json>`.\n\n");
    } else {
        md.push_str(&format!(
            "Per-target columns: what the cell's tests did in the matrix run(s) of {} (✓ passed; a variant name is the documented behaviour the test saw; `skip (blocked)`: the target denies it; a `nobody:` note where uid 65534 saw otherwise).\n\n",
            o.started_at
        ));
    }
    let host_bench = bench.and_then(|b| b.targets.iter().find(|x| x.target == "host")).and_then(|x| x.doc.as_ref());
    // The overview.
    md.push_str("## Overview\n\n");
    md.push_str("| mechanism |");
    for p in &t.property {
        md.push_str(&format!(" [{}](#{}) |", p.name, anchor(&p.name)));
    }
    if host_bench.is_some() {
        md.push_str(" round trip, 64 B (host) |");
    }
    md.push_str("\n|---|");
    for _ in &t.property {
        md.push_str("---|");
    }
    if host_bench.is_some() {
        md.push_str("---:|");
    }
    md.push('\n');
    for m in &t.mechanism {
        md.push_str(&format!("| **{}** |", esc(&m.name)));
        for p in &t.property {
            let c = t.cells.get(&m.id).and_then(|ps| ps.get(&p.id));
            let v = match c {
                None => "?".to_string(),
                Some(c) => {
                    let mark = match c.status() {
                        Status::Tested => "",
                        Status::Untestable => " †",
                        Status::NotYetTested => " ‡",
                    };
                    format!("{}{mark}", esc(&c.value))
                }
            };
            md.push_str(&format!(" {v} |"));
        }
        if let Some(d) = host_bench {
            let costs: Vec<String> = m
                .bench
                .iter()
                .filter_map(|b| {
                    let size = d.mechanisms.iter().find(|x| &x.id == b).and_then(|x| x.fixed_size).unwrap_or(64);
                    d.result(b, size).map(|r| if m.bench.len() > 1 { format!("{}: {}", b, bench::fmt_ns(r.latency_ns.p50.median)) } else { bench::fmt_ns(r.latency_ns.p50.median) })
                })
                .collect();
            md.push_str(&format!(" {} |", if costs.is_empty() { "–".to_string() } else { costs.join(", ") }));
        }
        md.push('\n');
    }
    md.push_str("\nThe calls: ");
    md.push_str(&t.mechanism.iter().map(|m| format!("**{}** {}", esc(&m.name), esc(&m.calls))).collect::<Vec<_>>().join("; "));
    md.push_str(".\n\n");
    // One section per property.
    for p in &t.property {
        md.push_str(&format!("## {}\n\n{}\n\n", p.name, esc(&p.question)));
        md.push_str("| mechanism | value | proved by |");
        for (c, k, _) in &cols {
            md.push_str(&format!(" `{c}` ({k}) |"));
        }
        md.push_str("\n|---|---|---|");
        for _ in &cols {
            md.push_str("---|");
        }
        md.push('\n');
        for m in &t.mechanism {
            let Some(c) = t.cells.get(&m.id).and_then(|ps| ps.get(&p.id)) else { continue };
            let value = if c.note.is_empty() { format!("**{}**", esc(&c.value)) } else { format!("**{}** — {}", esc(&c.value), esc(&c.note)) };
            let refs: Vec<TestRef> = c.tests.iter().filter_map(|s| TestRef::parse(s).ok()).collect();
            let mut proof = refs.iter().map(test_link).collect::<Vec<_>>().join("<br>");
            if let Some(u) = &c.untestable {
                proof = format!("† cannot be tested: {}", esc(u));
            }
            if let Some(mi) = &c.missing {
                let also = if proof.is_empty() { String::new() } else { format!("{proof}<br>") };
                proof = format!("{also}‡ **not yet tested**: {}", esc(mi));
            }
            md.push_str(&format!("| {} | {value} | {proof} |", esc(&m.name)));
            for (col, _, nobody) in &cols {
                let cell = if refs.is_empty() {
                    "–".to_string()
                } else {
                    let root = observed_in(o, &refs, col).or_else(|| observed_in(o, &refs, &format!("{col}/root")));
                    let nob = nobody.as_deref().and_then(|n| observed_in(o, &refs, n));
                    match (root, nob) {
                        (Some(r), Some(n)) if r != n => format!("{r}; nobody: {n}"),
                        (Some(r), _) => r,
                        (None, Some(n)) => format!("nobody: {n}"),
                        (None, None) => "not run".to_string(),
                    }
                };
                md.push_str(&format!(" {cell} |"));
            }
            md.push('\n');
        }
        md.push('\n');
    }
    md.push_str(&bench_section(t, bench));
    md
}

/// The bench section: every target's tables, and the comparison with the reference.
fn bench_section(t: &Table, bench: Option<&BenchReport>) -> String {
    let mut md = String::from("## What each costs: `ipcspec bench`\n\n");
    let Some(b) = bench else {
        md.push_str("Nothing measured yet: run `ipcspec bench --record` on a quiet machine.\n");
        return md;
    };
    md.push_str(&format!(
        "Measured by `ipcspec bench` (package bench/, `ipcspec-bench`) on {}, {} in all; load average at the start {}. Two processes pinned to CPUs (sched_setaffinity) ping-pong a message of each size (round-trip latency: percentiles of every round trip of a run), then one sends one way as fast as the other takes it (throughput). Each figure is the median over the runs with its min–max.\n\n",
        b.started_at,
        crate::util::human_ms(b.duration_ms),
        b.load_at_start.iter().map(|x| format!("{x:.2}")).collect::<Vec<_>>().join(" ")
    ));
    for tb in &b.targets {
        md.push_str(&format!("### `{}`\n\n", tb.target));
        if !tb.note.is_empty() {
            md.push_str(&format!("{} ({}).{}\n\n", esc(&tb.note), crate::util::human_ms(tb.wall_ms), if tb.comparable { "" } else { " **Not comparable.**" }));
        }
        match (&tb.doc, &tb.error) {
            (Some(d), _) => md.push_str(&bench::doc_markdown(d, 4)),
            (None, e) => md.push_str(&format!("Not measured: {}\n", esc(e.as_deref().unwrap_or("?")))),
        }
        md.push('\n');
    }
    if let Some(r) = &t.reference {
        md.push_str(&reference_section(r, b));
    }
    md
}

fn reference_section(r: &Reference, b: &BenchReport) -> String {
    let mut md = format!("### Compared with {}\n\n", esc(&r.name));
    md.push_str(&format!("{} ({}); its machine: {}. {}\n\n", esc(&r.name), r.url, esc(&r.machine), esc(&r.method)));
    let host = b.targets.iter().find(|x| x.target == "host").and_then(|x| x.doc.as_ref());
    let Some(d) = host else {
        md.push_str("No host figures recorded to compare.\n\n");
        return md;
    };
    let same = b.targets.iter().find(|x| x.target == "host/same-cpu").and_then(|x| x.doc.as_ref());
    md.push_str(&format!(
        "| {} | theirs, {} (msg/s) | theirs, {} | ours, 64 B (round trips/s, host) | ours / theirs | ours, 4 KiB |{} why they differ |\n|---|---:|---:|---:|---:|---:|{}---|\n",
        esc(&r.name),
        esc(&r.small),
        esc(&r.large),
        if same.is_some() { " ours, 64 B, both on one CPU (`host/same-cpu`) | ours / theirs |" } else { "" },
        if same.is_some() { "---:|---:|" } else { "" },
    ));
    for row in &r.row {
        let small = d.result(&row.ours, 64);
        let large = d.result(&row.ours, 4096);
        let ours = small.map(|x| format!("{} ({}–{}) `{}`", bench::fmt_rate(x.round_trips_per_s.median), bench::fmt_rate(x.round_trips_per_s.min), bench::fmt_rate(x.round_trips_per_s.max), row.ours)).unwrap_or_else(|| format!("– `{}`", row.ours));
        let ratio = small.map(|x| format!("{:.1}×", x.round_trips_per_s.median / row.small)).unwrap_or_else(|| "–".into());
        let l = large.map(|x| bench::fmt_rate(x.round_trips_per_s.median)).unwrap_or_else(|| "–".into());
        let same_cols = match same {
            None => String::new(),
            Some(sd) => match sd.result(&row.ours, 64) {
                Some(x) => format!(
                    " {} ({}–{}) | {:.1}× |",
                    bench::fmt_rate(x.round_trips_per_s.median),
                    bench::fmt_rate(x.round_trips_per_s.min),
                    bench::fmt_rate(x.round_trips_per_s.max),
                    x.round_trips_per_s.median / row.small
                ),
                None => " – | – |".into(),
            },
        };
        md.push_str(&format!(
            "| {} | {} | {} | {ours} | {ratio} | {l} |{same_cols} {} |\n",
            esc(&row.label),
            bench::fmt_rate(row.small),
            bench::fmt_rate(row.large),
            esc(&row.why)
        ));
    }
    md.push_str(&format!("\n{}\n\n", esc(&r.differences)));
    md
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Catalog, Entry};

    fn entry(id: &str, cases: &[&str]) -> Entry {
        Entry {
            id: id.into(),
            suite: id.split("::").next().unwrap().into(),
            file: id.split("::").nth(1).unwrap().into(),
            claim: "x(7).".into(),
            sources: vec!["x(7)".into()],
            location: "x.rs:1".into(),
            cases: cases.iter().map(|c| c.to_string()).collect(),
            parametrised: !cases.is_empty(),
            ignored: false,
            variants: vec![],
            branches_on: vec![],
            no_variant: None,
            silent: false,
        }
    }

    fn catalog() -> Catalog {
        Catalog {
            schema: String::new(),
            tests: vec![entry("pipes::io::writes_merge", &["pipe", "fifo"]), entry("pipes::io::one_way", &[]), entry("eventfd::counter::sums", &[])],
            errors: vec![],
        }
    }

    const TABLE: &str = r#"
[[mechanism]]
id = "pipe"
name = "Pipe"
calls = "pipe(2)"
bench = ["pipe"]

[[mechanism]]
id = "eventfd"
name = "eventfd"
calls = "eventfd(2)"

[[property]]
id = "model"
name = "Data model"
question = "What does it move?"

[[property]]
id = "ns"
name = "Namespaces"
question = "Who sees it?"

[cells.pipe.model]
value = "byte stream"
note = "writes merge"
tests = ["pipes::io::writes_merge[pipe]", "pipes::io::one_way"]

[cells.pipe.ns]
value = "unnamed"
untestable = "no name to hide"

[cells.eventfd.model]
value = "counter"
tests = ["eventfd::counter::sums"]

[cells.eventfd.ns]
value = "unnamed"
missing = "an eventfd passed into a new IPC namespace still counts"
"#;

    #[test]
    fn a_good_table_has_no_problems_and_renders() {
        let t = parse(TABLE).unwrap();
        assert_eq!(problems(&t, &catalog()), Vec::<String>::new());
        assert_eq!(coverage(&t), (4, 2, 1, 1));
        let md = to_markdown(&t, &Observed::default(), None);
        assert!(md.contains("4 cells: **2 proved by tests**, 1 that no test can prove"), "{md}");
        assert!(md.contains("| **Pipe** | byte stream | unnamed † |"), "{md}");
        assert!(md.contains("| eventfd | **unnamed** | ‡ **not yet tested**: an eventfd passed into a new IPC namespace still counts |"), "{md}");
        assert!(md.contains("[`pipes::io::writes_merge`](catalog.md#pipesio) `[pipe]`<br>[`pipes::io::one_way`](catalog.md#pipesio)"), "{md}");
        assert!(md.contains("**byte stream** — writes merge"), "{md}");
        assert!(md.contains("[Data model](#data-model)"), "{md}");
        assert!(md.contains("Nothing measured yet"), "{md}");
    }

    #[test]
    fn a_renamed_test_or_a_hole_is_a_problem() {
        let bad = TABLE
            .replace("pipes::io::one_way\"", "pipes::io::one_wayy\"")
            .replace("[pipe]\"", "[socket]\"")
            .replace("eventfd::counter::sums\"", "eventfd::counter::sums[x]\"")
            .replace("untestable = \"no name to hide\"", "");
        let t = parse(&bad).unwrap();
        let p = problems(&t, &catalog()).join("\n");
        assert!(p.contains("no test pipes::io::one_wayy in the catalog"), "{p}");
        assert!(p.contains("no case of pipes::io::writes_merge matches [socket] (cases: pipe, fifo)"), "{p}");
        assert!(p.contains("eventfd::counter::sums has no cases"), "{p}");
        assert!(p.contains("cells.pipe.ns: no test proves it"), "{p}");
        let extra = format!("{TABLE}\n[cells.pipe.size]\nvalue = \"x\"\ntests = [\"pipes::io::one_way\"]\n");
        assert!(problems(&parse(&extra).unwrap(), &catalog()).join("\n").contains("cells.pipe.size: no such property"));
        let hole = TABLE.replace("[cells.eventfd.model]\nvalue = \"counter\"\ntests = [\"eventfd::counter::sums\"]\n", "");
        assert!(problems(&parse(&hole).unwrap(), &catalog()).join("\n").contains("cells.eventfd.model: missing"));
        assert!(parse("[[mechanism]]\nid = \"a\"\nname = \"b\"\ncalls = \"c\"\nwhat = 1\n").is_err(), "unknown keys are refused");
    }

    #[test]
    fn test_refs_and_case_filters() {
        let r = TestRef::parse("unix_sockets::stream_data::only_message_types_keep_boundaries[unix_stream]").unwrap();
        assert_eq!(r.case.as_deref(), Some("unix_stream"));
        assert!(r.matches_case("case_3_unix_stream"));
        assert!(r.matches_case("kind_3_Kind__UnixStream"));
        assert!(!r.matches_case("kind_4_Kind__UnixDgram"));
        assert!(TestRef::parse("pipes::io").is_err());
        assert!(TestRef::parse("pipes::io::x[").is_err());
        assert!(TestRef::parse("pipes::io::x[]").is_err());
        assert!(TestRef::parse("pipes:: io::x").is_err());
        assert_eq!(anchor("pipes::io"), "pipesio");
        assert_eq!(anchor("Default capacity and its /proc limit"), "default-capacity-and-its-proc-limit");
    }

    #[test]
    fn observations_show_per_target_values_and_nobody_differences() {
        use crate::model::{Outcome, Variant};
        let mut s = crate::report::tests::session();
        // pipes::cap::a passes on the host, passes with `absent` on vm:5.10.
        s.columns[1].results[0].variant = Some(Variant { name: "absent".into(), lacking: true, detail: String::new() });
        s.columns[1].results[0].outcome = Outcome::Pass;
        let doc = crate::report::document(&s);
        let cat = Catalog { schema: String::new(), tests: vec![entry("pipes::cap::a", &[]), entry("pipes::cap::b", &[])], errors: vec![] };
        let t = parse(&TABLE.replace("pipes::io::one_way", "pipes::cap::a").replace("eventfd::counter::sums", "pipes::cap::b")).unwrap();
        let o = observe(&doc, &cat, &t);
        assert_eq!(o.columns.len(), 2);
        assert_eq!(o.seen["pipes::cap::a"][""]["host"], "PASS");
        let refs = [TestRef::parse("pipes::cap::a").unwrap()];
        assert_eq!(observed_in(&o, &refs, "host").as_deref(), Some("✓"));
        assert_eq!(observed_in(&o, &refs, "vm:5.10").as_deref(), Some("✓ absent"));
        let refs = [TestRef::parse("pipes::cap::b").unwrap()];
        assert_eq!(observed_in(&o, &refs, "vm:5.10").as_deref(), Some("**FAIL**"));
        // What is written is read back as it was.
        assert_eq!(serde_json::from_str::<Observed>(&serde_json::to_string_pretty(&o).unwrap()).unwrap(), o);
        let md = to_markdown(&t, &o, None);
        assert!(md.contains("| eventfd | **counter** | [`pipes::cap::b`](catalog.md#pipescap) | ✓ | **FAIL** |"), "{md}");
        assert!(md.contains(" `vm:5.10` (6.1.0-56-cloud-amd64) |"), "{md}");
    }

    #[test]
    fn the_bench_section_compares_with_the_reference() {
        let t = parse(&format!(
            "{TABLE}\n[reference]\nname = \"ipc-bench\"\nurl = \"https://example.org\"\nmachine = \"i5\"\nmethod = \"ping-pong\"\nsmall = \"100 B\"\nlarge = \"1 KB\"\ndifferences = \"pinning\"\n[[reference.row]]\nlabel = \"Pipes\"\nours = \"pipe\"\nsmall = 60000.0\nlarge = 50000.0\nwhy = \"signals\"\n"
        ))
        .unwrap();
        let b = BenchReport {
            schema: bench::REPORT_SCHEMA.into(),
            started_at: "2026-12-07T00:00:00Z".into(),
            duration_ms: 60000,
            load_at_start: vec![0.2, 0.1, 0.1],
            targets: vec![bench::TargetBench { target: "host".into(), kind: "host".into(), comparable: true, note: "n".into(), wall_ms: 1, doc: Some(bench::tests::doc()), error: None }],
        };
        let md = to_markdown(&t, &Observed::default(), Some(&b));
        assert!(md.contains("| **Pipe** | byte stream | unnamed † | 8.0 µs |"), "{md}");
        assert!(md.contains("| Pipes | 60.0 k | 50.0 k | 120.0 k (108.0 k–144.0 k) `pipe` | 2.0× | – | signals |"), "{md}");
        let mut b2 = b.clone();
        b2.targets.push(bench::TargetBench { target: "host/same-cpu".into(), ..b.targets[0].clone() });
        let md = to_markdown(&t, &Observed::default(), Some(&b2));
        assert!(md.contains("| 2.0× | – | 120.0 k (108.0 k–144.0 k) | 2.0× | signals |"), "{md}");
        assert!(md.contains("### `host`"), "{md}");
    }
}
