//! `ipcspec report --merge a/results.json b/results.json ...`: one matrix from the columns of
//! several runs (CI runs one target per job and merges them at the end).
//!
//! Columns keep their names and come host first, then VMs by kernel version, then containers
//! and other targets, each in the order given; a column name given twice is an error (two
//! runs of one target cannot both be its column). Rows are the union of the tests; whether a
//! row agrees, its variants and the summary are computed again over all columns, so a
//! behaviour difference between a VM and a container shows although no single run had both.
//! Each input's per-test logs are rewritten (or copied) into the merged `logs/`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use super::{MergedInput, ResultsDoc, make_row, order_rows, summarize};
use crate::model::{BuildError, Phases, RESULTS_SCHEMA};

/// Read a results.json.
pub fn read(path: &Path) -> Result<ResultsDoc> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let doc: ResultsDoc = serde_json::from_str(&text).with_context(|| format!("{} is not an ipcspec results.json", path.display()))?;
    if doc.schema != RESULTS_SCHEMA {
        bail!("{}: schema {:?}, this ipcspec reads {RESULTS_SCHEMA:?}", path.display(), doc.schema);
    }
    Ok(doc)
}

/// Sort key of a column's target: host, VMs by kernel version, containers, the rest.
fn target_rank(kind: &str, target: &str) -> (u8, Vec<u32>) {
    match kind {
        "host" => (0, vec![]),
        "vm" => {
            let v = target.strip_prefix("vm:").unwrap_or(target);
            let nums: Option<Vec<u32>> = v.split('.').map(|p| p.parse().ok()).collect();
            match nums {
                Some(n) => (1, n),
                None => (2, vec![]),
            }
        }
        "docker" => (3, vec![]),
        _ => (4, vec![]),
    }
}

/// Merge `inputs` (path as given, document). `claim_of` names the claim of a test case (the
/// catalog's test function), as in a single run.
pub fn merge(inputs: &[(PathBuf, ResultsDoc)], claim_of: impl Fn(&str) -> String) -> Result<ResultsDoc> {
    if inputs.is_empty() {
        bail!("nothing to merge");
    }
    // Columns, each with the input it came from.
    let mut cols = Vec::new();
    let mut seen: BTreeMap<String, &Path> = BTreeMap::new();
    for (i, (path, d)) in inputs.iter().enumerate() {
        for c in &d.columns {
            if let Some(first) = seen.insert(c.column.clone(), path) {
                bail!("column {} is in both {} and {}", c.column, first.display(), path.display());
            }
            cols.push((target_rank(&c.kind, &c.target), i, c.clone()));
        }
    }
    cols.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
    let columns: Vec<_> = cols.into_iter().map(|(_, _, c)| c).collect();
    let order: Vec<String> = columns.iter().map(|c| c.column.clone()).collect();

    // Rows: the union, cells from every input.
    // id -> (claim, sources, cells)
    type Parts = (Option<String>, Vec<String>, BTreeMap<String, super::Cell>);
    let mut rows: BTreeMap<String, Parts> = BTreeMap::new();
    for (_, d) in inputs {
        for r in &d.tests {
            let e = rows.entry(r.id.clone()).or_insert_with(|| (None, Vec::new(), BTreeMap::new()));
            if e.0.is_none() {
                e.0 = r.claim.clone();
            }
            if e.1.is_empty() {
                e.1 = r.sources.clone();
            }
            for (col, cell) in &r.cells {
                e.2.insert(col.clone(), cell.clone());
            }
        }
    }
    let mut rows: Vec<_> = rows.into_iter().map(|(id, (claim, sources, cells))| make_row(id, claim, sources, cells, &order)).collect();
    order_rows(&mut rows);

    let mut build_errors: Vec<BuildError> = Vec::new();
    for (_, d) in inputs {
        for b in &d.build_errors {
            if !build_errors.contains(b) {
                build_errors.push(b.clone());
            }
        }
    }
    let no_bad = rows.iter().all(|r| r.cells.values().all(|c| !c.outcome.kind().is_bad()));
    let summary = summarize(&rows, columns.len(), no_bad && build_errors.is_empty(), claim_of);

    // Time: from the first run's start to the last run's end.
    let spans: Vec<(u64, u64)> = inputs.iter().filter_map(|(_, d)| parse_rfc3339(&d.started_at).map(|s| (s, s + d.duration_ms / 1000))).collect();
    let (started_at, duration_ms) = match (spans.iter().map(|s| s.0).min(), spans.iter().map(|s| s.1).max()) {
        (Some(a), Some(b)) if spans.len() == inputs.len() => {
            let first = inputs.iter().find(|(_, d)| parse_rfc3339(&d.started_at) == Some(a)).map(|(_, d)| d.started_at.clone());
            (first.unwrap_or_default(), (b - a) * 1000)
        }
        _ => (inputs[0].1.started_at.clone(), inputs.iter().map(|(_, d)| d.duration_ms).max().unwrap_or(0)),
    };
    let max = |f: fn(&Phases) -> u64| inputs.iter().map(|(_, d)| f(&d.phases)).max().unwrap_or(0);
    let phases = Phases {
        kernels_ms: max(|p| p.kernels_ms),
        build_ms: max(|p| p.build_ms),
        list_ms: max(|p| p.list_ms),
        bundle_ms: max(|p| p.bundle_ms),
        targets_ms: max(|p| p.targets_ms),
        jobs: inputs.len(),
        ..Default::default()
    };
    let merged_from = inputs
        .iter()
        .map(|(p, d)| MergedInput {
            path: p.display().to_string(),
            started_at: d.started_at.clone(),
            duration_ms: d.duration_ms,
            columns: d.columns.iter().map(|c| c.column.clone()).collect(),
        })
        .collect();
    Ok(ResultsDoc {
        schema: RESULTS_SCHEMA.into(),
        tool: inputs[0].1.tool.clone(),
        started_at,
        duration_ms,
        phases,
        columns,
        build_errors,
        summary,
        tests: rows,
        merged_from,
    })
}

/// Seconds since the epoch of `YYYY-MM-DDTHH:MM:SSZ` (what the runner writes).
pub fn parse_rfc3339(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let n = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, m, d) = (n(0..4)?, n(5..7)?, n(8..10)?);
    let (hh, mm, ss) = (n(11..13)?, n(14..16)?, n(17..19)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    // Howard Hinnant's days-from-civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    u64::try_from(days * 86_400 + hh * 3600 + mm * 60 + ss).ok()
}

/// Copy the run-level logs of an input (kernel consoles, nextest and docker logs) into the
/// merged `logs/`, so that a column's diagnostics can be read there too. Large files (the
/// initramfs, the raw result stream) are left out.
pub fn copy_run_logs(src: &Path, dest: &Path) -> Result<()> {
    let Ok(rd) = std::fs::read_dir(src) else { return Ok(()) };
    std::fs::create_dir_all(dest)?;
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if e.path().is_file() && name.ends_with(".log") {
            std::fs::copy(e.path(), dest.join(&name)).with_context(|| format!("copying {}", e.path().display()))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Outcome, User, Variant};
    use crate::report::tests::session;
    use crate::report::{document, html, markdown};

    #[test]
    fn rfc3339_round_trips_with_the_writer() {
        for secs in [0u64, 951_782_400, 1_795_000_000, 4_102_444_800] {
            let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs);
            assert_eq!(parse_rfc3339(&crate::util::rfc3339(t)), Some(secs));
        }
        assert_eq!(parse_rfc3339("2026-13-01T00:00:00Z"), None);
        assert_eq!(parse_rfc3339("yesterday"), None);
    }

    #[test]
    fn columns_of_several_runs_make_one_matrix() {
        // Run 1: host and vm:5.10 (the sample session). Run 2: a container whose only cell of
        // pipes::cap::a shows another variant.
        let mut s1 = session();
        s1.columns[0].kind = "host".into();
        let a = document(&s1);
        let mut s2 = session();
        s2.columns.truncate(1);
        s2.columns[0].column = "docker:default/nobody".into();
        s2.columns[0].target = "docker:default".into();
        s2.columns[0].kind = "docker".into();
        s2.columns[0].user = User::Nobody;
        s2.columns[0].results[0].variant = Some(Variant { name: "blocked".into(), lacking: true, detail: "seccomp".into() });
        s2.columns[0].results[2].outcome = Outcome::Skip { reason: "requires root".into() };
        s2.build_errors.clear();
        s2.started_at = "2026-11-27T00:01:00Z".into();
        s2.duration_ms = 30_000;
        let b = document(&s2);
        // Given container first: the merged matrix still starts with the host.
        let m = merge(&[("d/results.json".into(), b.clone()), ("v/results.json".into(), a.clone())], |id| id.to_string()).unwrap();
        let names: Vec<&str> = m.columns.iter().map(|c| c.column.as_str()).collect();
        assert_eq!(names, ["host", "vm:5.10", "docker:default/nobody"]);
        assert_eq!(m.summary.tests, 3);
        assert_eq!(m.summary.columns, 3);
        // The container's variant against none elsewhere: a behaviour difference no run had.
        assert_eq!(a.summary.behaviour_differences, 0);
        assert_eq!(m.summary.behaviour_differences, 1);
        assert_eq!(m.tests[0].id, "pipes::cap::a");
        assert!(!m.summary.ok, "vm:5.10 has a FAIL and epoll did not build");
        assert_eq!(m.build_errors.len(), 1);
        assert_eq!(m.started_at, "2026-11-27T00:00:00Z");
        assert_eq!(m.duration_ms, 90_000);
        assert_eq!(m.merged_from.len(), 2);
        let back: ResultsDoc = serde_json::from_str(&crate::report::json::render(&m)).unwrap();
        assert_eq!(back, m);
        assert!(html::render(&m).contains("docker:default/nobody"));
        assert!(markdown::render(&m).contains("requires root"));
        // The same column twice is an error.
        let e = merge(&[("x".into(), a.clone()), ("y".into(), a)], |id| id.to_string()).unwrap_err();
        assert!(e.to_string().contains("column host is in both x and y"), "{e}");
    }

    #[test]
    fn vms_sort_by_kernel_version() {
        let mut v: Vec<(u8, Vec<u32>)> = ["vm:7.2", "vm:6.12", "vm:5.10", "vm:6.1"].iter().map(|t| target_rank("vm", t)).collect();
        v.sort();
        assert_eq!(v.iter().map(|x| x.1.clone()).collect::<Vec<_>>(), [vec![5, 10], vec![6, 1], vec![6, 12], vec![7, 2]]);
        assert!(target_rank("host", "host") < target_rank("vm", "vm:/boot/x"));
        assert!(target_rank("docker", "docker:default") < target_rank("gvisor", "gvisor"));
    }
}
