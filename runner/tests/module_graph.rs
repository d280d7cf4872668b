//! The runner's module graph stays a tree of layers (issue 14; DESIGN.md "Runner
//! structure"): no import loop anywhere in runner/src, no target imports another target or
//! the registry, and nothing but the registry (runner/src/targets/mod.rs) names a target —
//! so a new target is its own file plus one line in the registry.
//!
//! The graph is read from the sources: every `crate::a::b::…` path outside comments (in
//! `use` lists too: `use crate::{a, b::c}`) is an edge from the file's module to the longest
//! module that path names. Nodes are files: `src/a.rs` and `src/a/mod.rs` are `a`,
//! `src/a/b.rs` is `a::b`.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

type Graph = BTreeMap<String, BTreeSet<String>>;

/// `src/a/b.rs` -> `a::b`; `src/a/mod.rs` -> `a`; lib.rs -> `crate`.
fn module_of(rel: &Path) -> String {
    let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    let last = parts.pop().unwrap_or_default();
    let stem = last.trim_end_matches(".rs");
    if stem != "mod" && stem != "lib" {
        parts.push(stem.to_string());
    }
    if parts.is_empty() { "crate".to_string() } else { parts.join("::") }
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The source without comments (line comments, doc comments, block comments) and without
/// string literals, so that a path in prose or in a message is no edge.
fn code_only(src: &str) -> String {
    let b = src.as_bytes();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'/' && b.get(i + 1) == Some(&b'/') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
            i += 2;
            while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                i += 1;
            }
            i += 2;
        } else if b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else if b[i] == b'\'' && b.get(i + 2) == Some(&b'\'') {
            // A char literal such as '"' (lifetimes have no closing quote there).
            i += 3;
        } else {
            out.push(b[i] as char);
            i += 1;
        }
    }
    out
}

/// Every path a source names after `crate::`, expanding `crate::{a, b::{c, d}}` groups.
fn crate_paths(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().last();
        rest = &rest[at + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue; // `ipcspec_crate::` or similar: not ours
        }
        expand("", rest, &mut out);
    }
    out
}

/// Paths of a `use` tree starting at `s` (after `crate::`), each prefixed with `prefix`.
fn expand(prefix: &str, s: &str, out: &mut Vec<String>) {
    if let Some(inner) = s.strip_prefix('{') {
        // A group: split at top-level commas up to the matching brace.
        let mut depth = 0;
        let mut start = 0;
        for (i, c) in inner.char_indices() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => {
                    expand(prefix, inner[start..i].trim(), out);
                    return;
                }
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    expand(prefix, inner[start..i].trim(), out);
                    start = i + 1;
                }
                _ => {}
            }
        }
        return;
    }
    let end = s.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':')).unwrap_or(s.len());
    let path = s[..end].trim_end_matches(':');
    let full = if prefix.is_empty() { path.to_string() } else { format!("{prefix}::{path}") };
    if s[end..].starts_with('{') && s[..end].ends_with("::") {
        expand(&full, &s[end..], out);
    } else if !full.is_empty() {
        out.push(full);
    }
}

/// The runner's module graph.
fn graph() -> Graph {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let modules: BTreeSet<String> = files.iter().map(|f| module_of(f.strip_prefix(&src).unwrap())).collect();
    let mut g = Graph::new();
    for f in &files {
        let rel = f.strip_prefix(&src).unwrap();
        if rel == Path::new("main.rs") {
            continue; // the binary: it uses the library from outside
        }
        let from = module_of(rel);
        let code = code_only(&fs::read_to_string(f).unwrap());
        let edges = g.entry(from.clone()).or_default();
        for p in crate_paths(&code) {
            // The longest prefix of the path that is a module.
            let parts: Vec<&str> = p.split("::").collect();
            let to = (1..=parts.len()).rev().map(|n| parts[..n].join("::")).find(|m| modules.contains(m));
            if let Some(to) = to
                && to != from
            {
                edges.insert(to);
            }
        }
    }
    g
}

/// A cycle of `g`, if it has one (depth-first search, the path on the stack).
fn find_cycle(g: &Graph) -> Option<Vec<String>> {
    fn visit(n: &str, g: &Graph, state: &mut BTreeMap<String, u8>, stack: &mut Vec<String>) -> Option<Vec<String>> {
        state.insert(n.to_string(), 1);
        stack.push(n.to_string());
        for m in g.get(n).into_iter().flatten() {
            match state.get(m.as_str()).copied().unwrap_or(0) {
                1 => {
                    let from = stack.iter().position(|s| s == m).unwrap_or(0);
                    let mut c = stack[from..].to_vec();
                    c.push(m.clone());
                    return Some(c);
                }
                0 => {
                    if let Some(c) = visit(m, g, state, stack) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(n.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in g.keys() {
        if state.get(n.as_str()).copied().unwrap_or(0) == 0
            && let Some(c) = visit(n, g, &mut state, &mut Vec::new())
        {
            return Some(c);
        }
    }
    None
}

#[test]
fn runner_modules_have_no_import_loop() {
    let g = graph();
    assert!(g.len() > 30, "the graph looks empty: {g:?}");
    if let Some(c) = find_cycle(&g) {
        panic!("runner/src has an import loop: {}", c.join(" -> "));
    }
}

#[test]
fn targets_depend_on_shared_modules_only_and_only_the_registry_names_them() {
    let g = graph();
    let targets: Vec<&String> = g.keys().filter(|m| m.starts_with("targets::")).collect();
    assert!(targets.len() >= 3, "{targets:?}");
    for t in &targets {
        for to in &g[*t] {
            assert!(to != "targets" && !to.starts_with("targets::"), "{t} imports {to}: a target depends on the shared modules only");
        }
    }
    for (from, tos) in &g {
        if from == "targets" || from.starts_with("targets::") {
            continue;
        }
        for to in tos {
            assert!(!to.starts_with("targets::"), "{from} names the target {to}: only the registry (targets/mod.rs) may");
        }
    }
}

#[test]
fn the_graph_reader_sees_what_it_must() {
    let code = code_only(
        "use crate::a::B;\nuse crate::{c, d::{e, f::G}};\n// crate::comment::x\nlet s = \"crate::string\";\nx(crate::h::i());\nmy_crate::j;",
    );
    let mut p = crate_paths(&code);
    p.sort();
    assert_eq!(p, ["a::B", "c", "d::e", "d::f::G", "h::i"]);
    let mut g = Graph::new();
    g.entry("a".into()).or_default().insert("b".into());
    g.entry("b".into()).or_default().insert("c".into());
    g.entry("c".into()).or_default();
    assert_eq!(find_cycle(&g), None);
    g.get_mut("c").unwrap().insert("a".into());
    assert_eq!(find_cycle(&g), Some(vec!["a".into(), "b".into(), "c".into(), "a".into()]));
    assert_eq!(module_of(Path::new("targets/mod.rs")), "targets");
    assert_eq!(module_of(Path::new("container/run.rs")), "container::run");
    assert_eq!(module_of(Path::new("lib.rs")), "crate");
}
