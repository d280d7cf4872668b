//! Synchronising access to a shared memory object with semaphores placed in it
//! (shm_overview(7), NOTES: "Typically, processes must synchronize their access to a
//! shared memory object, using, for example, POSIX semaphores"; sem_init(3) with pshared).

use fixtures::io::ftruncate;
use fixtures::memory::Mapping;
use fixtures::{IpcName, spawn};
use posix_shm::{create, shm_open};

const SLOTS: usize = 16;
const ITEMS: u64 = 20_000;

/// The object's layout: a bounded buffer guarded by two counting semaphores.
#[repr(C)]
struct Ring {
    /// Free slots (starts at SLOTS): the producer waits on it, the consumer posts it.
    free: libc::sem_t,
    /// Filled slots (starts at 0): the consumer waits on it, the producer posts it.
    used: libc::sem_t,
    slots: [u64; SLOTS],
    /// Written by the consumer: how many items it took, how many were out of order, and
    /// the sum of what it received.
    received: u64,
    out_of_order: u64,
    sum: u64,
}

fn item(i: u64) -> u64 {
    i.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0x5555
}

/// Open the object by name and view it as a Ring.
fn open_ring(name: &std::ffi::CStr) -> (Mapping, *mut Ring) {
    let fd = shm_open(name, libc::O_RDWR, 0).unwrap();
    let m = Mapping::shared(&fd, std::mem::size_of::<Ring>());
    let r = m.as_ptr().cast::<Ring>();
    (m, r)
}

fn sem_wait(s: *mut libc::sem_t) {
    // SAFETY: an initialised process-shared semaphore in the mapping.
    while unsafe { libc::sem_wait(s) } != 0 {
        assert_eq!(nix::errno::Errno::last(), nix::errno::Errno::EINTR);
    }
}

fn sem_post(s: *mut libc::sem_t) {
    // SAFETY: as above.
    assert_eq!(unsafe { libc::sem_post(s) }, 0);
}

/// Create the object, size it, and initialise both semaphores with pshared = 1.
fn make_ring(name: &IpcName) -> (Mapping, *mut Ring) {
    let fd = create(name, std::mem::size_of::<Ring>());
    let m = Mapping::shared(&fd, std::mem::size_of::<Ring>());
    let r = m.as_ptr().cast::<Ring>();
    // SAFETY: the zero-filled object is large enough for a Ring.
    unsafe {
        assert_eq!(libc::sem_init(&raw mut (*r).free, 1, SLOTS as u32), 0);
        assert_eq!(libc::sem_init(&raw mut (*r).used, 1, 0), 0);
    }
    drop(fd);
    (m, r)
}

/// The producer/consumer pattern of the course: a ring buffer with SLOTS slots and two
/// semaphores in a POSIX shared memory object; a producer process and a consumer process,
/// each opening the object by name. Every one of ITEMS items arrives, in order, exactly
/// once (checked item by item by the consumer, and by count and checksum by the parent).
#[test]
fn a_ring_buffer_with_two_semaphores_delivers_every_item_in_order() {
    let name = IpcName::shm("ring");
    let (_m, ring) = make_ring(&name);
    let n = name.as_cstr().to_owned();
    let n2 = n.clone();
    let consumer = spawn("consumer", move || {
        let (_m, r) = open_ring(&n);
        // SAFETY: accesses to the slots are ordered by the semaphores.
        unsafe {
            let (mut got, mut bad, mut sum) = (0u64, 0u64, 0u64);
            for i in 0..ITEMS {
                sem_wait(&raw mut (*r).used);
                let v = std::ptr::read_volatile(&(*r).slots[i as usize % SLOTS]);
                sem_post(&raw mut (*r).free);
                if v != item(i) {
                    bad += 1;
                }
                got += 1;
                sum = sum.wrapping_add(v);
            }
            std::ptr::write_volatile(&raw mut (*r).received, got);
            std::ptr::write_volatile(&raw mut (*r).out_of_order, bad);
            std::ptr::write_volatile(&raw mut (*r).sum, sum);
        }
    });
    let producer = spawn("producer", move || {
        let (_m, r) = open_ring(&n2);
        // SAFETY: as above.
        unsafe {
            for i in 0..ITEMS {
                sem_wait(&raw mut (*r).free);
                std::ptr::write_volatile(&raw mut (*r).slots[i as usize % SLOTS], item(i));
                sem_post(&raw mut (*r).used);
            }
        }
    });
    producer.expect_success();
    consumer.expect_success();
    let expected_sum = (0..ITEMS).fold(0u64, |s, i| s.wrapping_add(item(i)));
    // SAFETY: both children are reaped; the object is ours.
    unsafe {
        assert_eq!(std::ptr::read_volatile(&(*ring).received), ITEMS);
        assert_eq!(std::ptr::read_volatile(&(*ring).out_of_order), 0, "items arrived out of order");
        assert_eq!(std::ptr::read_volatile(&(*ring).sum), expected_sum);
        let mut v = -1;
        libc::sem_getvalue(&raw mut (*ring).free, &mut v);
        assert_eq!(v, SLOTS as i32, "every slot is free again");
        libc::sem_getvalue(&raw mut (*ring).used, &mut v);
        assert_eq!(v, 0);
    }
}

/// shm_overview(7), NOTES: "processes must synchronize their access to a shared memory
/// object, using, for example, POSIX semaphores"; sem_wait(3): "If the semaphore currently
/// has the value zero, then the call blocks until either it becomes possible to perform the
/// decrement"; sem_post(3): a process "blocked in a sem_wait(3) call will be woken up". The
/// bounded buffer blocks at both ends: the consumer blocks on an empty ring until an item
/// is produced, and the producer blocks on a full ring until a slot is freed.
#[test]
fn the_ring_blocks_the_consumer_when_empty_and_the_producer_when_full() {
    let name = IpcName::shm("ringblock");
    let (_m, ring) = make_ring(&name);
    let r = ring as usize;
    let mut consumer = spawn("consumer of an empty ring", move || {
        let r = r as *mut Ring;
        // SAFETY: as in the ring test.
        unsafe {
            sem_wait(&raw mut (*r).used);
            assert_eq!(std::ptr::read_volatile(&(*r).slots[0]), item(0));
            sem_post(&raw mut (*r).free);
        }
    });
    consumer.assert_blocked_in(fixtures::blocked::calls::FUTEX, "sem_wait on the 'used' semaphore of an empty ring");
    // SAFETY: the parent produces item 0 into slot 0.
    unsafe {
        sem_wait(&raw mut (*ring).free);
        std::ptr::write_volatile(&raw mut (*ring).slots[0], item(0));
        sem_post(&raw mut (*ring).used);
    }
    consumer.expect_success();
    let mut producer = spawn("producer into a full ring", move || {
        let r = r as *mut Ring;
        // SAFETY: as above.
        unsafe {
            for i in 0..=SLOTS as u64 {
                sem_wait(&raw mut (*r).free);
                std::ptr::write_volatile(&raw mut (*r).slots[i as usize % SLOTS], i);
                sem_post(&raw mut (*r).used);
            }
        }
    });
    producer.assert_blocked_in(fixtures::blocked::calls::FUTEX, "sem_wait on the 'free' semaphore of a full ring");
    // SAFETY: consume one item to free a slot.
    unsafe {
        let mut v = -1;
        libc::sem_getvalue(&raw mut (*ring).used, &mut v);
        assert_eq!(v, SLOTS as i32, "the producer filled every slot before blocking");
        sem_wait(&raw mut (*ring).used);
        sem_post(&raw mut (*ring).free);
    }
    producer.expect_success();
}

/// The shm_open(3) EXAMPLES program pair "pshm_ucase_bounce" / "pshm_ucase_send": the
/// bouncer creates the object holding two semaphores, a count and a buffer, waits on sem1,
/// converts the text to upper case and posts sem2; the sender opens the object by name,
/// copies its text, posts sem1, waits on sem2 and reads the converted text back.
#[test]
fn the_shm_open_example_bounces_text_back_in_upper_case() {
    #[repr(C)]
    struct ShmBuf {
        sem1: libc::sem_t,
        sem2: libc::sem_t,
        cnt: usize,
        buf: [u8; 1024],
    }
    let name = IpcName::shm("bounce");
    let n = name.as_cstr().to_owned();
    let n2 = n.clone();
    let (created, wait_created) = fixtures::sync::channel();
    let bouncer = spawn("pshm_ucase_bounce", move || {
        let fd = shm_open(&n, libc::O_CREAT | libc::O_EXCL | libc::O_RDWR, 0o600).unwrap();
        ftruncate(&fd, std::mem::size_of::<ShmBuf>() as i64).unwrap();
        let m = Mapping::shared(&fd, std::mem::size_of::<ShmBuf>());
        let s = m.as_ptr().cast::<ShmBuf>();
        // SAFETY: the layout of the example; semaphores order the buffer accesses.
        unsafe {
            assert_eq!(libc::sem_init(&raw mut (*s).sem1, 1, 0), 0);
            assert_eq!(libc::sem_init(&raw mut (*s).sem2, 1, 0), 0);
            created.notify();
            sem_wait(&raw mut (*s).sem1);
            let cnt = std::ptr::read_volatile(&(*s).cnt);
            for i in 0..cnt {
                let b = &raw mut (*s).buf[i];
                std::ptr::write_volatile(b, std::ptr::read_volatile(b).to_ascii_uppercase());
            }
            sem_post(&raw mut (*s).sem2);
        }
    });
    wait_created.wait();
    let sender = spawn("pshm_ucase_send", move || {
        let fd = shm_open(&n2, libc::O_RDWR, 0).unwrap();
        let m = Mapping::shared(&fd, std::mem::size_of::<ShmBuf>());
        let s = m.as_ptr().cast::<ShmBuf>();
        let text = b"hello, shared memory";
        // SAFETY: as above.
        unsafe {
            std::ptr::write_volatile(&raw mut (*s).cnt, text.len());
            for (i, b) in text.iter().enumerate() {
                std::ptr::write_volatile(&raw mut (*s).buf[i], *b);
            }
            sem_post(&raw mut (*s).sem1);
            sem_wait(&raw mut (*s).sem2);
            let back: Vec<u8> = (0..text.len()).map(|i| std::ptr::read_volatile(&(*s).buf[i])).collect();
            assert_eq!(back, b"HELLO, SHARED MEMORY");
        }
    });
    sender.expect_success();
    bouncer.expect_success();
}
