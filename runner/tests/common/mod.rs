//! Shared by the runner's integration tests.

/// The runner's end-to-end tests drive cargo (under /root), nextest and setpriv: they need
/// root. As any other user (the CI's uid 65534 pass) they skip with the suites' marker.
#[allow(dead_code)]
pub fn need_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        return true;
    }
    println!("\n{} the runner's integration tests need root (cargo, nextest, setpriv)", ipcspec_protocol::SKIP_MARKER);
    false
}

/// The runner binary, run from the runner's directory.
#[allow(dead_code)]
pub fn ipcspec() -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_ipcspec"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

/// Run it: exit status and stdout + stderr.
#[allow(dead_code)]
pub fn run(c: &mut std::process::Command) -> (i32, String) {
    let o = c.output().expect("run ipcspec");
    let text = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    (o.status.code().unwrap_or(-1), text)
}
