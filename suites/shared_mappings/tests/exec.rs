//! Mappings across execve(2): none survives it. execve(2): "Memory mappings are not
//! preserved" — a program that needs the parent's shared file mapping maps the file again.

use fixtures::exec::exec_probe;
use fixtures::memory::{Mapping, page_size};
use fixtures::{Outcome, run_in_child};
use shared_mappings::files::ScratchFile;

/// The probe `remap PATH`: exit 100 if a line of /proc/self/maps names PATH (a mapping
/// survived execve(2)); else open PATH, map its first page MAP_SHARED, exit 101 unless it
/// begins with "parent", store "probe!" at offset 8, exit 0 (an errno for a failed call).
fn remap_probe(args: &[&str]) -> i32 {
    let path = args.first().copied().unwrap_or("");
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap_or_default();
    if maps.lines().any(|l| l.ends_with(path)) {
        return 100;
    }
    let c = std::ffi::CString::new(path).unwrap();
    // SAFETY: plain system calls on our own descriptor and a fresh mapping.
    unsafe {
        let fd = libc::open(c.as_ptr(), libc::O_RDWR | libc::O_CLOEXEC);
        if fd < 0 {
            return nix::errno::Errno::last_raw();
        }
        let len = libc::sysconf(libc::_SC_PAGESIZE) as usize;
        let p = libc::mmap(std::ptr::null_mut(), len, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_SHARED, fd, 0);
        if p == libc::MAP_FAILED {
            return nix::errno::Errno::last_raw();
        }
        let bytes = std::slice::from_raw_parts_mut(p.cast::<u8>(), len);
        if &bytes[..6] != b"parent" {
            return 101;
        }
        bytes[8..14].copy_from_slice(b"probe!");
    }
    0
}

fixtures::probe!("remap", remap_probe);

/// execve(2): "Memory mappings are not preserved"; mmap(2), MAP_SHARED: "Updates to the
/// mapping are visible to other processes mapping the same region". Asserted: the parent maps
/// a file MAP_SHARED and stores "parent"; a forked child (which inherits the mapping) execs a
/// probe, which finds no line for the file in /proc/self/maps, maps the file again, sees
/// "parent" and stores "probe!"; the parent's original mapping then shows "probe!".
#[test]
fn a_shared_file_mapping_does_not_survive_execve_and_the_file_is_mapped_again() {
    let file = ScratchFile::new(&vec![0u8; page_size()]);
    let m = Mapping::shared(&file.fd, page_size());
    m.write(0, b"parent");
    let path = file.path.to_str().expect("a UTF-8 scratch path").to_string();
    assert!(std::fs::read_to_string("/proc/self/maps").unwrap().lines().any(|l| l.ends_with(&path)), "the parent's mapping in its maps");
    assert_eq!(run_in_child("exec'd remapper", || exec_probe(&["remap", &path])), Outcome::Exited(0));
    assert_eq!(m.read(8, 6), b"probe!");
}
