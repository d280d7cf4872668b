//! docs/kernel-changes.md: every IPC-visible kernel change the suites test — the mainline
//! version, the commit, the test, and which variant each observed kernel showed — the table a
//! porter reads first.
//!
//! The changes come from the tests' doc comments: a test of a change says so in a line
//!
//! ```text
//! /// Kernel change: 6.5, commit 7b26952a91cf — SO_PEERPIDFD gives a pidfd of the peer.
//! ```
//!
//! (the version first; `commit <hash>` as often as there are commits; the summary after a
//! dash). What each kernel showed comes from a matrix run, kept in
//! docs/kernel-changes-observed.json by `ipcspec catalog --observed <results.json>`, so that
//! the page is a pure function of committed files and `catalog --check` can keep it fresh.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::catalog::Catalog;
use crate::report::ResultsDoc;
use crate::util::markdown_cell as esc;

/// The marker that starts a change's line in a doc comment.
pub const MARKER: &str = "Kernel change:";

pub const OBSERVED_SCHEMA: &str = "ipcspec-kernel-changes-observed/1";

/// One change and the test that checks it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// "6.5"
    pub version: String,
    pub commits: Vec<String>,
    pub summary: String,
    /// The catalog id of the test function.
    pub test: String,
    pub location: String,
}

impl Change {
    fn sort_key(&self) -> (Vec<u32>, String) {
        (self.version.split('.').filter_map(|p| p.parse().ok()).collect(), self.test.clone())
    }
}

/// Every change the catalog's doc comments declare, by version then test.
pub fn changes(cat: &Catalog) -> Vec<Change> {
    let mut out = Vec::new();
    for e in &cat.tests {
        for para in e.claim.split("\n\n") {
            let mut rest = para;
            while let Some(at) = rest.find(MARKER) {
                let after = &rest[at + MARKER.len()..];
                let end = after.find(MARKER).unwrap_or(after.len());
                if let Some(c) = parse_change(&after[..end], &e.id, &e.location) {
                    out.push(c);
                }
                rest = &after[end..];
            }
        }
    }
    out.sort_by_key(Change::sort_key);
    out
}

/// " 6.5, commit 7b26952a91cf — SO_PEERPIDFD gives ..." -> a change (None without a version).
fn parse_change(text: &str, test: &str, location: &str) -> Option<Change> {
    let text = text.trim();
    let version: String = text.chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
    let version = version.trim_end_matches('.').to_string();
    if !version.contains('.') {
        return None;
    }
    let commits = crate::catalog::commit_hashes(text);
    let summary = ["—", " -- ", " - ", ":"]
        .iter()
        .find_map(|d| text.split_once(d).map(|(_, s)| s.trim().to_string()))
        .unwrap_or_default();
    Some(Change { version, commits, summary, test: test.to_string(), location: location.to_string() })
}

/// What each kernel of a matrix run showed for each change's test.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observed {
    pub schema: String,
    /// The run the observations come from.
    pub started_at: String,
    /// Root columns in the run's order: column name and kernel release.
    pub kernels: Vec<(String, String)>,
    /// test function id -> column -> what its cases showed: the variants (several joined
    /// with " / "), or the outcome where a case reported none.
    pub seen: BTreeMap<String, BTreeMap<String, String>>,
}

/// The observations of `doc` for the tests of `changes` (root columns only: a variant of a
/// kernel change does not depend on the user).
pub fn observe(doc: &ResultsDoc, cat: &Catalog, changes: &[Change]) -> Observed {
    let wanted: std::collections::BTreeSet<&str> = changes.iter().map(|c| c.test.as_str()).collect();
    let columns: Vec<&crate::report::ColumnSummary> =
        doc.columns.iter().filter(|c| c.user == crate::model::User::Root).collect();
    let mut seen: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    for row in &doc.tests {
        let Some(entry) = cat.lookup(&row.id) else { continue };
        if !wanted.contains(entry.id.as_str()) {
            continue;
        }
        for c in &columns {
            let Some(cell) = row.cells.get(&c.column) else { continue };
            let what = match &cell.variant {
                Some(v) => v.name.clone(),
                None => cell.outcome.kind().label().to_string(),
            };
            let list = seen.entry(entry.id.clone()).or_default().entry(c.column.clone()).or_default();
            if !list.contains(&what) {
                list.push(what);
            }
        }
    }
    Observed {
        schema: OBSERVED_SCHEMA.into(),
        started_at: doc.started_at.clone(),
        kernels: columns.iter().map(|c| (c.column.clone(), c.kernel_release.clone().unwrap_or_default())).collect(),
        seen: seen.into_iter().map(|(t, cols)| (t, cols.into_iter().map(|(c, l)| (c, l.join(" / "))).collect())).collect(),
    }
}

/// docs/kernel-changes.md.
pub fn to_markdown(changes: &[Change], observed: &Observed) -> String {
    let mut md = String::new();
    md.push_str("# Kernel changes the suites test\n\n");
    md.push_str("Generated by `cargo run -p ipcspec -- catalog` from the tests' doc comments (a line\n");
    md.push_str("`Kernel change: <version>, commit <hash> — <what>`) and from the observations of a matrix run\n");
    md.push_str("(docs/kernel-changes-observed.json, refreshed with `ipcspec catalog --observed results/matrix/results.json`);\n");
    md.push_str("do not edit. A cell is the variant the test reported on that kernel (`present`: the new behaviour;\n");
    md.push_str("`absent`: the kernel does not have it, its documented old behaviour asserted instead), or its\n");
    md.push_str("outcome where it reports none. Debian's stable kernels carry backports: a cell says what the\n");
    md.push_str("kernel did, not what its version number suggests.\n\n");
    let versions: std::collections::BTreeSet<&str> = changes.iter().map(|c| c.version.as_str()).collect();
    md.push_str(&format!("{} changes in {} kernel releases", changes.len(), versions.len()));
    if observed.kernels.is_empty() {
        md.push_str("; no observations yet.\n\n");
    } else {
        md.push_str(&format!("; observed in the run of {}.\n\n", observed.started_at));
    }
    md.push_str("| version | change | commit | test |");
    for (col, release) in &observed.kernels {
        md.push_str(&format!(" `{col}` ({release}) |"));
    }
    md.push_str("\n|---|---|---|---|");
    for _ in &observed.kernels {
        md.push_str("---|");
    }
    md.push('\n');
    for c in changes {
        let commits = if c.commits.is_empty() { "–".to_string() } else { c.commits.iter().map(|h| format!("`{h}`")).collect::<Vec<_>>().join(", ") };
        md.push_str(&format!("| {} | {} | {} | `{}` |", c.version, esc(&c.summary), commits, c.test));
        for (col, _) in &observed.kernels {
            let cell = observed.seen.get(&c.test).and_then(|m| m.get(col)).map(String::as_str).unwrap_or("not run");
            md.push_str(&format!(" {} |", esc(cell)));
        }
        md.push('\n');
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Catalog, Entry};

    fn entry(id: &str, claim: &str) -> Entry {
        Entry {
            id: id.into(),
            suite: id.split("::").next().unwrap().into(),
            file: id.split("::").nth(1).unwrap().into(),
            claim: claim.into(),
            sources: vec![],
            location: "x.rs:1".into(),
            cases: vec![],
            parametrised: false,
            ignored: false,
            variants: vec![],
            branches_on: vec![],
            no_variant: None,
            silent: false,
        }
    }

    #[test]
    fn changes_are_read_from_doc_comments() {
        let cat = Catalog {
            schema: String::new(),
            tests: vec![
                entry("a::b::peerpidfd", "unix(7): SO_PEERPIDFD.\n\nKernel change: 6.5, commit 7b26952a91cf — SO_PEERPIDFD gives a pidfd of the peer."),
                entry("a::b::pwait2", "epoll_wait(2). Kernel change: 5.11 — epoll_pwait2 takes a timespec."),
                entry("a::b::plain", "pipe(7): nothing changed."),
                entry("a::b::two", "Kernel change: 6.9, commit abcdef0 and commit 1234567 - eventfd rejects long writes. Kernel change: 6.10: another."),
            ],
            errors: vec![],
        };
        let cs = changes(&cat);
        let v: Vec<(&str, &str)> = cs.iter().map(|c| (c.version.as_str(), c.test.as_str())).collect();
        assert_eq!(v, [("5.11", "a::b::pwait2"), ("6.5", "a::b::peerpidfd"), ("6.9", "a::b::two"), ("6.10", "a::b::two")]);
        assert_eq!(cs[1].commits, ["7b26952a91cf"]);
        assert_eq!(cs[1].summary, "SO_PEERPIDFD gives a pidfd of the peer.");
        assert_eq!(cs[2].commits, ["abcdef0", "1234567"]);
        assert_eq!(cs[3].summary, "another.");
        let md = to_markdown(&cs, &Observed::default());
        assert!(md.contains("| 6.5 | SO_PEERPIDFD gives a pidfd of the peer. | `7b26952a91cf` | `a::b::peerpidfd` |"), "{md}");
        assert!(md.contains("4 changes in 4 kernel releases; no observations yet."), "{md}");
    }

    #[test]
    fn observations_come_from_root_columns() {
        use crate::model::{Outcome, Variant};
        let mut s = crate::report::tests::session();
        s.columns[0].results[0].variant = Some(Variant { name: "present".into(), lacking: false, detail: String::new() });
        s.columns[1].results[0].variant = Some(Variant { name: "absent".into(), lacking: true, detail: String::new() });
        s.columns[1].results[0].outcome = Outcome::Pass;
        let doc = crate::report::document(&s);
        let cat = Catalog { schema: String::new(), tests: vec![entry("pipes::cap::a", "Kernel change: 6.5 — x")], errors: vec![] };
        let cs = changes(&cat);
        let o = observe(&doc, &cat, &cs);
        assert_eq!(o.kernels.len(), 2);
        assert_eq!(o.seen["pipes::cap::a"]["host"], "present");
        assert_eq!(o.seen["pipes::cap::a"]["vm:5.10"], "absent");
        let md = to_markdown(&cs, &o);
        assert!(md.contains("| 6.5 | x | – | `pipes::cap::a` | present | absent |"), "{md}");
        // What is written is read back as it was.
        assert_eq!(serde_json::from_str::<Observed>(&serde_json::to_string_pretty(&o).unwrap()).unwrap(), o);
    }
}
