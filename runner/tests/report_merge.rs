//! `ipcspec report --merge`, as CI's merge job runs it: two runs' results.json (with the files
//! their logs come from) into one matrix with a log per cell; bad input is exit 2.

mod common;

use std::fs;
use std::path::Path;

use common::{ipcspec, refused, run};

fn results(dir: &Path, column: &str, target: &str, kind: &str, outcome: &str, started: &str) {
    let doc = serde_json::json!({
        "schema": "ipcspec-results/1", "tool": "ipcspec test", "started_at": started, "duration_ms": 60000,
        "phases": {"kernels_ms": 0, "build_ms": 0, "list_ms": 0, "bundle_ms": 0, "targets_ms": 0, "jobs": 1},
        "columns": [{"column": column, "target": target, "kind": kind, "user": "root", "kernel_release": "6.1.0",
            "status": {"state": "complete"}, "timings": {"total_ms": 10},
            "counts": {"pass": 1, "fail": 0, "skip": 0, "timeout": 0, "crash": 0}, "suites": {}, "diagnostics": []}],
        "build_errors": [],
        "summary": {"tests": 1, "columns": 1, "disagreements": 0, "bad_cells": 0, "ok": true},
        "tests": [{"id": "pipes::capacity::x", "suite": "pipes", "claim": "pipe(7)", "sources": ["pipe(7)"], "agree": true,
            "cells": {column: {"outcome": outcome, "variant": {"name": if kind == "vm" { "absent" } else { "present" }, "detail": "why"}}}}]
    });
    fs::create_dir_all(dir.join("logs")).unwrap();
    fs::write(dir.join("results.json"), serde_json::to_string_pretty(&doc).unwrap()).unwrap();
}

#[test]
fn two_runs_merge_into_one_matrix_with_a_log_per_cell() {
    let tmp = std::env::temp_dir().join(format!("ipcspec-merge-{}", std::process::id()));
    let _ = fs::remove_dir_all(&tmp);
    results(&tmp.join("vm-6.1"), "vm:6.1", "vm:6.1", "vm", "PASS", "2026-12-07T10:00:00Z");
    results(&tmp.join("host"), "host", "host", "host", "PASS", "2026-12-07T10:00:30Z");
    // The host's own JUnit, where its log's output comes from.
    fs::write(
        tmp.join("host/logs/host.nextest-junit.xml"),
        r#"<testsuites><testsuite name="pipes::capacity" tests="1"><testcase name="x" classname="pipes::capacity" time="0.1"><system-out>IPCSPEC-VARIANT: present: why
the host said this</system-out></testcase></testsuite></testsuites>"#,
    )
    .unwrap();
    let out = tmp.join("merged");
    let (code, text) = run(ipcspec()
        .arg("report")
        .arg("--merge")
        .arg(tmp.join("vm-6.1/results.json"))
        .arg(tmp.join("host/results.json"))
        .arg("--out")
        .arg(&out));
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("merged 2 runs (2 columns, 1 tests)"), "{text}");
    let doc: serde_json::Value = serde_json::from_str(&fs::read_to_string(out.join("results.json")).unwrap()).unwrap();
    let cols: Vec<&str> = doc["columns"].as_array().unwrap().iter().map(|c| c["column"].as_str().unwrap()).collect();
    assert_eq!(cols, ["host", "vm:6.1"], "host first, whatever the order given");
    assert_eq!(doc["summary"]["behaviour_differences"], 1, "present on the host, absent in the VM");
    assert_eq!(doc["duration_ms"], 90000, "from the first start to the last end");
    for f in ["matrix.html", "report.md", "summary.md", "junit/host.xml", "junit/vm-6.1.xml"] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let log = fs::read_to_string(out.join("logs/host/pipes--capacity--x.log")).unwrap();
    assert!(log.contains("the host said this"), "{log}");
    let log = fs::read_to_string(out.join("logs/vm-6.1/pipes--capacity--x.log")).unwrap();
    assert!(log.contains("outcome  PASS · absent") && log.contains("no output was kept"), "{log}");
    let html = fs::read_to_string(out.join("matrix.html")).unwrap();
    assert!(html.contains("href=\"logs/vm-6.1/pipes--capacity--x.log\""));

    // The same column twice, a file that is not results.json, no file: exit 2, nothing merged.
    refused(ipcspec().arg("report").arg("--merge").arg(tmp.join("host/results.json")).arg(tmp.join("host/results.json")).arg("--out").arg(tmp.join("m2")), &["column host is in both"]);
    fs::write(tmp.join("bad.json"), "{}").unwrap();
    refused(ipcspec().arg("report").arg("--merge").arg(tmp.join("bad.json")), &["is not an ipcspec results.json"]);
    let (code, _) = run(ipcspec().arg("report").arg("--merge").arg(tmp.join("nothing.json")));
    assert_eq!(code, 2);
    let (code, _) = run(ipcspec().arg("report"));
    assert_eq!(code, 2, "--merge is required");
    assert!(!tmp.join("m2").exists());
    let _ = fs::remove_dir_all(&tmp);
}
