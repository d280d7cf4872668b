//! `ipcspec verify` of several claims files (the claims library, docs/claims/): selectors by
//! man page and system call, exclusions, errors before anything is built, the generated page.

mod common;

use common::{ipcspec, refused, run};

/// A selector that names no test is an error (exit 2) naming the file, the claim and the
/// selector — found in the catalog, before cargo builds anything: no report is written.
#[test]
fn a_selector_naming_no_test_fails_before_the_build() {
    skip_unless!(common::need_root());
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.toml");
    std::fs::write(&good, "targets = [\"host\"]\n[[claim]]\nname = \"dup\"\ntests = [\"fds::dup::*\"]\n").unwrap();
    let cases = [
        ("man = [\"nosuchpage(7)\"]", "no test matches man:nosuchpage(7)"),
        ("syscalls = [\"no_such_call\"]", "no test matches syscall:no_such_call"),
        ("tests = [\"fds::nosuch::*\"]", "no test matches fds::nosuch::*"),
        ("tests = [\"fds::dup::*\"]\nexclude = [\"fds::nosuch*\"]", "exclude fds::nosuch* matches no test"),
    ];
    for (sel, want) in cases {
        let bad = dir.path().join("bad.toml");
        std::fs::write(&bad, format!("targets = [\"host\"]\n[[claim]]\nname = \"x\"\n{sel}\n")).unwrap();
        let out = dir.path().join("out");
        let t0 = std::time::Instant::now();
        let (code, text) = run(ipcspec().arg("verify").arg(&good).arg(&bad).arg("--out").arg(&out));
        assert_eq!(code, 2, "{sel}: {text}");
        assert!(text.contains(want) && text.contains("bad.toml") && text.contains("claim \"x\""), "{sel}: {text}");
        assert!(!out.join("results.json").exists(), "{sel}: something ran");
        assert!(t0.elapsed().as_secs() < 30, "{sel}: took {:?}, as if it built", t0.elapsed());
    }
    // Two files with the same name would mix their verdicts.
    let sub = dir.path().join("sub");
    std::fs::create_dir(&sub).unwrap();
    std::fs::copy(&good, sub.join("good.toml")).unwrap();
    refused(ipcspec().arg("verify").arg(&good).arg(sub.join("good.toml")), &["have the same name \"good\""]);
}

/// Two files on the host, `--targets` replacing the files' targets, selection by man page
/// and system call with an exclusion; `--readme` writes the page and its verdicts, and a second
/// run of another claim keeps the first run's cells.
#[test]
fn several_files_and_the_generated_page() {
    skip_unless!(common::need_root());
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("alpha.toml");
    let b = dir.path().join("beta.toml");
    std::fs::write(
        &a,
        r#"
application = "Alpha"
repository = "example/alpha"
commit = "0123456789abcdef0123456789abcdef01234567"
targets = ["vm:6.12"]
[[claim]]
name = "dup shares the offset"
source = "src/io.c: reopen()"
tests = ["fds::dup::dup_shares_the_file_offset"]
[[claim]]
name = "a gap"
source = "src/x.c: f()"
no_test = "nothing checks f"
"#,
    )
    .unwrap();
    std::fs::write(
        &b,
        r#"
application = "Beta"
targets = ["vm:6.12"]
[[claim]]
name = "eventfd semaphores"
syscalls = ["eventfd"]
exclude = ["eventfd::[!s]*", "nonblocking_io::*", "fds::*"]
[[claim]]
name = "pipe eof"
man = ["pipe(7)"]
exclude = ["pipes::[!e]*", "fifos::*", "nonblocking_io::*", "signal_io::*"]
"#,
    )
    .unwrap();
    let readme = dir.path().join("README.md");
    let out = dir.path().join("out");
    // Both files as `targets`, writing the page; `format` json for verify.json.
    let verify = |targets: &str, format: &str| {
        run(ipcspec()
            .arg("verify")
            .arg(&a)
            .arg(&b)
            .args(["--targets", targets, "--quiet", "--format", format, "--out"])
            .arg(&out)
            .arg("--readme")
            .arg(&readme)
            .env(ipcspec_protocol::env::LEAK_CHECK, "0"))
    };
    let (code, text) = verify("host", "json");
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("== Alpha") && text.contains("== Beta"), "{text}");
    let v = common::read_json(&out.join("verify.json"));
    let v = v.as_array().unwrap();
    assert_eq!(v.len(), 3, "{v:?}");
    assert!(v.iter().all(|r| r["column"] == "host" && r["verdict"] == "HOLDS"), "{v:?}");
    assert_eq!(v[0]["file"], "alpha");
    let sem = v.iter().find(|r| r["claim"] == "eventfd semaphores").unwrap();
    assert_eq!(sem["tests"], 3, "{sem}");
    let eof = v.iter().find(|r| r["claim"] == "pipe eof").unwrap();
    assert!(eof["tests"].as_u64().unwrap() >= 3, "{eof}");
    // Exactly those tests ran: none of the excluded ones.
    let r = common::read_json(&out.join("results.json"));
    for t in r["tests"].as_array().unwrap() {
        let id = t["id"].as_str().unwrap();
        assert!(id.starts_with("eventfd::semaphore::") || id.starts_with("pipes::eof::") || id == "fds::dup::dup_shares_the_file_offset", "{id} ran");
    }
    let page = std::fs::read_to_string(&readme).unwrap();
    // The files claim vm:6.12, which no run verified: the page says so.
    assert!(page.contains("| [Alpha](#alpha) | 1 + 1 | 1 HOLDS | not run |"), "{page}");
    assert!(page.contains("| [Beta](#beta) | 2 + 0 | 2 HOLDS | not run |"), "{page}");
    assert!(page.contains("1. **Alpha** — a gap: nothing checks f"), "{page}");
    assert!(page.contains("https://github.com/example/alpha/blob/0123456789abcdef0123456789abcdef01234567/src/io.c"), "{page}");
    // The same verdicts from the run's results.json, nothing run (`--results`).
    let out2 = dir.path().join("out2");
    let (code, text) = run(ipcspec().arg("verify").arg(&a).arg(&b).args(["--targets", "host", "--results"]).arg(out.join("results.json")).arg("--out").arg(&out2));
    assert_eq!(code, 0, "{text}");
    let again = common::read_json(&out2.join("verify.json"));
    let key = |v: &serde_json::Value| v.as_array().unwrap().iter().map(|r| (r["file"].to_string(), r["claim"].to_string(), r["verdict"].to_string(), r["tests"].to_string())).collect::<Vec<_>>();
    assert_eq!(key(&again), key(&serde_json::Value::Array(v.to_vec())));
    assert!(!out2.join("results.json").exists(), "something ran");
    // A results file without any column the claims name is an error.
    refused(ipcspec().arg("verify").arg(&a).args(["--targets", "vm:5.10", "--results"]).arg(out.join("results.json")), &["holds a column the claims name"]);
    // A run of another target (the host as uid 65534) adds its cells and keeps the host's.
    let (code, text) = verify("host/nobody", "none");
    assert_eq!(code, 0, "{text}");
    let store = common::read_json(&dir.path().join("verdicts.json"));
    assert_eq!(store["verdicts"].as_array().unwrap().len(), 6, "{store}");
    let page = std::fs::read_to_string(&readme).unwrap();
    assert!(page.contains("| [Beta](#beta) | 2 + 0 | 2 HOLDS | 2 HOLDS | not run |"), "{page}");
}

/// `--readme-only` runs nothing: the page is written again from the files and the verdicts
/// kept next to it, with a claim's new text; a cell no run verified says "not run".
#[test]
fn readme_only_rewrites_the_page_without_running() {
    // It reads the workspace with `cargo metadata` (cargo lives under /root).
    skip_unless!(common::need_root());
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("alpha.toml");
    let text = |why: &str| {
        format!(
            "application = \"Alpha\"\ntargets = [\"host\", \"vm:5.10\"]\n[[claim]]\nname = \"dup\"\nwhy = \"{why}\"\nsource = \"src/io.c: reopen()\"\ntests = [\"fds::dup::dup_shares_the_file_offset\"]\n"
        )
    };
    std::fs::write(&a, text("first")).unwrap();
    let store = serde_json::json!({
        "schema": "ipcspec-claims-verdicts/1",
        "columns": {"host": {"kernel": "6.1.0", "verified_at": "2026-12-07T06:00:00Z"}},
        "verdicts": [{"file": "alpha", "claim": "dup", "column": "host", "verdict": "HOLDS", "tests": 1, "passed": 1, "skipped": 0, "details": []}]
    });
    std::fs::write(dir.path().join("verdicts.json"), store.to_string()).unwrap();
    let readme = dir.path().join("README.md");
    let out = dir.path().join("out");
    let (code, text_out) = run(ipcspec().arg("verify").arg(&a).arg("--readme").arg(&readme).arg("--readme-only").arg("--out").arg(&out));
    assert_eq!(code, 0, "{text_out}");
    assert!(!out.exists(), "something ran");
    let page = std::fs::read_to_string(&readme).unwrap();
    assert!(page.contains("| [Alpha](#alpha) | 1 + 0 | 1 HOLDS | not run |"), "{page}");
    assert!(page.contains("| host | 6.1.0 | 2026-12-07T06:00:00Z | a verify run |") && page.contains("| vm:5.10 | — | not run | — |"), "{page}");
    // Without --readme it is a usage error.
    let (code, _) = run(ipcspec().arg("verify").arg(&a).arg("--readme-only"));
    assert_eq!(code, 2);
}
