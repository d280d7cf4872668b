//! The bundle image: `ipcspec-bundle:<key>`, built from docker/Dockerfile (`FROM scratch` by
//! default, any base with `--docker-base`) with exactly the bundle's files, its key a hash of
//! their content, the Dockerfile and the base; older bundle images are removed once the
//! current one exists ([`stale_images`]), except those another live runner holds (a hold
//! tag `ipcspec-bundle-hold:<pid>-<start>` while it runs, [`HOLD_REPO`]). Made once per run
//! for every container target ([`shared`]).

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};

use crate::bundle::Bundle;
use crate::container::cleanup::process_start;
use crate::container::cli::{DOCKER, LABEL_KEY, LABEL_ROLE, ROLE_BUNDLE, docker};
use crate::target::Shared;

/// Repository of the bundle images: `ipcspec-bundle:<hash of the bundle and Dockerfile>`.
pub const IMAGE_REPO: &str = "ipcspec-bundle";
/// The Dockerfile (docker/Dockerfile, compiled in so the runner never builds another one).
pub const DOCKERFILE: &str = include_str!("../../../docker/Dockerfile");
/// The base image when neither --docker-base nor IPCSPEC_DOCKER_BASE names one.
pub const DEFAULT_BASE: &str = "scratch";

/// Repository of the hold tags: `ipcspec-bundle-hold:<pid>-<start time>` names the image a
/// runner is using, so that another runner (another workspace's, or CI beside a local run)
/// does not remove it as stale while its containers still have to start.
pub const HOLD_REPO: &str = "ipcspec-bundle-hold";

/// This runner's hold tag.
pub fn hold_tag() -> String {
    let pid = std::process::id();
    format!("{HOLD_REPO}:{pid}-{}", process_start(pid).unwrap_or(0))
}

/// Whether the runner a hold tag names (`<pid>-<start>`) is alive.
fn holder_alive(tag: &str) -> bool {
    let Some((pid, start)) = tag.split_once('-') else { return false };
    let (Ok(pid), Ok(start)) = (pid.parse::<u32>(), start.parse::<u64>()) else { return false };
    process_start(pid) == Some(start)
}

/// `docker images --format '{{.Repository}}:{{.Tag}}\t{{.ID}}'` of the bundle images: the
/// references to remove to keep only `keep` and the images held by a runner that is alive
/// (`alive` says, for a hold tag's `<pid>-<start>`): stale bundle tags, untagged images by
/// id, and hold tags of runners that are gone. Pure.
pub fn stale_images(listing: &str, keep: &str, alive: impl Fn(&str) -> bool) -> Vec<String> {
    let rows: Vec<(&str, &str)> = listing
        .lines()
        .filter_map(|l| {
            let mut f = l.split('\t');
            Some((f.next()?.trim(), f.next()?.trim()))
        })
        .filter(|(_, id)| !id.is_empty())
        .collect();
    let hold_prefix = format!("{HOLD_REPO}:");
    let held: Vec<&str> = rows.iter().filter(|(r, _)| r.strip_prefix(&hold_prefix).is_some_and(&alive)).map(|(_, id)| *id).collect();
    let mut out = Vec::new();
    for (r, id) in rows {
        if r == keep {
            continue;
        }
        let target = match r.strip_prefix(&hold_prefix) {
            Some(h) if alive(h) => continue,
            Some(_) => r.to_string(),
            None if held.contains(&id) => continue,
            None if r.contains("<none>") => id.to_string(),
            None => r.to_string(),
        };
        if !out.contains(&target) {
            out.push(target);
        }
    }
    out
}

/// Drop this runner's hold tag (the end of a run; a killed runner's is dropped by the next
/// one's prune).
pub fn release_hold() {
    let _ = docker(&["rmi", &hold_tag()]);
}

/// The image's key from the bundle's files — (relative path, length, fingerprint: a
/// checksum of small files, the mtime of large ones) — the Dockerfile and the base image:
/// 16 hex digits (FNV-1a, 64 bits). Pure.
pub fn image_key(manifest: &[(String, u64, u64)], dockerfile: &str, base: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |b: &[u8]| {
        for &x in b {
            h ^= x as u64;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    eat(dockerfile.as_bytes());
    eat(b"\0base\0");
    eat(base.as_bytes());
    for (rel, len, fp) in manifest {
        eat(format!("\0{rel}\0{len}\0{fp:x}\n").as_bytes());
    }
    format!("{h:016x}")
}

fn manifest(root: &Path, files: &[String]) -> Result<Vec<(String, u64, u64)>> {
    let mut m = Vec::with_capacity(files.len());
    for f in files {
        let p = root.join(f);
        let md = fs::metadata(&p).with_context(|| format!("{} is missing", p.display()))?;
        let fp = if md.len() <= 1 << 20 {
            crc32fast::hash(&fs::read(&p)?) as u64
        } else {
            md.modified().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok()).map_or(0, |d| d.as_nanos() as u64)
        };
        m.push((f.clone(), md.len(), fp));
    }
    Ok(m)
}

/// The bundle image for this run.
#[derive(Clone, Debug)]
pub struct Image {
    pub tag: String,
    /// Built now (false: it was cached).
    pub built: bool,
    pub ms: u64,
    /// Images removed because they were stale.
    pub notes: Vec<String>,
}

/// Make sure `ipcspec-bundle:<key>` exists for `bundle` (build it from a staged copy of
/// exactly the bundle's files when it does not), then remove older bundle images. Call
/// while holding the bundle lock (the staging reads the bundle directory).
pub fn ensure_image(bundle: &Bundle, work: &Path, base: &str, log_dir: &Path) -> Result<Image> {
    let t0 = Instant::now();
    let key = image_key(&manifest(&bundle.root, &bundle.files)?, DOCKERFILE, base);
    let tag = format!("{IMAGE_REPO}:{key}");
    let mut built = false;
    if docker(&["image", "inspect", "--format", "{{.Id}}", &tag]).is_err() {
        fs::create_dir_all(work).with_context(|| format!("creating {}", work.display()))?;
        remove_stale_contexts(work);
        let ctx = work.join(format!("ctx-{}", std::process::id()));
        let _ = fs::remove_dir_all(&ctx);
        let staged = crate::bundle::stage(bundle, &ctx);
        let dockerfile = work.join("Dockerfile");
        fs::write(&dockerfile, DOCKERFILE)?;
        let log_path = log_dir.join("docker-image.build.log");
        let result = staged.and_then(|()| {
            let log = fs::File::create(&log_path)?;
            let st = Command::new(DOCKER)
                .args(["build", "--force-rm", "--build-arg"])
                .arg(format!("BASE={base}"))
                .args(["--label", &format!("{LABEL_ROLE}={ROLE_BUNDLE}"), "--label", &format!("{LABEL_KEY}={key}"), "-t", &tag, "-f"])
                .arg(&dockerfile)
                .arg(&ctx)
                .stdin(Stdio::null())
                .stdout(log.try_clone()?)
                .stderr(log)
                .status()
                .context("running docker build")?;
            if !st.success() {
                let text = fs::read_to_string(&log_path).unwrap_or_default();
                bail!("docker build of {tag} (BASE={base}) failed: {} (log: {})", build_error(&text), log_path.display());
            }
            Ok(())
        });
        let _ = fs::remove_dir_all(&ctx);
        result?;
        built = true;
    }
    // Held while this run lasts (another runner's prune leaves it alone); an interrupted run
    // drops its hold too.
    if docker(&["tag", &tag, &hold_tag()]).is_ok() {
        static RELEASE_ON_INTERRUPT: std::sync::Once = std::sync::Once::new();
        RELEASE_ON_INTERRUPT.call_once(|| {
            crate::container::cleanup::on_interrupt(|| {
                release_hold();
                Vec::new()
            })
        });
    }
    let notes = prune_images(&tag);
    Ok(Image { tag, built, ms: t0.elapsed().as_millis() as u64, notes })
}

/// The lines of a failed `docker build`'s output that say why: its last lines, without the
/// CLI's notice that the legacy builder is deprecated. Pure.
pub fn build_error(log: &str) -> String {
    let mut lines: Vec<&str> = Vec::new();
    let mut in_notice = false;
    for l in log.lines() {
        let t = l.trim();
        if t.starts_with("DEPRECATED:") {
            in_notice = true;
            continue;
        }
        if in_notice && (l.starts_with(' ') || l.starts_with('\t')) {
            continue;
        }
        in_notice = false;
        if !t.is_empty() {
            lines.push(t);
        }
    }
    let from = lines.len().saturating_sub(3);
    let tail = lines[from..].join(" / ");
    if tail.is_empty() { "no output".to_string() } else { tail }
}

/// Build contexts (`ctx-<pid>`) of runners that are gone (interrupted during a build).
fn remove_stale_contexts(work: &Path) {
    let Ok(rd) = fs::read_dir(work) else { return };
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if let Some(pid) = name.strip_prefix("ctx-").and_then(|p| p.parse::<u32>().ok())
            && pid != std::process::id()
            && process_start(pid).is_none()
        {
            let _ = fs::remove_dir_all(e.path());
        }
    }
}

/// Remove every bundle image but `keep` (images still used by a container stay).
pub fn prune_images(keep: &str) -> Vec<String> {
    let filter = format!("label={LABEL_ROLE}={ROLE_BUNDLE}");
    let Ok(listing) = docker(&["images", "--filter", &filter, "--format", "{{.Repository}}:{{.Tag}}\t{{.ID}}"]) else {
        return vec![];
    };
    let mut notes = Vec::new();
    for r in stale_images(&listing, keep, holder_alive) {
        match docker(&["rmi", &r]) {
            Ok(_) => notes.push(format!("removed the stale bundle image {r}")),
            Err(e) => notes.push(format!("note: could not remove the stale bundle image {r}: {e:#}")),
        }
    }
    notes
}

/// The image of this run, made by `make` for the first container target that asks (the
/// others get the same image, or the same reason there is none).
pub fn shared(shared: &Shared, make: impl FnOnce() -> Result<Image>) -> Result<Image, String> {
    struct Made(Result<Image, String>);
    shared.once(|| Made(make().map_err(|e| format!("{e:#}")))).0.clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_errors_skip_the_deprecation_notice() {
        let log = "DEPRECATED: The legacy builder is deprecated and will be removed in a future release.\n            Install the buildx component to build images with BuildKit:\n            https://docs.docker.com/go/buildx/\n\nSending build context to Docker daemon  225.9MB\nStep 1/6 : ARG BASE=scratch\nStep 2/6 : FROM ${BASE}\nError response from daemon: Get \"https://registry-1.docker.io/v2/\": dial tcp: lookup registry-1.docker.io: no such host\n";
        let e = build_error(log);
        assert!(e.starts_with("Step 1/6") && e.ends_with("no such host"), "{e}");
        assert!(!e.contains("DEPRECATED") && !e.contains("buildx"), "{e}");
        assert_eq!(build_error(""), "no output");
    }

    #[test]
    fn image_keys_follow_content() {
        let m = vec![("ipcspec/ipcspec".to_string(), 10, 1), ("etc/passwd".to_string(), 3, 7)];
        let k = image_key(&m, DOCKERFILE, "scratch");
        assert_eq!(k.len(), 16);
        assert_eq!(k, image_key(&m, DOCKERFILE, "scratch"));
        assert_ne!(k, image_key(&m, DOCKERFILE, "debian:bookworm-slim"));
        assert_ne!(k, image_key(&m, "FROM scratch", "scratch"));
        let mut m2 = m.clone();
        m2[1].2 = 8;
        assert_ne!(k, image_key(&m2, DOCKERFILE, "scratch"));
        assert!(DOCKERFILE.contains("ARG BASE=scratch") && DOCKERFILE.contains("FROM ${BASE}"));
    }

    #[test]
    fn stale_image_listing() {
        let imgs = "ipcspec-bundle:aaaa\tsha256:1\nipcspec-bundle:bbbb\tsha256:2\n<none>:<none>\tsha256:3\nipcspec-bundle:aaaa\tsha256:1\n";
        let nobody = |_: &str| false;
        assert_eq!(stale_images(imgs, "ipcspec-bundle:aaaa", nobody), vec!["ipcspec-bundle:bbbb", "sha256:3"]);
        assert!(stale_images("", "x", nobody).is_empty());
        // An image another runner holds stays, with its tags; a dead runner's hold goes.
        let imgs = "ipcspec-bundle:aaaa\tsha256:1\nipcspec-bundle:bbbb\tsha256:2\nipcspec-bundle-hold:42-7\tsha256:2\nipcspec-bundle-hold:9-9\tsha256:3\nipcspec-bundle:cccc\tsha256:3\n";
        let alive = |h: &str| h == "42-7";
        assert_eq!(stale_images(imgs, "ipcspec-bundle:aaaa", alive), vec!["ipcspec-bundle-hold:9-9", "ipcspec-bundle:cccc"]);
        assert!(hold_tag().starts_with("ipcspec-bundle-hold:") && holder_alive(hold_tag().split_once(':').unwrap().1));
        assert!(!holder_alive("2147483647-1") && !holder_alive("garbage"));
    }
}
