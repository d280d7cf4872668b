//! Claims files for `ipcspec verify`: the semantics an application relies on and the targets
//! it claims to support.
//!
//! ```toml
//! application = "PostgreSQL"                                  # optional: whose reliance this is
//! repository = "postgres/postgres"                            # optional: where `source` points
//! commit = "3f1aaaa180689f2015e7f7bd01c9be6d7a993b42"         # optional: the commit read
//! targets = ["host", "vm:6.1", "vm:6.12/nobody"]              # default for every claim
//!
//! [[claim]]
//! name = "small pipe writes are atomic"
//! tests = ["pipes::*atomic*"]             # test ids or globs over ids (`*` crosses `::`)
//! man = ["pipe(7)"]                       # and/or: every test citing this man page
//! syscalls = ["pipe2"]                    # and/or: every test citing the call's page, pipe2(2)
//! exclude = ["pipes::capacity::*"]        # optional: ids or globs taken out of the selection
//! why = "the log shipper writes records of <= 4 KiB from many processes"   # optional
//! source = "src/ship.c: ship_record()"    # optional: the line of the application relying on it
//! targets = ["vm:5.10"]                   # optional
//! accept = ["present", "absent"]          # optional: the variants the application copes with
//!
//! [[claim]]
//! name = "a reliance no test checks yet"
//! source = "src/x.c: f()"
//! no_test = "what test is missing"        # instead of a selection: listed as a gap, never run
//! ```
//!
//! Without `accept`, a test that passes with a *lacking* variant (`absent`, `blocked`: the
//! feature is not available there) makes the claim's verdict DOES NOT HOLD; with `accept`,
//! every variant a test reports must be one of those named.
//!
//! Parsing is strict and pure: unknown keys, empty lists, duplicate names, bad globs and bad
//! target names are errors that say where. It never panics on any input. `man` and `syscalls`
//! select through the catalog (the citations of each test's doc comment): [`ClaimsFile::bind`]
//! resolves them, and checks that every selector and exclusion names at least one test, before
//! anything is built.

use globset::{Glob, GlobMatcher};
use serde::Deserialize;

use crate::catalog::Catalog;
use crate::model::User;
use crate::target::Column;
use crate::targets::parse_columns;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    application: Option<String>,
    #[serde(default)]
    repository: Option<String>,
    #[serde(default)]
    commit: Option<String>,
    #[serde(default)]
    targets: Option<Vec<String>>,
    #[serde(default)]
    claim: Vec<RawClaim>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClaim {
    name: String,
    #[serde(default)]
    tests: Option<Vec<String>>,
    #[serde(default)]
    man: Option<Vec<String>>,
    #[serde(default)]
    syscalls: Option<Vec<String>>,
    #[serde(default)]
    exclude: Option<Vec<String>>,
    #[serde(default)]
    why: Option<String>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    no_test: Option<String>,
    #[serde(default)]
    targets: Option<Vec<String>>,
    #[serde(default)]
    accept: Option<Vec<String>>,
}

/// A parsed claims file.
#[derive(Clone, Debug, Default)]
pub struct ClaimsFile {
    pub application: Option<String>,
    pub repository: Option<String>,
    pub commit: Option<String>,
    /// The claims that select tests (never empty).
    pub claims: Vec<Claim>,
    /// The claims no test checks yet (`no_test`): gaps, listed, never run.
    pub untested: Vec<Untested>,
}

#[derive(Clone, Debug)]
pub struct Claim {
    pub name: String,
    pub why: Option<String>,
    pub source: Option<String>,
    /// What selects the claim's tests: globs, man pages, system calls (never empty).
    pub patterns: Vec<Pattern>,
    /// Ids or globs taken out of the selection.
    pub excludes: Vec<Pattern>,
    pub columns: Vec<Column>,
    /// The variants the application copes with; `None`: every variant that is not lacking.
    pub accept: Option<Vec<String>>,
}

/// A claim without a test: the application relies on something no test checks.
#[derive(Clone, Debug)]
pub struct Untested {
    pub name: String,
    pub why: Option<String>,
    pub source: Option<String>,
    /// What test is missing.
    pub missing: String,
}

/// How a pattern selects tests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Select {
    /// A test id or a glob over ids.
    Glob,
    /// Every test whose doc comment cites this man page (`unix(7)`).
    Man(String),
    /// Every test whose doc comment cites this call's section-2 page (`sendmsg` → `sendmsg(2)`).
    Syscall(String),
}

#[derive(Clone, Debug)]
pub struct Pattern {
    /// As written: the glob, `man:unix(7)` or `syscall:sendmsg`.
    pub text: String,
    pub select: Select,
    matcher: Option<GlobMatcher>,
    /// The catalog entries (test functions) a man or syscall selector names, once bound.
    entries: Vec<String>,
}

/// `name(section)`: a man page as the catalog writes it.
fn is_man_page(t: &str) -> bool {
    let Some((name, rest)) = t.split_once('(') else { return false };
    let Some(sec) = rest.strip_suffix(')') else { return false };
    !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "_-.:".contains(c))
        && sec.chars().next().is_some_and(|c| c.is_ascii_digit())
        && sec.chars().all(|c| c.is_ascii_alphanumeric())
}

impl Pattern {
    pub fn parse(text: &str) -> Result<Pattern, String> {
        let t = text.trim();
        if t.is_empty() {
            return Err("an empty test pattern".into());
        }
        if t.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(format!("test pattern {t:?} contains whitespace"));
        }
        if !t.contains("::") && !t.contains('*') {
            return Err(format!("test pattern {t:?} is neither a test id (<suite>::<file>::<test>) nor a glob (pipes::*atomic*)"));
        }
        let g = Glob::new(t).map_err(|e| format!("test pattern {t:?} is not a valid glob: {e}"))?;
        Ok(Pattern { text: t.to_string(), select: Select::Glob, matcher: Some(g.compile_matcher()), entries: Vec::new() })
    }

    /// A `man` selector: a man page as cited, `unix(7)`.
    pub fn man(text: &str) -> Result<Pattern, String> {
        let t = text.trim();
        if !is_man_page(t) {
            return Err(format!("man page {t:?} is not written as the catalog cites it (name and section: unix(7), sendmsg(2))"));
        }
        Ok(Pattern { text: format!("man:{t}"), select: Select::Man(t.to_string()), matcher: None, entries: Vec::new() })
    }

    /// A `syscalls` selector: a system call's name, `sendmsg`.
    pub fn syscall(text: &str) -> Result<Pattern, String> {
        let t = text.trim();
        if t.is_empty() || !t.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!("system call {t:?} is not a name (letters, digits, _: sendmsg, epoll_pwait2)"));
        }
        Ok(Pattern { text: format!("syscall:{t}"), select: Select::Syscall(t.to_string()), matcher: None, entries: Vec::new() })
    }

    /// Whether a glob matches the id exactly (as expectations files use it); a man or
    /// syscall selector matches the tests of the catalog entries it was bound to.
    pub fn matches(&self, id: &str) -> bool {
        match &self.matcher {
            Some(m) => m.is_match(id),
            None => self.selects(id),
        }
    }

    /// Whether the pattern selects the test `id` in a claim: a glob matches the id itself or
    /// the test function it is a case of (`f` selects `f::case_1`); a man or syscall selector
    /// matches the tests of the catalog entries it was bound to.
    pub fn selects(&self, id: &str) -> bool {
        match &self.matcher {
            Some(m) => {
                if m.is_match(id) {
                    return true;
                }
                // The prefixes of an rstest case's id with at least three parts.
                let mut end = id.len();
                while let Some(i) = id[..end].rfind("::") {
                    end = i;
                    if id[..end].matches("::").count() < 2 {
                        break;
                    }
                    if m.is_match(&id[..end]) {
                        return true;
                    }
                }
                false
            }
            None => self.entries.iter().any(|e| id == e || (id.starts_with(e.as_str()) && id[e.len()..].starts_with("::"))),
        }
    }

    /// The catalog entries a glob may select: the entry itself or one of its named cases
    /// matches, or the glob reaches into the cases of a parametrised entry whose cases the
    /// catalog cannot name (`f::case_*`).
    fn catalog_hits<'a>(&self, cat: &'a Catalog) -> Vec<&'a str> {
        let mut out = Vec::new();
        for e in &cat.tests {
            let hit = match &self.select {
                Select::Glob => {
                    self.selects(&e.id)
                        || e.cases.iter().enumerate().any(|(i, c)| {
                            // rstest names a named case `case_<n>_<name>`, n from 1, padded
                            // to the width of the number of cases.
                            let w = e.cases.len().to_string().len();
                            self.selects(&format!("{}::{c}", e.id)) || self.selects(&format!("{}::case_{:0w$}_{c}", e.id, i + 1))
                        })
                        || (e.parametrised && {
                            let lit: &str = self.text.split(['*', '?', '[', '{']).next().unwrap_or("");
                            lit.len() > e.id.len() && lit.starts_with(&format!("{}::", e.id))
                        })
                }
                Select::Man(page) => e.sources.iter().any(|s| s == page),
                Select::Syscall(name) => {
                    let page = format!("{name}(2)");
                    e.sources.contains(&page)
                }
            };
            if hit {
                out.push(e.id.as_str());
            }
        }
        out
    }
}

impl Claim {
    pub fn matches(&self, id: &str) -> bool {
        self.patterns.iter().any(|p| p.selects(id)) && !self.excludes.iter().any(|p| p.selects(id))
    }
}

impl ClaimsFile {
    /// Resolve the `man` and `syscalls` selectors through the catalog, and check — before
    /// anything is built — that every selector and exclusion names at least one test and that
    /// every claim keeps one after its exclusions. The error names the file's claim and the
    /// selector.
    pub fn bind(&mut self, cat: &Catalog) -> Result<(), String> {
        for c in &mut self.claims {
            let mut kept: Vec<&str> = Vec::new();
            for p in &mut c.patterns {
                let hits = p.catalog_hits(cat);
                if hits.is_empty() {
                    let hint = match p.select {
                        Select::Glob => "test ids look like pipes::atomicity::write_of_pipe_buf_bytes_is_atomic; `ipcspec catalog` lists them",
                        Select::Man(_) => "no test's doc comment cites that page; docs/catalog.md lists each test's citations",
                        Select::Syscall(_) => "no test's doc comment cites that call's section-2 page; docs/catalog.md lists each test's citations",
                    };
                    return Err(format!("claim {:?}: no test matches {} ({hint})", c.name, p.text));
                }
                if p.select != Select::Glob {
                    p.entries = hits.iter().map(|h| h.to_string()).collect();
                }
                kept.extend(hits);
            }
            for x in &c.excludes {
                if x.catalog_hits(cat).is_empty() {
                    return Err(format!("claim {:?}: exclude {} matches no test", c.name, x.text));
                }
            }
            // After the exclusions: a catalog entry survives unless an exclusion takes the
            // entry itself (an exclusion of some of its cases leaves the others).
            if kept.iter().all(|e| c.excludes.iter().any(|x| x.selects(e))) {
                let pats: Vec<&str> = c.patterns.iter().map(|p| p.text.as_str()).collect();
                return Err(format!("claim {:?}: its exclusions take out every test {} selects", c.name, pats.join(", ")));
            }
        }
        Ok(())
    }

    /// Every column any claim names, in first-seen order.
    pub fn columns(&self) -> Vec<Column> {
        let mut cols: Vec<Column> = Vec::new();
        for c in &self.claims {
            for col in &c.columns {
                if !cols.contains(col) {
                    cols.push(col.clone());
                }
            }
        }
        cols
    }
}

fn list(at: &str, key: &str, v: Option<Vec<String>>) -> Result<Vec<String>, String> {
    match v {
        Some(l) if l.is_empty() => Err(format!("{at}: `{key}` is empty")),
        Some(l) => Ok(l),
        None => Ok(Vec::new()),
    }
}

fn text(v: Option<String>) -> Option<String> {
    v.filter(|w| !w.trim().is_empty())
}

/// Parse a claims file's text.
pub fn parse(text_in: &str) -> Result<ClaimsFile, String> {
    let raw: RawFile = toml::from_str(text_in).map_err(|e| format!("not a valid claims file: {}", e.to_string().trim()))?;
    if raw.claim.is_empty() {
        return Err("the claims file has no [[claim]] (see docs/example-claims.toml)".into());
    }
    let default_cols = match &raw.targets {
        Some(t) => Some(columns(t).map_err(|e| format!("top-level targets: {e}"))?),
        None => None,
    };
    let mut claims: Vec<Claim> = Vec::new();
    let mut untested: Vec<Untested> = Vec::new();
    for (i, c) in raw.claim.into_iter().enumerate() {
        let at = format!("claim #{} ({:?})", i + 1, c.name);
        let name = c.name.trim().to_string();
        if name.is_empty() {
            return Err(format!("claim #{}: the name is empty", i + 1));
        }
        if claims.iter().any(|x| x.name == name) || untested.iter().any(|x| x.name == name) {
            return Err(format!("{at}: two claims have this name"));
        }
        let tests = list(&at, "tests", c.tests)?;
        let man = list(&at, "man", c.man)?;
        let syscalls = list(&at, "syscalls", c.syscalls)?;
        let exclude = list(&at, "exclude", c.exclude)?;
        if let Some(missing) = c.no_test {
            if !tests.is_empty() || !man.is_empty() || !syscalls.is_empty() || !exclude.is_empty() || c.accept.is_some() || c.targets.is_some() {
                return Err(format!("{at}: a `no_test` claim selects no tests (no tests, man, syscalls, exclude, accept or targets)"));
            }
            let missing = missing.trim().to_string();
            if missing.is_empty() {
                return Err(format!("{at}: `no_test` is empty (say what test is missing)"));
            }
            untested.push(Untested { name, why: text(c.why), source: text(c.source), missing });
            continue;
        }
        if tests.is_empty() && man.is_empty() && syscalls.is_empty() {
            return Err(format!("{at}: no tests (give `tests`, `man` or `syscalls`, or `no_test` with what test is missing)"));
        }
        let mut patterns = tests.iter().map(|t| Pattern::parse(t)).collect::<Result<Vec<_>, _>>().map_err(|e| format!("{at}: {e}"))?;
        for m in &man {
            patterns.push(Pattern::man(m).map_err(|e| format!("{at}: {e}"))?);
        }
        for s in &syscalls {
            patterns.push(Pattern::syscall(s).map_err(|e| format!("{at}: {e}"))?);
        }
        let excludes = exclude.iter().map(|t| Pattern::parse(t)).collect::<Result<Vec<_>, _>>().map_err(|e| format!("{at}: exclude: {e}"))?;
        let cols = match &c.targets {
            Some(t) => columns(t).map_err(|e| format!("{at}: {e}"))?,
            None => default_cols.clone().ok_or_else(|| format!("{at}: no targets (give `targets` at the top or in the claim)"))?,
        };
        let accept = match c.accept {
            None => None,
            Some(list) if list.is_empty() => return Err(format!("{at}: `accept` is empty (leave it out to accept every variant that is not lacking)")),
            Some(list) => {
                if let Some(bad) = list.iter().find(|v| !ipcspec_protocol::is_variant_name(v)) {
                    return Err(format!("{at}: {bad:?} in `accept` is not a variant name (lowercase, like present, absent, eloop)"));
                }
                Some(list)
            }
        };
        claims.push(Claim { name, why: text(c.why), source: text(c.source), patterns, excludes, columns: cols, accept });
    }
    if claims.is_empty() {
        return Err("every claim is `no_test`: the file has nothing to verify".into());
    }
    Ok(ClaimsFile { application: text(raw.application), repository: text(raw.repository), commit: text(raw.commit), claims, untested })
}

/// Replace every claim's targets (`verify --targets`).
pub fn set_columns(file: &mut ClaimsFile, cols: &[Column]) {
    for c in &mut file.claims {
        c.columns = cols.to_vec();
    }
}

fn columns(list: &[String]) -> Result<Vec<Column>, String> {
    if list.is_empty() {
        return Err("`targets` is empty".into());
    }
    parse_columns(&list.join(","), &[User::Root])
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
targets = ["host", "vm:6.1/nobody"]

[[claim]]
name = "atomic pipe writes"
tests = ["pipes::*atomic*"]
why = "log shipper"

[[claim]]
name = "dup2"
tests = ["fds::dup::dup2_closes_an_open_target_first"]
targets = ["vm:5.10"]
"#;

    #[test]
    fn parses_a_good_file() {
        let f = parse(GOOD).unwrap();
        assert_eq!(f.claims.len(), 2);
        assert_eq!(f.claims[0].columns.iter().map(Column::name).collect::<Vec<_>>(), ["host", "vm:6.1/nobody"]);
        assert_eq!(f.claims[1].columns.iter().map(Column::name).collect::<Vec<_>>(), ["vm:5.10"]);
        assert!(f.claims[0].matches("pipes::atomicity::write_of_pipe_buf_bytes_is_atomic"));
        assert!(!f.claims[0].matches("fds::dup::x"));
        assert!(f.claims[1].matches("fds::dup::dup2_closes_an_open_target_first"));
    }

    #[test]
    fn rejects_bad_files_with_clear_errors() {
        let cases: &[(&str, &str)] = &[
            ("", "no [[claim]]"),
            ("targets = [\"host\"]", "no [[claim]]"),
            ("[[claim]]\nname = \"a\"\ntests = [\"pipes::*\"]", "no targets"),
            ("targets = [\"hots\"]\n[[claim]]\nname = \"a\"\ntests = [\"pipes::*\"]", "unknown target"),
            ("targets = [\"host\"]\n[[claim]]\nname = \"a\"\ntests = []", "`tests` is empty"),
            ("targets = [\"host\"]\n[[claim]]\nname = \"a\"\ntests = [\"pipes\"]", "neither a test id"),
            ("targets = [\"host\"]\n[[claim]]\nname = \"a\"\ntests = [\"pipes::[\"]", "not a valid glob"),
            ("targets = [\"host\"]\n[[claim]]\nname = \"a\"\ntests = [\"a::b\"]\n[[claim]]\nname = \"a\"\ntests = [\"a::b\"]", "two claims"),
            ("targets = [\"host\"]\n[[claim]]\nname = \"a\"\ntests = [\"a::b\"]\nbogus = 1", "unknown field"),
            ("targets = [\"host\"]\n[[claim]]\nname = \" \"\ntests = [\"a::b\"]", "name is empty"),
            ("targets = []\n[[claim]]\nname = \"a\"\ntests = [\"a::b\"]", "`targets` is empty"),
            ("targets = [\"host\"]\n[[claim]]\nname = \"a\"\ntests = [\"a::b\"]\naccept = []", "`accept` is empty"),
            ("targets = [\"host\"]\n[[claim]]\nname = \"a\"\ntests = [\"a::b\"]\naccept = [\"Absent\"]", "not a variant name"),
            ("[[claim]\nname=", "not a valid claims file"),
            ("targets = \"host\"\n[[claim]]\nname = \"a\"\ntests = [\"a::b\"]", "not a valid claims file"),
        ];
        for (text, want) in cases {
            match parse(text) {
                Ok(_) => panic!("{text:?} parsed"),
                Err(e) => assert!(e.contains(want), "{text:?}: {e}"),
            }
        }
    }

    fn catalog() -> Catalog {
        let e = |id: &str, sources: &[&str], cases: &[&str], parametrised: bool| crate::catalog::Entry {
            id: id.into(),
            suite: id.split("::").next().unwrap().into(),
            file: id.split("::").nth(1).unwrap().into(),
            claim: String::new(),
            sources: sources.iter().map(|s| s.to_string()).collect(),
            location: String::new(),
            cases: cases.iter().map(|s| s.to_string()).collect(),
            parametrised,
            ignored: false,
            variants: vec![],
            branches_on: vec![],
            no_variant: None,
            silent: false,
        };
        Catalog {
            schema: String::new(),
            tests: vec![
                e("ancillary::rights_basic::passes_an_fd", &["unix(7)", "sendmsg(2)"], &["stream", "dgram"], true),
                e("ancillary::credentials::passes_creds", &["unix(7)", "recvmsg(2)"], &[], false),
                e("pipes::atomicity::atomic", &["pipe(7)"], &[], true),
            ],
            errors: vec![],
        }
    }

    fn bound(claim: &str) -> Result<ClaimsFile, String> {
        let mut f = parse(&format!("targets = [\"host\"]\n[[claim]]\nname = \"a\"\n{claim}"))?;
        f.bind(&catalog())?;
        Ok(f)
    }

    /// `man` and `syscalls` select through the catalog's citations, cases included; `exclude`
    /// takes ids out.
    #[test]
    fn man_pages_and_syscalls_select_through_the_catalog() {
        let f = bound("man = [\"unix(7)\"]").unwrap();
        let c = &f.claims[0];
        assert!(c.matches("ancillary::rights_basic::passes_an_fd::case_1_stream"));
        assert!(c.matches("ancillary::credentials::passes_creds"));
        assert!(!c.matches("pipes::atomicity::atomic"));
        assert!(!c.matches("ancillary::rights_basic::passes_an_fd_too"));
        let f = bound("syscalls = [\"recvmsg\"]").unwrap();
        assert!(f.claims[0].matches("ancillary::credentials::passes_creds"));
        assert!(!f.claims[0].matches("ancillary::rights_basic::passes_an_fd::case_1_stream"));
        let f = bound("man = [\"unix(7)\"]\nexclude = [\"ancillary::credentials::*\"]").unwrap();
        assert!(!f.claims[0].matches("ancillary::credentials::passes_creds"));
        assert!(f.claims[0].matches("ancillary::rights_basic::passes_an_fd::case_2_dgram"));
        // A test function's id selects its rstest cases; a glob into cases the catalog cannot
        // name passes the check before the build.
        let f = bound("tests = [\"pipes::atomicity::atomic\"]").unwrap();
        assert!(f.claims[0].matches("pipes::atomicity::atomic::case_1"));
        assert!(bound("tests = [\"pipes::atomicity::atomic::case_*\"]").is_ok());
        // A named case is known by rstest's id for it, case_<n>_<name>.
        let f = bound("tests = [\"ancillary::rights_basic::*\"]\nexclude = [\"ancillary::*::case_*_dgram\"]").unwrap();
        assert!(!f.claims[0].matches("ancillary::rights_basic::passes_an_fd::case_2_dgram"));
        assert!(f.claims[0].matches("ancillary::rights_basic::passes_an_fd::case_1_stream"));
        assert!(bound("tests = [\"ancillary::rights_basic::*\"]\nexclude = [\"ancillary::*::case_*_seqpacket\"]").is_err());
        assert!(bound("tests = [\"ancillary::rights_basic::passes_an_fd::stream\"]").is_ok());
    }

    /// A selector or an exclusion that names no test is an error before anything is built,
    /// naming the claim and the selector.
    #[test]
    fn a_selector_that_names_no_test_is_an_error() {
        let cases: &[(&str, &str)] = &[
            ("tests = [\"pipes::nosuch::*\"]", "no test matches pipes::nosuch::*"),
            ("man = [\"signalfd(2)\"]", "no test matches man:signalfd(2)"),
            ("syscalls = [\"timerfd_create\"]", "no test matches syscall:timerfd_create"),
            ("man = [\"unix(7)\"]\nexclude = [\"fds::*\"]", "exclude fds::* matches no test"),
            ("tests = [\"pipes::*\"]\nexclude = [\"pipes::atomicity::*\"]", "exclusions take out every test"),
        ];
        for (claim, want) in cases {
            let e = bound(claim).unwrap_err();
            assert!(e.contains(want) && e.contains("claim \"a\""), "{claim}: {e}");
        }
    }

    /// A `no_test` claim is a gap: kept with its source, never run; it must select nothing.
    #[test]
    fn no_test_claims_are_gaps() {
        let f = parse("application = \"X\"\ntargets = [\"host\"]\n[[claim]]\nname = \"a\"\ntests = [\"a::b::c\"]\nsource = \"x.c: f()\"\n[[claim]]\nname = \"gap\"\nsource = \"y.c: g()\"\nno_test = \"a test of g\"").unwrap();
        assert_eq!(f.application.as_deref(), Some("X"));
        assert_eq!(f.claims.len(), 1);
        assert_eq!(f.claims[0].source.as_deref(), Some("x.c: f()"));
        assert_eq!((f.untested[0].name.as_str(), f.untested[0].missing.as_str()), ("gap", "a test of g"));
        let bad: &[(&str, &str)] = &[
            ("no_test = \"x\"\ntests = [\"a::b::c\"]", "selects no tests"),
            ("no_test = \" \"", "`no_test` is empty"),
            ("why = \"w\"", "no tests (give"),
            ("man = []", "`man` is empty"),
            ("man = [\"unix\"]", "not written as the catalog cites it"),
            ("syscalls = [\"send msg\"]", "is not a name"),
            ("tests = [\"a::b::c\"]\nexclude = [\"x\"]", "exclude: test pattern"),
        ];
        for (claim, want) in bad {
            let e = parse(&format!("targets = [\"host\"]\n[[claim]]\nname = \"a\"\n{claim}")).unwrap_err();
            assert!(e.contains(want), "{claim}: {e}");
        }
        let e = parse("targets = [\"host\"]\n[[claim]]\nname = \"a\"\nno_test = \"x\"").unwrap_err();
        assert!(e.contains("nothing to verify"), "{e}");
    }

    #[test]
    fn random_input_never_panics() {
        let mut seed = 42u64;
        let alphabet = b"[]=\"\n #*:,targets claim name tests why host vm:6.1/nobody pipes::";
        for _ in 0..3000 {
            let len = (seed % 120) as usize;
            let s: String = (0..len)
                .map(|_| {
                    seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    alphabet[(seed >> 33) as usize % alphabet.len()] as char
                })
                .collect();
            let _ = parse(&s);
            let mut g = GOOD.to_string();
            let cut = (seed as usize) % g.len();
            g.truncate(cut);
            let _ = parse(&g);
        }
    }
}
