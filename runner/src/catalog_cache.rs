//! The catalog of an unchanged tree, scanned once: [`crate::catalog::scan`] kept in the target
//! directory under a digest of every file below suites/ and fixtures/src/ and of the running
//! binary. A runner started again on the same tree (the runner's own tests start dozens)
//! reads it instead of parsing every suite again, which takes about a second in a debug
//! build. Any change to a source file, or a rebuilt runner, makes a new scan. `ipcspec
//! catalog` itself always scans.

use std::collections::hash_map::DefaultHasher;
use std::fs;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::catalog::{self, Catalog};
use crate::discover::Workspace;

/// The file in the cache directory (`<target>/ipcspec/`).
const FILE: &str = "catalog-cache.json";

#[derive(Serialize, Deserialize)]
struct Cached {
    key: String,
    catalog: Catalog,
}

/// The catalog of workspace `ws`, its cache in `<target>/ipcspec/`.
pub fn scan_workspace(ws: &Workspace) -> Catalog {
    scan(&ws.root, &ws.target_dir.join("ipcspec"))
}

/// The catalog of the tree at `root`, from the cache in `cache_dir` when it was made from
/// the same sources by the same binary, otherwise scanned (and kept there if it can be).
pub fn scan(root: &Path, cache_dir: &Path) -> Catalog {
    let Some(key) = digest(root) else { return catalog::scan(root) };
    let path = cache_dir.join(FILE);
    if let Ok(bytes) = fs::read(&path)
        && let Ok(c) = serde_json::from_slice::<Cached>(&bytes)
        && c.key == key
    {
        return c.catalog;
    }
    let scanned = catalog::scan(root);
    if let Ok(bytes) = serde_json::to_vec(&Cached { key, catalog: scanned.clone() }) {
        // A user who may not write the target directory scans every time.
        let _ = crate::util::write_atomic(&path, &bytes);
    }
    scanned
}

/// A digest of what the scan reads — every file below suites/ and fixtures/src/, by path
/// and content — and of the running binary (its size and modification time), with the
/// catalog's schema. None when something cannot be read: then nothing is cached.
fn digest(root: &Path) -> Option<String> {
    let mut files = Vec::new();
    for dir in ["suites", "fixtures/src"] {
        collect(&root.join(dir), &mut files).ok()?;
    }
    files.sort();
    let mut h = DefaultHasher::new();
    catalog::CATALOG_SCHEMA.hash(&mut h);
    let exe = fs::metadata(std::env::current_exe().ok()?).ok()?;
    (exe.len(), exe.modified().ok()?).hash(&mut h);
    for f in &files {
        f.strip_prefix(root).unwrap_or(f).hash(&mut h);
        fs::read(f).ok()?.hash(&mut h);
    }
    Some(format!("{:016x}-{}", h.finish(), files.len()))
}

/// Every regular file below `dir`.
fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for e in fs::read_dir(dir)? {
        let e = e?;
        let t = e.file_type()?;
        if t.is_dir() {
            collect(&e.path(), out)?;
        } else if t.is_file() {
            out.push(e.path());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cached catalog is the scanned one, field for field; a changed source is scanned again.
    #[test]
    fn the_cache_gives_the_scan_and_a_change_scans_again() {
        let tree = tempfile::tempdir().unwrap();
        let root = tree.path();
        fs::create_dir_all(root.join("fixtures/src")).unwrap();
        fs::create_dir_all(root.join("suites/demo/tests")).unwrap();
        fs::write(root.join("suites/demo/Cargo.toml"), "[package]\nname = \"demo\"\n").unwrap();
        let test = |claim: &str| format!("/// {claim} (pipe(7)).\n#[test]\nfn it_holds() {{}}\n");
        fs::write(root.join("suites/demo/tests/t.rs"), test("One claim")).unwrap();
        let cache = root.join("cache");
        let first = scan(root, &cache);
        assert_eq!(first, catalog::scan(root));
        assert_eq!(first.tests.len(), 1, "{first:?}");
        assert!(cache.join(FILE).is_file());
        assert_eq!(scan(root, &cache), first, "read back from the cache");
        fs::write(root.join("suites/demo/tests/t.rs"), test("Another claim")).unwrap();
        let second = scan(root, &cache);
        assert_ne!(second, first);
        assert_eq!(second, catalog::scan(root));
    }

    /// The whole workspace's catalog survives the round trip through the cache's JSON.
    #[test]
    fn the_workspace_catalog_reads_back_equal() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let scanned = catalog::scan(root);
        let bytes = serde_json::to_vec(&Cached { key: String::new(), catalog: scanned.clone() }).unwrap();
        assert_eq!(serde_json::from_slice::<Cached>(&bytes).unwrap().catalog, scanned);
    }
}
