//! `ipcspec verify`: on the host for a quick check, and the shipped example on its VMs.

mod common;

fn verify(claims: &std::path::Path, out: &std::path::Path, extra: &[&str]) -> (i32, String) {
    common::run(
        common::ipcspec()
            .arg("verify")
            .arg(claims)
            .args(["--quiet", "--format", "json", "--out"])
            .arg(out)
            .args(extra)
            // This run shares the machine with the outer test run (CI runs every package's tests
            // at once): that run's scratch dirs would look like leaks of this one. The checker
            // has its own test (leak_check.rs).
            .env(ipcspec_protocol::env::LEAK_CHECK, "0"),
    )
}

/// `verify` of a claims file holding `toml`, written in a fresh directory, out to `out/`
/// there: the directory, the exit status and the output.
fn verify_toml(toml: &str) -> (tempfile::TempDir, i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let claims = dir.path().join("claims.toml");
    std::fs::write(&claims, toml).unwrap();
    let (code, text) = verify(&claims, &dir.path().join("out"), &[]);
    (dir, code, text)
}

/// A JSON file the run wrote (`out/verify.json`, `out/results.json`).
fn json(dir: &std::path::Path, file: &str) -> serde_json::Value {
    common::read_json(&dir.join("out").join(file))
}

#[test]
fn verify_on_the_host_gives_a_verdict_per_claim() {
    skip_unless!(common::need_root());
    let (dir, code, text) = verify_toml(
        r#"
targets = ["host"]
[[claim]]
name = "dup shares the offset"
tests = ["fds::dup::dup_shares_the_file_offset", "fds::dup::dup_returns_the_lowest_unused_number"]
"#,
    );
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("HOLDS") && text.contains("dup shares the offset"), "{text}");
    let v = json(dir.path(), "verify.json");
    assert_eq!(v[0]["verdict"], "HOLDS");
    assert_eq!(v[0]["tests"], 2);
    // Exactly those tests ran.
    let r = json(dir.path(), "results.json");
    assert_eq!(r["tests"].as_array().unwrap().len(), 2);
}

/// The variant a test reports travels from its stdout through nextest's JUnit into the cell,
/// and decides the verdict: the host has epoll_pwait2 (`present`), so a claim that accepts
/// only `absent` does not hold there, and one with no `accept` holds.
#[test]
fn a_variant_decides_the_verdict_on_the_host() {
    skip_unless!(common::need_root());
    let (dir, code, text) = verify_toml(
        r#"
targets = ["host"]
[[claim]]
name = "uses epoll_pwait2"
tests = ["epoll::waiting::epoll_pwait2_takes_a_timespec_timeout_since_5_11"]
[[claim]]
name = "needs the pre-5.11 kernel"
tests = ["epoll::waiting::epoll_pwait2_takes_a_timespec_timeout_since_5_11"]
accept = ["absent"]
"#,
    );
    assert_eq!(code, 1, "{text}");
    let v = json(dir.path(), "verify.json");
    assert_eq!(v[0]["verdict"], "HOLDS", "{v}");
    assert_eq!(v[0]["variants"][0], "present", "{v}");
    assert_eq!(v[1]["verdict"], "DOES NOT HOLD", "{v}");
    assert!(v[1]["reason"].as_str().unwrap().contains("not among those the claim accepts"), "{v}");
    let r = json(dir.path(), "results.json");
    assert_eq!(r["tests"][0]["cells"]["host"]["variant"]["name"], "present", "{r}");
}

#[test]
#[ignore = "boots VMs (vm:5.10, vm:6.12); run with: cargo test -p ipcspec --test verify_claims -- --ignored"]
fn the_example_claims_file() {
    skip_unless!(common::need_root());
    let dir = tempfile::tempdir().unwrap();
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/example-claims.toml");
    let (code, text) = verify(&example, &dir.path().join("out"), &[]);
    // epoll_pwait2 does not exist on 5.10: its tests pass there by asserting ENOSYS, with the
    // variant `absent`, so the claim DOES NOT HOLD there (exit 1) and holds on 6.12.
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("DOES NOT HOLD") && text.contains("vm:5.10"), "{text}");
    let v = json(dir.path(), "verify.json");
    let verdict = |claim: &str, col: &str| v.as_array().unwrap().iter().find(|r| r["claim"] == claim && r["column"] == col).unwrap().clone();
    let old = verdict("epoll_pwait2 takes a timespec timeout", "vm:5.10");
    assert_eq!(old["verdict"], "DOES NOT HOLD", "{old}");
    assert!(old["reason"].as_str().unwrap().contains("5.11"), "{old}");
    assert_eq!(verdict("epoll_pwait2 takes a timespec timeout", "vm:6.12")["verdict"], "HOLDS");
    // The application that falls back accepts both variants: it holds everywhere.
    for col in ["host", "vm:5.10", "vm:6.12"] {
        assert_eq!(verdict("the event loop falls back to epoll_pwait when epoll_pwait2 is missing", col)["verdict"], "HOLDS", "{col}");
    }
}
