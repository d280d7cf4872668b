//! matrix.html: one self-contained page (inline CSS and a few lines of JS, no network) with a
//! coloured grid — rows are tests (disagreeing rows first), columns are targets; a cell shows
//! its outcome and opens to the failure message or skip reason.

use std::fmt::Write;

use super::ResultsDoc;
use crate::model::{Kind, RunStatus};
use crate::util::human_ms;

const STYLE: &str = r#"
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.4em;margin:0 0 .3em} .meta{color:#555;margin-bottom:1em}
table{border-collapse:collapse} th,td{border:1px solid #ccc;padding:3px 6px;vertical-align:top}
thead th{position:sticky;top:0;background:#f4f4f4;z-index:1}
td.id{font-family:ui-monospace,monospace;font-size:12px;max-width:38em;word-break:break-all}
td.id .claim{font-family:system-ui,sans-serif;color:#555;font-size:12px;display:none}
tr.open td.id .claim{display:block}
.PASS{background:#c8efc8}.FAIL{background:#f7b0b0}.SKIP{background:#f8eaa6}.TIMEOUT{background:#e0b0f0}.CRASH{background:#555;color:#fff}
.none{background:#eee;color:#999}
td.cell{min-width:5.5em;font-size:12px}
td.cell details summary{cursor:pointer;font-weight:600}
td.cell pre{white-space:pre-wrap;max-width:40em;font-size:11px;margin:.3em 0}
tr.dis td.id{border-left:4px solid #e9a}tr.tdis td.id{border-left:4px solid #d33}
.sum td,.sum th{font-size:13px}
.controls{margin:1em 0} .controls label{margin-right:1em}
.legend span{padding:2px 6px;margin-right:4px;border:1px solid #ccc}
pre.err{background:#fee;padding:.5em;white-space:pre-wrap}
"#;

const SCRIPT: &str = r#"
function apply(){
  var only=document.getElementById('onlydis').checked;
  var bad=document.getElementById('onlybad').checked;
  var q=document.getElementById('q').value.toLowerCase();
  var tdis=document.getElementById('onlytdis').checked;
  document.querySelectorAll('#grid tbody tr').forEach(function(tr){
    var show=(!only||tr.classList.contains('dis'))&&(!tdis||tr.classList.contains('tdis'))&&(!bad||tr.classList.contains('bad'))&&(!q||tr.dataset.id.indexOf(q)>=0);
    tr.style.display=show?'':'none';
  });
}
document.addEventListener('click',function(e){var td=e.target.closest('td.id');if(td){td.parentNode.classList.toggle('open');}});
"#;

pub fn render(doc: &ResultsDoc) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>ipcspec matrix</title><style>{STYLE}</style></head><body>\n"
    );
    let _ = writeln!(h, "<h1>ipcspec: which IPC semantics hold where</h1>");
    let _ = writeln!(
        h,
        "<div class=\"meta\">{} · {} · {} · {} tests × {} columns · {} rows disagree · <b>{}</b></div>",
        e(&doc.tool),
        e(&doc.started_at),
        human_ms(doc.duration_ms),
        doc.summary.tests,
        doc.summary.columns,
        doc.summary.disagreements,
        if doc.summary.ok { "all passed or skipped" } else { "FAILURES" }
    );
    h.push_str("<div class=\"legend\">");
    for k in Kind::ALL {
        let _ = write!(h, "<span class=\"{0}\">{0}</span>", k.label());
    }
    h.push_str("</div>\n");
    // Column summary.
    h.push_str("<h2>Columns</h2><table class=\"sum\"><thead><tr><th>column</th><th>kernel</th><th>pass</th><th>fail</th><th>skip</th><th>timeout</th><th>crash</th><th>status</th><th>time</th></tr></thead><tbody>\n");
    for c in &doc.columns {
        let n = &c.counts;
        let status = match &c.status {
            RunStatus::Complete => "complete".to_string(),
            RunStatus::Incomplete { reason } => format!("<span class=\"CRASH\">incomplete</span> {}", e(reason)),
        };
        let _ = writeln!(
            h,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            e(&c.column),
            e(c.kernel_release.as_deref().unwrap_or("?")),
            n.pass,
            n.fail,
            n.skip,
            n.timeout,
            n.crash,
            status,
            human_ms(c.timings.total_ms)
        );
    }
    h.push_str("</tbody></table>\n");
    if !doc.build_errors.is_empty() {
        h.push_str("<h2>Suites that do not build</h2>\n");
        for b in &doc.build_errors {
            let _ = writeln!(h, "<h3>{}</h3><pre class=\"err\">{}</pre>", e(&b.suite), e(b.message.trim()));
        }
    }
    h.push_str("<h2>Matrix</h2><div class=\"controls\"><label><input type=\"checkbox\" id=\"onlydis\" onchange=\"apply()\"> only rows where columns disagree</label><label><input type=\"checkbox\" id=\"onlytdis\" onchange=\"apply()\"> only rows where targets disagree</label><label><input type=\"checkbox\" id=\"onlybad\" onchange=\"apply()\"> only rows with FAIL/TIMEOUT/CRASH</label><input id=\"q\" placeholder=\"filter test ids\" oninput=\"apply()\"> <small>(click a test id for its claim)</small></div>\n");
    h.push_str("<table id=\"grid\"><thead><tr><th>test</th>");
    for c in &doc.columns {
        let _ = write!(h, "<th title=\"{}\">{}</th>", e(c.kernel_release.as_deref().unwrap_or("")), e(&c.column));
    }
    h.push_str("</tr></thead><tbody>\n");
    for r in &doc.tests {
        let bad = r.cells.values().any(|c| c.outcome.kind().is_bad());
        let class = format!("{}{}{}", if r.agree { "" } else { "dis" }, if r.targets_agree { "" } else { " tdis" }, if bad { " bad" } else { "" });
        let claim = match &r.claim {
            Some(c) => format!("<div class=\"claim\">{}{}</div>", e(c), if r.sources.is_empty() { String::new() } else { format!("<br><i>Source: {}</i>", e(&r.sources.join("; "))) }),
            None => String::new(),
        };
        let _ = write!(h, "<tr class=\"{class}\" data-id=\"{}\"><td class=\"id\">{}{claim}</td>", e(&r.id.to_lowercase()), e(&r.id));
        for c in &doc.columns {
            match r.cells.get(&c.column) {
                None => h.push_str("<td class=\"cell none\">–</td>"),
                Some(cell) => {
                    let k = cell.outcome.kind().label();
                    let d = cell.outcome.detail();
                    if d.is_empty() {
                        let _ = write!(h, "<td class=\"cell {k}\">{k}</td>");
                    } else {
                        let _ = write!(h, "<td class=\"cell {k}\" title=\"{}\"><details><summary>{k}</summary><pre>{}</pre></details></td>", e(&first_line(d)), e(d));
                    }
                }
            }
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody></table>\n");
    let diags: Vec<_> = doc.columns.iter().filter(|c| !c.diagnostics.is_empty()).collect();
    if !diags.is_empty() {
        h.push_str("<h2>Diagnostics</h2>\n");
        for c in diags {
            let _ = writeln!(h, "<h3>{}</h3><pre>{}</pre>", e(&c.column), e(&c.diagnostics.join("\n")));
        }
    }
    let _ = writeln!(h, "<script>{SCRIPT}</script></body></html>");
    h
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
