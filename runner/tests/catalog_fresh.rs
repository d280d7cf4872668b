//! docs/catalog.md and docs/catalog.json must say what the test sources say.
//!
//! When this fails, regenerate them (and commit the result):
//!
//!     cargo run -p ipcspec -- catalog

mod common;

use std::path::Path;

#[test]
fn catalog_is_fresh() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let cat = ipcspec::catalog::scan(root);
    assert!(cat.errors.is_empty(), "test files that do not parse: {:?}", cat.errors);
    if let Err(e) = ipcspec::generated::check(root, &cat) {
        panic!("{e}");
    }
}

#[test]
fn catalog_check_command_agrees() {
    skip_unless!(common::need_root());
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ipcspec"))
        .args(["catalog", "--check"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let fresh = ipcspec::generated::check(root, &ipcspec::catalog::scan(root)).is_ok();
    assert_eq!(out.status.success(), fresh, "{}", String::from_utf8_lossy(&out.stderr));
    if !fresh {
        assert!(String::from_utf8_lossy(&out.stderr).contains("cargo run -p ipcspec -- catalog"));
    }
}
