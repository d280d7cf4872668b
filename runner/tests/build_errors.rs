//! A suite that does not compile is reported as a build error of that suite; the others
//! still run. Uses a tiny workspace of its own (two suites, no dependencies).

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

fn write(p: &Path, s: &str) {
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, s).unwrap();
}

fn suite(root: &Path, name: &str, test: &str) {
    write(&root.join(format!("suites/{name}/Cargo.toml")), &format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n"));
    write(&root.join(format!("suites/{name}/src/lib.rs")), "");
    write(&root.join(format!("suites/{name}/tests/t.rs")), test);
}

#[test]
fn a_broken_suite_is_a_build_error_and_the_others_run() {
    skip_unless!(common::need_root());
    let ws = tempfile::tempdir().unwrap();
    let root = ws.path();
    write(&root.join("Cargo.toml"), "[workspace]\nresolver = \"2\"\nmembers = [\"suites/*\"]\n");
    write(
        &root.join(".config/nextest.toml"),
        "[profile.ipcspec]\nfail-fast = false\n[profile.ipcspec.junit]\npath = \"junit.xml\"\nstore-success-output = true\n",
    );
    suite(root, "good", "/// x(7).\n#[test]\nfn passes() {}\n/// y(7).\n#[test]\nfn skips() { println!(\"\\nIPCSPEC-SKIP: not here\"); }\n");
    suite(root, "broken", "#[test]\nfn nope() { let x: u32 = \"not a number\"; }\n");
    let out = root.join("out");
    let o = Command::new(env!("CARGO_BIN_EXE_ipcspec"))
        .args(["run", "--quiet", "--format", "json", "--out"])
        .arg(&out)
        // Shares the machine with the outer test run: see verify_claims.rs.
        .env(ipcspec_protocol::env::LEAK_CHECK, "0")
        .current_dir(root)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(text.contains("suites that do not build") && text.contains("broken") && text.contains("mismatched types"), "{text}");
    let doc = common::read_json(&out.join("results.json"));
    assert_eq!(doc["build_errors"][0]["suite"], "broken");
    let cells: Vec<(String, String)> = doc["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["id"].as_str().unwrap().to_string(), r["cells"]["host"]["outcome"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(cells.len(), 2, "{cells:?}");
    assert!(cells.contains(&("good::t::passes".into(), "PASS".into())), "{cells:?}");
    assert!(cells.contains(&("good::t::skips".into(), "SKIP".into())), "{cells:?}");
}
