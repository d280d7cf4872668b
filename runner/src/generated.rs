//! The doc pages generated from committed files, written by `ipcspec catalog` and checked by
//! `ipcspec catalog --check` (and the runner's test `catalog_is_fresh`):
//!
//! - docs/catalog.md and docs/catalog.json ([`crate::catalog`]);
//! - docs/kernel-changes.md ([`crate::kernel_changes`]) with docs/kernel-changes-observed.json;
//! - docs/mechanisms.md ([`crate::mechanisms`]) from docs/mechanisms.toml, with
//!   docs/mechanisms-observed.json and docs/mechanisms-bench.json.
//!
//! Each page is a pure function of the sources and those files, so the check is an equality.
//! This module sits above the pages' modules (which use the catalog), so that the catalog
//! itself depends on none of them.

use std::fs;
use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::catalog::{self, Catalog};
use crate::{bench, kernel_changes, mechanisms};

/// Where the observations of the kernel changes are kept.
pub const OBSERVED_FILE: &str = "docs/kernel-changes-observed.json";

/// Compare the generated pages with what is in `docs/`; fail on a test that branches on the
/// environment without reporting a variant, and on a mechanisms table that names a test the
/// catalog does not have; the error says how to fix each.
pub fn check(root: &Path, cat: &Catalog) -> Result<(), String> {
    let quiet = catalog::silent(cat);
    if !quiet.is_empty() {
        return Err(format!(
            "{} tests branch on the environment without reporting which variant they saw (report it with fixtures::variant, or say why not with a comment `// variant: none — <why>` in the body):\n  {}",
            quiet.len(),
            quiet.join("\n  ")
        ));
    }
    let table = read_table(root)?;
    let wrong = mechanisms::problems(&table, cat);
    if !wrong.is_empty() {
        return Err(format!(
            "{} does not match the tests ({} problems; fix the table, or the test ids it names):\n  {}",
            mechanisms::TABLE_FILE,
            wrong.len(),
            wrong.join("\n  ")
        ));
    }
    let mut stale = Vec::new();
    let changes = kernel_changes_md(root, cat).map_err(|e| format!("{e}"))?;
    let mechs = mechanisms_md(root, cat).map_err(|e| format!("{e}"))?;
    for (name, want) in [
        ("catalog.json", catalog::to_json(cat)),
        ("catalog.md", catalog::to_markdown(cat)),
        ("kernel-changes.md", changes),
        ("mechanisms.md", mechs),
    ] {
        let p = root.join("docs").join(name);
        match fs::read_to_string(&p) {
            Ok(have) if have == want => {}
            Ok(_) => stale.push(format!("docs/{name} is stale")),
            Err(_) => stale.push(format!("docs/{name} is missing")),
        }
    }
    if stale.is_empty() {
        Ok(())
    } else {
        Err(format!("{}. Regenerate with: cargo run -p ipcspec -- catalog", stale.join("; ")))
    }
}

/// docs/kernel-changes.md from the catalog and docs/kernel-changes-observed.json.
pub fn kernel_changes_md(root: &Path, cat: &Catalog) -> anyhow::Result<String> {
    let observed = read_observed(root, OBSERVED_FILE)?;
    Ok(kernel_changes::to_markdown(&kernel_changes::changes(cat), &observed))
}

/// An observations file (`file`, relative to `root`); a missing file is "no observations".
fn read_observed<T: DeserializeOwned + Default>(root: &Path, file: &str) -> anyhow::Result<T> {
    match fs::read_to_string(root.join(file)) {
        Err(_) => Ok(T::default()),
        Ok(t) => serde_json::from_str(&t).map_err(|e| anyhow::anyhow!("{file}: {e}")),
    }
}

/// Write an observations file: pretty JSON ending in a newline.
fn write_observed<T: Serialize>(root: &Path, file: &str, o: &T) -> anyhow::Result<()> {
    let mut s = serde_json::to_string_pretty(o)?;
    s.push('\n');
    crate::util::write_atomic(&root.join(file), s.as_bytes())
}

fn read_table(root: &Path) -> Result<mechanisms::Table, String> {
    let p = root.join(mechanisms::TABLE_FILE);
    let text = fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()))?;
    mechanisms::parse(&text)
}

/// The recorded bench report, if any.
pub fn recorded_bench(root: &Path) -> anyhow::Result<Option<bench::BenchReport>> {
    match fs::read_to_string(root.join(bench::RECORD_FILE)) {
        Err(_) => Ok(None),
        Ok(t) => serde_json::from_str(&t).map(Some).map_err(|e| anyhow::anyhow!("{}: {e}", bench::RECORD_FILE)),
    }
}

/// docs/mechanisms.md from docs/mechanisms.toml, the observations and the recorded bench.
pub fn mechanisms_md(root: &Path, _cat: &Catalog) -> anyhow::Result<String> {
    let table = read_table(root).map_err(anyhow::Error::msg)?;
    let observed = read_observed(root, mechanisms::OBSERVED_FILE)?;
    let b = recorded_bench(root)?;
    Ok(mechanisms::to_markdown(&table, &observed, b.as_ref()))
}

/// Record what each column of one or more matrix runs (`results`, results.json files; runs of
/// different suites or targets are combined, a test's cells from every run that has them, the
/// first run winning where two have the same column) showed for the kernel changes and for
/// the tests of the mechanisms table; returns the number of kernels.
pub fn observe(root: &Path, cat: &Catalog, results: &[std::path::PathBuf]) -> anyhow::Result<usize> {
    let mut docs = Vec::new();
    for r in results {
        let text = fs::read_to_string(r).map_err(|e| anyhow::anyhow!("{}: {e}", r.display()))?;
        let doc: crate::report::ResultsDoc =
            serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("{}: not a results.json: {e}", r.display()))?;
        docs.push(doc);
    }
    let Some(doc) = combine(docs) else { anyhow::bail!("no results.json given") };
    let changes = kernel_changes::changes(cat);
    let o = kernel_changes::observe(&doc, cat, &changes);
    write_observed(root, OBSERVED_FILE, &o)?;
    let table = read_table(root).map_err(anyhow::Error::msg)?;
    let m = mechanisms::observe(&doc, cat, &table);
    write_observed(root, mechanisms::OBSERVED_FILE, &m)?;
    Ok(o.kernels.len())
}

/// Several results documents as one: columns in first-seen order, each test's cells from every
/// document (the first wins for a column two of them have, except that a CRASH — a target that
/// died, usually — gives way to what another run saw), the start times of all of them.
pub fn combine(docs: Vec<crate::report::ResultsDoc>) -> Option<crate::report::ResultsDoc> {
    let mut starts: Vec<String> = docs.iter().map(|d| d.started_at.clone()).collect();
    starts.sort();
    starts.dedup();
    let mut it = docs.into_iter();
    let mut out = it.next()?;
    out.started_at = starts.join(", ");
    for d in it {
        for c in d.columns {
            if !out.columns.iter().any(|x| x.column == c.column) {
                out.columns.push(c);
            }
        }
        for row in d.tests {
            match out.tests.iter_mut().find(|r| r.id == row.id) {
                Some(r) => {
                    for (col, cell) in row.cells {
                        let crashed = |c: &crate::report::Cell| c.outcome.kind() == crate::model::Kind::Crash;
                        match r.cells.get(&col) {
                            Some(have) if !crashed(have) || crashed(&cell) => {}
                            _ => {
                                r.cells.insert(col, cell);
                            }
                        }
                    }
                }
                None => out.tests.push(row),
            }
        }
    }
    Some(out)
}

/// Write docs/mechanisms.md alone (after `ipcspec bench --record`).
pub fn write_mechanisms(root: &Path, cat: &Catalog) -> anyhow::Result<()> {
    crate::util::write_atomic(&root.join("docs/mechanisms.md"), mechanisms_md(root, cat)?.as_bytes())
}

/// `ipcspec bench --record`: keep the report's JSON as docs/mechanisms-bench.json and
/// regenerate docs/mechanisms.md.
pub fn record_bench(root: &Path, json: &str) -> anyhow::Result<()> {
    crate::util::write_atomic(&root.join(bench::RECORD_FILE), json.as_bytes())?;
    write_mechanisms(root, &catalog::scan(root))
}

/// Write every generated page.
pub fn write(root: &Path, cat: &Catalog) -> anyhow::Result<()> {
    crate::util::write_atomic(&root.join("docs/catalog.json"), catalog::to_json(cat).as_bytes())?;
    crate::util::write_atomic(&root.join("docs/catalog.md"), catalog::to_markdown(cat).as_bytes())?;
    crate::util::write_atomic(&root.join("docs/kernel-changes.md"), kernel_changes_md(root, cat)?.as_bytes())?;
    write_mechanisms(root, cat)
}

/// What is wrong with docs/mechanisms.toml against the catalog (empty: nothing).
pub fn table_problems(root: &Path, cat: &Catalog) -> Vec<String> {
    match read_table(root) {
        Ok(t) => mechanisms::problems(&t, cat),
        Err(e) => vec![e],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_of_different_suites_and_targets_combine() {
        let a = crate::report::document(&crate::report::tests::session());
        let mut s = crate::report::tests::session();
        s.columns.truncate(1);
        s.columns[0].column = "docker:default".into();
        s.tests.push(crate::model::TestId::parse("eventfd::counter::x").unwrap());
        s.columns[0].results.push(crate::model::TestResult::new(crate::model::TestId::parse("eventfd::counter::x").unwrap(), crate::model::Outcome::Pass, None, None));
        let b = crate::report::document(&s);
        let c = combine(vec![a.clone(), b]).unwrap();
        let cols: Vec<&str> = c.columns.iter().map(|x| x.column.as_str()).collect();
        assert_eq!(cols, ["host", "vm:5.10", "docker:default"]);
        let row = c.tests.iter().find(|r| r.id == "pipes::cap::a").unwrap();
        assert_eq!(row.cells.len(), 3, "the second run's column joins the first run's row");
        assert!(c.tests.iter().any(|r| r.id == "eventfd::counter::x"));
        assert_eq!(c.started_at, a.started_at, "one start time when the runs share it");
        assert!(combine(vec![]).is_none());
        // A column that crashed in the first run takes the second run's outcome.
        let mut crashed = crate::report::tests::session();
        for r in &mut crashed.columns[1].results {
            r.outcome = crate::model::Outcome::Crash { reason: "the VM stopped answering".into() };
        }
        let c = combine(vec![crate::report::document(&crashed), a.clone()]).unwrap();
        let row = c.tests.iter().find(|r| r.id == "pipes::cap::a").unwrap();
        assert_eq!(row.cells["vm:5.10"].outcome, crate::model::Outcome::Pass);
    }
}
