//! Unnamed semaphores: sem_init(3) at the start of a page of memory.

use fixtures::memory::Mapping;
use nix::errno::Errno;

/// An unnamed semaphore initialised with sem_init(3) at the start of its own MAP_SHARED
/// page, destroyed and unmapped when dropped. With `pshared` it works across fork.
pub struct UnnamedSem {
    mem: Mapping,
}

impl UnnamedSem {
    #[track_caller]
    pub fn new(pshared: bool, value: u32) -> UnnamedSem {
        let mem = Mapping::anonymous(4096, true);
        // SAFETY: the page is large enough and suitably aligned for a sem_t.
        let r = unsafe { libc::sem_init(mem.ptr_at::<libc::sem_t>(0), pshared as libc::c_int, value) };
        assert_eq!(r, 0, "sem_init: {}", Errno::last());
        UnnamedSem { mem }
    }

    pub fn as_ptr(&self) -> *mut libc::sem_t {
        self.mem.ptr_at(0)
    }

    /// The semaphore's address as an integer, to move into a forked child (the mapping is
    /// inherited at the same address).
    pub fn addr(&self) -> usize {
        self.as_ptr() as usize
    }

    /// The rest of the page, after the semaphore, as a shared array of u64 counters.
    pub fn slot(&self, i: usize) -> *mut u64 {
        self.mem.ptr_at(64 + 8 * i)
    }
}

impl Drop for UnnamedSem {
    fn drop(&mut self) {
        // SAFETY: initialised by sem_init, destroyed once, no waiter left (children are
        // reaped before the semaphore drops).
        unsafe { libc::sem_destroy(self.as_ptr()) };
    }
}
