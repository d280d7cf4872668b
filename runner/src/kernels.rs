//! Kernels for `vm:` targets: Debian's cloud kernels, fetched and cached, or any bzImage.
//!
//! Fetching never touches the machine's own apt configuration: every apt call runs with
//! `APT_CONFIG` pointing at a private apt.conf under the cache (own sources.list, state,
//! cache, trusted keys and config parts; dpkg status empty). apt verifies the archive's
//! InRelease signature against /usr/share/keyrings/debian-archive-keyring.gpg (named with
//! `signed-by`) and each .deb against the hashes of the signed index.
//!
//! The newest cloud kernel of each Debian suite is resolved at fetch time through the
//! meta-package `linux-image-cloud-amd64`, whose dependency names the current versioned
//! package. Since 7.x (forky) Debian splits it: the image lives in `linux-binary-<v>` (vmlinuz
//! under usr/lib/modules/<release>/) and the config in `linux-base-<v>`; before, both are in
//! `linux-image-<v>` under boot/.
//!
//! Cache layout (`~/.cache/ipcspec/kernels/<name>/`): `vmlinuz`, `config`, `kernel.json`.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, anyhow, bail};
use serde::{Deserialize, Serialize};

use crate::util::FileLock;

/// Which kernel a VM boots.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum KernelRef {
    /// One of the Debian kernels the runner fetches (`5.10`, `6.1`, `6.12`, `7.2`).
    Debian(String),
    /// Any bzImage/vmlinuz file.
    Path(PathBuf),
}

impl KernelRef {
    /// `6.1`, `bookworm` (a known kernel by name or Debian suite) or a path (anything with a
    /// `/` or starting with `.`).
    pub fn parse(k: &str) -> Result<KernelRef, String> {
        if k.is_empty() {
            return Err(format!("name a kernel ({})", known_kernels_text()));
        }
        if k.contains('/') || k.starts_with('.') {
            return Ok(KernelRef::Path(PathBuf::from(k)));
        }
        match known(k) {
            Some(kk) => Ok(KernelRef::Debian(kk.name.to_string())),
            None => Err(format!("unknown kernel {k:?}. Known kernels: {}", known_kernels_text())),
        }
    }

    /// `6.1` or the path.
    pub fn name(&self) -> String {
        match self {
            KernelRef::Debian(n) => n.clone(),
            KernelRef::Path(p) => p.display().to_string(),
        }
    }
}

/// `5.10 (bullseye), 6.1 (bookworm), ...`
pub fn known_kernels_text() -> String {
    KNOWN_KERNELS.iter().map(|k| format!("{} ({})", k.name, k.suite)).collect::<Vec<_>>().join(", ")
}

/// A Debian kernel the runner knows how to fetch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KnownKernel {
    /// The name used in targets: `vm:6.1`.
    pub name: &'static str,
    /// The Debian suite whose newest cloud kernel it is.
    pub suite: &'static str,
    /// Whether the suite has a security archive (kernel updates land there first).
    pub security: bool,
}

pub const KNOWN_KERNELS: &[KnownKernel] = &[
    KnownKernel { name: "5.10", suite: "bullseye", security: true },
    KnownKernel { name: "6.1", suite: "bookworm", security: true },
    KnownKernel { name: "6.12", suite: "trixie", security: true },
    KnownKernel { name: "7.2", suite: "forky", security: false },
    // The newest kernels Debian carries, named by suite since their version moves: unstable,
    // and experimental (release candidates). Not in the default matrix; `vm:sid`,
    // `vm:experimental` show a change before a released kernel carries it.
    KnownKernel { name: "sid", suite: "sid", security: false },
    KnownKernel { name: "experimental", suite: "experimental", security: false },
];

pub const ARCHIVE_KEYRING: &str = "/usr/share/keyrings/debian-archive-keyring.gpg";
pub const MIRROR: &str = "http://deb.debian.org/debian";
pub const SECURITY_MIRROR: &str = "http://deb.debian.org/debian-security";

/// A kernel ready to boot.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KernelImage {
    /// `6.1`, or the file name of a kernel given by path.
    pub name: String,
    pub vmlinuz: PathBuf,
    /// The kernel release (`uname -r`), from the package or the bzImage header.
    pub release: String,
    /// Where it came from: `linux-image-6.1.0-56-cloud-amd64 6.1.192-2 (bookworm)` or a path.
    pub source: String,
    /// What the kernel config says about what the suites need (empty when all is built in).
    #[serde(default)]
    pub config_notes: Vec<String>,
}

impl KernelImage {
    /// The kernel's config file, when there is one beside the image (the cache keeps it as
    /// `config`; for a kernel given by path: `config-<release>`, `config` or `.config`).
    pub fn config_file(&self) -> Option<PathBuf> {
        find_config_beside(&self.vmlinuz, &self.release)
    }
}

/// The runner's cache directory: `--cache-dir`, `$IPCSPEC_CACHE`, `$XDG_CACHE_HOME/ipcspec`
/// or `~/.cache/ipcspec`.
pub fn cache_dir(flag: Option<&Path>) -> PathBuf {
    if let Some(p) = flag {
        return p.to_path_buf();
    }
    if let Some(p) = std::env::var_os("IPCSPEC_CACHE").filter(|v| !v.is_empty()) {
        return PathBuf::from(p);
    }
    if let Some(p) = std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(p).join("ipcspec");
    }
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/root"));
    home.join(".cache/ipcspec")
}

pub fn known(name: &str) -> Option<&'static KnownKernel> {
    KNOWN_KERNELS.iter().find(|k| k.name == name || k.suite == name)
}

/// Get a kernel: a cached Debian kernel (fetched first if missing, or if `refresh`), or a
/// validated bzImage given by path.
pub fn resolve(kref: &KernelRef, cache: &Path, refresh: bool) -> Result<KernelImage> {
    match kref {
        KernelRef::Path(p) => from_path(p),
        KernelRef::Debian(name) => {
            let k = known(name).ok_or_else(|| anyhow!("unknown kernel {name:?}"))?;
            if !refresh
                && let Some(img) = cached(k, cache) {
                    return Ok(img);
                }
            fetch(k, cache)
        }
    }
}

/// A kernel given by path: it must be a bzImage.
pub fn from_path(p: &Path) -> Result<KernelImage> {
    let version = bzimage_version(p)?;
    let release = version.split_whitespace().next().unwrap_or("").to_string();
    let config_notes = match find_config_beside(p, &release) {
        Some(c) => config_notes(&fs::read_to_string(&c).unwrap_or_default()),
        None => vec!["no kernel config found beside the image: cannot check that the needed options are built in".into()],
    };
    let name = p.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_else(|| p.display().to_string());
    Ok(KernelImage {
        name,
        vmlinuz: fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf()),
        release: if release.is_empty() { "unknown".into() } else { release },
        source: p.display().to_string(),
        config_notes,
    })
}

fn find_config_beside(p: &Path, release: &str) -> Option<PathBuf> {
    let dir = p.parent()?;
    [dir.join(format!("config-{release}")), dir.join("config"), dir.join(".config")]
        .into_iter()
        .find(|c| c.is_file())
}

/// Check the x86 boot protocol header ("HdrS" at 0x202) and return the kernel version
/// string the header points to ("6.1.0-56-cloud-amd64 (debian-kernel@...) #1 SMP ...").
pub fn bzimage_version(p: &Path) -> Result<String> {
    let mut f = fs::File::open(p).with_context(|| format!("cannot open kernel {}", p.display()))?;
    let meta = f.metadata()?;
    if !meta.is_file() {
        bail!("{} is not a file, so not a kernel image", p.display());
    }
    let mut head = vec![0u8; 0x4000.min(meta.len() as usize)];
    f.read_exact(&mut head).with_context(|| format!("reading {}", p.display()))?;
    parse_bzimage_header(&head).map_err(|e| anyhow!("{} is not a kernel (bzImage): {e}", p.display()))
}

/// Pure part of [`bzimage_version`]: the header bytes (at least the first 16 KiB or the whole
/// file if smaller).
pub fn parse_bzimage_header(head: &[u8]) -> Result<String, String> {
    if head.len() < 0x210 {
        return Err("too short for a boot sector".into());
    }
    if &head[0x202..0x206] != b"HdrS" {
        return Err("no \"HdrS\" boot protocol magic at offset 0x202".into());
    }
    if head[0x1FE..0x200] != [0x55, 0xAA] {
        return Err("no 0x55AA boot signature".into());
    }
    let ptr = u16::from_le_bytes([head[0x20E], head[0x20F]]) as usize;
    if ptr == 0 {
        return Ok(String::new());
    }
    let at = ptr + 0x200;
    let Some(bytes) = head.get(at..) else { return Ok(String::new()) };
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len().min(256));
    Ok(String::from_utf8_lossy(&bytes[..end.min(256)]).trim().to_string())
}

/// The options the suites and the guest executor need, and whether the config has them built
/// in. A module is not loaded by the init (the initramfs holds no modules), so `=m` is
/// reported.
pub const NEEDED_OPTIONS: &[(&str, &str)] = &[
    ("BLK_DEV_INITRD", "the initramfs"),
    ("DEVTMPFS", "/dev"),
    ("TMPFS", "/tmp and /dev/shm"),
    ("SERIAL_8250", "the console and the result port"),
    ("SERIAL_8250_CONSOLE", "the console"),
    ("UNIX98_PTYS", "the pty suite"),
    ("POSIX_MQUEUE", "the posix_mq suite"),
    ("SYSVIPC", "System V IPC"),
    ("UNIX", "unix sockets"),
    ("INET", "inet sockets"),
    ("EPOLL", "the epoll suite"),
    ("EVENTFD", "the eventfd suite"),
    ("SIGNALFD", "signalfd"),
    ("FILE_LOCKING", "the file_locks suite"),
    ("CROSS_MEMORY_ATTACH", "the cross_memory suite"),
    ("SHMEM", "shared memory"),
    ("MAGIC_SYSRQ", "the crash trigger of the runner's own tests"),
];

/// Notes for every needed option that is not built in.
pub fn config_notes(config: &str) -> Vec<String> {
    let mut notes = Vec::new();
    for (opt, what) in NEEDED_OPTIONS {
        let key = format!("CONFIG_{opt}=");
        let val = config.lines().find_map(|l| l.strip_prefix(&key)).map(str::trim);
        match val {
            Some("y") => {}
            Some("m") => notes.push(format!("CONFIG_{opt} is a module, not loaded in the VM ({what} will not work)")),
            _ => notes.push(format!("CONFIG_{opt} is not set ({what} will not work)")),
        }
    }
    notes
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct CacheMeta {
    name: String,
    suite: String,
    package: String,
    version: String,
    release: String,
    #[serde(default)]
    config_notes: Vec<String>,
}

fn kernel_dir(cache: &Path, k: &KnownKernel) -> PathBuf {
    cache.join("kernels").join(k.name)
}

/// The cached kernel, if it is complete.
pub fn cached(k: &KnownKernel, cache: &Path) -> Option<KernelImage> {
    let dir = kernel_dir(cache, k);
    let meta: CacheMeta = serde_json::from_slice(&fs::read(dir.join("kernel.json")).ok()?).ok()?;
    let vmlinuz = dir.join("vmlinuz");
    bzimage_version(&vmlinuz).ok()?;
    Some(KernelImage {
        name: k.name.to_string(),
        vmlinuz,
        release: meta.release,
        source: format!("{} {} ({})", meta.package, meta.version, meta.suite),
        config_notes: meta.config_notes,
    })
}

/// "5.10 (5.10.0-46-cloud-amd64), 6.1 (...)" or "none".
pub fn cached_list(cache: &Path) -> String {
    let have: Vec<String> = KNOWN_KERNELS
        .iter()
        .filter_map(|k| cached(k, cache).map(|i| format!("{} ({})", k.name, i.release)))
        .collect();
    if have.is_empty() { "none".into() } else { have.join(", ") }
}

/// Fetch the newest cloud kernel of `k`'s suite into the cache.
pub fn fetch(k: &KnownKernel, cache: &Path) -> Result<KernelImage> {
    if !Path::new(ARCHIVE_KEYRING).is_file() {
        bail!("{ARCHIVE_KEYRING} is missing: install it with `apt-get install debian-archive-keyring`");
    }
    for tool in ["apt-get", "apt-cache", "dpkg-deb"] {
        if !crate::util::on_path(tool) {
            bail!("`{tool}` is not installed: fetching Debian kernels needs apt and dpkg (a Debian or Ubuntu host)");
        }
    }
    fs::create_dir_all(cache.join("kernels"))
        .with_context(|| format!("cannot create the kernel cache {}", cache.display()))?;
    let _lock = FileLock::acquire(&cache.join("kernels").join(format!(".{}.lock", k.name)))?;
    let apt = PrivateApt::new(&cache.join("apt").join(k.suite), k)?;
    apt.run(&["update"]).map_err(|e| {
        anyhow!(
            "cannot fetch kernel {} (Debian {}): apt-get update failed (no network?): {e}\nCached kernels: {}",
            k.name,
            k.suite,
            cached_list(cache)
        )
    })?;
    let versioned = apt.current_image_package()?;
    let flavour_release = versioned.trim_start_matches("linux-image-").to_string();
    // Newer Debian (7.x): linux-binary-<v> holds the image, linux-base-<v> the config.
    let binary = format!("linux-binary-{flavour_release}");
    let base = format!("linux-base-{flavour_release}");
    let packages: Vec<String> = if apt.exists(&binary) { vec![binary, base] } else { vec![versioned.clone()] };
    let work = tempdir_in(&cache.join("kernels"), &format!(".fetch-{}", k.name))?;
    let root = work.join("root");
    let version = apt.fetch_into(&packages, &work, &root)?;
    let (vmlinuz, config) = find_image_and_config(&root)?;
    let release = release_from_image_path(&vmlinuz)
        .ok_or_else(|| anyhow!("cannot tell the kernel release from {}", vmlinuz.display()))?;
    bzimage_version(&vmlinuz)?;
    let notes = config.as_ref().map(|c| config_notes(&fs::read_to_string(c).unwrap_or_default())).unwrap_or_else(
        || vec!["the package holds no kernel config: cannot check that the needed options are built in".into()],
    );
    let out = work.join("out");
    fs::create_dir_all(&out)?;
    fs::copy(&vmlinuz, out.join("vmlinuz"))?;
    if let Some(c) = &config {
        fs::copy(c, out.join("config"))?;
    }
    let meta = CacheMeta {
        name: k.name.to_string(),
        suite: k.suite.to_string(),
        package: packages[0].clone(),
        version,
        release,
        config_notes: notes,
    };
    fs::write(out.join("kernel.json"), serde_json::to_vec_pretty(&meta)?)?;
    let dest = kernel_dir(cache, k);
    let _ = fs::remove_dir_all(&dest);
    fs::rename(&out, &dest).with_context(|| format!("moving the kernel into {}", dest.display()))?;
    let _ = fs::remove_dir_all(&work);
    apt.forget_indexes();
    cached(k, cache).ok_or_else(|| anyhow!("the fetched kernel {} is not usable", k.name))
}

/// The package and version a fetch of `k` would take now, without downloading the kernel:
/// the suite's index is updated and dropped again (CI keys its kernel cache on this).
pub fn newest(k: &KnownKernel, cache: &Path) -> Result<(String, String)> {
    if !Path::new(ARCHIVE_KEYRING).is_file() {
        bail!("{ARCHIVE_KEYRING} is missing: install it with `apt-get install debian-archive-keyring`");
    }
    fs::create_dir_all(cache.join("kernels")).with_context(|| format!("cannot create the kernel cache {}", cache.display()))?;
    let _lock = FileLock::acquire(&cache.join("kernels").join(format!(".{}.lock", k.name)))?;
    let apt = PrivateApt::new(&cache.join("apt").join(k.suite), k)?;
    apt.run(&["update"]).map_err(|e| anyhow!("cannot resolve kernel {} (Debian {}): apt-get update failed (no network?): {e}", k.name, k.suite))?;
    let versioned = apt.current_image_package()?;
    let binary = format!("linux-binary-{}", versioned.trim_start_matches("linux-image-"));
    let package = if apt.exists(&binary) { binary } else { versioned };
    let version = apt.version_of(&package).ok_or_else(|| anyhow!("apt knows no version of {package}"));
    apt.forget_indexes();
    Ok((package, version?))
}

/// `boot/vmlinuz-<release>` or `usr/lib/modules/<release>/vmlinuz`, and the config.
fn find_image_and_config(root: &Path) -> Result<(PathBuf, Option<PathBuf>)> {
    let mut image = None;
    let mut config = None;
    if let Ok(rd) = fs::read_dir(root.join("boot")) {
        for e in rd.flatten() {
            let n = e.file_name().to_string_lossy().into_owned();
            if n.starts_with("vmlinuz-") {
                image = Some(e.path());
            } else if n.starts_with("config-") {
                config = Some(e.path());
            }
        }
    }
    for modroot in [root.join("usr/lib/modules"), root.join("lib/modules")] {
        if let Ok(rd) = fs::read_dir(&modroot) {
            for e in rd.flatten() {
                if image.is_none() && e.path().join("vmlinuz").is_file() {
                    image = Some(e.path().join("vmlinuz"));
                }
                if config.is_none() && e.path().join("config").is_file() {
                    config = Some(e.path().join("config"));
                }
            }
        }
    }
    let image = image.ok_or_else(|| anyhow!("the kernel package holds no vmlinuz (boot/ or usr/lib/modules/*/)"))?;
    Ok((image, config))
}

/// `.../boot/vmlinuz-6.1.0-56-cloud-amd64` or `.../modules/7.2.12+deb14-cloud-amd64/vmlinuz`.
pub fn release_from_image_path(p: &Path) -> Option<String> {
    let name = p.file_name()?.to_string_lossy().into_owned();
    if let Some(r) = name.strip_prefix("vmlinuz-") {
        return Some(r.to_string());
    }
    if name == "vmlinuz" {
        return p.parent()?.file_name().map(|f| f.to_string_lossy().into_owned());
    }
    None
}

fn tempdir_in(dir: &Path, prefix: &str) -> Result<PathBuf> {
    let p = dir.join(format!("{prefix}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&p);
    fs::create_dir_all(&p).with_context(|| format!("creating {}", p.display()))?;
    Ok(p)
}

/// apt with a configuration of its own under `dir` (also used for the OCI runtimes
/// runner/src/runtimes.rs fetches).
pub struct PrivateApt {
    conf: PathBuf,
}

impl PrivateApt {
    /// Download `packages` (into `<work>/debs`) and unpack them all into `root`; returns the
    /// first one's version. A kernel's packages and an OCI runtime's are fetched alike.
    pub fn fetch_into(&self, packages: &[String], work: &Path, root: &Path) -> Result<String> {
        let debs = work.join("debs");
        fs::create_dir_all(&debs)?;
        let mut args = vec!["download"];
        args.extend(packages.iter().map(String::as_str));
        self.run_in(&args, &debs).map_err(|e| anyhow!("downloading {} failed: {e}", packages.join(" ")))?;
        let version = self.version_of(&packages[0]).unwrap_or_default();
        for entry in fs::read_dir(&debs)? {
            let deb = entry?.path();
            if deb.extension().is_some_and(|e| e == "deb") {
                let st = Command::new("dpkg-deb").arg("-x").arg(&deb).arg(root).status()?;
                if !st.success() {
                    bail!("dpkg-deb -x {} failed", deb.display());
                }
            }
        }
        Ok(version)
    }

    pub fn new(dir: &Path, k: &KnownKernel) -> Result<PrivateApt> {
        for sub in ["state/lists/partial", "cache/archives/partial", "etc/apt.conf.d", "etc/sources.list.d", "etc/preferences.d", "etc/trusted.gpg.d"] {
            fs::create_dir_all(dir.join(sub)).with_context(|| format!("creating {}", dir.join(sub).display()))?;
        }
        let status = dir.join("state/status");
        if !status.exists() {
            fs::write(&status, "")?;
        }
        let mut sources = format!("deb [signed-by={ARCHIVE_KEYRING}] {MIRROR} {} main\n", k.suite);
        if k.security {
            sources.push_str(&format!("deb [signed-by={ARCHIVE_KEYRING}] {SECURITY_MIRROR} {}-security main\n", k.suite));
        }
        fs::write(dir.join("sources.list"), sources)?;
        let d = dir.display();
        // Valid-Until is not checked: this machine's clock may be ahead of the archive it is
        // served (a snapshot mirror). Signatures and hashes are checked.
        let conf = format!(
            r#"Dir::Etc::Main "{d}/apt.conf";
Dir::Etc::SourceList "{d}/sources.list";
Dir::Etc::SourceParts "{d}/etc/sources.list.d";
Dir::Etc::Parts "{d}/etc/apt.conf.d";
Dir::Etc::Preferences "{d}/etc/preferences";
Dir::Etc::PreferencesParts "{d}/etc/preferences.d";
Dir::Etc::TrustedParts "{d}/etc/trusted.gpg.d";
Dir::Etc::Trusted "{d}/etc/trusted.gpg";
Dir::State "{d}/state";
Dir::State::status "{d}/state/status";
Dir::Cache "{d}/cache";
APT::Architecture "amd64";
APT::Architectures {{ "amd64"; }};
APT::Sandbox::User "root";
Acquire::Languages "none";
Acquire::Retries "1";
Acquire::http::Timeout "20";
Acquire::Check-Valid-Until "false";
Acquire::Check-Date "false";
Acquire::IndexTargets::deb::DEP-11::DefaultEnabled "false";
Acquire::IndexTargets::deb::Contents-deb::DefaultEnabled "false";
"#
        );
        let path = dir.join("apt.conf");
        fs::write(&path, conf)?;
        Ok(PrivateApt { conf: path })
    }

    fn cmd(&self, tool: &str) -> Command {
        let mut c = Command::new(tool);
        c.env("APT_CONFIG", &self.conf).env("DEBIAN_FRONTEND", "noninteractive").env("LC_ALL", "C");
        c.stdin(Stdio::null());
        c
    }

    pub fn run(&self, args: &[&str]) -> Result<String, String> {
        self.run_in(args, Path::new("."))
    }

    pub fn run_in(&self, args: &[&str], dir: &Path) -> Result<String, String> {
        let tool = if args.first() == Some(&"update") || args.first() == Some(&"download") { "apt-get" } else { "apt-cache" };
        let out = self
            .cmd(tool)
            .args(["-q"])
            .args(args)
            .current_dir(dir)
            .output()
            .map_err(|e| format!("running {tool}: {e}"))?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stdout = String::from_utf8_lossy(&out.stdout);
        // apt-get update exits 0 even when a source failed: it says so in "Err:" lines and
        // "W: Failed to fetch" warnings.
        let errors: Vec<&str> = stderr
            .lines()
            .chain(stdout.lines())
            .map(str::trim)
            .filter(|l| l.starts_with("E:") || l.starts_with("Err:") || l.starts_with("W: Failed to fetch") || l.starts_with("Could not"))
            .collect();
        if !out.status.success() || (!errors.is_empty() && tool == "apt-get") {
            let msg = if errors.is_empty() { stderr.trim().to_string() } else { errors.join("\n") };
            return Err(msg);
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Drop the downloaded package indexes (hundreds of MB once unpacked): a later fetch
    /// downloads them again, which it must do anyway to see a newer kernel.
    pub fn forget_indexes(&self) {
        if let Some(dir) = self.conf.parent() {
            for sub in ["state/lists", "cache"] {
                let _ = fs::remove_dir_all(dir.join(sub));
            }
        }
    }

    pub fn exists(&self, package: &str) -> bool {
        self.cmd("apt-cache")
            .args(["show", "--no-all-versions", package])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    pub fn version_of(&self, package: &str) -> Option<String> {
        let out = self.run(&["show", "--no-all-versions", package]).ok()?;
        out.lines().find_map(|l| l.strip_prefix("Version: ")).map(|v| v.trim().to_string())
    }

    /// The versioned image package the meta-package linux-image-cloud-amd64 depends on.
    fn current_image_package(&self) -> Result<String> {
        let out = self
            .run(&["depends", "linux-image-cloud-amd64"])
            .map_err(|e| anyhow!("resolving linux-image-cloud-amd64: {e}"))?;
        parse_image_dependency(&out).ok_or_else(|| anyhow!("linux-image-cloud-amd64 depends on no versioned cloud kernel:\n{out}"))
    }
}

/// From `apt-cache depends linux-image-cloud-amd64`: the `linux-image-<v>-cloud-amd64` it needs.
pub fn parse_image_dependency(text: &str) -> Option<String> {
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("Depends: "))
        .map(str::trim)
        .find(|p| p.starts_with("linux-image-") && p.ends_with("-cloud-amd64") && *p != "linux-image-cloud-amd64")
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bzimage_header() {
        let mut h = vec![0u8; 0x400];
        assert!(parse_bzimage_header(&h).is_err());
        h[0x1FE] = 0x55;
        h[0x1FF] = 0xAA;
        h[0x202..0x206].copy_from_slice(b"HdrS");
        h[0x20E..0x210].copy_from_slice(&0x100u16.to_le_bytes());
        h[0x300..0x318].copy_from_slice(b"6.1.0-56-cloud-amd64 (x)");
        assert_eq!(parse_bzimage_header(&h).unwrap(), "6.1.0-56-cloud-amd64 (x)");
        assert!(parse_bzimage_header(&h[..0x100]).is_err());
        // The pointer may point past the end: no panic.
        h[0x20E..0x210].copy_from_slice(&0xFFFFu16.to_le_bytes());
        assert_eq!(parse_bzimage_header(&h).unwrap(), "");
    }

    #[test]
    fn not_a_kernel_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("notes.txt");
        fs::write(&p, "hello").unwrap();
        let e = from_path(&p).unwrap_err().to_string();
        assert!(e.contains("is not a kernel"), "{e}");
        let e = from_path(dir.path()).unwrap_err().to_string();
        assert!(e.contains("not a file"), "{e}");
        let e = from_path(&dir.path().join("missing")).unwrap_err().to_string();
        assert!(e.contains("cannot open"), "{e}");
    }

    #[test]
    fn image_dependency() {
        let t = "linux-image-cloud-amd64\n  Depends: linux-base-cloud-amd64\n  Depends: linux-image-7.2.12+deb14-cloud-amd64\n";
        assert_eq!(parse_image_dependency(t).as_deref(), Some("linux-image-7.2.12+deb14-cloud-amd64"));
        assert_eq!(parse_image_dependency("  Depends: linux-image-6.1.0-56-cloud-amd64").as_deref(), Some("linux-image-6.1.0-56-cloud-amd64"));
        assert_eq!(parse_image_dependency("nothing"), None);
    }

    #[test]
    fn releases_from_paths() {
        assert_eq!(release_from_image_path(Path::new("/x/boot/vmlinuz-6.1.0-56-cloud-amd64")).as_deref(), Some("6.1.0-56-cloud-amd64"));
        assert_eq!(
            release_from_image_path(Path::new("/x/usr/lib/modules/7.2.12+deb14-cloud-amd64/vmlinuz")).as_deref(),
            Some("7.2.12+deb14-cloud-amd64")
        );
    }

    #[test]
    fn config_check() {
        let all: String = NEEDED_OPTIONS.iter().map(|(o, _)| format!("CONFIG_{o}=y\n")).collect();
        assert!(config_notes(&all).is_empty());
        let some = all.replace("CONFIG_POSIX_MQUEUE=y", "CONFIG_POSIX_MQUEUE=m").replace("CONFIG_EPOLL=y\n", "");
        let n = config_notes(&some);
        assert_eq!(n.len(), 2, "{n:?}");
    }
}
