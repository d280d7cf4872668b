//! `ipcspec verify`: on the host for a quick check, and the shipped example on its VMs.

mod common;

use std::process::Command;

fn verify(claims: &std::path::Path, out: &std::path::Path, extra: &[&str]) -> (i32, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_ipcspec"))
        .arg("verify")
        .arg(claims)
        .args(["--quiet", "--format", "json", "--out"])
        .arg(out)
        .args(extra)
        // This run shares the machine with the outer test run (CI runs every package's tests
        // at once): that run's scratch dirs would look like leaks of this one. The checker
        // has its own test (leak_check.rs).
        .env("IPCSPEC_LEAK_CHECK", "0")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    (o.status.code().unwrap_or(-1), String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr))
}

#[test]
fn verify_on_the_host_gives_a_verdict_per_claim() {
    if !common::need_root() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let claims = dir.path().join("claims.toml");
    std::fs::write(
        &claims,
        r#"
targets = ["host"]
[[claim]]
name = "dup shares the offset"
tests = ["fds::dup::dup_shares_the_file_offset", "fds::dup::dup_returns_the_lowest_unused_number"]
"#,
    )
    .unwrap();
    let (code, text) = verify(&claims, &dir.path().join("out"), &[]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("HOLDS") && text.contains("dup shares the offset"), "{text}");
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.path().join("out/verify.json")).unwrap()).unwrap();
    assert_eq!(v[0]["verdict"], "HOLDS");
    assert_eq!(v[0]["tests"], 2);
    // Exactly those tests ran.
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.path().join("out/results.json")).unwrap()).unwrap();
    assert_eq!(r["tests"].as_array().unwrap().len(), 2);
}

#[test]
#[ignore = "boots VMs (vm:5.10, vm:6.12); run with: cargo test -p ipcspec --test verify_claims -- --ignored"]
fn the_example_claims_file() {
    if !common::need_root() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/example-claims.toml");
    let (code, text) = verify(&example, &dir.path().join("out"), &[]);
    // epoll_pwait2 does not exist on 5.10: UNVERIFIED there, so at best exit 3.
    assert!(code == 3 || code == 1, "{text}");
    assert!(text.contains("UNVERIFIED") && text.contains("vm:5.10"), "{text}");
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.path().join("out/verify.json")).unwrap()).unwrap();
    let pwait2 = v.as_array().unwrap().iter().find(|r| r["claim"] == "epoll_pwait2 takes a timespec timeout" && r["column"] == "vm:5.10").unwrap();
    assert_eq!(pwait2["verdict"], "UNVERIFIED", "{pwait2}");
}
