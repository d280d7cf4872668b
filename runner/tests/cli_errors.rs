//! Bad input gets a clear error and exit status 2, before anything runs or is written.

mod common;

use std::path::{Path, PathBuf};

use common::{ipcspec, run};

fn cargo() -> PathBuf {
    PathBuf::from(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

#[test]
fn unknown_suite_lists_the_known_ones() {
    skip_unless!(common::need_root());
    let out = tempfile::tempdir().unwrap();
    let (code, text) = run(ipcspec().args(["run", "--suite", "no_such_suite", "--out"]).arg(out.path()));
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("unknown suite \"no_such_suite\"") && text.contains("fds") && text.contains("pipes"), "{text}");
    assert!(std::fs::read_dir(out.path()).unwrap().next().is_none(), "nothing may be written on bad input");
}

#[test]
fn unknown_target_and_kernel() {
    skip_unless!(common::need_root());
    let (code, text) = run(ipcspec().args(["run", "--target", "vm:4.19"]));
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("unknown kernel \"4.19\"") && text.contains("5.10") && text.contains("7.2"), "{text}");
    let (code, text) = run(ipcspec().args(["matrix", "--targets", "host,moon"]));
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("unknown target \"moon\""), "{text}");
    let (code, text) = run(ipcspec().args(["matrix", "--users", "admin"]));
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("unknown user"), "{text}");
}

#[test]
fn a_file_that_is_not_a_kernel() {
    skip_unless!(common::need_root());
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("vmlinuz");
    std::fs::write(&f, vec![7u8; 4096]).unwrap();
    let (code, text) = run(ipcspec().args(["run", "--suite", "fds", "--target"]).arg(format!("vm:{}", f.display())));
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("is not a kernel"), "{text}");
    let (code, text) = run(ipcspec().args(["run", "--suite", "fds", "--target", "vm:/nonexistent/bzImage"]));
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("cannot open kernel"), "{text}");
}

/// A PATH holding only the named tools (as symlinks).
fn path_with(tools: &[&Path]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for t in tools {
        std::os::unix::fs::symlink(t, d.path().join(t.file_name().unwrap())).unwrap();
    }
    d
}

fn which(tool: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?).map(|d| d.join(tool)).find(|p| p.is_file())
}

#[test]
fn qemu_missing_names_the_package() {
    skip_unless!(common::need_root());
    let cargo = which("cargo").unwrap_or_else(cargo);
    let rustc = which("rustc").unwrap_or_else(|| PathBuf::from("rustc"));
    let p = path_with(&[&cargo, &rustc]);
    let (code, text) = run(ipcspec().args(["run", "--suite", "fds", "--target", "vm:6.1"]).env("PATH", p.path()).env("CARGO", &cargo));
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("apt-get install qemu-system-x86"), "{text}");
}

#[test]
fn nextest_missing_says_how_to_install_it() {
    skip_unless!(common::need_root());
    let cargo = which("cargo").unwrap_or_else(cargo);
    let rustc = which("rustc").unwrap_or_else(|| PathBuf::from("rustc"));
    let p = path_with(&[&cargo, &rustc]);
    let (code, text) = run(ipcspec().args(["run", "--suite", "fds"]).env("PATH", p.path()).env("CARGO", &cargo).env_remove("RUSTUP_TOOLCHAIN"));
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("cargo install cargo-nextest --locked"), "{text}");
}

#[test]
fn no_network_says_which_kernels_are_cached() {
    skip_unless!(common::need_root());
    let cache = tempfile::tempdir().unwrap();
    // An unreachable proxy: apt fails at once, as without a network.
    let (code, text) = run(ipcspec()
        .args(["kernels", "--fetch", "6.12", "--cache-dir"])
        .arg(cache.path())
        .env("http_proxy", "http://127.0.0.1:9")
        .env("HTTP_PROXY", "http://127.0.0.1:9"));
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("cannot fetch kernel 6.12") && text.contains("Cached kernels: none"), "{text}");
}

#[test]
fn bad_claims_files() {
    skip_unless!(common::need_root());
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("claims.toml");
    std::fs::write(&f, "targets = [\"host\"]\n[[claim]]\nname = \"x\"\ntests = [\"no_such::*\"]\n").unwrap();
    let (code, text) = run(ipcspec().args(["verify", "--suite", "fds"]).arg(&f));
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("no test matches no_such::*"), "{text}");
    std::fs::write(&f, "[[claim]\n").unwrap();
    let (code, text) = run(ipcspec().arg("verify").arg(&f));
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("not a valid claims file"), "{text}");
    let (code, text) = run(ipcspec().args(["verify", "/nonexistent/claims.toml"]));
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("reading the claims file"), "{text}");
}

#[test]
fn bad_flags() {
    skip_unless!(common::need_root());
    for args in [
        &["run", "--format", "pdf"][..],
        &["run", "--test-timeout", "soon"],
        &["run", "--accel", "hvf"],
        &["run", "--time-scale", "0.5"],
        &["run", "--vm-mode", "fast"],
        &["run", "--jobs", "0"],
    ] {
        let (code, text) = run(ipcspec().args(args));
        assert_eq!(code, 2, "{args:?}: {text}");
    }
}
