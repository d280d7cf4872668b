//! MAP_SHARED mappings of one object in several processes; persistence and shm_unlink(3).

use std::os::fd::AsRawFd;

use fixtures::memory::Mapping;
use fixtures::{IpcName, assert_errno, spawn, within};
use nix::errno::Errno;
use nix::sys::stat::fstat;
use posix_shm::{create, exec_shm_probe, new_object, shm_open, shm_unlink};

/// Open `name` (no O_CREAT) and map one page read-write.
fn open_and_map(name: &std::ffi::CStr) -> Mapping {
    let fd = shm_open(name, libc::O_RDWR, 0).unwrap();
    Mapping::shared(&fd, 4096)
}

/// shm_open(3): "A POSIX shared memory object is in effect a handle which can be used by
/// unrelated processes to mmap(2) the same region of shared memory." A forked child that
/// opens the name itself sees the parent's bytes, and its writes reach the parent: both
/// directions.
#[test]
fn a_process_opening_the_name_shares_the_memory_both_ways() {
    let (name, fd) = new_object("share", 4096);
    let m = Mapping::shared(&fd, 4096);
    m.write(0, b"from parent");
    let n = name.as_cstr().to_owned();
    let (done, wait_done) = fixtures::sync::channel();
    let (ack, wait_ack) = fixtures::sync::channel();
    let mut child = spawn("opener by name", move || {
        let c = open_and_map(&n);
        assert_eq!(c.read(0, 11), b"from parent");
        c.write(100, b"from child");
        done.notify();
        wait_ack.wait();
        assert_eq!(c.read(200, 6), b"second", "a later parent write must be seen too");
    });
    wait_done.wait();
    assert_eq!(m.read(100, 10), b"from child");
    m.write(200, b"second");
    ack.notify();
    child.join().expect_success();
}

/// The same, across execve(2): a fresh program (this test binary re-executed as a probe)
/// opens the object by name, reads the parent's text and writes its reply into the object.
#[test]
fn an_execd_program_opening_the_name_shares_the_memory() {
    let (name, fd) = new_object("exec", 4096);
    let m = Mapping::shared(&fd, 4096);
    m.write(0, b"hello exec\0");
    let (rx, tx) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).unwrap();
    let n = name.as_cstr().to_owned();
    let mut child = spawn("exec'd probe", move || exec_shm_probe(&n, &tx));
    let out = within("reading the probe's output", || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::fs::File::from(rx), &mut s).unwrap();
        s
    });
    child.join().expect_success();
    assert_eq!(out, "probe read: hello exec\n");
    assert_eq!(m.read(2048, 11), b"HELLO EXEC\0");
}

/// shm_open(3): "After a call to mmap(2) the file descriptor may be closed without
/// affecting the memory mapping." Two processes keep sharing after both closed their fds.
#[test]
fn closing_the_descriptor_keeps_the_mapping_shared() {
    let (name, fd) = new_object("closed", 4096);
    let m = Mapping::shared(&fd, 4096);
    drop(fd);
    let n = name.as_cstr().to_owned();
    let (ready, wait_ready) = fixtures::sync::channel();
    let (go, wait_go) = fixtures::sync::channel();
    let mut child = spawn("mapper", move || {
        let c = open_and_map(&n); // its descriptor is closed inside open_and_map
        ready.notify();
        wait_go.wait();
        assert_eq!(c.read(0, 4), b"late");
    });
    wait_ready.wait();
    m.write(0, b"late");
    go.notify();
    child.join().expect_success();
}

/// shm_overview(7), "Persistence": "a shared memory object will exist until the system is
/// shut down, or until all processes have unmapped the object and it has been deleted with
/// shm_unlink(3)". After every mapping and descriptor is gone the data is still there for
/// the next opener; after shm_unlink the name is gone.
#[test]
fn data_persists_without_mappings_until_shm_unlink() {
    let name = IpcName::shm("persist");
    {
        let fd = create(&name, 4096);
        Mapping::shared(&fd, 4096).write(0, b"kept");
    }
    let n = name.as_cstr().to_owned();
    spawn("later opener", move || assert_eq!(open_and_map(&n).read(0, 4), b"kept")).expect_success();
    shm_unlink(name.as_cstr()).unwrap();
    assert_errno!(shm_open(name.as_cstr(), libc::O_RDWR, 0), Errno::ENOENT);
}

/// shm_open(3): shm_unlink "removes a shared memory object name, and, once all processes
/// have unmapped the object, deallocates and destroys the contents"; "After a successful
/// shm_unlink(), attempts to shm_open() an object with the same name fail (unless O_CREAT
/// was specified, in which case a new, distinct object is created)." Two processes mapped
/// the object before the unlink and still share it afterwards; a new O_CREAT object is
/// empty and separate.
#[test]
fn after_shm_unlink_existing_mappings_still_share_and_the_name_is_new() {
    let (name, fd) = new_object("unlinked", 4096);
    let m = Mapping::shared(&fd, 4096);
    let n = name.as_cstr().to_owned();
    let (mapped, wait_mapped) = fixtures::sync::channel();
    let (unlinked, wait_unlinked) = fixtures::sync::channel();
    let (wrote, wait_wrote) = fixtures::sync::channel();
    let mut child = spawn("mapper", move || {
        let c = open_and_map(&n);
        mapped.notify();
        wait_unlinked.wait();
        c.write(0, b"after unlink");
        wrote.notify();
    });
    wait_mapped.wait();
    shm_unlink(name.as_cstr()).unwrap();
    assert_errno!(shm_open(name.as_cstr(), libc::O_RDWR, 0), Errno::ENOENT);
    unlinked.notify();
    wait_wrote.wait();
    assert_eq!(m.read(0, 12), b"after unlink", "existing mappings stay shared after the unlink");
    child.join().expect_success();
    let new = shm_open(name.as_cstr(), libc::O_CREAT | libc::O_EXCL | libc::O_RDWR, 0o600).unwrap();
    assert_eq!(fstat(&new).unwrap().st_size, 0, "a new object starts empty");
    assert_ne!(fstat(&new).unwrap().st_ino, fstat(&fd).unwrap().st_ino);
}

/// mmap(2), MAP_SHARED: "Updates to the mapping are visible to other processes mapping the
/// same region". Two mappings of the object in one process alias the same memory, and a
/// write(2) to the descriptor is seen through them.
#[test]
fn two_mappings_and_write_to_the_descriptor_see_the_same_bytes() {
    let (_name, fd) = new_object("alias", 4096);
    let a = Mapping::shared(&fd, 4096);
    let b = Mapping::shared(&fd, 4096);
    assert_ne!(a.as_ptr(), b.as_ptr());
    a.write(10, b"via a");
    assert_eq!(b.read(10, 5), b"via a");
    // SAFETY: pwrite from our own buffer.
    assert_eq!(unsafe { libc::pwrite(fd.as_raw_fd(), b"via fd".as_ptr().cast(), 6, 50) }, 6);
    assert_eq!(a.read(50, 6), b"via fd");
}
