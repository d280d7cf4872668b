//! The suite's parameter sets, defined once and applied by name (rstest_reuse), with case
//! ids that say which case ran (`..::case_1_named`, `..::case_2_unnamed`):
//!
//! ```ignore
//! #[apply(sem_kinds)]
//! #[rstest]
//! fn post_at_sem_value_max_fails_eoverflow(#[case] kind: SemKind) { .. }
//! ```
//!
//! A test keeps its own `#[rstest]` after `#[apply(..)]`: the catalog (`ipcspec catalog`)
//! recognises tests by `#[test]`/`#[rstest]`, and rustc accepts the repetition.

use fixtures::IpcName;
use rstest_reuse::template;

use crate::named::{NamedSem, sem_open};
use crate::unnamed::UnnamedSem;

/// The two kinds of semaphore a process shares with another: named (sem_open(3), the file
/// /dev/shm/sem.NAME mapped by each process) and unnamed in shared memory (sem_init(3) with
/// pshared in a MAP_SHARED page inherited across fork).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SemKind {
    Named,
    Unnamed,
}

/// A semaphore of either kind, open (and for a named one, its name unlinked) until dropped.
pub enum SharedSem {
    Named(NamedSem, IpcName),
    Unnamed(UnnamedSem),
}

impl SemKind {
    /// A new semaphore of this kind holding `value`.
    #[track_caller]
    pub fn create(self, value: u32) -> SharedSem {
        match self {
            SemKind::Named => {
                let name = IpcName::sem("shared");
                let s = sem_open(name.as_cstr(), libc::O_CREAT | libc::O_EXCL, 0o600, value)
                    .unwrap_or_else(|e| panic!("sem_open({}, O_CREAT|O_EXCL, {value}): {e}", name.as_str()));
                SharedSem::Named(s, name)
            }
            SemKind::Unnamed => SharedSem::Unnamed(UnnamedSem::new(true, value)),
        }
    }
}

impl SharedSem {
    pub fn as_ptr(&self) -> *mut libc::sem_t {
        match self {
            SharedSem::Named(s, _) => s.as_ptr(),
            SharedSem::Unnamed(u) => u.as_ptr(),
        }
    }

    /// The semaphore's address as an integer, to move into a forked child (both kinds are
    /// mapped MAP_SHARED, and the child inherits the mapping at the same address).
    pub fn addr(&self) -> usize {
        self.as_ptr() as usize
    }
}

/// Both kinds: `named` and `unnamed` (process-shared).
/// sem_overview(7): named semaphores and unnamed (memory-based) ones.
#[template]
#[export]
#[rstest]
#[case::named(::posix_sem::cases::SemKind::Named)]
#[case::unnamed(::posix_sem::cases::SemKind::Unnamed)]
pub fn sem_kinds(#[case] kind: ::posix_sem::cases::SemKind) {}
