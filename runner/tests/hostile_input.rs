//! Hostile input to the runner: a cache directory that is not a directory, read-only or full;
//! kernel paths that are directories, missing or truncated images; target names with control
//! characters; a claims file of binary garbage. Each is a clear error with exit status 2 —
//! never a panic, never a run. (The parsers themselves are fuzzed in fuzz_frame.rs and
//! fuzz_claims.rs; cli_errors.rs has the everyday mistakes.)

mod common;

use std::process::Command;

use common::{ipcspec, refused, run};

fn is_root() -> bool {
    // SAFETY: no preconditions.
    unsafe { libc::geteuid() == 0 }
}

#[test]
fn a_cache_directory_that_is_a_file_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("cache");
    std::fs::write(&f, b"x").unwrap();
    refused(ipcspec().args(["kernels", "--fetch", "6.1", "--cache-dir"]).arg(&f), &["Not a directory"]);
}

#[test]
fn a_read_only_cache_directory_is_refused() {
    if !is_root() || !std::path::Path::new("/usr/bin/unshare").exists() {
        println!("{} needs root and unshare(1) to mount a read-only tmpfs", ipcspec_protocol::SKIP_MARKER);
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let script = format!(
        "mount -t tmpfs -o ro none {dir} && exec {bin} kernels --fetch 6.1 --cache-dir {dir}/cache",
        dir = d.path().display(),
        bin = env!("CARGO_BIN_EXE_ipcspec")
    );
    refused(Command::new("unshare").args(["--mount", "--propagation", "private", "sh", "-c", &script]), &["Read-only file system"]);
}

#[test]
fn kernel_paths_that_are_not_kernels_are_refused_before_anything_runs() {
    let d = tempfile::tempdir().unwrap();
    // The boot header's magic where it belongs, in a file far too short to be a kernel.
    let mut img = vec![0u8; 0x300];
    img[0x202..0x206].copy_from_slice(b"HdrS");
    let truncated = d.path().join("bzImage");
    std::fs::write(&truncated, &img).unwrap();
    let empty = d.path().join("empty");
    std::fs::write(&empty, b"").unwrap();
    for (target, want) in [
        (format!("vm:{}", d.path().display()), "not a file"),
        (format!("vm:{}/missing/bzImage", d.path().display()), "No such file"),
        (format!("vm:{}", truncated.display()), "is not a kernel"),
        (format!("vm:{}", empty.display()), "is not a kernel"),
    ] {
        refused(ipcspec().args(["run", "--format", "none", "--suite", "fds", "--target", &target]), &[want]);
    }
}

#[test]
fn target_names_with_control_characters_or_unicode_are_refused() {
    for t in ["vm:\u{1}", "host\u{7f}", "docker:\u{1F600}", " ", "vm:6.1\n--release"] {
        let (code, text) = run(ipcspec().args(["run", "--format", "none", "--target", t]));
        assert_eq!(code, 2, "{t:?}: {text}");
        assert!(!text.contains("panicked"), "{t:?}: {text}");
    }
}

#[test]
fn a_claims_file_of_binary_garbage_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("claims.toml");
    let garbage: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
    std::fs::write(&f, garbage).unwrap();
    refused(ipcspec().arg("verify").arg(&f), &["valid UTF-8"]);
    std::fs::write(&f, format!("targets = [\"host\"]\n{}", "[[claim]]\nname = \"a\"\ntests = [\"a::b\"]\n".repeat(2))).unwrap();
    refused(ipcspec().arg("verify").arg(&f), &["two claims"]);
}

#[test]
fn an_unknown_fault_lists_the_known_ones() {
    refused(ipcspec().args(["selfcheck", "--fault", "no-such-fault"]), &["select-ignores-exceptfds"]);
}
