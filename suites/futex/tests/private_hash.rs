//! prctl(2) PR_FUTEX_HASH (6.17): the process-private futex hash. The hash belongs to the
//! process, so every claim is checked in a child (its own, fresh memory map).

use fixtures::{assert_errno, run_in_child, variant};
use futex::{PR_FUTEX_HASH, PR_FUTEX_HASH_GET_SLOTS, PR_FUTEX_HASH_SET_SLOTS};
use nix::errno::Errno;

fn prctl(op: libc::c_ulong, arg3: libc::c_ulong, arg4: libc::c_ulong) -> Result<libc::c_int, Errno> {
    // SAFETY: prctl with integer arguments.
    fixtures::sys(unsafe { libc::prctl(PR_FUTEX_HASH, op, arg3, arg4, 0) })
}

/// PR_FUTEX_HASH(2const): "Linux 6.17 implements a process-wide private hash which is used by
/// all futex(2) operations that specify the FUTEX_PRIVATE_FLAG option"; "Without any
/// configuration the kernel will allocate 16 hash slots once the first thread has been
/// created"; PR_FUTEX_HASH_GET_SLOTS: "A value of 0 means that a private hash has not been
/// allocated and the global hash is in use. A value >0 specifies the size of the private
/// hash"; PR_FUTEX_HASH_SET_SLOTS: the size "must be power of two, and the lowest possible
/// value is 2", "EINVAL An argument is invalid". Asserted in a forked, single-threaded
/// child: GET_SLOTS returns 0; SET_SLOTS 4 succeeds and GET_SLOTS then returns 4; SET_SLOTS
/// 3 fails EINVAL; flags other than 0 fail EINVAL. Before 6.17 (variant `absent`) the option
/// is unknown: prctl(2), "EINVAL The value of op is not recognized".
///
/// Kernel change: 6.17 — PR_FUTEX_HASH: a process-private futex hash, sized with prctl(2).
#[test]
fn pr_futex_hash_sizes_the_private_futex_hash() {
    run_in_child("single-threaded process", || {
        let r = prctl(PR_FUTEX_HASH_GET_SLOTS, 0, 0);
        if !variant::since(6, 17, "PR_FUTEX_HASH") {
            assert_errno!(r, Errno::EINVAL, "PR_FUTEX_HASH before 6.17");
            return;
        }
        assert_eq!(r, Ok(0), "no private hash in a single-threaded process");
        assert_eq!(prctl(PR_FUTEX_HASH_SET_SLOTS, 4, 0), Ok(0));
        assert_eq!(prctl(PR_FUTEX_HASH_GET_SLOTS, 0, 0), Ok(4));
        assert_errno!(prctl(PR_FUTEX_HASH_SET_SLOTS, 3, 0), Errno::EINVAL, "3 slots: not a power of two");
        assert_errno!(prctl(PR_FUTEX_HASH_SET_SLOTS, 8, 1), Errno::EINVAL, "flags must be 0");
        assert_eq!(prctl(PR_FUTEX_HASH_GET_SLOTS, 0, 0), Ok(4), "a refused resize changes nothing");
    })
    .expect_success();
}
