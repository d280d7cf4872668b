//! results.json: the [`ResultsDoc`](super::ResultsDoc), pretty-printed. Schema in
//! docs/results-schema.md.

use super::ResultsDoc;

pub fn render(doc: &ResultsDoc) -> String {
    let mut s = serde_json::to_string_pretty(doc).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}
