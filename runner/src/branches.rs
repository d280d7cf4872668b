//! Which tests branch on the environment, and which variants they report — read from the
//! suites' sources, for `ipcspec catalog` (each test's possible variants) and `catalog
//! --check` (a test that branches on the environment without reporting a variant fails it).
//!
//! A test "branches on the environment" when its body — or a helper of its suite that it
//! calls, a function or a `macro_rules!`, followed transitively — uses one of [`BRANCHES`]:
//! the kernel version, a fix and its backports, the kernel configuration, capabilities, the
//! uid, an environment variable (the container mode), or gates a test on a kernel version
//! with `gate::kernel` (a SKIP that hides an absent feature). It "reports" when it (or such
//! a helper) calls `variant::{observed, lacking, present, absent, blocked, since}`, the
//! `skip_absent!` / `skip_blocked!` / `require_available!` macros, or `needs!` with an item
//! that reports (`kernel`, `config`, `sysctl`, `writable`, `available`); the names it may
//! report are the string literals given to `observed`/`lacking` and the fixed names of the
//! others. A body that branches
//! without changing what it asserts says so with a comment `// variant: none — <why>`.
//!
//! This is a reading of tokens, not of types: it is meant to catch a forgotten report, and
//! the `variant: none` comment is the escape hatch where it is wrong.

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

use proc_macro2::{TokenStream, TokenTree};
use serde::{Deserialize, Serialize};

/// Identifiers that consult the environment a test runs in.
pub const BRANCHES: &[&str] = &[
    "kernel_at_least",
    "kernel_version",
    "kernel_release",
    "has_fix",
    "stable_at_least",
    "stable_patch_level",
    "kernel_config",
    "has_cap",
    "effective_caps",
    "geteuid",
    "getuid",
    "is_root",
    "syscall_available",
    // `env::var` / `env::var_os` and `gate::kernel` are matched with their path.
];

/// The reporting functions of fixtures::variant, and the variant names fixed by each
/// (`observed` and `lacking` take theirs as the first argument).
const REPORTERS: &[(&str, &[(&str, bool)])] = &[
    ("observed", &[]),
    ("lacking", &[]),
    ("present", &[("present", false)]),
    ("absent", &[("absent", true)]),
    ("blocked", &[("blocked", true)]),
    ("since", &[("present", false), ("absent", true)]),
];

/// The variants a facility gate may report: `present` where the facility works, `absent` or
/// `blocked` (lacking) where it does not.
const FACILITY: &[(&str, bool)] = &[("present", false), ("absent", true), ("blocked", true)];

/// Macros that report a variant (and skip where the feature is not there).
const REPORTING_MACROS: &[(&str, &[(&str, bool)])] = &[
    ("skip_absent", &[("absent", true)]),
    ("skip_blocked", &[("blocked", true)]),
    ("require_available", FACILITY),
];

/// Items of `fixtures::needs!` that report (the others — root, cap, other_user, path, gate —
/// are prerequisites whose absence is a plain SKIP), with the names each may report.
const NEEDS_ITEMS: &[(&str, &[(&str, bool)])] = &[
    ("kernel", &[("present", false), ("absent", true)]),
    ("config", &[("present", false), ("absent", true)]),
    ("sysctl", FACILITY),
    ("writable", FACILITY),
    ("available", FACILITY),
];

/// A variant a test may report.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Declared {
    pub name: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub lacking: bool,
}

/// What the tokens of one body say.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scan {
    /// Environment lookups used directly (names from [`BRANCHES`], `env::var`, `gate::kernel`).
    pub branches: BTreeSet<String>,
    /// Variant reports made directly.
    pub reports: BTreeSet<Declared>,
    /// Whether it reports at all (a report with a computed name counts, without a name).
    pub reports_any: bool,
    /// Identifiers followed by `(` or `!`: possible calls of suite helpers.
    pub calls: BTreeSet<String>,
    /// The reason of a `// variant: none — <why>` comment in the body.
    pub none: Option<String>,
}

/// Scan the source text of one body (a function from its signature to its closing brace).
pub fn scan_text(text: &str) -> Scan {
    let mut s = Scan { none: none_comment(text), ..Scan::default() };
    if let Ok(ts) = TokenStream::from_str(text) {
        walk(ts, &mut s);
    }
    s
}

/// Scan a token stream (a `macro_rules!` body).
pub fn scan_tokens(ts: TokenStream) -> Scan {
    let mut s = Scan::default();
    walk(ts, &mut s);
    s
}

fn none_comment(text: &str) -> Option<String> {
    text.lines().find_map(|l| {
        let c = l.trim_start().strip_prefix("//")?.trim_start();
        let rest = c.strip_prefix("variant: none")?;
        Some(rest.trim_start_matches([' ', '-', '—', ':']).trim().to_string())
    })
}

fn walk(ts: TokenStream, s: &mut Scan) {
    let toks: Vec<TokenTree> = ts.into_iter().collect();
    for (i, t) in toks.iter().enumerate() {
        match t {
            TokenTree::Group(g) => walk(g.stream(), s),
            TokenTree::Ident(id) => {
                let name = id.to_string();
                let prev = path_prefix(&toks, i);
                let next = toks.get(i + 1);
                let called = matches!(next, Some(TokenTree::Group(g)) if g.delimiter() == proc_macro2::Delimiter::Parenthesis);
                let bang = matches!(next, Some(TokenTree::Punct(p)) if p.as_char() == '!');
                if BRANCHES.contains(&name.as_str()) {
                    s.branches.insert(name.clone());
                }
                if (name == "var" || name == "var_os") && prev.as_deref() == Some("env") {
                    s.branches.insert(format!("env::{name}"));
                }
                if name == "kernel" && prev.as_deref() == Some("gate") {
                    s.branches.insert("gate::kernel".into());
                }
                if prev.as_deref() == Some("variant")
                    && let Some((_, fixed)) = REPORTERS.iter().find(|(f, _)| *f == name)
                {
                    s.reports_any = true;
                    for (n, lacking) in *fixed {
                        s.reports.insert(Declared { name: n.to_string(), lacking: *lacking });
                    }
                    if (name == "observed" || name == "lacking")
                        && let Some(TokenTree::Group(g)) = next
                        && let Some(lit) = first_string_literal(g.stream())
                    {
                        s.reports.insert(Declared { name: lit, lacking: name == "lacking" });
                    }
                }
                if bang && let Some((_, fixed)) = REPORTING_MACROS.iter().find(|(m, _)| *m == name) {
                    s.reports_any = true;
                    for (n, lacking) in *fixed {
                        s.reports.insert(Declared { name: n.to_string(), lacking: *lacking });
                    }
                }
                if bang && name == "needs" && let Some(TokenTree::Group(g)) = toks.get(i + 2) {
                    for t in g.stream() {
                        if let TokenTree::Ident(item) = t
                            && let Some((_, fixed)) = NEEDS_ITEMS.iter().find(|(n, _)| item == n)
                        {
                            s.reports_any = true;
                            for (n, lacking) in *fixed {
                                s.reports.insert(Declared { name: n.to_string(), lacking: *lacking });
                            }
                        }
                    }
                }
                if called || bang {
                    s.calls.insert(name);
                }
            }
            _ => {}
        }
    }
}

/// The identifier before `::` in front of token `i` (`variant` in `variant::since`).
fn path_prefix(toks: &[TokenTree], i: usize) -> Option<String> {
    if i < 3 {
        return None;
    }
    let colon = |t: &TokenTree| matches!(t, TokenTree::Punct(p) if p.as_char() == ':');
    match &toks[i - 3] {
        TokenTree::Ident(id) if colon(&toks[i - 1]) && colon(&toks[i - 2]) => Some(id.to_string()),
        _ => None,
    }
}

fn first_string_literal(ts: TokenStream) -> Option<String> {
    match ts.into_iter().next()? {
        TokenTree::Literal(l) => {
            let s = l.to_string();
            let inner = s.strip_prefix('"')?.strip_suffix('"')?;
            Some(inner.to_string())
        }
        _ => None,
    }
}

/// The helpers of one suite (functions, methods and macros of its src/ and tests/ files), by
/// name. Two helpers of one name are merged (the scan cannot tell which is meant).
#[derive(Clone, Debug, Default)]
pub struct Helpers {
    by_name: BTreeMap<String, Scan>,
    /// rstest_reuse templates (`#[template]`) by name: their `#[case::name]` names.
    templates: BTreeMap<String, Vec<String>>,
}

impl Helpers {
    /// The case names of the template `name`, if the suite defines one.
    pub fn template_cases(&self, name: &str) -> Option<&[String]> {
        self.templates.get(name).map(Vec::as_slice)
    }

    pub fn add(&mut self, name: &str, scan: Scan) {
        let e = self.by_name.entry(name.to_string()).or_default();
        e.branches.extend(scan.branches);
        e.reports.extend(scan.reports);
        e.reports_any |= scan.reports_any;
        e.calls.extend(scan.calls);
        if e.none.is_none() {
            e.none = scan.none;
        }
    }

    /// Add the helpers of `other` that report a variant they name themselves (`observed` or
    /// `lacking` with a literal): the fixtures functions that make an observation and report it
    /// for the test that calls them, so the test's entry lists those names as its own.
    pub fn add_naming_reporters(&mut self, other: &Helpers) {
        let fixed = |d: &Declared| FACILITY.iter().any(|(n, _)| *n == d.name);
        for (name, scan) in &other.by_name {
            if scan.reports.iter().any(|d| !fixed(d)) {
                self.add(name, scan.clone());
            }
        }
    }

    /// What a body does, its helpers followed transitively: (branches, reports, reports_any).
    /// A helper marked `variant: none` contributes its reports but not its branches.
    pub fn resolve(&self, body: &Scan) -> Resolved {
        let mut r = Resolved {
            branches: if body.none.is_some() { BTreeSet::new() } else { body.branches.clone() },
            reports: body.reports.clone(),
            reports_any: body.reports_any,
            none: body.none.clone(),
        };
        let mut seen: BTreeSet<&str> = BTreeSet::new();
        let mut todo: Vec<&str> = body.calls.iter().map(String::as_str).collect();
        while let Some(name) = todo.pop() {
            if !seen.insert(name) {
                continue;
            }
            let Some(h) = self.by_name.get(name) else { continue };
            if h.none.is_none() && body.none.is_none() {
                r.branches.extend(h.branches.iter().map(|b| format!("{b} (in {name})")));
            }
            r.reports.extend(h.reports.iter().cloned());
            r.reports_any |= h.reports_any;
            todo.extend(h.calls.iter().map(String::as_str));
        }
        r
    }
}

/// A test's environment branches and reports, helpers included.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Resolved {
    pub branches: BTreeSet<String>,
    pub reports: BTreeSet<Declared>,
    pub reports_any: bool,
    pub none: Option<String>,
}

impl Resolved {
    /// Branches on the environment and reports nothing, with no `variant: none` reason.
    pub fn is_silent(&self) -> bool {
        !self.branches.is_empty() && !self.reports_any && self.none.is_none()
    }
}

/// Collect the helpers of a parsed file: every function that is not a test, every method,
/// every `macro_rules!`, in modules too. `src` is the file's text (for bodies and comments).
pub fn collect_helpers(items: &[syn::Item], src: &str, out: &mut Helpers) {
    for item in items {
        match item {
            syn::Item::Fn(f) if has_attr(&f.attrs, "template") => {
                let cases = f.attrs.iter().filter_map(|a| attr_path(a).strip_prefix("case::").map(str::to_string)).collect();
                out.templates.insert(f.sig.ident.to_string(), cases);
            }
            syn::Item::Fn(f) if !is_test(&f.attrs) => {
                out.add(&f.sig.ident.to_string(), scan_text(&fn_text(src, &f.sig, &f.block)));
            }
            syn::Item::Impl(imp) => {
                for it in &imp.items {
                    if let syn::ImplItem::Fn(m) = it {
                        out.add(&m.sig.ident.to_string(), scan_text(&fn_text(src, &m.sig, &m.block)));
                    }
                }
            }
            syn::Item::Macro(m) => {
                if let Some(name) = &m.ident {
                    out.add(&name.to_string(), scan_tokens(m.mac.tokens.clone()));
                }
            }
            syn::Item::Mod(m) => {
                if let Some((_, inner)) = &m.content {
                    collect_helpers(inner, src, out);
                }
            }
            _ => {}
        }
    }
}

/// True for `#[test]` / `#[rstest]` / `#[apply(template)]` functions (not for the templates
/// themselves, which carry `#[rstest]` too).
pub fn is_test(attrs: &[syn::Attribute]) -> bool {
    !has_attr(attrs, "template")
        && attrs.iter().any(|a| {
            let n = attr_path(a);
            n == "test" || n.ends_with("::test") || n == "rstest" || n.ends_with("::rstest") || n == "apply" || n.ends_with("::apply")
        })
}

/// The templates a test applies (`#[apply(pipe_kinds)]` -> `pipe_kinds`).
pub fn applied_templates(attrs: &[syn::Attribute]) -> Vec<String> {
    attrs
        .iter()
        .filter(|a| {
            let n = attr_path(a);
            n == "apply" || n.ends_with("::apply")
        })
        .filter_map(|a| a.parse_args::<syn::Path>().ok())
        .filter_map(|p| p.segments.last().map(|s| s.ident.to_string()))
        .collect()
}

fn attr_path(a: &syn::Attribute) -> String {
    a.path().segments.iter().map(|s| s.ident.to_string()).collect::<Vec<_>>().join("::")
}

fn has_attr(attrs: &[syn::Attribute], name: &str) -> bool {
    attrs.iter().any(|a| {
        let n = attr_path(a);
        n == name || n.ends_with(&format!("::{name}"))
    })
}

/// The text of a function from its signature's line to its closing brace's line.
pub fn fn_text(src: &str, sig: &syn::Signature, block: &syn::Block) -> String {
    let start = sig.fn_token.span.start().line;
    let end = block.brace_token.span.close().end().line;
    src.lines().skip(start.saturating_sub(1)).take(end + 1 - start.min(end)).collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(s: &BTreeSet<Declared>) -> Vec<String> {
        s.iter().map(|d| if d.lacking { format!("{}!", d.name) } else { d.name.clone() }).collect()
    }

    #[test]
    fn branches_reports_and_literal_names() {
        let s = scan_text(
            r#"fn t() {
                if variant::since(5, 11, "epoll_pwait2") { x() } else { assert_errno!(y(), ENOSYS) }
                if fixtures::kernel_at_least(6, 9) { variant::observed("eloop", "why") }
                variant::lacking("ignored", format!("{}", 1));
                let m = std::env::var("IPCSPEC_CONTAINER_MODE");
                require!(gate::kernel(5, 11), "x");
            }"#,
        );
        assert_eq!(
            s.branches.iter().map(String::as_str).collect::<Vec<_>>(),
            ["env::var", "gate::kernel", "kernel_at_least"]
        );
        assert_eq!(names(&s.reports), ["absent!", "eloop", "ignored!", "present"]);
        assert!(s.reports_any && s.none.is_none());
        assert!(s.calls.contains("x") && s.calls.contains("assert_errno"));
    }

    #[test]
    fn a_none_comment_and_helpers() {
        let silent = scan_text("fn t() {\n    if geteuid().is_root() { drop() }\n}");
        let mut h = Helpers::default();
        assert!(h.resolve(&silent).is_silent());
        let excused = scan_text("fn t() {\n    // variant: none — only chooses how to set up\n    if geteuid().is_root() { drop() }\n}");
        assert_eq!(excused.none.as_deref(), Some("only chooses how to set up"));
        assert!(!h.resolve(&excused).is_silent());
        // A test that calls a branching helper branches; one that calls a reporting helper
        // (through another helper) reports.
        h.add("probe", scan_text("fn probe() { if kernel_at_least(5, 9) { } }"));
        h.add("require_it", scan_text("fn require_it() { probe(); if x { fixtures::skip_absent!(\"no\") } }"));
        let t = scan_text("fn t() { require_it(); }");
        let r = h.resolve(&t);
        assert!(!r.is_silent(), "{r:?}");
        assert_eq!(names(&r.reports), ["absent!"]);
        assert!(r.branches.iter().any(|b| b == "kernel_at_least (in probe)"));
        let t2 = scan_text("fn t() { probe(); }");
        assert!(h.resolve(&t2).is_silent());
        // Of the fixtures' functions, only those that name their own variants are followed.
        let mut fx = Helpers::default();
        fx.add("reopen", scan_text("fn reopen() { if has_cap(x) { variant::observed(\"enxio\", \"y\") } }"));
        fx.add("report", scan_text("fn report() { variant::present(\"y\") }"));
        fx.add("spawn", scan_text("fn spawn() { if geteuid().is_root() { } }"));
        let mut suite = Helpers::default();
        suite.add_naming_reporters(&fx);
        let r = suite.resolve(&scan_text("fn t() { reopen(); report(); spawn(); }"));
        assert_eq!(names(&r.reports), ["enxio"]);
        assert_eq!(r.branches.iter().collect::<Vec<_>>(), ["has_cap (in reopen)"]);
        // Macros are helpers too.
        let m: syn::File = syn::parse_str("macro_rules! gate_it { () => { if has_cap(x) { variant::present(\"y\") } } }").unwrap();
        let mut h2 = Helpers::default();
        collect_helpers(&m.items, "", &mut h2);
        let tpl: syn::File = syn::parse_str(
            "#[template] #[export] #[rstest] #[case::pipe(Kind::Pipe)] #[case::fifo(Kind::Fifo)] pub fn pipe_kinds(#[case] k: Kind) {}",
        )
        .unwrap();
        collect_helpers(&tpl.items, "", &mut h2);
        assert_eq!(h2.template_cases("pipe_kinds").unwrap(), ["pipe", "fifo"]);
        let syn::Item::Fn(tf) = &tpl.items[0] else { panic!() };
        assert!(!is_test(&tf.attrs), "a template is not a test");
        let applied: syn::ItemFn = syn::parse_str("#[apply(pipe_kinds)] fn t(#[case] k: Kind) {}").unwrap();
        assert!(is_test(&applied.attrs));
        assert_eq!(applied_templates(&applied.attrs), ["pipe_kinds"]);
        let r = h2.resolve(&scan_text("fn t() { gate_it!(); }"));
        assert!(!r.is_silent() && r.branches.contains("has_cap (in gate_it)"), "{r:?}");
        // The facility gates and the reporting items of needs!.
        let f = scan_text("fn t() { require_available!(facility::pty()); }");
        assert_eq!(names(&f.reports), ["absent!", "blocked!", "present"]);
        let n = scan_text("fn t() { fixtures::needs!(root, kernel(5, 11, \"x\"), cap(SYS_ADMIN)); }");
        assert_eq!(names(&n.reports), ["absent!", "present"]);
        let plain = scan_text("fn t() { needs!(root, cap(SYS_ADMIN)); }");
        assert!(!plain.reports_any && plain.reports.is_empty());
    }
}
