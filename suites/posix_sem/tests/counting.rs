//! Counting semantics under contention: no post is lost, and a semaphore of value 1 gives
//! mutual exclusion across processes.

use std::sync::atomic::{AtomicU64, Ordering};

use fixtures::{assert_errno, children, within};
use nix::errno::Errno;
use posix_sem::calls::{post, trywait, value, wait};
use posix_sem::unnamed::UnnamedSem;
use rstest::rstest;

const POSTERS: usize = 3;
const WAITERS: usize = 3;
const PER: usize = 2000;

/// sem_overview(7): sem_post increments "by one" and sem_wait decrements "by one", so with
/// POSTERS*PER posts and as many waits spread over concurrent processes (or threads), every
/// wait completes and the value ends at exactly 0: no post is lost and none counted twice.
#[rstest]
#[case::processes(true)]
#[case::threads(false)]
fn concurrent_posts_and_waits_lose_no_post(#[case] between_processes: bool) {
    let s = UnnamedSem::new(between_processes, 0);
    let a = s.addr();
    let sem = move || a as *mut libc::sem_t;
    if between_processes {
        let waiters = children(WAITERS, "waiter", |_| {
            for _ in 0..PER * POSTERS / WAITERS {
                wait(sem()).unwrap();
            }
        });
        let posters = children(POSTERS, "poster", |_| {
            for _ in 0..PER {
                post(sem()).unwrap();
            }
        });
        posters.expect_all_success();
        waiters.expect_all_success();
    } else {
        within("threads posting and waiting", || {
            std::thread::scope(|sc| {
                for _ in 0..WAITERS {
                    sc.spawn(|| {
                        for _ in 0..PER * POSTERS / WAITERS {
                            wait(sem()).unwrap();
                        }
                    });
                }
                for _ in 0..POSTERS {
                    sc.spawn(|| {
                        for _ in 0..PER {
                            post(sem()).unwrap();
                        }
                    });
                }
            })
        });
    }
    assert_eq!(value(s.as_ptr()), 0);
    assert_errno!(trywait(s.as_ptr()), Errno::EAGAIN);
}

const WORKERS: usize = 4;
const ROUNDS: u64 = 3000;

/// sem_overview(7): "POSIX semaphores allow processes and threads to synchronize their
/// actions." A semaphore of value 1 used as a lock around a non-atomic read-modify-write of
/// a counter in shared memory: the final count is exact, and no two processes are ever
/// inside the critical section together (an occupancy counter checked on entry).
#[test]
fn a_binary_semaphore_protects_a_shared_counter_across_processes() {
    let s = UnnamedSem::new(true, 1);
    let a = s.addr();
    let counter = s.slot(0) as usize;
    let inside = s.slot(1) as usize;
    children(WORKERS, "worker", |_| {
        let counter = counter as *mut u64;
        // SAFETY: a u64 slot in the shared page, used atomically for the occupancy check.
        let inside = unsafe { &*(inside as *const AtomicU64) };
        for _ in 0..ROUNDS {
            wait(a as *mut libc::sem_t).unwrap();
            assert_eq!(inside.fetch_add(1, Ordering::SeqCst), 0, "two processes in the critical section");
            // SAFETY: the semaphore serialises this non-atomic read-modify-write.
            unsafe {
                let v = std::ptr::read_volatile(counter);
                std::hint::spin_loop();
                std::ptr::write_volatile(counter, v + 1);
            }
            inside.fetch_sub(1, Ordering::SeqCst);
            post(a as *mut libc::sem_t).unwrap();
        }
    })
    .expect_all_success();
    // SAFETY: all workers are reaped.
    assert_eq!(unsafe { std::ptr::read_volatile(s.slot(0)) }, WORKERS as u64 * ROUNDS);
    assert_eq!(value(s.as_ptr()), 1);
}
