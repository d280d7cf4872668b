//! The bundle: everything a guest (VM now, container later) needs to run the suites without
//! the host — the test binaries built once and stripped, the runner itself as the guest
//! executor, the shared libraries they load (found with ldd), and a few files from /etc
//! (services, hosts, protocols, a passwd/group with root and nobody).
//!
//! The bundle is a directory tree (`<target>/ipcspec/bundle/root/`) laid out as the guest's
//! root filesystem, so a VM packs it into an initramfs and a container image can COPY it.
//! Stripped binaries are reused while their source is unchanged.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{BufWriter, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::UNIX_EPOCH;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use crate::cpio::CpioWriter;
use crate::plan::{Plan, PlannedBinary};

/// Where the bundle's files go inside the guest.
pub const GUEST_BIN_DIR: &str = "/ipcspec/bin";
pub const GUEST_EXECUTOR: &str = "/ipcspec/ipcspec";
pub const GUEST_PLAN: &str = "/ipcspec/plan.json";

/// A bundle on disk.
#[derive(Clone, Debug)]
pub struct Bundle {
    /// The guest's root filesystem as a directory tree.
    pub root: PathBuf,
    /// Paths (relative to `root`) of every file, in a fixed order.
    pub files: Vec<String>,
    /// The plan with paths inside the guest.
    pub guest_plan: Plan,
    /// Total size of the files, bytes.
    pub bytes: u64,
}

#[derive(Default, Serialize, Deserialize)]
struct StripCache {
    /// destination (relative) -> (source path, source mtime ns, source len)
    entries: BTreeMap<String, (PathBuf, u128, u64)>,
}

fn stamp(p: &Path) -> Option<(u128, u64)> {
    let m = fs::metadata(p).ok()?;
    let t = m.modified().ok()?.duration_since(UNIX_EPOCH).ok()?.as_nanos();
    Some((t, m.len()))
}

/// Build (or refresh) the bundle for `plan` under `dir`, with `executor` (normally the
/// running ipcspec binary) as the guest executor.
pub fn build(dir: &Path, plan: &Plan, executor: &Path) -> Result<Bundle> {
    let root = dir.join("root");
    fs::create_dir_all(root.join("ipcspec/bin")).with_context(|| format!("creating {}", root.display()))?;
    let cache_path = dir.join("strip-cache.json");
    let mut cache: StripCache = fs::read(&cache_path).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default();
    let mut files: BTreeSet<String> = BTreeSet::new();
    let mut elves: Vec<PathBuf> = Vec::new();
    let mut guest_plan = Plan::default();

    let install = |src: &Path, rel: &str, cache: &mut StripCache| -> Result<()> {
        let dest = root.join(rel);
        let st = stamp(src).with_context(|| format!("{} is missing", src.display()))?;
        let fresh = cache.entries.get(rel).is_some_and(|(s, t, l)| s == src && (*t, *l) == st) && dest.is_file();
        if !fresh {
            strip_copy(src, &dest)?;
            cache.entries.insert(rel.to_string(), (src.to_path_buf(), st.0, st.1));
        }
        Ok(())
    };

    let exec_rel = GUEST_EXECUTOR.trim_start_matches('/').to_string();
    install(executor, &exec_rel, &mut cache)?;
    files.insert(exec_rel.clone());
    elves.push(executor.to_path_buf());

    for b in &plan.binaries {
        let name = b.id.replace("::", "--");
        let rel = format!("{}/{name}", GUEST_BIN_DIR.trim_start_matches('/'));
        install(&b.path, &rel, &mut cache)?;
        files.insert(rel.clone());
        elves.push(b.path.clone());
        guest_plan.binaries.push(PlannedBinary { path: PathBuf::from(format!("/{rel}")), ..b.clone() });
    }
    // Remove stripped binaries no longer in the plan from this bundle's file list (they stay
    // on disk for the next run that wants them).
    let _ = fs::write(&cache_path, serde_json::to_vec(&cache)?);

    for lib in shared_libraries(&elves)? {
        let rel = lib.to_string_lossy().trim_start_matches('/').to_string();
        let dest = root.join(&rel);
        if stamp(&dest).map(|s| s.1) != stamp(&lib).map(|s| s.1) {
            if let Some(d) = dest.parent() {
                fs::create_dir_all(d)?;
            }
            fs::copy(&lib, &dest).with_context(|| format!("copying {}", lib.display()))?;
        }
        files.insert(rel);
    }

    for (rel, content) in etc_files() {
        let dest = root.join(&rel);
        if let Some(d) = dest.parent() {
            fs::create_dir_all(d)?;
        }
        fs::write(&dest, content)?;
        files.insert(rel);
    }

    let files: Vec<String> = files.into_iter().collect();
    let bytes = files.iter().filter_map(|f| fs::metadata(root.join(f)).ok()).map(|m| m.len()).sum();
    Ok(Bundle { root, files, guest_plan, bytes })
}

/// Copy `src` to `dest` without symbols (strip(1) when installed, else a plain copy).
fn strip_copy(src: &Path, dest: &Path) -> Result<()> {
    if let Some(d) = dest.parent() {
        fs::create_dir_all(d)?;
    }
    let tmp = dest.with_extension("tmp-strip");
    let stripped = crate::util::on_path("strip")
        && Command::new("strip")
            .arg("--strip-all")
            .arg("-o")
            .arg(&tmp)
            .arg(src)
            .status()
            .is_ok_and(|s| s.success());
    if !stripped {
        fs::copy(src, &tmp).with_context(|| format!("copying {}", src.display()))?;
    }
    fs::set_permissions(&tmp, fs::Permissions::from_mode(0o755))?;
    fs::rename(&tmp, dest)?;
    Ok(())
}

/// Every shared library (and the dynamic loader) the ELF files load, per ldd.
pub fn shared_libraries(elves: &[PathBuf]) -> Result<BTreeSet<PathBuf>> {
    let mut libs = BTreeSet::new();
    for e in elves {
        let out = Command::new("ldd").arg(e).output().context("running ldd (install libc-bin)")?;
        let text = String::from_utf8_lossy(&out.stdout);
        if text.contains("not a dynamic executable") || text.contains("statically linked") {
            continue;
        }
        if !out.status.success() {
            bail!("ldd {} failed: {}", e.display(), String::from_utf8_lossy(&out.stderr).trim());
        }
        for l in parse_ldd(&text)? {
            libs.insert(l);
        }
    }
    Ok(libs)
}

/// Parse ldd's output: absolute paths of libraries and the loader. A library ldd cannot
/// find is an error naming it.
pub fn parse_ldd(text: &str) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if line.contains("=> not found") {
            bail!("a shared library is missing: {line}");
        }
        let path = match line.split_once("=>") {
            Some((_, rhs)) => rhs.split_whitespace().next(),
            None => line.split_whitespace().next(),
        };
        if let Some(p) = path.filter(|p| p.starts_with('/')) {
            out.push(PathBuf::from(p));
        }
    }
    Ok(out)
}

/// /etc for the guest: what glibc and the suites look up (users, hosts, services).
fn etc_files() -> Vec<(String, Vec<u8>)> {
    let copy_or = |p: &str, fallback: &str| fs::read(p).unwrap_or_else(|_| fallback.as_bytes().to_vec());
    vec![
        ("etc/passwd".into(), b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n".to_vec()),
        ("etc/group".into(), b"root:x:0:\ntty:x:5:\nnogroup:x:65534:\n".to_vec()),
        ("etc/hosts".into(), b"127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n".to_vec()),
        ("etc/nsswitch.conf".into(), b"passwd: files\ngroup: files\nhosts: files\nservices: files\nprotocols: files\n".to_vec()),
        ("etc/services".into(), copy_or("/etc/services", "echo 7/tcp\necho 7/udp\n")),
        ("etc/protocols".into(), copy_or("/etc/protocols", "ip 0 IP\ntcp 6 TCP\nudp 17 UDP\n")),
        ("etc/hostname".into(), b"ipcspec-guest\n".to_vec()),
    ]
}

/// Directories the guest's root needs besides those of the bundle's files.
pub const GUEST_DIRS: &[(&str, u32)] = &[
    ("dev", 0o755),
    ("proc", 0o555),
    ("sys", 0o555),
    ("tmp", 0o1777),
    ("run", 0o755),
    ("root", 0o700),
    ("mnt", 0o755),
];

/// Hard links (copies across file systems) of exactly the bundle's files in `dir`, and the
/// root directories a guest needs: a container's root filesystem (a docker build context,
/// gVisor's root).
pub fn stage(bundle: &Bundle, dir: &Path) -> Result<()> {
    for (d, mode) in GUEST_DIRS {
        let p = dir.join(d);
        fs::create_dir_all(&p)?;
        fs::set_permissions(&p, fs::Permissions::from_mode(*mode))?;
    }
    for f in &bundle.files {
        let (src, dest) = (bundle.root.join(f), dir.join(f));
        if let Some(d) = dest.parent() {
            fs::create_dir_all(d)?;
        }
        if fs::hard_link(&src, &dest).is_err() {
            fs::copy(&src, &dest).with_context(|| format!("copying {}", src.display()))?;
        }
    }
    Ok(())
}

/// Where a VM mounts the disk image with the test binaries.
pub const GUEST_DISK_DEVICE: &str = "/dev/nvme0n1";

/// The test binaries as an ext4 image (no journal), for a VM to mount read-only at
/// /ipcspec/bin: the guest reads only the pages it runs, at the host's speed, instead of
/// unpacking everything into RAM (20 MB/s under TCG). Needs mke2fs (e2fsprogs); None when
/// it is not installed. Reused while the binaries are unchanged.
pub fn write_disk_image(bundle: &Bundle, out: &Path) -> Result<Option<u64>> {
    if !crate::util::on_path("mke2fs") {
        return Ok(None);
    }
    let bin_prefix = GUEST_BIN_DIR.trim_start_matches('/').to_string() + "/";
    let bins: Vec<&String> = bundle.files.iter().filter(|f| f.starts_with(&bin_prefix)).collect();
    let mut key = String::new();
    let mut total = 0u64;
    for f in &bins {
        let (t, l) = stamp(&bundle.root.join(f)).unwrap_or((0, 0));
        key.push_str(&format!("{f} {t} {l}\n"));
        total += l;
    }
    let key_path = crate::util::with_suffix(out, ".key");
    if out.is_file() && fs::read_to_string(&key_path).is_ok_and(|k| k == key) {
        return Ok(Some(fs::metadata(out)?.len()));
    }
    let stage = crate::util::with_suffix(out, ".stage");
    let _ = fs::remove_dir_all(&stage);
    fs::create_dir_all(&stage)?;
    for f in &bins {
        let name = Path::new(f.as_str()).file_name().unwrap_or_default();
        let src = bundle.root.join(f);
        if fs::hard_link(&src, stage.join(name)).is_err() {
            fs::copy(&src, stage.join(name))?;
        }
    }
    let size_mb = total / (1 << 20) * 12 / 10 + 16;
    let tmp = crate::util::with_suffix(out, ".tmp");
    let _ = fs::remove_file(&tmp);
    let o = Command::new("mke2fs")
        .args(["-q", "-F", "-t", "ext4", "-O", "^has_journal", "-L", "ipcspec-bin", "-E", "root_owner=0:0", "-d"])
        .arg(&stage)
        .arg(&tmp)
        .arg(format!("{size_mb}M"))
        .output()
        .context("running mke2fs")?;
    let _ = fs::remove_dir_all(&stage);
    if !o.status.success() {
        bail!("mke2fs failed: {}", String::from_utf8_lossy(&o.stderr).trim());
    }
    fs::rename(&tmp, out)?;
    fs::write(&key_path, key)?;
    Ok(Some(fs::metadata(out)?.len()))
}

/// Write the bundle as a newc cpio archive (uncompressed: the kernel unpacks it faster than
/// it would decompress it, and it is cached). `/init` is the executor. With `with_bins`
/// false the test binaries are left out (they come on a disk image).
pub fn write_initramfs(bundle: &Bundle, out: &Path, with_bins: bool) -> Result<u64> {
    let tmp = crate::util::with_suffix(out, ".tmp");
    let f = fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    let mut w = CpioWriter::new(BufWriter::with_capacity(1 << 20, f));
    let mut dirs: BTreeSet<String> = GUEST_DIRS.iter().map(|(d, _)| d.to_string()).collect();
    for f in &bundle.files {
        let mut p = Path::new(f).parent();
        while let Some(d) = p.filter(|d| !d.as_os_str().is_empty()) {
            dirs.insert(d.to_string_lossy().into_owned());
            p = d.parent();
        }
    }
    for d in &dirs {
        let mode = GUEST_DIRS.iter().find(|(n, _)| n == d).map(|(_, m)| *m).unwrap_or(0o755);
        w.dir(d, mode)?;
    }
    let bin_prefix = GUEST_BIN_DIR.trim_start_matches('/').to_string() + "/";
    for f in &bundle.files {
        if !with_bins && f.starts_with(&bin_prefix) {
            continue;
        }
        let data = fs::read(bundle.root.join(f)).with_context(|| format!("reading {f}"))?;
        let mode = fs::metadata(bundle.root.join(f))?.permissions().mode() & 0o7777;
        w.file(f, mode, &data)?;
    }
    w.symlink("init", GUEST_EXECUTOR.trim_start_matches('/'))?;
    let mut inner = w.finish()?;
    inner.flush()?;
    let size = inner.get_ref().metadata()?.len();
    drop(inner);
    fs::rename(&tmp, out)?;
    Ok(size)
}

/// A small cpio with one file, to append after the bundle's archive.
pub fn small_cpio(path: &str, data: &[u8]) -> Result<Vec<u8>> {
    let mut w = CpioWriter::new(Vec::new());
    w.file(path, 0o644, data)?;
    Ok(w.finish()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ldd_output() {
        let t = "\tlinux-vdso.so.1 (0x00007ffc)\n\tlibgcc_s.so.1 => /lib/x86_64-linux-gnu/libgcc_s.so.1 (0x1)\n\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x2)\n\t/lib64/ld-linux-x86-64.so.2 (0x3)\n";
        let v = parse_ldd(t).unwrap();
        assert_eq!(
            v,
            vec![
                PathBuf::from("/lib/x86_64-linux-gnu/libgcc_s.so.1"),
                PathBuf::from("/lib/x86_64-linux-gnu/libc.so.6"),
                PathBuf::from("/lib64/ld-linux-x86-64.so.2")
            ]
        );
        assert!(parse_ldd("\tlibfoo.so => not found\n").is_err());
    }
}
