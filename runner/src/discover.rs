//! Finding what to run: the suites (workspace packages under suites/), their test binaries
//! (built once with `cargo test --no-run`), and the tests in each binary (`--list`).
//!
//! The runner knows nothing about individual mechanisms: a new folder under suites/ is a
//! new suite, a new tests/*.rs file a new binary.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, anyhow, bail};
use serde::{Deserialize, Serialize};

use crate::model::BuildError;

/// The workspace: its root and its target directory.
#[derive(Clone, Debug)]
pub struct Workspace {
    pub root: PathBuf,
    pub target_dir: PathBuf,
    /// Suite name -> its package directory, in name order.
    pub suites: BTreeMap<String, PathBuf>,
    /// cargo's package id -> package name, of every workspace member (cargo's build
    /// messages name packages by id).
    pub package_names: BTreeMap<String, String>,
}

impl Workspace {
    /// Read the workspace with `cargo metadata` (cargo_metadata; run from `dir`, or the
    /// current directory).
    pub fn load(dir: Option<&Path>) -> Result<Workspace> {
        let mut cmd = cargo_metadata::MetadataCommand::new();
        cmd.cargo_path(cargo()).no_deps();
        if let Some(d) = dir {
            cmd.current_dir(d);
        }
        let m = match cmd.exec() {
            Ok(m) => m,
            Err(cargo_metadata::Error::CargoMetadata { stderr }) => {
                bail!("`cargo metadata` failed (run ipcspec inside the ipcspec workspace): {}", stderr.trim())
            }
            Err(e) => return Err(e).context("running `cargo metadata`"),
        };
        let root = m.workspace_root.clone().into_std_path_buf();
        let suites_dir = root.join("suites");
        let mut suites = BTreeMap::new();
        let mut package_names = BTreeMap::new();
        for p in m.workspace_packages() {
            package_names.insert(p.id.repr.clone(), p.name.to_string());
            let dir = p.manifest_path.parent().map(|d| d.as_std_path().to_path_buf()).unwrap_or_default();
            if dir.parent() == Some(suites_dir.as_path()) {
                suites.insert(p.name.to_string(), dir);
            }
        }
        if suites.is_empty() {
            bail!("no suites found under {} (is this the ipcspec workspace?)", suites_dir.display());
        }
        Ok(Workspace { root, target_dir: m.target_directory.into_std_path_buf(), suites, package_names })
    }

    /// Check suite names given by the user; an unknown one is an error listing the known.
    pub fn select(&self, wanted: &[String]) -> Result<Vec<String>> {
        if wanted.is_empty() {
            return Ok(self.suites.keys().cloned().collect());
        }
        let mut out = Vec::new();
        for w in wanted {
            if !self.suites.contains_key(w) {
                bail!(
                    "unknown suite {w:?}. Known suites: {}",
                    self.suites.keys().cloned().collect::<Vec<_>>().join(", ")
                );
            }
            if !out.contains(w) {
                out.push(w.clone());
            }
        }
        Ok(out)
    }
}

/// `cargo`, or what `$CARGO` names (set when running under cargo).
pub fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string())
}

/// One built test binary (one tests/*.rs file of a suite).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestBinary {
    /// nextest's binary id: `<suite>::<file>`.
    pub id: String,
    pub suite: String,
    pub path: PathBuf,
    /// Tests of this binary run one at a time (files named global_*.rs).
    pub serial: bool,
}

/// The outcome of building the suites: binaries of the suites that built, errors of those
/// that did not.
#[derive(Clone, Debug, Default)]
pub struct Build {
    pub binaries: Vec<TestBinary>,
    pub errors: Vec<BuildError>,
}

/// The name of the package with cargo's id `id` (a workspace member).
fn package_name(id: &cargo_metadata::PackageId, ws: &Workspace) -> Option<String> {
    ws.package_names.get(&id.repr).cloned()
}

/// Build the test binaries of `suites` once. A suite that does not compile becomes a
/// [`BuildError`] with the compiler's messages; the others are built and returned.
pub fn build(ws: &Workspace, suites: &[String], release: bool) -> Result<Build> {
    build_showing(ws, suites, release, &|_, _| {})
}

/// [`build`], telling `progress` about every artifact as cargo finishes it (how many so
/// far, and which crate), so a long build is visibly moving.
pub fn build_showing(ws: &Workspace, suites: &[String], release: bool, progress: &dyn Fn(usize, &str)) -> Result<Build> {
    let mut remaining: Vec<String> = suites.to_vec();
    let mut result = Build::default();
    // cargo stops at the first package that fails: build again without it until the rest
    // builds (at most once per failing suite).
    loop {
        if remaining.is_empty() {
            break;
        }
        let attempt = build_once(ws, &remaining, release, progress)?;
        if attempt.failed.is_empty() {
            if !attempt.success {
                bail!("building the suites failed:\n{}", attempt.stderr_tail);
            }
            result.binaries = attempt.binaries;
            break;
        }
        for (suite, message) in attempt.failed {
            remaining.retain(|s| s != &suite);
            result.errors.push(BuildError { suite, message });
        }
    }
    result.binaries.sort_by(|a, b| a.id.cmp(&b.id));
    result.errors.sort_by(|a, b| a.suite.cmp(&b.suite));
    Ok(result)
}

struct Attempt {
    success: bool,
    binaries: Vec<TestBinary>,
    failed: BTreeMap<String, String>,
    stderr_tail: String,
}

fn build_once(ws: &Workspace, suites: &[String], release: bool, progress: &dyn Fn(usize, &str)) -> Result<Attempt> {
    use cargo_metadata::Message;
    use cargo_metadata::diagnostic::DiagnosticLevel;
    let mut cmd = Command::new(cargo());
    cmd.current_dir(&ws.root)
        .args(["test", "--no-run", "--no-fail-fast", "--tests", "--message-format", "json-diagnostic-rendered-ansi"]);
    if release {
        cmd.arg("--release");
    }
    for s in suites {
        cmd.args(["-p", s]);
    }
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("running `cargo test --no-run`")?;
    // stderr is read beside stdout, so that neither pipe fills up.
    let mut stderr = child.stderr.take().context("cargo's stderr")?;
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut s);
        s
    });
    let stdout = child.stdout.take().context("cargo's stdout")?;
    let mut att = Attempt { success: true, binaries: Vec::new(), failed: BTreeMap::new(), stderr_tail: String::new() };
    let mut artifacts = 0usize;
    for msg in Message::parse_stream(std::io::BufReader::new(stdout)).flatten() {
        match msg {
            Message::CompilerArtifact(a) => {
                artifacts += 1;
                progress(artifacts, &a.target.name);
                let Some(exe) = a.executable else { continue };
                if !a.profile.test || !a.target.kind.iter().any(|k| k.to_string() == "test") {
                    continue;
                }
                let Some(suite) = package_name(&a.package_id, ws) else { continue };
                if !suites.contains(&suite) {
                    continue;
                }
                att.binaries.push(TestBinary {
                    id: format!("{suite}::{}", a.target.name),
                    serial: a.target.name.starts_with("global_"),
                    suite,
                    path: exe.into_std_path_buf(),
                });
            }
            Message::CompilerMessage(m) => {
                if m.message.level != DiagnosticLevel::Error {
                    continue;
                }
                let Some(suite) = package_name(&m.package_id, ws) else { continue };
                let text = strip_ansi(m.message.rendered.as_deref().unwrap_or("error"));
                let e = att.failed.entry(suite).or_default();
                if e.lines().count() < 60 {
                    e.push_str(&text);
                }
            }
            Message::BuildFinished(f) => att.success = att.success && f.success,
            _ => {}
        }
    }
    let status = child.wait().context("waiting for `cargo test --no-run`")?;
    att.success = att.success && status.success();
    att.stderr_tail = tail(&err_reader.join().unwrap_or_default(), 30);
    // A failing suite that is not among ours (a dependency such as fixtures) fails all.
    if !att.success && att.failed.is_empty() {
        let fixtures_error = att.stderr_tail.clone();
        if !fixtures_error.is_empty() {
            return Err(anyhow!("building the suites failed:\n{fixtures_error}"));
        }
    }
    let others: Vec<String> = att.failed.keys().filter(|s| !suites.contains(s)).cloned().collect();
    if !others.is_empty() {
        let msgs: Vec<String> = others.iter().map(|o| att.failed[o].clone()).collect();
        bail!("building {} (needed by the suites) failed:\n{}", others.join(", "), msgs.join("\n"));
    }
    Ok(att)
}

fn tail(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Remove ANSI colour sequences from compiler output.
pub fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            if chars.peek() == Some(&'[') {
                chars.next();
                for d in chars.by_ref() {
                    if d.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
            continue;
        }
        out.push(c);
    }
    out
}

/// The tests a binary holds that nextest would run: everything `--list` shows minus what
/// `--list --ignored` shows.
pub fn list_tests(binary: &Path) -> Result<Vec<String>> {
    let all = list(binary, false)?;
    let ignored = list(binary, true)?;
    Ok(all.into_iter().filter(|t| !ignored.contains(t)).collect())
}

fn list(binary: &Path, ignored: bool) -> Result<Vec<String>> {
    let mut cmd = Command::new(binary);
    cmd.args(["--list", "--format", "terse"]);
    if ignored {
        cmd.arg("--ignored");
    }
    let out = cmd
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .with_context(|| format!("listing the tests of {}", binary.display()))?;
    if !out.status.success() {
        bail!(
            "listing the tests of {} failed: {}",
            binary.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(parse_list(&String::from_utf8_lossy(&out.stdout)))
}

/// Parse libtest's `--list --format terse` ("name: test" per line; benches are skipped).
pub fn parse_list(text: &str) -> Vec<String> {
    text.lines().filter_map(|l| l.strip_suffix(": test")).map(str::to_string).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_terse_list() {
        let t = "a: test\nm::b: test\nbench_x: benchmark\n\n";
        assert_eq!(parse_list(t), vec!["a".to_string(), "m::b".to_string()]);
    }

    #[test]
    fn strips_ansi() {
        assert_eq!(strip_ansi("\u{1b}[0m\u{1b}[1m\u{1b}[38;5;9merror\u{1b}[0m: x"), "error: x");
    }

    #[test]
    fn package_names_from_ids() {
        let id = "path+file:///w/suites/x#fds@0.1.0";
        let ws = Workspace {
            root: "/w".into(),
            target_dir: "/w/target".into(),
            suites: [("fds".to_string(), PathBuf::from("/w/suites/fds"))].into_iter().collect(),
            package_names: [(id.to_string(), "fds".to_string())].into_iter().collect(),
        };
        let pid = |s: &str| cargo_metadata::PackageId { repr: s.into() };
        assert_eq!(package_name(&pid(id), &ws).as_deref(), Some("fds"));
        assert_eq!(package_name(&pid("registry+https://x#libc@0.2.0"), &ws), None);
    }

    #[test]
    fn this_workspace_loads() {
        // Loading runs `cargo metadata`: a user who cannot run the toolchain (the CI's uid 65534
        // pass, with cargo under /root, mode 700) has nothing to load it with.
        if let Err(e) = std::process::Command::new(cargo()).arg("--version").output() {
            eprintln!("skipped: {} cannot be run by this user: {e}", cargo());
            return;
        }
        let ws = Workspace::load(Some(Path::new(env!("CARGO_MANIFEST_DIR")))).unwrap();
        assert!(ws.suites.contains_key("fds") && ws.root.join("Cargo.toml").is_file());
        assert!(ws.package_names.values().any(|n| n == "fixtures"));
    }
}
