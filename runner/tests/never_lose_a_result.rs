//! A hung test, a crashing kernel and a kernel that cannot start its init are reported, not
//! lost, and every other cell is complete.
//!
//! These boot QEMU VMs (the 6.1 kernel is fetched into the cache on first use), so they are
//! ignored by default. Run them with:
//!
//!     cargo test -p ipcspec --test never_lose_a_result -- --ignored
//!
//! (plain cargo test: nextest's 30 s terminate-after would stop the VM boots; about 1.5
//! minutes with TCG, as on a machine without usable KVM.)

mod common;

use std::path::Path;

use serde_json::Value;

const HANG: &str = "fds::dup::dup_returns_the_lowest_unused_number";
const PANIC_AT: &str = "fds::dup::dup_shares_the_file_offset";

/// The runner on the fds suite ([`common::run_json`]): exit status, results.json, output.
fn ipcspec(out: &Path, args: &[&str]) -> (i32, Value, String) {
    common::run_json(out, &[args, &["--suite", "fds"]].concat())
}

fn outcomes(doc: &Value, column: &str) -> Vec<(String, String)> {
    doc["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["id"].as_str().unwrap().to_string(), r["cells"][column]["outcome"].as_str().unwrap_or("MISSING").to_string()))
        .collect()
}

#[test]
#[ignore = "boots a VM"]
fn a_hung_test_is_a_timeout_and_the_rest_completes() {
    skip_unless!(common::need_root());
    let out = tempfile::tempdir().unwrap();
    let (code, doc, text) = ipcspec(out.path(), &["matrix", "--targets", "vm:6.1", "--test-timeout", "5s", "--inject-hang", HANG]);
    assert_eq!(code, 1, "{text}");
    for col in ["vm:6.1", "vm:6.1/nobody"] {
        let c = common::cell(&doc, col, HANG);
        assert_eq!(c["outcome"], "TIMEOUT", "{col}: {c}");
        for (id, o) in outcomes(&doc, col) {
            if id != HANG {
                assert!(o == "PASS" || o == "SKIP", "{col} {id}: {o}");
            }
        }
    }
}

#[test]
#[ignore = "boots a VM"]
fn a_kernel_panic_is_a_crash_for_the_rest_and_other_targets_complete() {
    skip_unless!(common::need_root());
    let out = tempfile::tempdir().unwrap();
    let (code, doc, text) =
        ipcspec(out.path(), &["matrix", "--targets", "host,vm:6.1", "--users", "root", "--vm-parallel", "1", "--vm-mode", "isolated", "--inject-panic-before", PANIC_AT]);
    assert_eq!(code, 1, "{text}");
    let vm = outcomes(&doc, "vm:6.1");
    let reason = common::crash_reason(&doc, "vm:6.1", PANIC_AT);
    assert!(reason.contains("sysrq") && reason.contains("while this test was running"), "{reason}");
    // Results written before the panic are kept: some tests passed in the VM.
    assert!(vm.iter().any(|(_, o)| o == "PASS"), "{vm:?}");
    assert!(vm.iter().all(|(_, o)| o == "PASS" || o == "SKIP" || o == "CRASH"), "{vm:?}");
    // The host column is complete and clean.
    for (id, o) in outcomes(&doc, "host") {
        assert!(o == "PASS" || o == "SKIP", "host {id}: {o}");
    }
    let col = doc["columns"].as_array().unwrap().iter().find(|c| c["column"] == "vm:6.1").unwrap();
    assert_eq!(col["status"]["state"], "incomplete");
}

#[test]
#[ignore = "boots a VM"]
fn a_kernel_that_cannot_start_init_crashes_every_cell_of_its_column() {
    skip_unless!(common::need_root());
    let out = tempfile::tempdir().unwrap();
    let (code, doc, text) = ipcspec(out.path(), &["run", "--target", "vm:6.1", "--kernel-append", "rdinit=/nonexistent init=/nonexistent"]);
    assert_eq!(code, 1, "{text}");
    let all = outcomes(&doc, "vm:6.1");
    assert!(!all.is_empty());
    for (id, o) in &all {
        assert_eq!(o, "CRASH", "{id}");
    }
    let reason = common::crash_reason(&doc, "vm:6.1", &all[0].0);
    assert!(reason.contains("never started") && reason.contains("Kernel panic"), "{reason}");
}
