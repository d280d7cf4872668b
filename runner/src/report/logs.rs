//! Per-test logs, `logs/<column>/<test>.log`: what one test did in one column — its outcome,
//! message or skip reason, variant, claim, and everything it wrote. Every cell of the HTML
//! matrix links to its log.
//!
//! The output comes from what the run kept anyway: for `host` columns nextest's JUnit
//! (`logs/<column>.nextest-junit.xml`, the `ipcspec` profile stores the output of passing
//! tests too); for guests (VMs, containers) the result stream (`logs/<target>.results.bin`),
//! whose result records carry each test's output, capped (runner/src/frame.rs,
//! [`crate::frame::cap_output`]). A cell whose output was not kept still gets a log with
//! what the report knows.
//!
//! Names are made of `[A-Za-z0-9._-]` only ([`crate::util::file_stem`]: `vm:6.1/nobody` ->
//! `vm-6.1-nobody`, `pipes::capacity::x` -> `pipes--capacity--x`): artifact stores reject `:`
//! and a `:` early in a relative link would read as a URL scheme.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use anyhow::{Context, Result};

use super::{Cell, ResultsDoc, Row, cell_head};
use crate::frame::{Record, decode};
use crate::model::User;
use crate::util::file_stem;

/// The folder of a column's logs, under `logs/`.
pub fn column_dir(column: &str) -> String {
    file_stem(column)
}

/// The file name of a test's log.
pub fn file_name(id: &str) -> String {
    format!("{}.log", file_stem(id))
}

/// The link from the report (in the output directory) to a cell's log.
pub fn href(column: &str, id: &str) -> String {
    format!("logs/{}/{}", column_dir(column), file_name(id))
}

/// What each test of `column` wrote, by test id, read from the run's files in `src` (a
/// results directory's `logs/`). Empty when the column kept none.
pub fn outputs(doc: &ResultsDoc, column: &str, src: &Path) -> BTreeMap<String, String> {
    let Some(c) = doc.columns.iter().find(|c| c.column == column) else { return BTreeMap::new() };
    if c.kind == "host" {
        let junit = src.join(format!("{}.nextest-junit.xml", file_stem(column)));
        return fs::read_to_string(junit).map(|x| from_junit(&x)).unwrap_or_default();
    }
    let stream = src.join(format!("{}.results.bin", file_stem(&c.target)));
    fs::read(stream).map(|b| from_stream(&b, c.user)).unwrap_or_default()
}

/// Each test's stdout and stderr from nextest's JUnit (`system-out`, `system-err`), by id.
pub fn from_junit(xml: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let Ok(report) = crate::nextest_junit::report(xml) else { return out };
    for suite in &report.test_suites {
        for case in &suite.test_cases {
            let class = case.classname.as_ref().map(|c| c.as_str().to_string()).unwrap_or_else(|| suite.name.as_str().to_string());
            let id = format!("{}::{}", crate::nextest_junit::lib_binary_id(&class), case.name.as_str());
            let text = |s: &Option<quick_junit::XmlString>| s.as_ref().map(|x| x.as_str().to_string()).unwrap_or_default();
            let mut o = text(&case.system_out);
            let mut e = text(&case.system_err);
            if let quick_junit::TestCaseStatus::NonSuccess { description, .. } = &case.status
                && e.trim().is_empty()
            {
                e = text(description);
            }
            if o.trim().is_empty() {
                o.clear();
            }
            let both = match (o.is_empty(), e.trim().is_empty()) {
                (true, true) => String::new(),
                (false, true) => o,
                (true, false) => e,
                (false, false) => format!("{o}{}--- stderr ---\n{e}", if o.ends_with('\n') { "" } else { "\n" }),
            };
            out.insert(id, both);
        }
    }
    out
}

/// Each test's output from a guest's result stream, for one user, by id (the first result of
/// a test counts, as in the columns).
pub fn from_stream(bytes: &[u8], user: User) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for r in decode(bytes).records {
        if let Record::Result { id, user: u, output, .. } = r
            && u == user
        {
            out.entry(id).or_insert(output);
        }
    }
    out
}

/// The text of one cell's log.
pub fn render(doc: &ResultsDoc, row: &Row, column: &str, cell: &Cell, output: Option<&str>) -> String {
    let mut t = String::new();
    let col = doc.columns.iter().find(|c| c.column == column);
    let _ = writeln!(t, "test     {}", row.id);
    let _ = writeln!(
        t,
        "column   {column}{}",
        col.and_then(|c| c.kernel_release.as_deref()).map(|k| format!("  (kernel {k})")).unwrap_or_default()
    );
    if let Some(src) = col.and_then(|c| c.kernel_source.as_deref()) {
        let _ = writeln!(t, "kernel   {src}");
    }
    let _ = writeln!(t, "outcome  {}", cell_head(cell));
    if let Some(ms) = cell.duration_ms {
        let _ = writeln!(t, "time     {ms} ms");
    }
    if let Some(v) = &cell.variant {
        let _ = writeln!(t, "variant  {}: {}", v.label(), v.detail);
    }
    if let Some(c) = &row.claim {
        let _ = writeln!(t, "claim    {}", c.replace('\n', "\n         "));
    }
    if !row.sources.is_empty() {
        let _ = writeln!(t, "sources  {}", row.sources.join("; "));
    }
    let detail = cell.outcome.detail().trim();
    if !detail.is_empty() {
        let label = match cell.outcome.kind() {
            crate::model::Kind::Skip => "why it was skipped",
            crate::model::Kind::Crash => "reason",
            _ => "message",
        };
        let _ = writeln!(t, "\n--- {label} ---\n{detail}");
    }
    match output {
        Some(o) if !o.trim().is_empty() => {
            let _ = write!(t, "\n--- output ---\n{o}");
            if !o.ends_with('\n') {
                t.push('\n');
            }
        }
        Some(_) => t.push_str("\n(the test wrote nothing)\n"),
        None => t.push_str("\n(no output was kept for this column: the target never ran the test, or its run's files are gone)\n"),
    }
    t
}

/// Write the log of every cell of `doc` into `dest` (`<out>/logs`), reading the run's files
/// from `src` (the same folder for a run; an input's `logs/` for a merge). A column whose
/// files are missing but whose logs `src` already holds (a merged input) gets those copied.
/// Returns how many logs were written.
pub fn write(doc: &ResultsDoc, src: &Path, dest: &Path) -> Result<usize> {
    let mut n = 0;
    for c in &doc.columns {
        let outs = outputs(doc, &c.column, src);
        let dir = dest.join(column_dir(&c.column));
        let have_src_logs = src.join(column_dir(&c.column));
        if outs.is_empty() && src != dest && have_src_logs.is_dir() {
            n += copy_dir(&have_src_logs, &dir)?;
            continue;
        }
        fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let kept = !outs.is_empty();
        for r in &doc.tests {
            let Some(cell) = r.cells.get(&c.column) else { continue };
            let o = outs.get(&r.id).map(String::as_str).or(if kept { Some("") } else { None });
            let p = dir.join(file_name(&r.id));
            fs::write(&p, render(doc, r, &c.column, cell, o)).with_context(|| format!("writing {}", p.display()))?;
            n += 1;
        }
    }
    Ok(n)
}

fn copy_dir(from: &Path, to: &Path) -> Result<usize> {
    fs::create_dir_all(to)?;
    let mut n = 0;
    for e in fs::read_dir(from)?.flatten() {
        if e.path().is_file() {
            fs::copy(e.path(), to.join(e.file_name()))?;
            n += 1;
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::encode;
    use crate::model::Outcome;

    #[test]
    fn names_are_safe_for_artifacts_and_links() {
        assert_eq!(href("vm:6.1/nobody", "pipes::cap::f_setpipe_sz::case_1"), "logs/vm-6.1-nobody/pipes--cap--f_setpipe_sz--case_1.log");
        assert!(!href("docker:ipc-host", "a::b::c").contains(':'));
    }

    #[test]
    fn logs_from_junit_and_stream() {
        let j = from_junit(include_str!("../../tests/data/nextest-0.9.143-junit.xml"));
        assert!(j.get("nxj::t::fails").is_some_and(|o| o.contains("expected one got two")), "{j:?}");
        assert!(j.get("nxj::t::skips").is_some_and(|o| o.contains("IPCSPEC-SKIP")), "{j:?}");
        let rec = |id: &str, user, output: &str| Record::Result {
            id: id.into(),
            user,
            outcome: Outcome::Pass,
            variant: None,
            duration_ms: 1,
            output: output.into(),
        };
        let mut s = encode(&rec("a::b::c", User::Root, "root says"));
        s.extend(encode(&rec("a::b::c", User::Nobody, "nobody says")));
        s.extend(encode(&rec("a::b::c", User::Root, "a duplicate")));
        let m = from_stream(&s, User::Nobody);
        assert_eq!(m.get("a::b::c").map(String::as_str), Some("nobody says"));
        assert_eq!(from_stream(&s, User::Root).get("a::b::c").map(String::as_str), Some("root says"));
    }

    #[test]
    fn every_cell_gets_a_log() {
        let d = super::super::document(&super::super::tests::session());
        let dir = std::env::temp_dir().join(format!("ipcspec-logs-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let n = write(&d, &dir, &dir).unwrap();
        assert_eq!(n, 6);
        let t = fs::read_to_string(dir.join("vm-5.10").join("pipes--cap--b.log")).unwrap();
        assert!(t.contains("outcome  FAIL") && t.contains("--- message ---") && t.contains("left: 4096"), "{t}");
        assert!(t.contains("no output was kept"), "{t}");
        let _ = fs::remove_dir_all(&dir);
    }
}
