//! Claims files for `ipcspec verify`: the semantics an application relies on (test ids or
//! globs over test ids) and the targets it claims to support.
//!
//! ```toml
//! targets = ["host", "vm:6.1", "vm:6.12/nobody"]   # default for every claim
//!
//! [[claim]]
//! name = "small pipe writes are atomic"
//! tests = ["pipes::*atomic*"]
//! why = "the log shipper writes records of <= 4 KiB from many processes"   # optional
//! targets = ["vm:5.10"]                                                      # optional
//! ```
//!
//! Parsing is strict and pure: unknown keys, empty lists, duplicate names, bad globs and bad
//! target names are errors that say where. It never panics on any input.

use globset::{Glob, GlobMatcher};
use serde::Deserialize;

use crate::model::User;
use crate::targets::{Column, parse_columns};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    targets: Option<Vec<String>>,
    #[serde(default)]
    claim: Vec<RawClaim>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClaim {
    name: String,
    tests: Vec<String>,
    #[serde(default)]
    why: Option<String>,
    #[serde(default)]
    targets: Option<Vec<String>>,
}

/// A parsed claims file.
#[derive(Clone, Debug)]
pub struct ClaimsFile {
    pub claims: Vec<Claim>,
}

#[derive(Clone, Debug)]
pub struct Claim {
    pub name: String,
    pub why: Option<String>,
    pub patterns: Vec<Pattern>,
    pub columns: Vec<Column>,
}

#[derive(Clone, Debug)]
pub struct Pattern {
    pub text: String,
    matcher: GlobMatcher,
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
        Ok(Pattern { text: t.to_string(), matcher: g.compile_matcher() })
    }

    pub fn matches(&self, id: &str) -> bool {
        self.matcher.is_match(id)
    }
}

impl Claim {
    pub fn matches(&self, id: &str) -> bool {
        self.patterns.iter().any(|p| p.matches(id))
    }
}

/// Parse a claims file's text.
pub fn parse(text: &str) -> Result<ClaimsFile, String> {
    let raw: RawFile = toml::from_str(text).map_err(|e| format!("not a valid claims file: {}", e.to_string().trim()))?;
    if raw.claim.is_empty() {
        return Err("the claims file has no [[claim]] (see docs/example-claims.toml)".into());
    }
    let default_cols = match &raw.targets {
        Some(t) => Some(columns(t).map_err(|e| format!("top-level targets: {e}"))?),
        None => None,
    };
    let mut claims: Vec<Claim> = Vec::new();
    for (i, c) in raw.claim.into_iter().enumerate() {
        let at = format!("claim #{} ({:?})", i + 1, c.name);
        let name = c.name.trim().to_string();
        if name.is_empty() {
            return Err(format!("claim #{}: the name is empty", i + 1));
        }
        if claims.iter().any(|x| x.name == name) {
            return Err(format!("{at}: two claims have this name"));
        }
        if c.tests.is_empty() {
            return Err(format!("{at}: `tests` is empty"));
        }
        let patterns = c.tests.iter().map(|t| Pattern::parse(t)).collect::<Result<Vec<_>, _>>().map_err(|e| format!("{at}: {e}"))?;
        let cols = match &c.targets {
            Some(t) => columns(t).map_err(|e| format!("{at}: {e}"))?,
            None => default_cols.clone().ok_or_else(|| format!("{at}: no targets (give `targets` at the top or in the claim)"))?,
        };
        claims.push(Claim { name, why: c.why.filter(|w| !w.trim().is_empty()), patterns, columns: cols });
    }
    Ok(ClaimsFile { claims })
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
