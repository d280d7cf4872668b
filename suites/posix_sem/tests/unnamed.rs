//! sem_init(3): unnamed semaphores shared between threads or processes, and what fork(2)
//! does to one in private memory.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use fixtures::{IpcName, NEGATIVE_WAIT, scaled, spawn, within};
use nix::errno::Errno;
use posix_sem::calls::{post, value, wait};
use posix_sem::unnamed::UnnamedSem;

/// sem_init(3): "If pshared is nonzero, then the semaphore is shared between processes,
/// and should be located in a region of shared memory ... (Since a child created by
/// fork(2) inherits its parent's memory mappings, it can also access the semaphore.)"
/// A child blocks on it; the parent's post wakes it; the child's post reaches the parent.
#[test]
fn pshared_semaphore_in_map_shared_memory_works_across_fork() {
    let s = UnnamedSem::new(true, 0);
    let a = s.addr();
    let mut child = spawn("child", move || {
        wait(a as *mut libc::sem_t).unwrap();
        post(a as *mut libc::sem_t).unwrap();
        post(a as *mut libc::sem_t).unwrap();
    });
    child.assert_blocked_in(fixtures::blocked::calls::FUTEX, "sem_wait(3) on a process-shared semaphore");
    post(s.as_ptr()).unwrap();
    child.expect_success();
    assert_eq!(value(s.as_ptr()), 2, "the child's two posts are seen by the parent");
}

/// sem_overview(7): "A process-shared semaphore must be placed in a shared memory region
/// (e.g., ... a POSIX shared memory object built created using shm_open(3))." A child maps
/// the object by name (it does not inherit the mapping) and waits on the semaphore in it.
#[test]
fn pshared_semaphore_in_a_posix_shm_object_works_between_processes() {
    let name = IpcName::shm("semobj");
    let map = |create: bool| -> *mut libc::sem_t {
        let flags = if create { libc::O_CREAT | libc::O_EXCL | libc::O_RDWR } else { libc::O_RDWR };
        // SAFETY: plain calls on a fresh fd and mapping.
        unsafe {
            let fd = libc::shm_open(name.as_cstr().as_ptr(), flags, 0o600);
            assert!(fd >= 0, "shm_open: {}", Errno::last());
            if create {
                assert_eq!(libc::ftruncate(fd, 4096), 0);
            }
            let p = libc::mmap(std::ptr::null_mut(), 4096, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_SHARED, fd, 0);
            assert_ne!(p, libc::MAP_FAILED);
            libc::close(fd);
            p.cast()
        }
    };
    let s = map(true);
    // SAFETY: a zeroed page of shared memory.
    assert_eq!(unsafe { libc::sem_init(s, 1, 0) }, 0);
    let mut child = spawn("child mapping by name", || {
        let mine = map(false);
        wait(mine).unwrap();
        assert_eq!(value(mine), 0);
        post(mine).unwrap();
    });
    child.assert_blocked_in(fixtures::blocked::calls::FUTEX, "sem_wait(3) in a shm_open object");
    post(s).unwrap();
    child.expect_success();
    assert_eq!(value(s), 1);
    // SAFETY: destroying and unmapping our own semaphore.
    unsafe {
        libc::sem_destroy(s);
        libc::munmap(s.cast(), 4096);
    }
}

/// sem_init(3): "If pshared has the value 0, then the semaphore is shared between the
/// threads of a process". A thread blocks in sem_wait until the main thread posts.
#[test]
fn thread_shared_semaphore_blocks_a_thread_until_a_post() {
    let s = Arc::new(UnnamedSem::new(false, 0));
    let done = Arc::new(AtomicBool::new(false));
    let (tid_tx, tid_rx) = std::sync::mpsc::channel();
    let (s2, done2) = (s.clone(), done.clone());
    let t = std::thread::spawn(move || {
        tid_tx.send(fixtures::procfs::gettid()).unwrap();
        wait(s2.as_ptr()).unwrap();
        done2.store(true, Ordering::SeqCst);
    });
    let tid = tid_rx.recv().unwrap();
    within("waiting for the thread to block", || {
        while fixtures::procfs::thread_state(tid) != Some('S') {
            std::thread::yield_now();
        }
    });
    // The kernel shows the thread asleep in futex(2), inside sem_wait: it has not returned
    // without a post. Where it shows nothing, the timed proof: not returned for NEGATIVE_WAIT.
    if fixtures::blocked::thread_asleep_in(tid, fixtures::blocked::calls::FUTEX, "sem_wait(3) in a thread") {
        assert!(!done.load(Ordering::SeqCst), "sem_wait returned without a post");
    } else {
        let until = std::time::Instant::now() + scaled(NEGATIVE_WAIT);
        while std::time::Instant::now() < until {
            assert!(!done.load(Ordering::SeqCst), "sem_wait returned without a post");
            std::thread::yield_now();
        }
    }
    post(s.as_ptr()).unwrap();
    within("joining the woken thread", || t.join().unwrap());
    assert!(done.load(Ordering::SeqCst));
    assert_eq!(value(s.as_ptr()), 0);
}

/// fork(2): the child gets a copy of private memory, so a pshared semaphore placed in
/// MAP_PRIVATE memory is not shared (sem_init(3): it "should be located in a region of
/// shared memory"): the child's posts do not reach the parent's copy.
#[test]
fn a_semaphore_in_private_memory_is_not_shared_after_fork() {
    let mut private: Box<libc::sem_t> = Box::new(unsafe { std::mem::zeroed() });
    let p: *mut libc::sem_t = &mut *private;
    // SAFETY: a valid sem_t in our heap.
    assert_eq!(unsafe { libc::sem_init(p, 1, 0) }, 0);
    let a = p as usize;
    spawn("poster on its own copy", move || {
        post(a as *mut libc::sem_t).unwrap();
        assert_eq!(value(a as *mut libc::sem_t), 1);
    })
    .expect_success();
    assert_eq!(value(p), 0, "a post on the child's copy must not reach the parent");
    // SAFETY: destroying our own semaphore.
    unsafe { libc::sem_destroy(p) };
}
