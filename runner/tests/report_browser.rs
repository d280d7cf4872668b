//! The HTML matrix in a real browser: headless Chromium (Debian's `chromium`) loads the page
//! and runs its script; the filters are checked on the DOM it leaves, a sample of cells must
//! link to logs that exist, and the page must log no console error.
//!
//! How: `chromium --headless --dump-dom` with `--enable-logging=stderr --v=0`. The page
//! takes its filter state from the URL (`?view=all&suite=pipes&q=fifo`, `#t-<id>`), so each
//! filter is one load of the page and the DOM after its script ran says which rows it left
//! visible (`hidden` on the others); console messages and uncaught errors go to stderr as
//! `CONSOLE(...)` / `Uncaught` lines. This needs nothing but the browser — no DevTools
//! client, no WebSocket crate — and tests the same code a click runs (a radio button's
//! change handler calls the same `apply()`).
//!
//! The page is a small synthetic matrix with logs written next to it, or the page named by
//! `IPCSPEC_REPORT_HTML` (.ci/merge: the merged CI matrix). `IPCSPEC_REPORT_SCREENSHOT=file.png`
//! also takes a screenshot. Ignored by default (it needs chromium):
//!
//! ```text
//! cargo nextest run -p ipcspec --test report_browser --run-ignored only
//! ```

use std::path::{Path, PathBuf};
use std::process::Command;

use ipcspec::report::{self, ResultsDoc};

fn chromium() -> &'static str {
    if Path::new("/usr/bin/chromium").exists() { "/usr/bin/chromium" } else { "chromium" }
}

/// The DOM after the page's script ran, and what the browser logged.
fn load(url: &str) -> (String, String) {
    let out = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=10000",
            "--dump-dom",
            url,
        ])
        .output()
        .expect("chromium runs (apt-get install chromium)");
    assert!(out.status.success(), "chromium failed on {url}: {}", String::from_utf8_lossy(&out.stderr));
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// Console errors and uncaught exceptions in chromium's log (its own dbus/GPU noise aside).
fn console_errors(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|l| l.contains("CONSOLE") || l.contains("Uncaught") || l.contains(":ERROR:CONSOLE"))
        .filter(|l| l.contains("ERROR") || l.contains("Uncaught") || l.contains("error"))
        .collect()
}

/// Each matrix row of a DOM: (id without `t-`, classes, visible).
fn rows(dom: &str) -> Vec<(String, String, bool)> {
    let mut out = Vec::new();
    let mut rest = dom;
    while let Some(at) = rest.find("<tr id=\"t-") {
        let tag_end = rest[at..].find('>').map(|e| at + e).unwrap_or(rest.len());
        let tag = &rest[at..tag_end];
        let attr = |name: &str| -> String {
            let key = format!(" {name}=\"");
            tag.find(&key).map(|i| &tag[i + key.len()..]).and_then(|v| v.split('"').next()).unwrap_or("").to_string()
        };
        let id = html_unescape(&attr("id")[2..]);
        out.push((id, attr("class"), !tag.contains(" hidden")));
        rest = &rest[tag_end..];
    }
    out
}

fn html_unescape(s: &str) -> String {
    s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'").replace("&amp;", "&")
}

/// Every cell link (`href="logs/..."`) of a row in the page's source.
fn cell_links(html: &str) -> Vec<String> {
    html.split("href=\"logs/").skip(1).filter_map(|s| s.split('"').next()).map(|s| format!("logs/{}", html_unescape(s))).collect()
}

fn has_class(classes: &str, c: &str) -> bool {
    classes.split_whitespace().any(|x| x == c)
}

/// A small matrix: a behaviour difference, a failure, a skip, rows that agree.
fn sample(dir: &Path) -> PathBuf {
    let doc: ResultsDoc = serde_json::from_value(serde_json::json!({
        "schema": "ipcspec-results/1", "tool": "ipcspec test", "started_at": "2026-12-07T00:00:00Z", "duration_ms": 1000,
        "phases": {"kernels_ms": 0, "build_ms": 0, "list_ms": 0, "bundle_ms": 0, "targets_ms": 0, "jobs": 1},
        "columns": [
            {"column": "host", "target": "host", "kind": "host", "user": "root", "kernel_release": "6.18", "status": {"state": "complete"},
             "timings": {"total_ms": 10}, "counts": {"pass": 3, "fail": 0, "skip": 1, "timeout": 0, "crash": 0}, "suites": {}, "diagnostics": []},
            {"column": "vm:5.10", "target": "vm:5.10", "kind": "vm", "user": "root", "kernel_release": "5.10.0", "status": {"state": "complete"},
             "timings": {"total_ms": 10}, "counts": {"pass": 2, "fail": 1, "skip": 1, "timeout": 0, "crash": 0}, "suites": {}, "diagnostics": []}
        ],
        "build_errors": [],
        "summary": {"tests": 0, "columns": 2, "disagreements": 0, "bad_cells": 0, "ok": false},
        "tests": [
            {"id": "epoll::pwait2::epoll_pwait2_waits", "suite": "epoll", "claim": "epoll_pwait2(2) waits with a timespec", "sources": ["epoll_wait(2)"],
             "agree": true, "cells": {
                "host": {"outcome": "PASS", "variant": {"name": "present", "detail": "6.18"}},
                "vm:5.10": {"outcome": "PASS", "variant": {"name": "absent", "lacking": true, "detail": "ENOSYS"}}}},
            {"id": "pipes::capacity::default_is_16_pages", "suite": "pipes", "claim": "pipe(7): 16 pages", "sources": ["pipe(7)"],
             "agree": false, "cells": {"host": {"outcome": "PASS"}, "vm:5.10": {"outcome": "FAIL", "message": "left: 4096\nright: 65536"}}},
            {"id": "pipes::global_max::needs_root", "suite": "pipes", "claim": null, "sources": [],
             "agree": true, "cells": {"host": {"outcome": "SKIP", "reason": "requires root"}, "vm:5.10": {"outcome": "SKIP", "reason": "requires root"}}},
            {"id": "fds::dup::dup_takes_the_lowest", "suite": "fds", "claim": "dup(2)", "sources": ["dup(2)"],
             "agree": true, "cells": {"host": {"outcome": "PASS"}, "vm:5.10": {"outcome": "PASS"}}}
        ]
    }))
    .unwrap();
    // Recompute the rows' verdicts and the summary, as a run does.
    let order: Vec<String> = doc.columns.iter().map(|c| c.column.clone()).collect();
    let mut rows: Vec<_> = doc.tests.iter().map(|r| report::make_row(r.id.clone(), r.claim.clone(), r.sources.clone(), r.cells.clone(), &order)).collect();
    report::order_rows(&mut rows);
    let summary = report::summarize(&rows, doc.columns.len(), false, |id| id.to_string());
    let doc = ResultsDoc { tests: rows, summary, ..doc };
    std::fs::create_dir_all(dir).unwrap();
    report::write_all(&doc, dir, &[report::Format::Html]).unwrap();
    report::logs::write(&doc, &dir.join("logs"), &dir.join("logs")).unwrap();
    dir.join("matrix.html")
}

#[test]
#[ignore = "needs chromium (apt-get install chromium): cargo nextest run -p ipcspec --test report_browser --run-ignored only"]
fn the_matrix_works_in_chromium() {
    let page = match std::env::var_os("IPCSPEC_REPORT_HTML") {
        Some(p) => PathBuf::from(p),
        None => sample(&std::env::temp_dir().join(format!("ipcspec-browser-{}", std::process::id()))),
    };
    let page = std::path::absolute(&page).unwrap();
    let html = std::fs::read_to_string(&page).unwrap();
    let url = format!("file://{}", page.display());
    let dir = page.parent().unwrap();

    // Default view: behaviour differences and failures only (all rows when there are none).
    let (dom, log) = load(&url);
    assert!(dom.contains("data-ready=\"1\""), "the page's script did not finish");
    assert!(console_errors(&log).is_empty(), "console errors: {:?}", console_errors(&log));
    let all = rows(&dom);
    assert!(!all.is_empty(), "no matrix rows in the page");
    let focus: Vec<_> = all.iter().filter(|r| has_class(&r.1, "v") || has_class(&r.1, "b")).collect();
    let shown: Vec<_> = all.iter().filter(|r| r.2).collect();
    if focus.is_empty() {
        assert_eq!(shown.len(), all.len(), "nothing to focus on: every row is shown");
    } else {
        assert_eq!(shown.len(), focus.len(), "by default exactly the behaviour differences and failures are shown");
        assert!(shown.iter().all(|r| has_class(&r.1, "v") || has_class(&r.1, "b")));
    }
    assert!(dom.contains(&format!("{} of {} rows shown", shown.len(), all.len())), "the count of shown rows");

    // view=all shows every row; a search narrows it; a suite narrows it.
    let (dom, log) = load(&format!("{url}?view=all"));
    assert!(console_errors(&log).is_empty(), "{log}");
    assert!(rows(&dom).iter().all(|r| r.2), "view=all hides nothing");
    let probe = &all[all.len() / 2].0;
    let word = probe.rsplit("::").next().unwrap();
    let (dom, _) = load(&format!("{url}?view=all&q={word}"));
    let hits = rows(&dom);
    assert!(hits.iter().any(|r| r.2 && r.0 == *probe), "a search for {word} shows {probe}");
    assert!(hits.iter().all(|r| !r.2 || r.0.to_lowercase().contains(&word.to_lowercase())), "a search shows only matches");
    let suite = probe.split("::").next().unwrap();
    let (dom, _) = load(&format!("{url}?view=all&suite={suite}"));
    assert!(rows(&dom).iter().all(|r| r.2 == r.0.starts_with(&format!("{suite}::"))), "the suite filter");
    let (dom, _) = load(&format!("{url}?view=skips"));
    let sk = rows(&dom);
    assert!(sk.iter().all(|r| r.2 == has_class(&r.1, "k")), "view=skips shows the rows with a skip");

    // A link to a row the default view hides still shows it, opened and highlighted.
    if let Some(hidden) = all.iter().find(|r| !r.2) {
        let (dom, _) = load(&format!("{url}#t-{}", hidden.0));
        let r = rows(&dom).into_iter().find(|r| r.0 == hidden.0).unwrap();
        assert!(r.2 && has_class(&r.1, "open") && has_class(&r.1, "hl"), "#t-{} shows its row: {r:?}", hidden.0);
    }

    // Cells link to logs that exist: the first, the middle and the last link of the page.
    let links = cell_links(&html);
    assert!(!links.is_empty(), "no cell links to a log");
    for l in [&links[0], &links[links.len() / 2], &links[links.len() - 1]] {
        let p = dir.join(l);
        let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        assert!(text.starts_with("test     "), "{}: {text}", p.display());
    }

    if let Some(shot) = std::env::var_os("IPCSPEC_REPORT_SCREENSHOT") {
        let st = Command::new(chromium())
            .args(["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1500,1100", "--virtual-time-budget=10000"])
            .arg(format!("--screenshot={}", PathBuf::from(shot).display()))
            .arg(&url)
            .output()
            .unwrap();
        assert!(st.status.success(), "{}", String::from_utf8_lossy(&st.stderr));
    }
}
