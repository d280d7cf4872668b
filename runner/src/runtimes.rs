//! OCI runtimes from Debian, fetched and cached like the kernels (runner/src/kernels.rs):
//! `apt-get download` with a private apt configuration (own sources.list naming the archive
//! keyring with `signed-by`, own state and cache; the machine's apt configuration is never
//! read or touched), so apt checks the suite's InRelease signature against
//! /usr/share/keyrings/debian-archive-keyring.gpg and each .deb against the signed index;
//! `dpkg-deb -x` unpacks.
//!
//! - **runsc** (gVisor), one per release Debian has: [`RUNSC_RELEASES`]. A static binary
//!   (the package depends on nothing). Cache: `<cache>/runtimes/runsc-<name>/runsc` and
//!   `runtime.json`.
//! - **crun** (a small C program) for containers inside the VMs, with the shared libraries
//!   it loads (its package's dependencies, unpacked; which ones it loads is read with ldd
//!   against the unpacked tree). The C library and the loader come from the guest bundle
//!   (the host's, like every test binary's). Cache: `<cache>/runtimes/crun-<suite>/`.
//!
//! apt's state lives in `<cache>/apt/<suite>-runtimes/` (not the kernels' directory of the
//! same suite, so a kernel and a runtime can be fetched at once); the package indexes are
//! dropped after a fetch.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, anyhow, bail};
use serde::{Deserialize, Serialize};

use crate::kernels::{ARCHIVE_KEYRING, KnownKernel, PrivateApt};
use crate::util::FileLock;

/// A gVisor release Debian ships, named by its year.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunscRelease {
    /// The target name's part: `gvisor:2022`.
    pub name: &'static str,
    /// The Debian suite whose `runsc` package it is.
    pub suite: &'static str,
    /// What it was when this list was written (the fetch records what it is now).
    pub expected_version: &'static str,
}

/// Oldest first; the last one is what `gvisor` means.
pub const RUNSC_RELEASES: &[RunscRelease] = &[
    RunscRelease { name: "2022", suite: "bookworm", expected_version: "0.0~20221219.0-2+b3" },
    RunscRelease { name: "2024", suite: "trixie", expected_version: "0.0~20240729.0-4+b7" },
];

/// `2022`, `bookworm`, or empty for the newest.
pub fn runsc_release(name: &str) -> Option<&'static RunscRelease> {
    if name.is_empty() {
        return RUNSC_RELEASES.last();
    }
    RUNSC_RELEASES.iter().find(|r| r.name == name || r.suite == name)
}

/// `2022 (bookworm), 2024 (trixie)`.
pub fn runsc_releases_text() -> String {
    RUNSC_RELEASES.iter().map(|r| format!("{} ({})", r.name, r.suite)).collect::<Vec<_>>().join(", ")
}

/// The Debian suite crun comes from for the VMs: that of the host's C library (bookworm's
/// glibc 2.36; crun 1.8.1 needs >= 2.34), which the guest bundle carries.
pub const CRUN_SUITE: &str = "bookworm";

/// Packages crun's dependency closure names that the bundle already covers (the C library)
/// or that are an alternative to one it takes (libelogind0 provides libsystemd0).
const CRUN_SKIP: &[&str] = &["libc6", "libgcc-s1", "gcc-12-base", "libelogind0"];

/// What was fetched.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RuntimeMeta {
    pub package: String,
    pub version: String,
    pub suite: String,
    /// Files of the runtime relative to its cache directory, with where they go in a guest
    /// (crun: the binary and its libraries; runsc: the binary).
    #[serde(default)]
    pub files: Vec<(String, String)>,
    /// Libraries it loads that it expects from the guest bundle (libc, the loader).
    #[serde(default)]
    pub from_bundle: Vec<String>,
}

/// A runtime ready to use.
#[derive(Clone, Debug, PartialEq)]
pub struct Runtime {
    /// The cache directory.
    pub dir: PathBuf,
    /// The binary (in the cache).
    pub binary: PathBuf,
    pub meta: RuntimeMeta,
}

impl Runtime {
    /// `runsc 0.0~20221219.0-2+b3 (bookworm)`.
    pub fn describe(&self) -> String {
        format!("{} {} ({})", self.meta.package, self.meta.version, self.meta.suite)
    }
}

fn load(dir: &Path, binary: &str) -> Option<Runtime> {
    let meta: RuntimeMeta = serde_json::from_slice(&fs::read(dir.join("runtime.json")).ok()?).ok()?;
    let binary = dir.join(binary);
    if !binary.is_file() || meta.files.iter().any(|(f, _)| !dir.join(f).is_file()) {
        return None;
    }
    Some(Runtime { dir: dir.to_path_buf(), binary, meta })
}

fn apt_for(cache: &Path, suite: &'static str) -> Result<PrivateApt> {
    if !Path::new(ARCHIVE_KEYRING).is_file() {
        bail!("{ARCHIVE_KEYRING} is missing: install it with `apt-get install debian-archive-keyring`");
    }
    for tool in ["apt-get", "apt-cache", "dpkg-deb", "ldd"] {
        if !crate::util::on_path(tool) {
            bail!("`{tool}` is not installed: fetching Debian packages needs apt and dpkg (a Debian or Ubuntu host)");
        }
    }
    // PrivateApt is the kernels' (one sources.list per suite, with its security archive).
    let k = KnownKernel { name: "runtimes", suite, security: suite != "forky" && suite != "sid" };
    let apt = PrivateApt::new(&cache.join("apt").join(format!("{suite}-runtimes")), &k)?;
    apt.run(&["update"]).map_err(|e| anyhow!("apt-get update for Debian {suite} failed (no network?): {e}"))?;
    Ok(apt)
}

fn fresh_dir(p: &Path) -> Result<()> {
    let _ = fs::remove_dir_all(p);
    fs::create_dir_all(p).with_context(|| format!("creating {}", p.display()))
}

/// The runsc of `r`: cached, or fetched now (or again, with `refresh`).
pub fn runsc(r: &RunscRelease, cache: &Path, refresh: bool) -> Result<Runtime> {
    let dir = cache.join("runtimes").join(format!("runsc-{}", r.name));
    if !refresh && let Some(rt) = load(&dir, "runsc") {
        return Ok(rt);
    }
    fs::create_dir_all(cache.join("runtimes"))?;
    let _lock = FileLock::acquire(&cache.join("runtimes").join(format!(".runsc-{}.lock", r.name)))?;
    if !refresh && let Some(rt) = load(&dir, "runsc") {
        return Ok(rt);
    }
    let apt = apt_for(cache, r.suite)?;
    let work = cache.join("runtimes").join(format!(".fetch-runsc-{}-{}", r.name, std::process::id()));
    fresh_dir(&work)?;
    let root = work.join("root");
    let version = apt.fetch_into(&["runsc".to_string()], &work, &root)?;
    apt.forget_indexes();
    let bin = root.join("usr/bin/runsc");
    if !bin.is_file() {
        bail!("the runsc package of {} holds no usr/bin/runsc", r.suite);
    }
    let out = work.join("out");
    fs::create_dir_all(&out)?;
    fs::copy(&bin, out.join("runsc"))?;
    let meta = RuntimeMeta {
        package: "runsc".into(),
        version,
        suite: r.suite.into(),
        files: vec![("runsc".into(), "runsc".into())],
        from_bundle: vec![],
    };
    fs::write(out.join("runtime.json"), serde_json::to_vec_pretty(&meta)?)?;
    let _ = fs::remove_dir_all(&dir);
    fs::rename(&out, &dir).with_context(|| format!("moving runsc into {}", dir.display()))?;
    let _ = fs::remove_dir_all(&work);
    load(&dir, "runsc").ok_or_else(|| anyhow!("the fetched runsc of {} is not usable", r.suite))
}

/// Where crun goes in a guest.
pub const GUEST_CRUN: &str = "/ipcspec/oci/crun";
/// Where its libraries go (beside the bundle's C library, where the loader looks).
pub const GUEST_LIB_DIR: &str = "/lib/x86_64-linux-gnu";

/// crun with its libraries: cached, or fetched now.
pub fn crun(cache: &Path, refresh: bool) -> Result<Runtime> {
    let dir = cache.join("runtimes").join(format!("crun-{CRUN_SUITE}"));
    if !refresh && let Some(rt) = load(&dir, "crun") {
        return Ok(rt);
    }
    fs::create_dir_all(cache.join("runtimes"))?;
    let _lock = FileLock::acquire(&cache.join("runtimes").join(".crun.lock"))?;
    if !refresh && let Some(rt) = load(&dir, "crun") {
        return Ok(rt);
    }
    let apt = apt_for(cache, CRUN_SUITE)?;
    let closure = apt
        .run(&["depends", "--recurse", "--no-recommends", "--no-suggests", "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances", "crun"])
        .map_err(|e| anyhow!("resolving crun's dependencies: {e}"))?;
    let packages = dependency_closure(&closure, "crun", CRUN_SKIP);
    let work = cache.join("runtimes").join(format!(".fetch-crun-{}", std::process::id()));
    fresh_dir(&work)?;
    let root = work.join("root");
    let version = apt.fetch_into(&packages, &work, &root)?;
    apt.forget_indexes();
    let bin = root.join("usr/bin/crun");
    if !bin.is_file() {
        bail!("the crun package of {CRUN_SUITE} holds no usr/bin/crun");
    }
    let lib_path = [root.join("usr/lib/x86_64-linux-gnu"), root.join("lib/x86_64-linux-gnu")]
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(":");
    let o = Command::new("ldd").arg(&bin).env("LD_LIBRARY_PATH", &lib_path).output().context("running ldd")?;
    let libs = crate::bundle::parse_ldd(&String::from_utf8_lossy(&o.stdout))?;
    let out = work.join("out");
    fs::create_dir_all(out.join("lib"))?;
    fs::copy(&bin, out.join("crun"))?;
    let mut files = vec![("crun".to_string(), GUEST_CRUN.to_string())];
    let mut from_bundle = Vec::new();
    for l in libs {
        if l.starts_with(&root) {
            let name = l.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
            // The real file (dpkg-deb unpacks the .so.N symlink and its target).
            fs::copy(fs::canonicalize(&l)?, out.join("lib").join(&name))?;
            files.push((format!("lib/{name}"), format!("{GUEST_LIB_DIR}/{name}")));
        } else {
            from_bundle.push(l.display().to_string());
        }
    }
    let meta = RuntimeMeta { package: "crun".into(), version, suite: CRUN_SUITE.into(), files, from_bundle };
    fs::write(out.join("runtime.json"), serde_json::to_vec_pretty(&meta)?)?;
    let _ = fs::remove_dir_all(&dir);
    fs::rename(&out, &dir).with_context(|| format!("moving crun into {}", dir.display()))?;
    let _ = fs::remove_dir_all(&work);
    load(&dir, "crun").ok_or_else(|| anyhow!("the fetched crun is not usable"))
}

/// The packages of `apt-cache depends --recurse <pkg>` (lines without indentation; virtual
/// packages in `<...>` left out), minus `skip`, `pkg` first. Pure.
pub fn dependency_closure(text: &str, pkg: &str, skip: &[&str]) -> Vec<String> {
    let mut out = vec![pkg.to_string()];
    for l in text.lines() {
        if l.starts_with(' ') || l.starts_with('<') || l.trim().is_empty() {
            continue;
        }
        let name = l.trim().to_string();
        if !skip.contains(&name.as_str()) && !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

/// `runsc --version`'s first line (`runsc version 0.0~20221219.0`).
pub fn runsc_version(binary: &Path) -> Option<String> {
    let o = Command::new(binary).arg("--version").output().ok()?;
    String::from_utf8_lossy(&o.stdout).lines().next().map(|l| l.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn releases_by_year_or_suite() {
        assert_eq!(runsc_release("").map(|r| r.name), Some("2024"));
        assert_eq!(runsc_release("2022").map(|r| r.suite), Some("bookworm"));
        assert_eq!(runsc_release("trixie").map(|r| r.name), Some("2024"));
        assert_eq!(runsc_release("2019"), None);
        assert_eq!(runsc_releases_text(), "2022 (bookworm), 2024 (trixie)");
    }

    #[test]
    fn closures() {
        let t = "crun\n  Depends: libc6\n  Depends: libsystemd0\n    libelogind0\nlibc6\n  Depends: libgcc-s1\nlibsystemd0\n  Depends: libcap2\n<libsystemd0>\nlibelogind0\nlibcap2\n";
        assert_eq!(dependency_closure(t, "crun", CRUN_SKIP), ["crun", "libsystemd0", "libcap2"]);
    }
}
