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
}

#[derive(Deserialize)]
struct Metadata {
    workspace_root: PathBuf,
    target_directory: PathBuf,
    packages: Vec<MetaPackage>,
    workspace_members: Vec<String>,
}

#[derive(Deserialize)]
struct MetaPackage {
    name: String,
    id: String,
    manifest_path: PathBuf,
}

impl Workspace {
    /// Read the workspace with `cargo metadata` (run from `dir`, or the current directory).
    pub fn load(dir: Option<&Path>) -> Result<Workspace> {
        let mut cmd = Command::new(cargo());
        cmd.args(["metadata", "--format-version", "1", "--no-deps"]);
        if let Some(d) = dir {
            cmd.current_dir(d);
        }
        let out = cmd.stderr(Stdio::piped()).output().context("running `cargo metadata`")?;
        if !out.status.success() {
            bail!(
                "`cargo metadata` failed (run ipcspec inside the ipcspec workspace): {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        let m: Metadata = serde_json::from_slice(&out.stdout).context("parsing `cargo metadata` output")?;
        let suites_dir = m.workspace_root.join("suites");
        let mut suites = BTreeMap::new();
        for p in &m.packages {
            if !m.workspace_members.contains(&p.id) {
                continue;
            }
            let dir = p.manifest_path.parent().unwrap_or(Path::new("")).to_path_buf();
            if dir.parent() == Some(suites_dir.as_path()) {
                suites.insert(p.name.clone(), dir);
            }
        }
        if suites.is_empty() {
            bail!("no suites found under {} (is this the ipcspec workspace?)", suites_dir.display());
        }
        Ok(Workspace { root: m.workspace_root, target_dir: m.target_directory, suites })
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

#[derive(Deserialize)]
struct CargoMsg {
    reason: String,
    #[serde(default)]
    package_id: Option<String>,
    #[serde(default)]
    target: Option<CargoTarget>,
    #[serde(default)]
    executable: Option<PathBuf>,
    #[serde(default)]
    profile: Option<CargoProfile>,
    #[serde(default)]
    message: Option<CompilerMessage>,
    #[serde(default)]
    success: Option<bool>,
}

#[derive(Deserialize)]
struct CargoTarget {
    name: String,
    kind: Vec<String>,
}

#[derive(Deserialize)]
struct CargoProfile {
    test: bool,
}

#[derive(Deserialize)]
struct CompilerMessage {
    level: String,
    #[serde(default)]
    rendered: Option<String>,
}

/// The package name in a cargo package id (`path+file:///w/suites/fds#0.1.0` or
/// `path+file:///w/suites/x#name@0.1.0` or the old `name 0.1.0 (path+...)`).
fn package_name(id: &str, ws: &Workspace) -> Option<String> {
    if let Some((_, rest)) = id.split_once('#') {
        if let Some((name, _)) = rest.split_once('@') {
            return Some(name.to_string());
        }
        // The name is the last path component.
        let path = id.split_once('#')?.0;
        let _ = ws;
        return path.rsplit('/').next().filter(|s| !s.is_empty()).map(str::to_string);
    }
    id.split_whitespace().next().map(str::to_string)
}

/// Build the test binaries of `suites` once. A suite that does not compile becomes a
/// [`BuildError`] with the compiler's messages; the others are built and returned.
pub fn build(ws: &Workspace, suites: &[String], release: bool) -> Result<Build> {
    let mut remaining: Vec<String> = suites.to_vec();
    let mut result = Build::default();
    // cargo stops at the first package that fails: build again without it until the rest
    // builds (at most once per failing suite).
    loop {
        if remaining.is_empty() {
            break;
        }
        let attempt = build_once(ws, &remaining, release)?;
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

fn build_once(ws: &Workspace, suites: &[String], release: bool) -> Result<Attempt> {
    let mut cmd = Command::new(cargo());
    cmd.current_dir(&ws.root)
        .args(["test", "--no-run", "--no-fail-fast", "--tests", "--message-format", "json-diagnostic-rendered-ansi"]);
    if release {
        cmd.arg("--release");
    }
    for s in suites {
        cmd.args(["-p", s]);
    }
    let out = cmd
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .context("running `cargo test --no-run`")?;
    let mut att = Attempt {
        success: out.status.success(),
        binaries: Vec::new(),
        failed: BTreeMap::new(),
        stderr_tail: tail(&String::from_utf8_lossy(&out.stderr), 30),
    };
    for line in out.stdout.split(|&b| b == b'\n') {
        let Ok(msg) = serde_json::from_slice::<CargoMsg>(line) else { continue };
        match msg.reason.as_str() {
            "compiler-artifact" => {
                let (Some(t), Some(exe), Some(p), Some(pid)) = (msg.target, msg.executable, msg.profile, msg.package_id)
                else {
                    continue;
                };
                if !p.test || !t.kind.iter().any(|k| k == "test") {
                    continue;
                }
                let Some(suite) = package_name(&pid, ws) else { continue };
                if !suites.contains(&suite) {
                    continue;
                }
                att.binaries.push(TestBinary {
                    id: format!("{suite}::{}", t.name),
                    serial: t.name.starts_with("global_"),
                    suite,
                    path: exe,
                });
            }
            "compiler-message" => {
                let (Some(pid), Some(m)) = (msg.package_id, msg.message) else { continue };
                if m.level != "error" {
                    continue;
                }
                let Some(suite) = package_name(&pid, ws) else { continue };
                let text = strip_ansi(m.rendered.as_deref().unwrap_or("error"));
                let e = att.failed.entry(suite).or_default();
                if e.lines().count() < 60 {
                    e.push_str(&text);
                }
            }
            "build-finished" => {
                if let Some(s) = msg.success {
                    att.success = att.success && s;
                }
            }
            _ => {}
        }
    }
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
        let ws = Workspace {
            root: "/w".into(),
            target_dir: "/w/target".into(),
            suites: [("fds".to_string(), PathBuf::from("/w/suites/fds"))].into_iter().collect(),
        };
        assert_eq!(package_name("path+file:///w/suites/fds#0.1.0", &ws).as_deref(), Some("fds"));
        assert_eq!(package_name("path+file:///w/suites/x#fds@0.1.0", &ws).as_deref(), Some("fds"));
        assert_eq!(package_name("fds 0.1.0 (path+file:///w/suites/fds)", &ws).as_deref(), Some("fds"));
    }
}
