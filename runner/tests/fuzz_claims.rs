//! Property tests ("fuzzers") of the claims-file parser (runner/src/claims.rs) and of the
//! target-name parser it uses: hostile TOML must give a clear error, never a panic.
//!
//! - Any text, and text built from TOML-ish fragments: never a panic; an error is one line of
//!   text that is not empty.
//! - Generated valid files: parse, and say back exactly the claims, patterns and targets.
//! - Valid files cut or mutated: never a panic; what parses still keeps every invariant
//!   (non-empty unique names, patterns and targets).
//! - Target names: any text never panics; known ones parse.
//!
//! Long mode and regression inputs as in fuzz_frame.rs (`IPCSPEC_FUZZ_SECONDS=600 cargo test
//! --release -p ipcspec --test fuzz_claims -- --nocapture`).

use ipcspec::claims;
use ipcspec::model::User;
use ipcspec::targets::{Column, parse_column, parse_target};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

#[path = "common/fuzz.rs"]
mod fuzz_loop;
use fuzz_loop::fuzz;

const REGRESSIONS: &[&str] = &[
    "",
    "[[claim]]",
    "targets = [\"host\"]\n[[claim]]\nname = \"\u{0}\"\ntests = [\"a::b\"]",
    "targets = [\"vm:\"]\n[[claim]]\nname = \"a\"\ntests = [\"a::b\"]",
    "targets = [\"vm:/\"]\n[[claim]]\nname = \"a\"\ntests = [\"**::[!]\"]",
    "targets = [\"host/nobody/nobody\"]\n[[claim]]\nname = \"a\"\ntests = [\"a::b\"]",
    "targets = [\"docker:\u{1F600}\"]\n[[claim]]\nname = \"a\"\ntests = [\"a::b\"]",
    "[[claim]]\nname = 1\ntests = 2",
    "targets = [\"host\"]\n[[claim]]\nname = \"a\"\ntests = [\"{a,b}::*\"]\n[[claim]]\nname = \"a \"\ntests = [\"x::y\"]",
];


fn check_result(text: &str) -> Result<(), TestCaseError> {
    match claims::parse(text) {
        Ok(f) => {
            prop_assert!(!f.claims.is_empty());
            let mut names: Vec<&str> = f.claims.iter().map(|c| c.name.as_str()).collect();
            for c in &f.claims {
                prop_assert!(!c.name.trim().is_empty());
                prop_assert!(!c.patterns.is_empty());
                prop_assert!(!c.columns.is_empty());
            }
            names.sort();
            let n = names.len();
            names.dedup();
            prop_assert_eq!(names.len(), n, "duplicate claim names accepted");
        }
        Err(e) => prop_assert!(!e.trim().is_empty(), "an empty error message"),
    }
    Ok(())
}

#[test]
fn regressions_give_errors_not_panics() {
    for r in REGRESSIONS {
        let _ = claims::parse(r);
        check_result(r).unwrap();
    }
}

#[test]
fn any_text_never_panics() {
    fuzz("any text", ".{0,400}", |t| check_result(&t));
}

const TARGETS: &[&str] = &["host", "vm:5.10", "vm:6.1", "vm:6.12", "vm:7.2", "vm:bookworm", "vm:/boot/vmlinuz", "docker:default", "host/nobody", "vm:6.1/root"];
const BAD_TARGETS: &[&str] = &["hots", "vm:", "vm:4.19", "docker:", "docker:A B", "", "vm:6.1 x", "host/other"];

fn fragment() -> impl Strategy<Value = String> {
    let lits = vec![
        "targets = ", "[[claim]]\n", "[claim]\n", "name = ", "tests = ", "why = ", "bogus = ", "\n", "[", "]", "\"", ",", "=",
        "#", "'", "\"\"\"", "{", "}", " ", "\"pipes::*atomic*\"", "\"fds::dup::x\"", "\"a\"", "\"pipes::[\"", "1", "true",
    ];
    prop_oneof![
        proptest::sample::select(lits).prop_map(str::to_string),
        proptest::sample::select(TARGETS).prop_map(|t| format!("\"{t}\"")),
        proptest::sample::select(BAD_TARGETS).prop_map(|t| format!("\"{t}\"")),
        ".{0,8}",
    ]
}

#[test]
fn toml_like_fragments_never_panic() {
    fuzz("fragments", proptest::collection::vec(fragment(), 0..40), |parts| check_result(&parts.concat()));
}

#[derive(Clone, Debug)]
struct GenClaim {
    name: String,
    tests: Vec<String>,
    why: Option<String>,
    targets: Option<Vec<&'static str>>,
}

fn gen_file() -> impl Strategy<Value = (Option<Vec<&'static str>>, Vec<GenClaim>)> {
    let pattern = prop_oneof![
        "[a-z_]{1,10}::[a-z_]{1,10}::[a-z_0-9]{1,20}",
        "[a-z_]{1,10}::\\*[a-z_]{0,8}\\*",
        Just("*atomic*".to_string()),
    ];
    let claim = (
        "[A-Za-z][A-Za-z0-9 ,._-]{0,30}",
        proptest::collection::vec(pattern, 1..4),
        proptest::option::of("[a-z ]{1,20}"),
        proptest::option::of(proptest::collection::vec(proptest::sample::select(TARGETS), 1..4)),
    )
        .prop_map(|(name, tests, why, targets)| GenClaim { name, tests, why, targets });
    (
        proptest::option::of(proptest::collection::vec(proptest::sample::select(TARGETS), 1..4)),
        proptest::collection::vec(claim, 1..6),
    )
        .prop_filter("claims need targets and distinct names", |(top, cs)| {
            let mut names: Vec<String> = cs.iter().map(|c| c.name.trim().to_string()).collect();
            names.sort();
            let n = names.len();
            names.dedup();
            names.len() == n && cs.iter().all(|c| top.is_some() || c.targets.is_some())
        })
}

fn toml_list(v: &[impl AsRef<str>]) -> String {
    format!("[{}]", v.iter().map(|s| format!("{:?}", s.as_ref())).collect::<Vec<_>>().join(", "))
}

fn render(top: &Option<Vec<&'static str>>, cs: &[GenClaim]) -> String {
    let mut s = String::new();
    if let Some(t) = top {
        s.push_str(&format!("targets = {}\n", toml_list(t)));
    }
    for c in cs {
        s.push_str(&format!("\n[[claim]]\nname = {:?}\ntests = {}\n", c.name, toml_list(&c.tests)));
        if let Some(w) = &c.why {
            s.push_str(&format!("why = {w:?}\n"));
        }
        if let Some(t) = &c.targets {
            s.push_str(&format!("targets = {}\n", toml_list(t)));
        }
    }
    s
}

fn columns(list: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in list {
        let c = parse_column(t, User::Root).unwrap().name();
        if !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

#[test]
fn generated_valid_files_parse_to_what_they_say() {
    fuzz("valid files", gen_file(), |(top, cs)| {
        let text = render(&top, &cs);
        let f = claims::parse(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(f.claims.len(), cs.len());
        for (got, want) in f.claims.iter().zip(&cs) {
            prop_assert_eq!(&got.name, want.name.trim());
            let pats: Vec<&str> = got.patterns.iter().map(|p| p.text.as_str()).collect();
            prop_assert_eq!(pats, want.tests.iter().map(String::as_str).collect::<Vec<_>>());
            let cols: Vec<String> = got.columns.iter().map(Column::name).collect();
            let want_cols = columns(want.targets.as_ref().or(top.as_ref()).unwrap());
            prop_assert_eq!(cols, want_cols);
            prop_assert_eq!(got.why.as_deref(), want.why.as_deref().filter(|w| !w.trim().is_empty()));
        }
        Ok(())
    });
}

#[test]
fn cut_or_mutated_valid_files_never_panic() {
    let input = (gen_file(), any::<prop::sample::Index>(), proptest::collection::vec((any::<prop::sample::Index>(), any::<char>()), 0..6));
    fuzz("mutated files", input, |((top, cs), cut, edits)| {
        let text = render(&top, &cs);
        let mut chars: Vec<char> = text.chars().collect();
        let at = cut.index(chars.len() + 1);
        check_result(&chars[..at].iter().collect::<String>())?;
        for (i, c) in edits {
            if chars.is_empty() {
                break;
            }
            let i = i.index(chars.len());
            chars[i] = c;
        }
        check_result(&chars.iter().collect::<String>())
    });
}

#[test]
fn target_names_never_panic_and_known_ones_parse() {
    for t in TARGETS {
        assert!(parse_column(t, User::Root).is_ok(), "{t}");
    }
    for t in BAD_TARGETS {
        assert!(parse_target(t).is_err(), "{t}");
    }
    fuzz("target names", prop_oneof![".{0,40}", "(vm|docker|host)[:/]?.{0,12}"], |s| {
        if let Err(e) = parse_target(&s) {
            prop_assert!(!e.is_empty());
        }
        let _ = parse_column(&s, User::Nobody);
        Ok(())
    });
}
