//! `ipcspec-restore`: put back what the journal of changes to global state says for every
//! change whose test is gone (killed before its guard ran), and remove those entries
//! ([`ipcspec_protocol::journal::restore`]). nextest runs it as a setup script before the
//! tests that change global state (.config/nextest.toml), so that a plain `cargo nextest run`
//! starts from the machine as it was even when the previous run was killed; the runner does
//! the same itself (`ipcspec restore`). Always exits 0: what it could not do is said on
//! stderr, and the tests that depend on the value say the rest.

fn main() {
    let report = ipcspec_protocol::journal::restore();
    for line in report.lines() {
        eprintln!("ipcspec-restore: {line}");
    }
    if !report.kept.is_empty() {
        eprintln!("ipcspec-restore: {} journal entries of processes still running were left to them", report.kept.len());
    }
}
