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

/// Return from the test unless `$ready`: a check such as [`need_root`] that has printed the
/// SKIP line when it says no.
#[macro_export]
macro_rules! skip_unless {
    ($ready:expr) => {
        if !$ready {
            return;
        }
    };
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

/// Run it on input it must refuse: exit status 2, an error that says each of `wants`, and
/// never a panic. Returns the output.
#[allow(dead_code)]
#[track_caller]
pub fn refused(c: &mut std::process::Command, wants: &[&str]) -> String {
    let (code, text) = run(c);
    assert_eq!(code, 2, "{c:?}: {text}");
    for want in wants {
        assert!(text.contains(want), "{c:?}: expected {want:?} in: {text}");
    }
    assert!(!text.contains("panicked"), "{c:?}: {text}");
    text
}

/// Start the runner with `args`, writing its results as JSON to `out`, quietly, its output
/// piped (for the tests that signal or kill it while it runs).
#[allow(dead_code)]
pub fn spawn_json(out: &std::path::Path, args: &[&str]) -> std::process::Child {
    ipcspec()
        .args(args)
        .args(["--format", "json", "--quiet", "--out"])
        .arg(out)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

/// Run it to the end ([`spawn_json`]): exit status, results.json, stdout + stderr.
#[allow(dead_code)]
pub fn run_json(out: &std::path::Path, args: &[&str]) -> (i32, serde_json::Value, String) {
    finished_json(spawn_json(out, args), out)
}

/// [`run_json`], with the runner's pid first (to look for what it left behind).
#[allow(dead_code)]
pub fn run_json_pid(out: &std::path::Path, args: &[&str]) -> (u32, i32, serde_json::Value, String) {
    let child = spawn_json(out, args);
    let pid = child.id();
    let (code, doc, text) = finished_json(child, out);
    (pid, code, doc, text)
}

/// Wait for a runner started by [`spawn_json`]: exit status, results.json, stdout + stderr.
#[allow(dead_code)]
pub fn finished_json(child: std::process::Child, out: &std::path::Path) -> (i32, serde_json::Value, String) {
    let o = child.wait_with_output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    let json = std::fs::read(out.join("results.json")).unwrap_or_else(|_| panic!("no results.json: {text}"));
    (o.status.code().unwrap_or(-1), serde_json::from_slice(&json).unwrap(), text)
}

/// A JSON file the runner wrote (results.json, verify.json, verdicts.json).
#[allow(dead_code)]
pub fn read_json(path: &std::path::Path) -> serde_json::Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The cells of a column of results.json: (test id, cell).
#[allow(dead_code)]
pub fn cells<'a>(doc: &'a serde_json::Value, column: &str) -> Vec<(&'a str, &'a serde_json::Value)> {
    doc["tests"].as_array().unwrap().iter().map(|r| (r["id"].as_str().unwrap(), &r["cells"][column])).collect()
}

/// The cell of test `id` in a column of results.json.
#[allow(dead_code)]
pub fn cell<'a>(doc: &'a serde_json::Value, column: &str, id: &str) -> &'a serde_json::Value {
    &doc["tests"].as_array().unwrap().iter().find(|r| r["id"] == id).unwrap_or_else(|| panic!("no row {id}"))["cells"][column]
}

/// The reason of the cell of test `id` in a column, which must be a CRASH.
#[allow(dead_code)]
pub fn crash_reason<'a>(doc: &'a serde_json::Value, column: &str, id: &str) -> &'a str {
    let c = cell(doc, column, id);
    assert_eq!(c["outcome"], "CRASH", "{column} {id}: {c}");
    c["reason"].as_str().unwrap()
}

/// Send `signal` to a running runner and wait: it must end within 30 s with the status of
/// that signal (128 + signal) after cleaning up.
#[allow(dead_code)]
pub fn interrupt(child: &mut std::process::Child, signal: i32) {
    // SAFETY: kill(2) on our own child.
    unsafe { libc::kill(child.id() as i32, signal) };
    let t = std::time::Instant::now();
    let st = child.wait().unwrap();
    assert!(t.elapsed() < std::time::Duration::from_secs(30), "the runner took {:?} to stop", t.elapsed());
    assert_eq!(st.code(), Some(128 + signal), "{st}");
}
