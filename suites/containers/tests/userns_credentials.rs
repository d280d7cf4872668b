//! User namespaces and the ids that AF_UNIX credentials carry. user_namespaces(7),
//! "Miscellaneous": "When a process's user and group IDs are passed over a UNIX domain
//! socket to a process in a different user namespace (see the description of
//! SCM_CREDENTIALS in unix(7)), they are translated into the corresponding values as per
//! the receiving process's user and group ID mappings." And "Unmapped user and group IDs":
//! an id with no mapping in the receiver's namespace "is converted to the overflow user ID
//! (group ID); the default value for the overflow user ID (group ID) is 65534", including
//! "credentials passed over a UNIX domain socket".
//!
//! The processes here map only their own ids (what an unprivileged process may do), to a
//! different number inside (5, 7), so that a missing translation shows.

use containers::sandbox::{enter_user_ns, holding, namespaces, sandbox};
use containers::sock::{accept, connected_to, listener, peer_cred, recv_expecting_creds, recv_with_creds, send_with_creds};
use fixtures::names::unique;
use fixtures::net::{SockAddr, setsockopt_int, socketpair};
use fixtures::{Agent, needs, spawn, sysctl};
use nix::unistd::{getegid, geteuid, getgid, getuid};
use rstest::rstest;

/// The overflow ids the kernel reports for unmapped ids (proc(5): overflowuid, overflowgid).
fn overflow_ids() -> (u32, u32) {
    (sysctl::read_u64("kernel/overflowuid") as u32, sysctl::read_u64("kernel/overflowgid") as u32)
}

/// user_namespaces(7), "Miscellaneous": a sender inside a user namespace that maps its ids
/// to 5 believes it is uid 5 (getuid(2)), but a receiver outside gets the sender's ids as
/// the receiver's namespace knows them — the same ids as the receiver's own here —
/// whether the kernel fills in the credentials or the sender gives them explicitly
/// (unix(7): the sender may specify "its real user ID, effective user ID, or saved
/// set-user-ID").
#[rstest]
#[case::default_creds(false)]
#[case::explicit_creds(true)]
fn scm_credentials_of_a_sender_in_a_user_namespace_are_its_outer_ids(#[case] explicit: bool) {
    needs!(available(namespaces()));
    sandbox("SCM_CREDENTIALS out of a user namespace", || {
        let (outer, inner) = socketpair(libc::SOCK_DGRAM).expect("socketpair");
        setsockopt_int(&outer, libc::SOL_SOCKET, libc::SO_PASSCRED, 1).expect("setsockopt(SO_PASSCRED)");
        // variant: none — the expected ids are this process's own (root, or the sandbox's
        // mapped root), whichever they are; the claim is the same for every uid.
        let me = (geteuid().as_raw(), getegid().as_raw());
        spawn("sender in a user namespace mapping itself to 5", || {
            enter_user_ns(Some((5, 5)));
            assert_eq!((getuid().as_raw(), getgid().as_raw()), (5, 5), "ids inside the new user namespace");
            let creds = explicit.then(|| libc::ucred { pid: nix::unistd::getpid().as_raw(), uid: 5, gid: 5 });
            assert_eq!(send_with_creds(&inner, b"hi", creds), Ok(2));
        })
        .expect_success();
        let cred = recv_expecting_creds(&outer, b"hi");
        assert_eq!((cred.uid, cred.gid), me, "the sender's ids as the receiver's namespace maps them");
    });
}

/// user_namespaces(7), as above, for a receiver inside: a process in a user namespace that
/// maps the sender's ids to 7 receives uid 7 and gid 7 in SCM_CREDENTIALS from a sender
/// outside.
#[test]
fn scm_credentials_are_mapped_into_the_receivers_user_namespace() {
    needs!(available(namespaces()));
    sandbox("SCM_CREDENTIALS into a user namespace", || {
        let (outer, inner) = socketpair(libc::SOCK_DGRAM).expect("socketpair");
        let receiver = Agent::<(), ()>::spawn("receiver in a user namespace mapping our ids to 7", |serve| {
            enter_user_ns(Some((7, 7)));
            setsockopt_int(&inner, libc::SOL_SOCKET, libc::SO_PASSCRED, 1).expect("setsockopt(SO_PASSCRED)");
            serve.ready(());
            let cred = recv_expecting_creds(&inner, b"hi");
            assert_eq!((cred.uid, cred.gid), (7, 7), "the outer sender's ids, mapped");
        });
        receiver.ready::<()>();
        assert_eq!(send_with_creds(&outer, b"hi", None), Ok(2));
        receiver.expect_success();
    });
}

/// unix(7), SO_PEERCRED, with user_namespaces(7): the peer's credentials are translated for
/// the reader, in both directions. A client in a user namespace mapping its ids to 5
/// connects to a listener outside: the listener reads the client's outer ids; the client
/// reads the listener's ids as 5 (the same outer ids, mapped into its namespace).
#[test]
fn so_peercred_ids_are_translated_into_the_readers_user_namespace() {
    needs!(available(namespaces()));
    let a = SockAddr::abstract_unix(unique("userns-peercred").as_bytes());
    sandbox("SO_PEERCRED across user namespaces", || {
        let l = listener(libc::SOCK_STREAM, &a);
        // variant: none — the expected ids are this process's own (root, or the sandbox's
        // mapped root), whichever they are; the claim is the same for every uid.
        let me = (geteuid().as_raw(), getegid().as_raw());
        let client = holding("client in a user namespace mapping itself to 5", || {
            enter_user_ns(Some((5, 5)));
            let c = connected_to(&a);
            let cred = peer_cred(&c);
            assert_eq!((cred.uid, cred.gid), (5, 5), "the listener's ids, seen inside");
            c
        });
        let cred = peer_cred(accept(&l));
        assert_eq!((cred.uid, cred.gid), me, "the client's ids, seen outside");
        client.expect_success();
    });
}

/// user_namespaces(7), "Unmapped user and group IDs": ids with no mapping in the reader's
/// user namespace show as the overflow ids (/proc/sys/kernel/overflowuid, overflowgid;
/// 65534 by default), for "credentials passed over a UNIX domain socket" and for
/// getuid(2) itself. A reader in a user namespace with no mappings at all gets the overflow
/// ids for its peer, through SCM_CREDENTIALS and through SO_PEERCRED.
#[rstest]
#[case::scm_credentials(false)]
#[case::so_peercred(true)]
fn unmapped_peer_ids_show_as_the_overflow_ids(#[case] peercred: bool) {
    needs!(available(namespaces()));
    let a = SockAddr::abstract_unix(unique("unmapped").as_bytes());
    sandbox("credentials into an unmapped user namespace", || {
        // variant: none — the reader's own ids are compared with the overflow ids it reads
        // from /proc/sys/kernel/overflow{u,g}id, whatever they are set to.
        let overflow = overflow_ids();
        let (outer, inner) = socketpair(libc::SOCK_DGRAM).expect("socketpair");
        let reader = Agent::<(), ()>::spawn("reader in a user namespace without mappings", |serve| {
            enter_user_ns(None);
            assert_eq!((getuid().as_raw(), getgid().as_raw()), overflow, "own ids before any mapping");
            let cred = if peercred {
                let l = listener(libc::SOCK_STREAM, &a);
                serve.ready(());
                peer_cred(accept(&l))
            } else {
                setsockopt_int(&inner, libc::SOL_SOCKET, libc::SO_PASSCRED, 1).expect("setsockopt(SO_PASSCRED)");
                serve.ready(());
                recv_with_creds(&inner).1.expect("SCM_CREDENTIALS with SO_PASSCRED set")
            };
            assert_eq!((cred.uid, cred.gid), overflow, "the peer's unmapped ids");
        });
        reader.ready::<()>();
        if peercred {
            connected_to(&a);
        } else {
            assert_eq!(send_with_creds(&outer, b"hi", None), Ok(2));
        }
        reader.expect_success();
    });
}
