//! The generated page of the claims library, docs/claims/README.md: application × target
//! verdicts, every verdict that is not HOLDS with its reason, each application's claims with
//! the line of its source that relies on them, and the gaps (claims no test checks yet).
//!
//! `ipcspec verify <files>... --readme <dir>/README.md` writes it after the run. The verdicts
//! are kept in `<dir>/verdicts.json` next to the page, so that targets verified by separate
//! runs (the host now, a VM later) all appear: a run replaces the cells of the columns it ran
//! and keeps the others, and drops the cells of claims that no longer exist. A cell never
//! verified says so ("not run"); the page names the command that refreshes it.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::verify::{ClaimResult, Loaded, Verdict};

pub const STORE_SCHEMA: &str = "ipcspec-claims-verdicts/1";
pub const STORE_FILE: &str = "verdicts.json";
pub const NOTES_FILE: &str = "notes.md";

/// The page with the notes inserted before the first application's section.
fn with_notes(page: &str, notes: &str) -> String {
    let at = page.find("\n## ").and_then(|first| {
        // The sections before the applications: Targets, Application × target, Verdicts other than HOLDS.
        page[first + 1..].match_indices("\n## ").nth(2).map(|(i, _)| first + 1 + i)
    });
    let block = format!("\n## Notes on the verdicts\n\n{}\n", notes.trim());
    match at {
        Some(i) => format!("{}{block}{}", &page[..i], &page[i..]),
        None => format!("{page}{block}"),
    }
}

/// What the page knows of a column: the kernel the tests saw and when it was verified.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernel: Option<String>,
    pub verified_at: String,
    /// Where the verdicts came from when not from a verify run (`verify --results`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
}

/// The verdicts behind the page (docs/claims/verdicts.json).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Store {
    pub schema: String,
    pub columns: BTreeMap<String, ColumnInfo>,
    pub verdicts: Vec<ClaimResult>,
}

/// The store after a run: the run's cells replace those of the same file, claim and column;
/// cells of claims that are no longer in any file, or that no longer name that column, go.
pub fn merge(old: Option<Store>, files: &[Loaded], rs: &[ClaimResult], ran: &BTreeMap<String, ColumnInfo>) -> Store {
    let mut st = old.unwrap_or_default();
    st.schema = STORE_SCHEMA.into();
    let exists = |r: &ClaimResult| {
        files.iter().any(|l| {
            l.key == r.file && l.file.claims.iter().any(|c| c.name == r.claim)
        })
    };
    st.verdicts.retain(|r| exists(r) && !rs.iter().any(|n| n.file == r.file && n.claim == r.claim && n.column == r.column));
    st.verdicts.extend(rs.iter().cloned());
    st.verdicts.sort_by(|a, b| (&a.file, &a.claim, &a.column).cmp(&(&b.file, &b.claim, &b.column)));
    for (k, v) in ran {
        st.columns.insert(k.clone(), v.clone());
    }
    st.columns.retain(|k, _| st.verdicts.iter().any(|r| &r.column == k));
    st
}

/// Read the store next to the page; a missing file is an empty store, a broken one an error.
pub fn read_store(dir: &Path) -> Result<Option<Store>, String> {
    let p = dir.join(STORE_FILE);
    match std::fs::read(&p) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("reading {}: {e}", p.display())),
        Ok(b) => {
            let st: Store = serde_json::from_slice(&b).map_err(|e| format!("{}: {e}", p.display()))?;
            if st.schema != STORE_SCHEMA {
                return Err(format!("{}: schema {:?}, expected {STORE_SCHEMA:?}", p.display(), st.schema));
            }
            Ok(Some(st))
        }
    }
}

/// Merge the run into the store next to `readme`, write both.
pub fn write(readme: &Path, files: &[Loaded], rs: &[ClaimResult], ran: &BTreeMap<String, ColumnInfo>) -> Result<Store, String> {
    let dir = readme.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let st = merge(read_store(dir)?, files, rs, ran);
    let json = serde_json::to_string_pretty(&st).map_err(|e| e.to_string())? + "\n";
    crate::util::write_atomic(&dir.join(STORE_FILE), json.as_bytes()).map_err(|e| format!("writing {}: {e}", dir.join(STORE_FILE).display()))?;
    let mut page = render(files, &st);
    // What the verdicts mean, in people's words: <dir>/notes.md, when it exists, follows the
    // table of verdicts other than HOLDS.
    let notes_path = dir.join(NOTES_FILE);
    match std::fs::read_to_string(&notes_path) {
        Ok(notes) => page = with_notes(&page, &notes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("reading {}: {e}", notes_path.display())),
    }
    crate::util::write_atomic(readme, page.as_bytes()).map_err(|e| format!("writing {}: {e}", readme.display()))?;
    Ok(st)
}

/// The columns of the page, in a stable order: the host first, then the VMs by kernel, then
/// containers and sandboxes; a user column right after its target.
fn ordered_columns(files: &[Loaded], st: &Store) -> Vec<String> {
    let mut cols: Vec<String> = Vec::new();
    for l in files {
        for n in l.declared.values().flatten() {
            if !cols.contains(n) {
                cols.push(n.clone());
            }
        }
    }
    for r in &st.verdicts {
        if !cols.contains(&r.column) {
            cols.push(r.column.clone());
        }
    }
    let rank = |c: &str| -> (u8, Vec<u32>, String) {
        let (t, user) = c.split_once('/').map_or((c, ""), |(a, b)| (a, b));
        let kind = if t == "host" {
            0
        } else if t.starts_with("vm:") {
            1
        } else if t.starts_with("docker:") {
            2
        } else {
            3
        };
        let nums: Vec<u32> = t.trim_start_matches("vm:").split(['.', '+']).map_while(|p| p.parse().ok()).collect();
        (kind, nums, format!("{t}/{user}"))
    };
    cols.sort_by_key(|c| rank(c));
    cols
}

fn short(v: Verdict) -> &'static str {
    match v {
        Verdict::Holds => "HOLDS",
        Verdict::Partly => "PARTLY",
        Verdict::Unverified => "UNVERIFIED",
        Verdict::DoesNotHold => "**DOES NOT HOLD**",
        Verdict::Fails => "**FAILS**",
    }
}

/// Markdown-safe one line.
fn cell(s: &str) -> String {
    s.lines().next().unwrap_or("").replace('|', "\\|")
}

/// A table's head row and its separator: the fixed headings, then one per column (target).
fn table_head(t: &mut String, headings: &[&str], cols: &[String]) {
    let heads: Vec<&str> = headings.iter().copied().chain(cols.iter().map(String::as_str)).collect();
    let _ = writeln!(t, "| {} |\n|{}", heads.join(" | "), "---|".repeat(heads.len()));
}

/// The application's source as a link to the commit read, when the file names both.
fn source_link(l: &Loaded, src: &str) -> String {
    let path = src.split([':', ' ']).next().unwrap_or("");
    match &l.file.repository {
        Some(repo) if path.contains('/') || path.contains('.') => {
            let rest = &src[path.len()..];
            let commit = l.file.commit.as_deref().unwrap_or("HEAD");
            // `file.c:41 f()`: the link goes to the line.
            let line: String = rest.strip_prefix(':').unwrap_or("").chars().take_while(char::is_ascii_digit).collect();
            let anchor = if line.is_empty() { String::new() } else { format!("#L{line}") };
            format!("[`{path}`](https://github.com/{repo}/blob/{commit}/{path}{anchor}){}", cell(rest))
        }
        _ => format!("`{}`", cell(src)),
    }
}

/// The page.
pub fn render(files: &[Loaded], st: &Store) -> String {
    let cols = ordered_columns(files, st);
    let get = |file: &str, claim: &str, col: &str| st.verdicts.iter().find(|r| r.file == file && r.claim == claim && r.column == col);
    let mut t = String::new();
    let _ = writeln!(t, "# Applications' IPC claims, verified\n");
    let _ = writeln!(
        t,
        "<!-- Generated by `ipcspec verify --readme`: do not edit; edit the claims files and run the command below. -->\n"
    );
    let _ = writeln!(
        t,
        "Each `*.toml` here states what one application relies on — with the line of its source that relies on it — as \
         claims bound to this repository's tests (format: docs/runner.md, \"verify\"). This page is generated from \
         those files and the verdicts of the last runs (kept in `{STORE_FILE}`). Refresh one or more targets with:\n"
    );
    let _ = writeln!(
        t,
        "```sh\nflock /tmp/ipcspec-heavy.lock ./target/release/ipcspec verify docs/claims/*.toml --targets host,vm:5.10,docker:default --readme docs/claims/README.md\n\
         # or, running nothing, from the results.json of matrix runs:\n\
         ./target/release/ipcspec verify docs/claims/*.toml --results results/matrix/results.json --readme docs/claims/README.md\n```\n"
    );
    let _ = writeln!(
        t,
        "A run replaces the cells of the targets it ran and keeps the others. Verdicts: **HOLDS** (every test passed with a \
         variant the application accepts), **PARTLY** (none failed, some skipped), **UNVERIFIED** (all skipped: not shown \
         to hold), **DOES NOT HOLD** (the tests pass, but show that the feature is not there, or a variant the application \
         does not accept), **FAILS** (a test failed). \"not run\": no run has verified that target yet.\n"
    );
    // Columns.
    let _ = writeln!(t, "## Targets\n\n| target | kernel | verified | by |\n|---|---|---|---|");
    for c in &cols {
        match st.columns.get(c) {
            Some(i) => {
                let by = i.from.as_deref().map_or("a verify run".to_string(), cell);
                let _ = writeln!(t, "| {c} | {} | {} | {by} |", i.kernel.as_deref().unwrap_or("?"), i.verified_at);
            }
            None => {
                let _ = writeln!(t, "| {c} | — | not run | — |");
            }
        }
    }
    // Summary.
    let _ = writeln!(t, "\n## Application × target\n");
    table_head(&mut t, &["application", "claims (tested + gaps)"], &cols);
    for l in files {
        let name = l.file.application.as_deref().unwrap_or(&l.key);
        let _ = write!(t, "| [{name}](#{}) | {} + {} |", anchor(name), l.file.claims.len(), l.file.untested.len());
        for col in &cols {
            let rs: Vec<&ClaimResult> = l.file.claims.iter().filter_map(|c| get(&l.key, &c.name, col)).collect();
            let claimed = l.declared.values().filter(|cs| cs.contains(col)).count();
            if rs.is_empty() {
                let _ = write!(t, " {} |", if claimed == 0 { "—" } else { "not run" });
                continue;
            }
            let mut parts: Vec<String> = Vec::new();
            for v in [Verdict::Holds, Verdict::Partly, Verdict::Unverified, Verdict::DoesNotHold, Verdict::Fails] {
                let n = rs.iter().filter(|r| r.verdict == v).count();
                if n > 0 {
                    parts.push(format!("{n} {}", short(v)));
                }
            }
            let _ = write!(t, " {} |", parts.join(", "));
        }
        t.push('\n');
    }
    // Every verdict that is not HOLDS.
    let _ = writeln!(t, "\n## Verdicts other than HOLDS, and why\n");
    let mut any = false;
    for l in files {
        let name = l.file.application.as_deref().unwrap_or(&l.key);
        for c in &l.file.claims {
            for col in &cols {
                let Some(r) = get(&l.key, &c.name, col) else { continue };
                if r.verdict == Verdict::Holds {
                    continue;
                }
                if !any {
                    let _ = writeln!(t, "| application | claim | target | verdict | why |\n|---|---|---|---|---|");
                    any = true;
                }
                let why = r.reason.clone().unwrap_or_else(|| "no reason recorded".into());
                let _ = writeln!(t, "| {name} | {} | {col} | {} | {} |", cell(&c.name), short(r.verdict), cell(&why));
            }
        }
    }
    if !any {
        let _ = writeln!(t, "None: every verified cell HOLDS.");
    }
    // Per application.
    for l in files {
        let name = l.file.application.as_deref().unwrap_or(&l.key);
        let _ = writeln!(t, "\n## {name}\n");
        let _ = write!(t, "`{}`", l.path.display());
        if let Some(repo) = &l.file.repository {
            let _ = write!(t, " · source: [{repo}](https://github.com/{repo})");
            if let Some(c) = &l.file.commit {
                let _ = write!(t, " at `{}`", &c[..c.len().min(12)]);
            }
        }
        let _ = writeln!(t, "\n");
        table_head(&mut t, &["claim", "relied on in", "tests"], &cols);
        for c in &l.file.claims {
            let sel: Vec<String> = c.patterns.iter().map(|p| format!("`{}`", p.text)).chain(c.excludes.iter().map(|p| format!("not `{}`", p.text))).collect();
            let mut sel = sel.join(" ");
            if let Some(a) = &c.accept {
                let _ = write!(sel, " accepts {}", a.join(", "));
            }
            let src = c.source.as_deref().map_or("—".to_string(), |s| source_link(l, s));
            let _ = write!(t, "| {} | {src} | {sel} |", cell(&c.name));
            for col in &cols {
                let v = match get(&l.key, &c.name, col) {
                    Some(r) => {
                        let n = r.tests;
                        format!("{} ({n})", short(r.verdict))
                    }
                    None if l.declared.get(&c.name).is_some_and(|cs| cs.contains(col)) => "not run".into(),
                    None => "—".into(),
                };
                let _ = write!(t, " {v} |");
            }
            t.push('\n');
        }
        if !l.file.untested.is_empty() {
            let _ = writeln!(t, "\nNo test yet:\n");
            for u in &l.file.untested {
                let src = u.source.as_deref().map_or(String::new(), |s| format!(" ({})", source_link(l, s)));
                let _ = writeln!(t, "- {}{src}: {}", cell(&u.name), cell(&u.missing));
            }
        }
    }
    // Gaps.
    let _ = writeln!(t, "\n## Gaps: what applications rely on and no test checks yet\n");
    let mut n = 0;
    for l in files {
        let name = l.file.application.as_deref().unwrap_or(&l.key);
        for u in &l.file.untested {
            n += 1;
            let _ = writeln!(t, "{n}. **{name}** — {}: {}", cell(&u.name), cell(&u.missing));
        }
    }
    if n == 0 {
        let _ = writeln!(t, "None.");
    }
    t
}

/// GitHub's heading anchor for a plain heading.
fn anchor(s: &str) -> String {
    s.to_lowercase().chars().filter_map(|c| if c.is_alphanumeric() || c == '-' || c == '_' { Some(c) } else if c == ' ' { Some('-') } else { None }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims;

    fn loaded(key: &str, text: &str) -> Loaded {
        let file = claims::parse(text).unwrap();
        let declared = file.claims.iter().map(|c| (c.name.clone(), c.columns.iter().map(|x| x.name()).collect())).collect();
        Loaded { path: format!("docs/claims/{key}.toml").into(), key: key.into(), file, declared }
    }

    fn verdict(file: &str, claim: &str, column: &str, v: Verdict, reason: Option<&str>) -> ClaimResult {
        ClaimResult {
            file: file.into(),
            claim: claim.into(),
            column: column.into(),
            verdict: v,
            tests: 2,
            passed: 2,
            skipped: 0,
            reason: reason.map(str::to_string),
            details: vec![],
            variants: vec![],
        }
    }

    const APP: &str = r#"
application = "Demo Server"
repository = "demo/server"
commit = "0123456789abcdef0123456789abcdef01234567"
targets = ["host", "vm:5.10", "vm:6.12"]
[[claim]]
name = "pipes are atomic"
source = "src/log.c:12 write_record()"
tests = ["pipes::atomicity::*"]
[[claim]]
name = "pwait2"
tests = ["epoll::waiting::*"]
[[claim]]
name = "a gap"
source = "src/x.c: f()"
no_test = "nothing checks f's reliance"
"#;

    /// Separate runs add up: the host's run, then vm:5.10's, both on the page; a target not
    /// run says so; every verdict but HOLDS is listed with its reason; the gaps are listed.
    #[test]
    fn runs_of_different_targets_add_up_on_the_page() {
        let files = vec![loaded("demo", APP)];
        let info = |k: &str| BTreeMap::from([(k.to_string(), ColumnInfo { kernel: Some("6.1.0".into()), verified_at: "2026-12-07".into(), from: None })]);
        let st = merge(None, &files, &[verdict("demo", "pipes are atomic", "host", Verdict::Holds, None), verdict("demo", "pwait2", "host", Verdict::Holds, None)], &info("host"));
        let st = merge(
            Some(st),
            &files,
            &[verdict("demo", "pipes are atomic", "vm:5.10", Verdict::Holds, None), verdict("demo", "pwait2", "vm:5.10", Verdict::DoesNotHold, Some("absent: ENOSYS"))],
            &info("vm:5.10"),
        );
        assert_eq!(st.verdicts.len(), 4);
        assert_eq!(st.columns.keys().collect::<Vec<_>>(), ["host", "vm:5.10"]);
        let page = render(&files, &st);
        assert!(page.contains("| [Demo Server](#demo-server) | 2 + 1 | 2 HOLDS | 1 HOLDS, 1 **DOES NOT HOLD** | not run |"), "{page}");
        assert!(page.contains("| Demo Server | pwait2 | vm:5.10 | **DOES NOT HOLD** | absent: ENOSYS |"), "{page}");
        assert!(page.contains("[`src/log.c`](https://github.com/demo/server/blob/0123456789abcdef0123456789abcdef01234567/src/log.c#L12):12 write_record()"), "{page}");
        assert!(page.contains("1. **Demo Server** — a gap: nothing checks f's reliance"), "{page}");
        assert!(page.contains("| vm:6.12 | — | not run | — |"), "{page}");
        // A rerun of the host replaces its cells; a claim removed from the file disappears.
        let files2 = vec![loaded("demo", &APP.replace("[[claim]]\nname = \"pwait2\"\ntests = [\"epoll::waiting::*\"]\n", ""))];
        let st = merge(Some(st), &files2, &[verdict("demo", "pipes are atomic", "host", Verdict::Fails, Some("FAIL x"))], &info("host"));
        assert_eq!(st.verdicts.len(), 2, "{:?}", st.verdicts);
        assert_eq!(st.verdicts.iter().find(|r| r.column == "host").unwrap().verdict, Verdict::Fails);
        // The store round-trips through its file.
        let dir = tempfile::tempdir().unwrap();
        let readme = dir.path().join("README.md");
        write(&readme, &files2, &[], &BTreeMap::new()).unwrap();
        std::fs::write(dir.path().join(STORE_FILE), serde_json::to_string(&st).unwrap()).unwrap();
        let back = read_store(dir.path()).unwrap().unwrap();
        assert_eq!(back.verdicts.len(), 2);
        std::fs::write(dir.path().join(STORE_FILE), "{").unwrap();
        assert!(read_store(dir.path()).is_err());
    }

    #[test]
    fn notes_go_after_the_verdicts_table() {
        let page = "# T\n\n## Targets\nx\n## Application × target\ny\n## Verdicts other than HOLDS, and why\nz\n## App\nw\n";
        let out = with_notes(page, "Because.\n");
        assert_eq!(out, "# T\n\n## Targets\nx\n## Application × target\ny\n## Verdicts other than HOLDS, and why\nz\n## Notes on the verdicts\n\nBecause.\n\n## App\nw\n");
    }

    #[test]
    fn columns_are_ordered_host_vms_by_kernel_then_containers() {
        let files = vec![loaded("demo", &APP.replace("targets = [\"host\", \"vm:5.10\", \"vm:6.12\"]", "targets = [\"gvisor\", \"docker:default\", \"vm:6.12\", \"vm:5.10\", \"host/nobody\", \"host\"]"))];
        let cols = ordered_columns(&files, &Store::default());
        assert_eq!(cols[..5], ["host", "host/nobody", "vm:5.10", "vm:6.12", "docker:default"]);
        assert!(cols[5].starts_with("gvisor"), "{cols:?}");
    }
}
