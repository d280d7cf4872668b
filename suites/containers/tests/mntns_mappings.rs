//! Shared file mappings across containers that share a volume. mmap(2), MAP_SHARED:
//! "Updates to the mapping are visible to other processes mapping the same region" — the
//! same region of the same file (inode), whatever mount and path it was opened through;
//! mount_namespaces(7) gives each container only its own mount list.

use std::path::Path;

use containers::sandbox::{become_container, namespaces, sandbox, volume_and_two_roots};
use fixtures::memory::{Mapping, page_size};
use fixtures::ns::ns_inode;
use fixtures::{Agent, needs, spawn};

/// In a child: become a container whose root `root` is a private tmpfs with the shared
/// `volume` bind-mounted at `root`/vol; maps `root`/vol/data MAP_SHARED (one page).
fn container_mapping(root: &Path, volume: &Path) -> Mapping {
    let data = become_container(root, volume);
    let f = fixtures::io::open_cloexec(&data, libc::O_RDWR).expect("open the data file through the bind mount");
    Mapping::shared(&f, page_size())
}

/// mmap(2), MAP_SHARED, with mount_namespaces(7): two processes in different mount
/// namespaces (each with a private tmpfs root and the same host directory bind-mounted into
/// it, as `docker run -v` does) map the same file through their own mounts and see each
/// other's stores: B reads the 6 bytes A stored, A reads the 6 bytes B stored back, and the
/// host's copy of the file holds both.
#[test]
fn processes_in_different_mount_namespaces_share_a_bind_mounted_file_mapping() {
    needs!(available(namespaces()));
    let (_s, volume, root_a, root_b) = volume_and_two_roots(&vec![0u8; page_size()]);
    sandbox("one file mapped in two containers", || {
        let a = Agent::<(), ()>::spawn("container a", |serve| {
            let m = container_mapping(&root_a, &volume);
            m.write(0, b"from a");
            serve.ready(ns_inode("self", "mnt"));
            serve.wait_release();
            assert_eq!(m.read(8, 6), b"from b", "B's store, seen in A's mapping");
        });
        let mnt_a: u64 = a.ready();
        spawn("container b", || {
            let m = container_mapping(&root_b, &volume);
            assert_ne!(ns_inode("self", "mnt"), mnt_a, "two mount namespaces");
            assert_eq!(m.read(0, 6), b"from a", "A's store, seen in B's mapping");
            m.write(8, b"from b");
        })
        .expect_success();
        a.expect_success();
        let host = std::fs::read(volume.join("data")).unwrap();
        assert_eq!((&host[..6], &host[8..14]), (&b"from a"[..], &b"from b"[..]));
    });
}
