//! The futex2 system calls futex_wait(2)/futex_wake(2) (6.7) and their FUTEX2_NUMA flag (6.16).

use fixtures::{assert_errno, spawn, variant};
use futex::{FUTEX_NO_NODE, FUTEX2_NUMA, FUTEX2_SIZE_U32, Words, futex_wait, futex_wake};
use nix::errno::Errno;

/// FUTEX_BITSET_MATCH_ANY: every bit of a 32-bit mask (a mask wider than the futex size is
/// EINVAL).
const ANY: u64 = 0xffff_ffff;

/// futex_wake(2)/futex_wait(2) (syscalls 454/455, <linux/futex.h> FUTEX2_SIZE_U32, 6.7):
/// futex_wait(uaddr, val, mask, flags, timeout, clockid) sleeps if the word still holds
/// `val` (else EAGAIN, as FUTEX_WAIT), futex_wake(uaddr, mask, nr, flags) wakes at most `nr`
/// waiters whose mask intersects and returns how many; without FUTEX2_PRIVATE the word is
/// shared between processes (futex_waitv(2) describes the same flags). Asserted on a word in
/// shared memory: a mismatching value gives EAGAIN; a child blocked in futex_wait is woken by
/// futex_wake from this process (which returns 1) and its futex_wait returns 0. Before 6.7
/// (variant `absent`): ENOSYS.
///
/// Kernel change: 6.7 — futex2 system calls futex_wake(2), futex_wait(2), futex_requeue(2).
#[test]
fn futex_wake_wakes_a_futex_wait_of_another_process() {
    let words = Words::new();
    words.set(0, 7);
    let r = futex_wait(&words, 0, 8, ANY, FUTEX2_SIZE_U32);
    fixtures::skip_if_filtered!("futex_wait", (6, 7), &r);
    if !variant::since(6, 7, "futex_wait/futex_wake") {
        assert_errno!(r, Errno::ENOSYS, "futex_wait before 6.7");
        return;
    }
    assert_errno!(r, Errno::EAGAIN, "the word holds 7, not 8");
    let mut child = spawn("futex_wait", || {
        assert_eq!(futex_wait(&words, 0, 7, ANY, FUTEX2_SIZE_U32), Ok(0));
    });
    child.wait_until_blocked_in(&[futex::SYS_FUTEX_WAIT]);
    assert_eq!(futex_wake(&words, 0, ANY, 1, FUTEX2_SIZE_U32), Ok(1));
    child.expect_success();
}

/// futex_waitv(2) (man-pages 6.20), FUTEX2_NUMA: "The futex word is followed by another word
/// of the same size ... which can be either FUTEX_NO_NODE (all bits set) or a NUMA node
/// number. If the NUMA word is FUTEX_NO_NODE, the node number of the processor the syscall
/// executes on is written to it." The futex2 calls take the same flag. Asserted with
/// futex_wake(FUTEX2_SIZE_U32|FUTEX2_NUMA) on a word pair whose node word is FUTEX_NO_NODE:
/// it returns 0 (nobody waits) and the node word now names a node that is online (getcpu(2)
/// reports the node of the CPU; on a one-node machine it is node 0). Before 6.16 (variant
/// `absent`) the flag is unknown to the futex2 calls: EINVAL, the node word untouched
/// (ENOSYS before 6.7, which has no futex2 calls at all).
///
/// Kernel change: 6.16 — FUTEX2_NUMA: futexes placed on a NUMA node named next to the futex word.
#[test]
fn futex2_numa_fills_in_the_node_of_the_caller() {
    let words = Words::new();
    words.set(1, FUTEX_NO_NODE);
    let r = futex_wake(&words, 0, ANY, 1, FUTEX2_SIZE_U32 | FUTEX2_NUMA);
    fixtures::skip_if_filtered!("futex_wake", (6, 7), &r);
    if !variant::since(6, 16, "FUTEX2_NUMA") {
        let old = if fixtures::kernel_at_least(6, 7) { Errno::EINVAL } else { Errno::ENOSYS };
        assert_errno!(r, old, "FUTEX2_NUMA before 6.16");
        assert_eq!(words.get(1), FUTEX_NO_NODE);
        return;
    }
    assert_eq!(r, Ok(0), "nobody waits");
    let node = words.get(1);
    assert_ne!(node, FUTEX_NO_NODE, "the node word was filled in");
    let online = std::fs::read_to_string("/sys/devices/system/node/online").ok();
    match online.as_deref().map(str::trim) {
        Some("0") | None => assert_eq!(node, 0, "one online node (or no sysfs): node 0"),
        Some(list) => assert!(node_listed(list, node), "node {node} is not online ({list})"),
    }
}

/// Whether `node` is in a sysfs node list such as "0-1,4".
fn node_listed(list: &str, node: u32) -> bool {
    list.split(',').any(|r| match r.split_once('-') {
        Some((a, b)) => (a.parse::<u32>().unwrap_or(u32::MAX)..=b.parse::<u32>().unwrap_or(0)).contains(&node),
        None => r.parse::<u32>() == Ok(node),
    })
}
