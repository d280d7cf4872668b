//! The claims catalog: every test with its claim and cited source, read from the `///` doc
//! comments of the test functions in suites/*/tests/*.rs (parsed with syn, so modules,
//! attributes and rstest cases are understood, not pattern-matched).
//!
//! Each entry also lists the variants the test may report and what it branches on
//! ([`crate::branches`]).
//!
//! `ipcspec catalog` writes docs/catalog.md and docs/catalog.json (with the other generated
//! pages: [`crate::generated`]); `ipcspec catalog --check` (and the runner's test
//! `catalog_is_fresh`) fails when they differ from what the sources say, or when a test
//! branches on the environment without reporting a variant. Output is sorted and has no
//! timestamps, so it only changes when a test does.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::branches::{self, Declared, Helpers};

pub const CATALOG_SCHEMA: &str = "ipcspec-catalog/1";

/// One test function.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// `<suite>::<file>::<fn>` (with module path if nested). rstest cases add `::<case>`.
    pub id: String,
    pub suite: String,
    pub file: String,
    /// The doc comment, paragraphs kept, lines joined.
    pub claim: String,
    /// Citations found in the claim: man pages (`pipe(7)`), POSIX, kernel commits.
    pub sources: Vec<String>,
    /// Path relative to the workspace root, and line.
    pub location: String,
    /// Named rstest cases (`#[case::name(..)]`), if any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cases: Vec<String>,
    /// The test is parametrised (rstest cases or values): its ids carry a case suffix.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub parametrised: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub ignored: bool,
    /// The variants the test may report (fixtures::variant), lacking ones marked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variants: Vec<Declared>,
    /// What in the environment the test branches on (kernel version, capabilities, ...),
    /// helpers of its suite included.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub branches_on: Vec<String>,
    /// Why its branches do not change what it asserts (a `// variant: none` comment).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_variant: Option<String>,
    /// It branches on the environment but reports no variant (`catalog --check` fails).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub silent: bool,
}

/// The whole catalog.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Catalog {
    pub schema: String,
    pub tests: Vec<Entry>,
    /// Files that could not be parsed (a suite being edited): path and error.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
}

impl Catalog {
    /// The entry whose test a result id belongs to (the id itself, or the function of an
    /// rstest case: `name::case_1_x` belongs to `name`).
    pub fn lookup(&self, id: &str) -> Option<&Entry> {
        let mut best: Option<&Entry> = None;
        for e in &self.tests {
            if (id == e.id || id.starts_with(&format!("{}::", e.id)))
                && best.is_none_or(|b| e.id.len() > b.id.len()) {
                    best = Some(e);
                }
        }
        best
    }

    pub fn by_suite(&self) -> BTreeMap<&str, Vec<&Entry>> {
        let mut m: BTreeMap<&str, Vec<&Entry>> = BTreeMap::new();
        for e in &self.tests {
            m.entry(e.suite.as_str()).or_default().push(e);
        }
        m
    }
}

/// The shared parameter sets, relative to the workspace.
const SHARED_CASES: &str = "fixtures/src/cases.rs";

/// Scan every suites/<suite>/tests/*.rs under `root`.
pub fn scan(root: &Path) -> Catalog {
    let mut cat = Catalog { schema: CATALOG_SCHEMA.into(), ..Default::default() };
    let Ok(suites) = fs::read_dir(root.join("suites")) else {
        cat.errors.push(format!("{}: no suites directory", root.join("suites").display()));
        return cat;
    };
    // Each test file, parsed once: its helpers are collected first (a test may call one
    // defined further down or in another file), then its tests.
    let mut files: Vec<(String, PathBuf, Result<Parsed, String>)> = Vec::new();
    let mut helpers: BTreeMap<String, Helpers> = BTreeMap::new();
    // The parameter sets several suites share (fixtures/src/cases.rs, rstest_reuse templates):
    // every suite sees them beside its own.
    let mut shared = Helpers::default();
    if let Ok(src) = fs::read_to_string(root.join(SHARED_CASES))
        && let Ok(parsed) = syn::parse_file(&src)
    {
        branches::collect_helpers(&parsed.items, &src, &mut shared);
    }
    // The fixtures functions that observe and report a named variant for their caller
    // (e.g. `procfs::anon_inode_reopen_errno`): a test that calls one reports those names.
    let mut fixtures_helpers = Helpers::default();
    for p in fs::read_dir(root.join("fixtures/src")).into_iter().flatten().flatten().map(|e| e.path()) {
        if p.extension().is_some_and(|e| e == "rs")
            && let Ok(src) = fs::read_to_string(&p)
            && let Ok(parsed) = syn::parse_file(&src)
        {
            branches::collect_helpers(&parsed.items, &src, &mut fixtures_helpers);
        }
    }
    shared.add_naming_reporters(&fixtures_helpers);
    for s in suites.flatten() {
        let suite = s.file_name().to_string_lossy().into_owned();
        if !s.path().join("Cargo.toml").is_file() {
            continue;
        }
        let h = helpers.entry(suite.clone()).or_insert_with(|| shared.clone());
        for dir in ["src", "tests"] {
            let Ok(entries) = fs::read_dir(s.path().join(dir)) else { continue };
            for t in entries.flatten() {
                let p = t.path();
                if p.extension().is_some_and(|e| e == "rs") && p.is_file() {
                    let parsed = fs::read_to_string(&p).map_err(|e| e.to_string()).and_then(|src| parse(&src).map(|f| (src, f)));
                    if let Ok((src, f)) = &parsed {
                        branches::collect_helpers(&f.items, src, h);
                    }
                    if dir == "tests" {
                        files.push((suite.clone(), p, parsed));
                    }
                }
            }
        }
    }
    files.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    for (suite, path, parsed) in files {
        let rel = path.strip_prefix(root).unwrap_or(&path).display().to_string();
        let file = path.file_stem().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
        let h = helpers.get(&suite).unwrap_or(&shared);
        match parsed {
            Ok((src, f)) => {
                let at = Place { suite: &suite, file: &file, rel: &rel, src: &src, helpers: h };
                walk(&f.items, &mut Vec::new(), &at, &mut cat.tests);
            }
            Err(e) => cat.errors.push(format!("{rel}: {e}")),
        }
    }
    cat.tests.sort_by(|a, b| a.id.cmp(&b.id));
    cat
}

/// A source file's text and its syntax tree.
type Parsed = (String, syn::File);

/// A source file's syntax tree; an error names the line where parsing stopped.
fn parse(src: &str) -> Result<syn::File, String> {
    syn::parse_file(src).map_err(|e| format!("does not parse (line {}): {e}", e.span().start().line))
}

/// The tests of one source file. Pure; a file that does not parse is an error.
pub fn scan_source(suite: &str, file: &str, rel_path: &str, src: &str, helpers: &Helpers) -> Result<Vec<Entry>, String> {
    let parsed = parse(src)?;
    let mut out = Vec::new();
    let at = Place { suite, file, rel: rel_path, src, helpers };
    walk(&parsed.items, &mut Vec::new(), &at, &mut out);
    Ok(out)
}

/// Where the scan is: the suite, the file, its text and its suite's helpers.
struct Place<'a> {
    suite: &'a str,
    file: &'a str,
    rel: &'a str,
    src: &'a str,
    helpers: &'a Helpers,
}

fn walk(items: &[syn::Item], path: &mut Vec<String>, at: &Place, out: &mut Vec<Entry>) {
    for item in items {
        match item {
            syn::Item::Fn(f) => {
                if let Some(e) = entry_of(f, path, at) {
                    out.push(e);
                }
            }
            syn::Item::Mod(m) => {
                if let Some((_, inner)) = &m.content {
                    path.push(m.ident.to_string());
                    walk(inner, path, at, out);
                    path.pop();
                }
            }
            _ => {}
        }
    }
}

fn attr_name(a: &syn::Attribute) -> String {
    a.path().segments.iter().map(|s| s.ident.to_string()).collect::<Vec<_>>().join("::")
}

fn entry_of(f: &syn::ItemFn, path: &[String], at: &Place) -> Option<Entry> {
    let (suite, file, rel) = (at.suite, at.file, at.rel);
    let names: Vec<String> = f.attrs.iter().map(attr_name).collect();
    if !branches::is_test(&f.attrs) {
        return None;
    }
    let resolved = at.helpers.resolve(&branches::scan_text(&branches::fn_text(at.src, &f.sig, &f.block)));
    let mut docs = Vec::new();
    let mut cases = Vec::new();
    for a in &f.attrs {
        let n = attr_name(a);
        if n == "doc" {
            if let syn::Meta::NameValue(nv) = &a.meta
                && let syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }) = &nv.value {
                    docs.push(s.value());
                }
        } else if let Some(case) = n.strip_prefix("case::") {
            cases.push(case.to_string());
        }
    }
    let has_values = f.sig.inputs.iter().any(|i| match i {
        syn::FnArg::Typed(t) => t.attrs.iter().any(|a| {
            let n = attr_name(a);
            n == "values" || n == "case" || n.ends_with("::values")
        }),
        syn::FnArg::Receiver(_) => false,
    });
    let applied = branches::applied_templates(&f.attrs);
    for t in &applied {
        cases.extend(at.helpers.template_cases(t).unwrap_or_default().iter().cloned());
    }
    let parametrised = names.iter().any(|n| n == "case" || n.starts_with("case::")) || has_values || !applied.is_empty();
    let claim = join_doc(&docs);
    let mut full = path.to_vec();
    full.push(f.sig.ident.to_string());
    let line = f.sig.ident.span().start().line;
    Some(Entry {
        id: format!("{suite}::{file}::{}", full.join("::")),
        suite: suite.into(),
        file: file.into(),
        sources: citations(&claim),
        claim,
        location: format!("{rel}:{line}"),
        cases,
        parametrised,
        ignored: names.iter().any(|n| n == "ignore"),
        silent: resolved.is_silent(),
        variants: resolved.reports.into_iter().collect(),
        branches_on: resolved.branches.into_iter().collect(),
        no_variant: resolved.none,
    })
}

/// Doc lines to text: a leading space removed, lines of a paragraph joined with spaces,
/// paragraphs separated by a blank line.
pub fn join_doc(lines: &[String]) -> String {
    let mut paras: Vec<String> = Vec::new();
    let mut cur = String::new();
    for raw in lines.iter().flat_map(|l| l.split('\n')) {
        let l = raw.strip_prefix(' ').unwrap_or(raw).trim_end();
        if l.trim().is_empty() {
            if !cur.is_empty() {
                paras.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(l.trim());
    }
    if !cur.is_empty() {
        paras.push(cur);
    }
    paras.join("\n\n")
}

/// Man page references (`pipe(7)`, `fcntl(2)`), POSIX/SUSv mentions, kernel commits.
pub fn citations(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |s: String| {
        if !out.contains(&s) {
            out.push(s);
        }
    };
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '(' && i > 0 {
            // name: [a-z0-9_.-]+ before '(' ; section: digit [a-z]* then ')'
            let mut s = i;
            while s > 0 && (chars[s - 1].is_ascii_alphanumeric() || matches!(chars[s - 1], '_' | '-' | '.')) {
                s -= 1;
            }
            let mut j = i + 1;
            if j < chars.len() && chars[j].is_ascii_digit() {
                j += 1;
                while j < chars.len() && chars[j].is_ascii_lowercase() {
                    j += 1;
                }
                if j < chars.len() && chars[j] == ')' && s < i {
                    let name: String = chars[s..i].iter().collect();
                    let name = name.trim_start_matches(['.', '-']);
                    if name.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) {
                        let sect: String = chars[i..=j].iter().collect();
                        push(format!("{name}{sect}"));
                    }
                }
            }
        }
        i += 1;
    }
    for word in ["POSIX", "SUSv"] {
        let mut from = 0;
        while let Some(p) = text[from..].find(word) {
            let at = from + p;
            let rest = &text[at..];
            let end = rest.find([',', ';', ':', '"', ')', '\n']).unwrap_or(rest.len()).min(60);
            let end = (0..=end).rev().find(|&e| rest.is_char_boundary(e)).unwrap_or(0);
            push(rest[..end].trim().trim_end_matches('.').to_string());
            from = at + word.len();
        }
    }
    for hash in commit_hashes(text) {
        push(format!("commit {hash}"));
    }
    out
}

/// The kernel commits a text names: the hashes (7 hex digits or more) after `commit `, in
/// any case. Shared by the references above and the kernel changes (kernel_changes.rs).
pub fn commit_hashes(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let lower = text.to_lowercase();
    let mut from = 0;
    while let Some(p) = lower[from..].find("commit ") {
        let at = from + p + "commit ".len();
        let hash: String = text[at..].chars().take_while(|c| c.is_ascii_hexdigit()).collect();
        if hash.len() >= 7 {
            out.push(hash);
        }
        from = at;
    }
    out
}

/// docs/catalog.json.
pub fn to_json(cat: &Catalog) -> String {
    let mut s = serde_json::to_string_pretty(cat).unwrap_or_default();
    s.push('\n');
    s
}

/// docs/catalog.md.
pub fn to_markdown(cat: &Catalog) -> String {
    let mut md = String::new();
    md.push_str("# Claims catalog\n\n");
    md.push_str("Generated by `cargo run -p ipcspec -- catalog` from the doc comments of the tests; do not edit.\n");
    md.push_str("Every test states one claim and cites its source. A parametrised test runs once per case\n");
    md.push_str("(its ids end in `::<case>`).\n\n");
    let by = cat.by_suite();
    md.push_str("| suite | tests | uncited |\n|---|---:|---:|\n");
    for (suite, es) in &by {
        let uncited = es.iter().filter(|e| e.sources.is_empty()).count();
        md.push_str(&format!("| [{suite}](#{suite}) | {} | {uncited} |\n", es.len()));
    }
    md.push_str(&format!("| **all** | **{}** | **{}** |\n\n", cat.tests.len(), cat.tests.iter().filter(|e| e.sources.is_empty()).count()));
    if !cat.errors.is_empty() {
        md.push_str("## Files that could not be read\n\n");
        for e in &cat.errors {
            md.push_str(&format!("- {}\n", md_escape(e)));
        }
        md.push('\n');
    }
    for (suite, es) in &by {
        md.push_str(&format!("## {suite}\n\n"));
        let mut file = "";
        for e in es {
            if e.file != file {
                file = &e.file;
                md.push_str(&format!("### {suite}::{file}\n\n"));
            }
            let name = e.id.split("::").skip(2).collect::<Vec<_>>().join("::");
            md.push_str(&format!("- **`{name}`**"));
            if e.ignored {
                md.push_str(" (ignored)");
            }
            if !e.cases.is_empty() {
                md.push_str(&format!(" — cases: {}", e.cases.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ")));
            } else if e.parametrised {
                md.push_str(" — parametrised");
            }
            md.push('\n');
            let claim = if e.claim.is_empty() { "*(no doc comment: the claim is not stated)*".to_string() } else { md_escape(&e.claim).replace("\n\n", "\n  \n  ") };
            md.push_str(&format!("  {claim}\n"));
            let src = if e.sources.is_empty() { "**none**".to_string() } else { e.sources.join("; ") };
            md.push_str(&format!("  *Source:* {} · `{}`\n", md_escape(&src), e.location));
            if !e.variants.is_empty() {
                let vs: Vec<String> = e.variants.iter().map(|v| if v.lacking { format!("`{}` (lacking)", v.name) } else { format!("`{}`", v.name) }).collect();
                md.push_str(&format!("  *Variants:* {}\n", vs.join(", ")));
            }
            md.push('\n');
        }
    }
    md
}

fn md_escape(s: &str) -> String {
    s.replace('|', "\\|").replace('<', "&lt;").replace('>', "&gt;")
}

/// Tests that branch on the environment without reporting a variant, each with what it
/// branches on.
pub fn silent(cat: &Catalog) -> Vec<String> {
    cat.tests
        .iter()
        .filter(|e| e.silent)
        .map(|e| format!("{} ({}) branches on {} but reports no variant", e.id, e.location, e.branches_on.join(", ")))
        .collect()
}

// The pages generated from the catalog (this one, docs/kernel-changes.md, docs/mechanisms.md)
// are written and checked by crate::generated, which sits above this module.

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: &str = r#"
//! module doc
use x::y;

/// fifo(7): "opening the FIFO for writing with O_NONBLOCK fails with ENXIO
/// unless the other end has already been opened".
///
/// Asserted: errno is exactly ENXIO.
#[test]
fn open_wronly_nonblock_fails_enxio() {
    let s = "braces { in strings } and /// fake doc";
}

/// pipe(7), "PIPE_BUF"; POSIX.1-2024, write(): atomic. See commit 0dbf5f20652108106.
#[rstest]
#[case::anonymous(PipeKind::Anonymous)]
#[case::fifo(PipeKind::Fifo)]
fn writes_never_interleave(#[case] kind: PipeKind) {}

#[rstest]
fn spans(#[values(1, 2)] n: u8) {}

fn helper() {}

mod nested {
    /// dup(2).
    #[test]
    #[ignore]
    fn inner() {}
}
"#;

    #[test]
    fn reads_claims_sources_cases() {
        let es = scan_source("pipes", "atomicity", "suites/pipes/tests/atomicity.rs", SRC, &Helpers::default()).unwrap();
        let ids: Vec<&str> = es.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "pipes::atomicity::open_wronly_nonblock_fails_enxio",
                "pipes::atomicity::writes_never_interleave",
                "pipes::atomicity::spans",
                "pipes::atomicity::nested::inner"
            ]
        );
        assert_eq!(
            es[0].claim,
            "fifo(7): \"opening the FIFO for writing with O_NONBLOCK fails with ENXIO unless the other end has already been opened\".\n\nAsserted: errno is exactly ENXIO."
        );
        assert_eq!(es[0].sources, ["fifo(7)"]);
        assert_eq!(es[0].location, "suites/pipes/tests/atomicity.rs:10");
        assert_eq!(es[1].cases, ["anonymous", "fifo"]);
        assert!(es[1].parametrised);
        assert_eq!(es[1].sources, ["pipe(7)", "POSIX.1-2024", "commit 0dbf5f20652108106"]);
        assert!(es[2].parametrised && es[2].sources.is_empty());
        assert!(es[3].ignored);
    }

    #[test]
    fn lookup_finds_the_function_of_a_case() {
        let cat = Catalog {
            schema: CATALOG_SCHEMA.into(),
            tests: scan_source("pipes", "atomicity", "x", SRC, &Helpers::default()).unwrap(),
            errors: vec![],
        };
        assert_eq!(cat.lookup("pipes::atomicity::writes_never_interleave::case_1_anonymous").unwrap().id, "pipes::atomicity::writes_never_interleave");
        assert!(cat.lookup("pipes::atomicity::writes_never").is_none());
    }

    #[test]
    fn a_file_that_does_not_parse_is_an_error() {
        assert!(scan_source("a", "b", "c", "fn x( {", &Helpers::default()).is_err());
    }

    #[test]
    fn citations_are_found() {
        assert_eq!(citations("unix(7) and sendmsg(2), not f(x) or (3)"), ["unix(7)", "sendmsg(2)"]);
        assert_eq!(citations("mq_overview(7); SUSv4"), ["mq_overview(7)", "SUSv4"]);
        assert_eq!(citations("é(7)"), Vec::<String>::new());
    }
}
