//! matrix.html: one self-contained page (inline CSS and script, nothing loaded from anywhere)
//! for a kernel engineer who wants the answer first:
//!
//! 1. the headline — columns, tests, behaviour differences, failures;
//! 2. the columns (kernel, counts, time);
//! 3. the roll-up per suite (mechanism), each opening to its test files: a bar per column
//!    (pass / skip / fail), behaviour differences and failing rows — a click filters the
//!    matrix to that suite;
//! 4. "skipped, by reason": every skip reason with its count, columns and tests;
//! 5. the matrix — behaviour differences and failures first, and only those by default
//!    (a view switch shows rows that disagree, rows with a skip, or all). A cell shows its
//!    outcome, variant and the start of its skip reason or failure, and links to its log
//!    (`logs/<column>/<test>.log`); a click on a test shows its claim and cited sources
//!    (man pages linked). Every row has a stable anchor `#t-<test id>` (its `#` link), and
//!    opening such a link shows and highlights the row whatever the filters.
//!
//! The view, suite and search also come from the URL (`?view=all&suite=pipes&q=fifo`), so a
//! filtered page can be shared and tested without clicking (runner/tests/report_browser.rs).

use std::fmt::Write;

use super::{Counts, ResultsDoc, Rollup, cell_head, differences_line, logs, rollup, skipped_by_reason};
use crate::model::{Kind, RunStatus};
use crate::util::human_ms;

const STYLE: &str = r#"
:root{--P:#bfe8bf;--S:#f6e7a1;--F:#f4a7a7;--X:#b9d3f0;--T:#dcb0ee;--C:#555;--line:#d4d4d4}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d1d1d;background:#fff}
main{padding:1.2em 1.6em}
h1{font-size:1.45em;margin:0 0 .2em} h2{font-size:1.15em;margin:1.6em 0 .5em;border-bottom:1px solid var(--line);padding-bottom:.2em}
.meta{color:#555;font-size:13px}
.head{display:flex;flex-wrap:wrap;gap:.6em;margin:.8em 0}
.tile{border:1px solid var(--line);border-radius:6px;padding:.45em .9em;min-width:8em;background:#fafafa;text-decoration:none;color:inherit}
.tile b{display:block;font-size:1.5em;line-height:1.2}
.tile.bad{background:#fde8e8;border-color:#e9a9a9}.tile.diff{background:#e8effd;border-color:#9db5e8}.tile.good{background:#e9f7e9;border-color:#a9d8a9}
table{border-collapse:collapse} th,td{border:1px solid var(--line);padding:3px 6px;vertical-align:top;text-align:left}
th{background:#f3f3f3;font-weight:600}
.num{text-align:right;font-variant-numeric:tabular-nums}
code,.mono{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:12px}
.P{background:var(--P)}.S{background:var(--S)}.F{background:var(--F)}.X{background:var(--X)}.T{background:var(--T)}.C{background:var(--C);color:#fff}.C a{color:#fff}
.N{background:#f1f1f1;color:#999}
.legend span{padding:1px 6px;margin-right:4px;border:1px solid var(--line);font-size:12px}
/* roll-up */
table.ru td.bar{min-width:4em;padding:2px 4px} table.ru th.mono{max-width:7em;font-size:11px}
.bar div{display:flex;height:9px;border-radius:2px;overflow:hidden;background:#eee}
.bar i{display:block}.bar i.bP{background:#5cb85c}.bar i.bS{background:#e8c63a}.bar i.bF{background:#d9534f}
.bar small{display:block;font-size:10.5px;color:#444;white-space:nowrap}
table.ru tr.suite>td:first-child{font-weight:600;cursor:pointer}
table.ru tr.file td:first-child{padding-left:1.4em;font-size:12px}
table.ru tr.file{display:none} table.ru tr.file.open{display:table-row}
.hasbad{color:#b52020;font-weight:600}.hasdiff{color:#2750a8;font-weight:600}
/* matrix */
.controls{position:sticky;top:0;z-index:3;background:#fff;padding:.5em 0;border-bottom:1px solid var(--line);display:flex;flex-wrap:wrap;gap:.4em 1.2em;align-items:center}
.controls label{white-space:nowrap}
#grid thead th{position:sticky;top:var(--ctl,2.6em);z-index:2;font-size:11.5px;writing-mode:horizontal-tb;max-width:7em;word-break:break-all}
#grid td.id{font-size:12px;max-width:34em;word-break:break-word;background:#fff}
#grid td.id .name{cursor:pointer;font-family:ui-monospace,"DejaVu Sans Mono",monospace}
#grid td.id a.pl{color:#999;text-decoration:none;margin-right:.3em}
#grid td.id .claim{display:none;font-size:12.5px;color:#333;margin:.3em 0 .1em;padding:.35em .5em;background:#f7f7f7;border-left:3px solid #bbb;white-space:pre-wrap}
#grid tr.open td.id .claim{display:block}
#grid tr.v td.id{border-left:4px solid #3465c9}#grid tr.b td.id{border-left:4px solid #c9302c}
#grid tr:target td,#grid tr.hl td{outline:2px solid #f0ad4e;outline-offset:-2px}
td.c{font-size:11.5px;min-width:4.2em;max-width:13em}
td.c a{color:inherit;text-decoration:none;font-weight:600} td.c a:hover{text-decoration:underline}
td.c .v{font-weight:400} td.c .lack{font-style:italic}
td.c .r{display:block;font-size:10.5px;line-height:1.25;color:#333;max-height:3.8em;overflow:hidden}
td.c.C .r{color:#eee}
#shown{color:#555}
pre.err{background:#fee;padding:.5em;white-space:pre-wrap}
details.tests summary{cursor:pointer;color:#2750a8}
.muted{color:#777}
"#;

const SCRIPT: &str = r#"
(function(){
var rows=[].slice.call(document.querySelectorAll('#grid tbody tr'));
function val(n){var e=document.querySelector('input[name=view]:checked');return e?e.value:'focus';}
function apply(){
  var view=val(), suite=document.getElementById('suite').value, q=document.getElementById('q').value.toLowerCase(), n=0;
  rows.forEach(function(tr){
    var c=tr.classList, ok;
    if(view==='all') ok=true;
    else if(view==='disagree') ok=c.contains('v')||c.contains('b')||c.contains('d');
    else if(view==='skips') ok=c.contains('k');
    else ok=c.contains('v')||c.contains('b');
    if(ok&&suite) ok=tr.getAttribute('data-s')===suite;
    if(ok&&q) ok=tr.id.toLowerCase().indexOf(q)>=0;
    tr.hidden=!ok; if(ok) n++;
  });
  document.getElementById('shown').textContent=n+' of '+rows.length+' rows shown';
  document.getElementById('none').hidden=n>0;
}
function setView(v){var e=document.querySelector('input[name=view][value="'+v+'"]');if(e){e.checked=true;}}
function reveal(){
  var h=decodeURIComponent(location.hash.slice(1));
  if(h.indexOf('t-')!==0) return;
  var tr=document.getElementById(h); if(!tr) return;
  rows.forEach(function(r){r.classList.remove('hl');});
  tr.hidden=false; tr.classList.add('open'); tr.classList.add('hl');
  tr.scrollIntoView({block:'center'});
}
var p=new URLSearchParams(location.search);
var focus=rows.filter(function(tr){return tr.classList.contains('v')||tr.classList.contains('b');}).length;
setView(p.get('view')||(focus?'focus':'all'));
if(p.get('suite')) document.getElementById('suite').value=p.get('suite');
if(p.get('q')) document.getElementById('q').value=p.get('q');
document.querySelectorAll('input[name=view]').forEach(function(e){e.addEventListener('change',apply);});
document.getElementById('suite').addEventListener('change',apply);
document.getElementById('q').addEventListener('input',apply);
document.addEventListener('click',function(e){
  var n=e.target.closest('#grid .name'); if(n){n.closest('tr').classList.toggle('open');return;}
  var s=e.target.closest('[data-suite]'); if(s){document.getElementById('suite').value=s.getAttribute('data-suite');setView('all');apply();document.getElementById('matrix').scrollIntoView();return;}
  var f=e.target.closest('table.ru tr.suite'); if(f){var k=f.getAttribute('data-k');document.querySelectorAll('table.ru tr.file[data-k="'+k+'"]').forEach(function(r){r.classList.toggle('open');});}
});
var ctl=document.querySelector('.controls'); if(ctl){document.documentElement.style.setProperty('--ctl',ctl.offsetHeight+'px');}
window.addEventListener('hashchange',reveal);
apply(); reveal();
document.body.setAttribute('data-ready','1');
})();
"#;

/// `PASS` -> `P`: the short class of a kind (`X` for any other: an expected deviation).
fn k(kind: Kind) -> &'static str {
    match kind.label() {
        "PASS" => "P",
        "SKIP" => "S",
        "FAIL" => "F",
        "TIMEOUT" => "T",
        "CRASH" => "C",
        _ => "X",
    }
}

pub fn render(doc: &ResultsDoc) -> String {
    let mut h = String::with_capacity(1 << 20);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>ipcspec matrix</title><style>{STYLE}</style></head><body><main>\n"
    );
    headline(&mut h, doc);
    columns(&mut h, doc);
    if !doc.build_errors.is_empty() {
        h.push_str("<h2>Suites that do not build</h2>\n");
        for b in &doc.build_errors {
            let _ = writeln!(h, "<h3>{}</h3><pre class=\"err\">{}</pre>", e(&b.suite), e(b.message.trim()));
        }
    }
    rollups(&mut h, doc);
    skips(&mut h, doc);
    matrix(&mut h, doc);
    let diags: Vec<_> = doc.columns.iter().filter(|c| !c.diagnostics.is_empty()).collect();
    if !diags.is_empty() {
        h.push_str("<h2 id=\"diagnostics\">Diagnostics</h2>\n");
        for c in diags {
            let _ = writeln!(h, "<h3>{}</h3><pre>{}</pre>", e(&c.column), e(&c.diagnostics.join("\n")));
        }
    }
    let _ = writeln!(h, "</main><script>{SCRIPT}</script></body></html>");
    h
}

fn headline(h: &mut String, doc: &ResultsDoc) {
    let s = &doc.summary;
    let _ = writeln!(h, "<h1>ipcspec: which IPC semantics hold where</h1>");
    let _ = writeln!(
        h,
        "<div class=\"meta\">{} · started {} · {}{} · {} tests × {} columns</div>",
        e(&doc.tool),
        e(&doc.started_at),
        human_ms(doc.duration_ms),
        if doc.merged_from.is_empty() { String::new() } else { format!(" · merged from {} runs", doc.merged_from.len()) },
        s.tests,
        s.columns
    );
    let failing = doc.tests.iter().filter(|r| r.cells.values().any(|c| c.outcome.kind().is_bad())).count();
    let skipped: usize = doc.columns.iter().map(|c| c.counts.skip).sum();
    h.push_str("<div class=\"head\">");
    let _ = write!(
        h,
        "<a class=\"tile {}\" href=\"#matrix\"><b>{}</b>{}</a>",
        if s.behaviour_differences > 0 { "diff" } else { "good" },
        s.behaviour_difference_claims,
        e(&format!(
            "claims behave differently ({} test case{})",
            s.behaviour_differences,
            if s.behaviour_differences == 1 { "" } else { "s" }
        ))
    );
    let _ = write!(
        h,
        "<a class=\"tile {}\" href=\"#matrix\"><b>{failing}</b>test{} fail somewhere ({} bad cell{})</a>",
        if failing > 0 { "bad" } else { "good" },
        if failing == 1 { "" } else { "s" },
        s.bad_cells,
        if s.bad_cells == 1 { "" } else { "s" }
    );
    let _ = write!(h, "<a class=\"tile\" href=\"#skips\"><b>{skipped}</b>cells skipped</a>");
    let _ = write!(h, "<a class=\"tile\" href=\"#matrix\"><b>{}</b>rows disagree ({} between targets)</a>", s.disagreements, s.target_disagreements);
    let _ = write!(
        h,
        "<div class=\"tile {}\"><b>{}</b>{}</div>",
        if s.ok { "good" } else { "bad" },
        if s.ok { "OK" } else { "FAILURES" },
        if s.ok { "all passed or skipped" } else if doc.build_errors.is_empty() { "something failed" } else { "a suite does not build" }
    );
    h.push_str("</div>\n");
    let _ = writeln!(h, "<div class=\"meta\">{}.</div>", e(&differences_line(doc)));
}

fn columns(h: &mut String, doc: &ResultsDoc) {
    h.push_str("<h2>Columns</h2><table class=\"sum\"><thead><tr><th>column</th><th>kernel</th><th class=\"num\">pass</th><th class=\"num\">fail</th><th class=\"num\">skip</th><th class=\"num\">timeout</th><th class=\"num\">crash</th><th>status</th><th class=\"num\">time</th></tr></thead><tbody>\n");
    for c in &doc.columns {
        let n = &c.counts;
        let status = match &c.status {
            RunStatus::Complete => "complete".to_string(),
            RunStatus::Incomplete { reason } => format!("<span class=\"C\">incomplete</span> {}", e(reason)),
        };
        let _ = writeln!(
            h,
            "<tr><td><code>{}</code></td><td title=\"{}\">{}</td><td class=\"num\">{}</td><td class=\"num{}\">{}</td><td class=\"num\">{}</td><td class=\"num{}\">{}</td><td class=\"num{}\">{}</td><td>{}</td><td class=\"num\">{}</td></tr>",
            e(&c.column),
            e(c.kernel_source.as_deref().unwrap_or("")),
            e(c.kernel_release.as_deref().unwrap_or("?")),
            n.pass,
            if n.fail > 0 { " F" } else { "" },
            n.fail,
            n.skip,
            if n.timeout > 0 { " T" } else { "" },
            n.timeout,
            if n.crash > 0 { " C" } else { "" },
            n.crash,
            status,
            human_ms(c.timings.total_ms)
        );
    }
    h.push_str("</tbody></table>\n");
}

/// A stacked bar (pass, skip, fail+timeout+crash) with the counts under it.
fn bar(n: &Counts) -> String {
    let total = n.total();
    if total == 0 {
        return "<td class=\"bar N\">–</td>".into();
    }
    let pct = |x: usize| x as f64 * 100.0 / total as f64;
    let mut small = format!("{}", n.pass);
    if n.skip > 0 {
        let _ = write!(small, " · {}s", n.skip);
    }
    if n.bad() > 0 {
        let _ = write!(small, " · <b class=\"hasbad\">{}✗</b>", n.bad());
    }
    format!(
        "<td class=\"bar\" title=\"{} passed, {} skipped, {} failed, {} timed out, {} crashed\"><div><i class=\"bP\" style=\"width:{:.1}%\"></i><i class=\"bS\" style=\"width:{:.1}%\"></i><i class=\"bF\" style=\"width:{:.1}%\"></i></div><small>{small}</small></td>",
        n.pass,
        n.skip,
        n.fail,
        n.timeout,
        n.crash,
        pct(n.pass),
        pct(n.skip),
        pct(n.bad())
    )
}

fn rollups(h: &mut String, doc: &ResultsDoc) {
    let ru = rollup(doc);
    if ru.is_empty() {
        return;
    }
    h.push_str("<h2 id=\"rollup\">Per suite (mechanism) and test file</h2>\n<p class=\"muted\">A bar per column: passed (green), skipped (yellow), failed, timed out or crashed (red); the number of passes, then skips (s) and bad cells (✗). Click a suite for its files; click its test count to see its rows in the matrix.</p>\n");
    h.push_str("<table class=\"ru\"><thead><tr><th>suite</th><th class=\"num\">tests</th><th class=\"num\">behaviour<br>differences</th><th class=\"num\">failing<br>tests</th>");
    for c in &doc.columns {
        let _ = write!(h, "<th class=\"mono\">{}</th>", col_head(&c.column));
    }
    h.push_str("</tr></thead><tbody>\n");
    let line = |h: &mut String, r: &Rollup, class: &str, key: &str| {
        let _ = write!(
            h,
            "<tr class=\"{class}\" data-k=\"{}\"><td>{}</td><td class=\"num\"><a href=\"#matrix\" data-suite=\"{}\">{}</a></td><td class=\"num{}\">{}</td><td class=\"num{}\">{}</td>",
            e(key),
            e(if class == "suite" { &r.name } else { r.name.split("::").nth(1).unwrap_or(&r.name) }),
            e(key),
            r.tests,
            if r.differences > 0 { " hasdiff" } else { "" },
            r.differences,
            if r.failing > 0 { " hasbad" } else { "" },
            r.failing
        );
        for n in &r.columns {
            h.push_str(&bar(n));
        }
        h.push_str("</tr>\n");
    };
    for s in &ru {
        line(h, s, "suite", &s.name);
        for f in &s.files {
            line(h, f, "file", &s.name);
        }
    }
    h.push_str("</tbody></table>\n");
}

fn skips(h: &mut String, doc: &ResultsDoc) {
    let groups = skipped_by_reason(doc);
    h.push_str("<h2 id=\"skips\">Skipped, by reason</h2>\n");
    if groups.is_empty() {
        h.push_str("<p class=\"muted\">No test was skipped.</p>\n");
        return;
    }
    h.push_str("<p class=\"muted\">A skip is never a pass: the test could not run there, for the reason it gave.</p>\n<table class=\"sk\"><thead><tr><th>reason</th><th class=\"num\">cells</th><th>columns</th><th>tests</th></tr></thead><tbody>\n");
    for (reason, cells) in &groups {
        let mut cols: Vec<(&str, usize)> = Vec::new();
        for (_, c) in cells {
            match cols.iter_mut().find(|x| x.0 == c) {
                Some(x) => x.1 += 1,
                None => cols.push((c, 1)),
            }
        }
        let mut tests: Vec<&str> = cells.iter().map(|(id, _)| id.as_str()).collect();
        tests.dedup();
        let links: Vec<String> = tests.iter().map(|id| format!("<a href=\"#t-{}\" class=\"mono\">{}</a>", e(id), e(id))).collect();
        let list = if links.len() <= 3 {
            links.join("<br>")
        } else {
            format!("{}<details class=\"tests\"><summary>{} more</summary>{}</details>", links[..3].join("<br>"), links.len() - 3, links[3..].join("<br>"))
        };
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"mono\">{}</td><td>{list}</td></tr>",
            e(reason),
            cells.len(),
            cols.iter().map(|(c, n)| format!("{} ({n})", e(c))).collect::<Vec<_>>().join(", ")
        );
    }
    h.push_str("</tbody></table>\n");
}

fn matrix(h: &mut String, doc: &ResultsDoc) {
    let mut suites: Vec<&str> = doc.tests.iter().map(|r| r.suite.as_str()).collect();
    suites.sort();
    suites.dedup();
    h.push_str("<h2 id=\"matrix\">Matrix</h2>\n<div class=\"controls\"><span>show:</span>");
    for (v, label) in [
        ("focus", "behaviour differences and failures"),
        ("disagree", "+ rows whose outcomes differ"),
        ("skips", "rows with a skip"),
        ("all", "all rows"),
    ] {
        let _ = write!(h, "<label><input type=\"radio\" name=\"view\" value=\"{v}\"> {label}</label>");
    }
    h.push_str("<label>suite <select id=\"suite\"><option value=\"\">all</option>");
    for s in &suites {
        let _ = write!(h, "<option>{}</option>", e(s));
    }
    h.push_str("</select></label><input id=\"q\" placeholder=\"filter test ids\" size=\"24\"> <span id=\"shown\"></span></div>\n");
    h.push_str("<p class=\"muted\">Blue edge: the cells show different variants (a behaviour difference). Red edge: a FAIL, TIMEOUT or CRASH. Click a test for its claim and sources, its <b>#</b> for a link to the row; a cell opens its log.</p>\n<div class=\"legend\">");
    for kind in Kind::ALL {
        let _ = write!(h, "<span class=\"{}\">{}</span>", k(kind), kind.label());
    }
    h.push_str("</div>\n<p id=\"none\" class=\"muted\" hidden>No row matches: no behaviour difference or failure here. Choose “all rows”.</p>\n");
    h.push_str("<table id=\"grid\"><thead><tr><th>test</th>");
    for c in &doc.columns {
        let _ = write!(h, "<th title=\"{}\">{}</th>", e(c.kernel_release.as_deref().unwrap_or("")), col_head(&c.column));
    }
    h.push_str("</tr></thead><tbody>\n");
    for r in &doc.tests {
        let bad = r.cells.values().any(|c| c.outcome.kind().is_bad());
        let skip = r.cells.values().any(|c| c.outcome.kind() == Kind::Skip);
        let mut class = Vec::new();
        if !r.variants_agree {
            class.push("v");
        }
        if bad {
            class.push("b");
        }
        if !r.agree {
            class.push("d");
        }
        if !r.targets_agree {
            class.push("td");
        }
        if skip {
            class.push("k");
        }
        let file = r.id.split("::").nth(1).unwrap_or("");
        let mut claim = String::new();
        if let Some(c) = &r.claim {
            claim.push_str(&e(c.trim()));
        } else {
            claim.push_str("(no doc comment)");
        }
        if !r.sources.is_empty() {
            let srcs: Vec<String> = r.sources.iter().map(|s| source_link(s)).collect();
            let _ = write!(claim, "\n<b>Sources:</b> {}", srcs.join("; "));
        }
        let _ = write!(claim, "\n<span class=\"muted\">suites/{}/tests/{}.rs</span>", e(&r.suite), e(file));
        if !r.variants.is_empty() {
            let _ = write!(claim, "\n<b>Variants seen:</b> {}", e(&r.variants.join(" / ")));
        }
        let _ = write!(
            h,
            "<tr id=\"t-{id}\" class=\"{}\" data-s=\"{}\"><td class=\"id\"><a class=\"pl\" href=\"#t-{id}\" title=\"link to this row\">#</a><span class=\"name\">{id}</span><div class=\"claim\">{claim}</div></td>",
            class.join(" "),
            e(&r.suite),
            id = e(&r.id),
        );
        for c in &doc.columns {
            match r.cells.get(&c.column) {
                None => h.push_str("<td class=\"c N\">–</td>"),
                Some(cell) => {
                    let kind = cell.outcome.kind();
                    let lack = cell.variant.as_ref().is_some_and(|v| v.lacking);
                    let var = match &cell.variant {
                        Some(v) => format!(" <span class=\"v{}\">· {}</span>", if lack { " lack" } else { "" }, e(&v.name)),
                        None => String::new(),
                    };
                    let detail = super::cell_detail(cell);
                    let reason = if kind == Kind::Pass || detail.is_empty() { String::new() } else { format!("<span class=\"r\">{}</span>", e(&short(detail, 90))) };
                    let title = if detail.is_empty() { cell_head(cell) } else { format!("{}: {}", cell_head(cell), first_line(detail)) };
                    let _ = write!(
                        h,
                        "<td class=\"c {}\" title=\"{}\"><a href=\"{}\">{}</a>{var}{reason}</td>",
                        k(kind),
                        e(&title),
                        e(&logs::href(&c.column, &r.id)),
                        kind.label()
                    );
                }
            }
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody></table>\n");
}

/// A column's name as a header that may wrap after `:` and before `/` (`docker:default/nobody`
/// in three short lines rather than one wide column).
fn col_head(column: &str) -> String {
    e(column).replace(':', ":<wbr>").replace('/', "<wbr>/")
}

/// `pipe(7)` -> a link to the man page on man7.org; anything else as text.
fn source_link(s: &str) -> String {
    let t = s.trim();
    if let Some(open) = t.find('(')
        && t.ends_with(')')
    {
        let name = &t[..open];
        let sec = &t[open + 1..t.len() - 1];
        let ok_name = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c));
        let ok_sec = sec.len() <= 3 && sec.starts_with(|c: char| c.is_ascii_digit()) && sec.chars().all(|c| c.is_ascii_alphanumeric());
        if ok_name && ok_sec {
            let num = &sec[..1];
            return format!("<a href=\"https://man7.org/linux/man-pages/man{num}/{name}.{sec}.html\">{}</a>", e(t));
        }
    }
    e(t)
}

/// The first `n` characters of the text on one line.
fn short(s: &str, n: usize) -> String {
    let one = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one.chars().count() > n { format!("{}…", one.chars().take(n).collect::<String>()) } else { one }
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").chars().take(200).collect()
}

/// HTML escaping for text and attribute values.
pub fn e(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn man_pages_are_linked() {
        assert_eq!(source_link("pipe(7)"), "<a href=\"https://man7.org/linux/man-pages/man7/pipe.7.html\">pipe(7)</a>");
        assert!(source_link("mq_open(3p)").contains("man3/mq_open.3p.html"));
        assert_eq!(source_link("POSIX.1-2017 <x>"), "POSIX.1-2017 &lt;x&gt;");
        assert_eq!(source_link("kernel commit 1234(abc)"), "kernel commit 1234(abc)");
    }

    #[test]
    fn the_page_has_anchors_logs_rollup_and_skips() {
        let d = crate::report::document(&crate::report::tests::session());
        let h = render(&d);
        assert!(h.contains("<tr id=\"t-pipes::cap::b\" class=\"b d td\""), "{h}");
        assert!(h.contains("href=\"#t-pipes::cap::b\""));
        assert!(h.contains("href=\"logs/vm-5.10/pipes--cap--b.log\""));
        // The skip reason is in the cell and in the table of reasons.
        assert!(h.contains("<span class=\"r\">requires kernel &gt;= 5.11</span>"), "{h}");
        assert!(h.contains("<h2 id=\"skips\">Skipped, by reason</h2>") && h.contains("<td>requires kernel &gt;= 5.11</td><td class=\"num\">1</td>"));
        assert!(h.find("id=\"rollup\"").unwrap() < h.find("id=\"matrix\"").unwrap());
        assert!(h.find("id=\"skips\"").unwrap() < h.find("id=\"grid\"").unwrap());
        // Self-contained: nothing loaded from elsewhere.
        assert!(!h.contains("<script src") && !h.contains("<link ") && !h.contains("@import"));
    }
}
