//! Bad input gets a clear error and exit status 2, before anything runs or is written.

mod common;

use std::path::PathBuf;

use common::{ipcspec, refused, run};

fn cargo() -> PathBuf {
    PathBuf::from(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

#[test]
fn unknown_suite_lists_the_known_ones() {
    skip_unless!(common::need_root());
    let out = tempfile::tempdir().unwrap();
    refused(ipcspec().args(["run", "--suite", "no_such_suite", "--out"]).arg(out.path()), &["unknown suite \"no_such_suite\"", "fds", "pipes"]);
    assert!(std::fs::read_dir(out.path()).unwrap().next().is_none(), "nothing may be written on bad input");
}

#[test]
fn unknown_target_and_kernel() {
    skip_unless!(common::need_root());
    refused(ipcspec().args(["run", "--target", "vm:4.19"]), &["unknown kernel \"4.19\"", "5.10", "7.2"]);
    refused(ipcspec().args(["matrix", "--targets", "host,moon"]), &["unknown target \"moon\""]);
    refused(ipcspec().args(["matrix", "--users", "admin"]), &["unknown user"]);
}

#[test]
fn a_file_that_is_not_a_kernel() {
    skip_unless!(common::need_root());
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("vmlinuz");
    std::fs::write(&f, vec![7u8; 4096]).unwrap();
    refused(ipcspec().args(["run", "--suite", "fds", "--target"]).arg(format!("vm:{}", f.display())), &["is not a kernel"]);
    refused(ipcspec().args(["run", "--suite", "fds", "--target", "vm:/nonexistent/bzImage"]), &["cannot open kernel"]);
}

/// A PATH holding only cargo and rustc (as symlinks), and cargo's path.
fn path_with_only_cargo() -> (tempfile::TempDir, PathBuf) {
    let cargo = which("cargo").unwrap_or_else(cargo);
    let rustc = which("rustc").unwrap_or_else(|| PathBuf::from("rustc"));
    let d = tempfile::tempdir().unwrap();
    for t in [&cargo, &rustc] {
        std::os::unix::fs::symlink(t, d.path().join(t.file_name().unwrap())).unwrap();
    }
    (d, cargo)
}

fn which(tool: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?).map(|d| d.join(tool)).find(|p| p.is_file())
}

#[test]
fn qemu_missing_names_the_package() {
    skip_unless!(common::need_root());
    let (p, cargo) = path_with_only_cargo();
    refused(ipcspec().args(["run", "--suite", "fds", "--target", "vm:6.1"]).env("PATH", p.path()).env("CARGO", &cargo), &["apt-get install qemu-system-x86"]);
}

#[test]
fn nextest_missing_says_how_to_install_it() {
    skip_unless!(common::need_root());
    let (p, cargo) = path_with_only_cargo();
    refused(ipcspec().args(["run", "--suite", "fds"]).env("PATH", p.path()).env("CARGO", &cargo).env_remove("RUSTUP_TOOLCHAIN"), &["cargo install cargo-nextest --locked"]);
}

#[test]
fn no_network_says_which_kernels_are_cached() {
    skip_unless!(common::need_root());
    let cache = tempfile::tempdir().unwrap();
    // An unreachable proxy: apt fails at once, as without a network.
    refused(
        ipcspec()
            .args(["kernels", "--fetch", "6.12", "--cache-dir"])
            .arg(cache.path())
            .env("http_proxy", "http://127.0.0.1:9")
            .env("HTTP_PROXY", "http://127.0.0.1:9"),
        &["cannot fetch kernel 6.12", "Cached kernels: none"],
    );
}

#[test]
fn bad_claims_files() {
    skip_unless!(common::need_root());
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("claims.toml");
    std::fs::write(&f, "targets = [\"host\"]\n[[claim]]\nname = \"x\"\ntests = [\"no_such::*\"]\n").unwrap();
    refused(ipcspec().args(["verify", "--suite", "fds"]).arg(&f), &["no test matches no_such::*"]);
    std::fs::write(&f, "[[claim]\n").unwrap();
    refused(ipcspec().arg("verify").arg(&f), &["not a valid claims file"]);
    refused(ipcspec().args(["verify", "/nonexistent/claims.toml"]), &["reading the claims file"]);
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
