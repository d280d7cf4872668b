//! RWF_NOWAIT on pipes. readv(2), RWF_NOWAIT: "Do not wait for data which is not immediately
//! available ... If no bytes were read, it will return -1 and set errno to EAGAIN"; ERRORS:
//! "EOPNOTSUPP An unknown flag is specified in flags." The kernel accepts the flag only for a
//! file whose open file description has FMODE_NOWAIT (kiocb_set_rw_flags, fs/read_write.c);
//! otherwise it answers EOPNOTSUPP.
//!
//! Anonymous pipes have it since 6.4 (commit afed6271f5b0, "pipe: set FMODE_NOWAIT on
//! pipes", which sets it in create_pipe_files); the same merge made splice(2) and vmsplice(2)
//! take it away from the pipe file they use (commit 0f99fc513ddd), because splice holds the
//! pipe lock across I/O. FIFOs are opened by open(2), which never sets it: a FIFO refuses
//! the flag on every kernel, where pipe(7) promises pipes and FIFOs "exactly the same
//! semantics" once open.
//!
//! Every call is the raw system call ([`pipes::preadv2`], [`pipes::pwritev2`]) and is bounded
//! ([`fixtures::within`]): a kernel that took the flag and still slept would hang otherwise.

use std::os::fd::AsRawFd;

use fixtures::io::{fionread, write_once};
use fixtures::kinds::Kind;
use fixtures::{assert_errno, sys_size, variant, within};
use nix::errno::Errno;
use pipes::{blocking_pair, fill_to_capacity, preadv2, pwritev2};
use rstest::rstest;

const NOWAIT: libc::c_int = libc::RWF_NOWAIT;

/// readv(2), RWF_NOWAIT, on an anonymous pipe. Since 6.4 the flag is honoured: preadv2 on an
/// empty pipe that still has a writer fails EAGAIN at once instead of blocking, a pipe with
/// data returns it, and pwritev2 into a full pipe fails EAGAIN instead of waiting for room.
/// Before 6.4 the pipe file has no FMODE_NOWAIT and both calls fail EOPNOTSUPP without
/// reading or writing anything (variant `absent`). Asserted: the exact errno, the bytes read,
/// and that nothing was written by a refused call.
///
/// Kernel change: 6.4, commit afed6271f5b0 — anonymous pipes honour RWF_NOWAIT: EAGAIN instead of EOPNOTSUPP.
#[test]
fn rwf_nowait_on_an_anonymous_pipe_fails_eagain_instead_of_waiting_since_6_4() {
    let p = blocking_pair(Kind::Pipe);
    let mut buf = [0u8; 8];
    let empty = within("preadv2(RWF_NOWAIT) on an empty pipe", || preadv2(p.rx(), &mut buf, NOWAIT));
    if !variant::since(6, 4, "RWF_NOWAIT on anonymous pipes (FMODE_NOWAIT)") {
        assert_errno!(empty, Errno::EOPNOTSUPP, "preadv2(RWF_NOWAIT) on an empty pipe before 6.4");
        assert_errno!(pwritev2(p.tx(), b"x", NOWAIT), Errno::EOPNOTSUPP, "pwritev2(RWF_NOWAIT) before 6.4");
        assert_eq!(fionread(p.rx()), Ok(0), "the refused pwritev2 wrote nothing");
        return;
    }
    assert_errno!(empty, Errno::EAGAIN, "preadv2(RWF_NOWAIT) on an empty pipe with a writer");
    assert_eq!(write_once(p.tx(), b"abc"), Ok(3));
    assert_eq!(preadv2(p.rx(), &mut buf, NOWAIT), Ok(3), "data that is there is returned");
    assert_eq!(&buf[..3], b"abc");
    let cap = fill_to_capacity(p.tx());
    let full = within("pwritev2(RWF_NOWAIT) into a full pipe", || pwritev2(p.tx(), b"x", NOWAIT));
    assert_errno!(full, Errno::EAGAIN, "pwritev2(RWF_NOWAIT) into a full pipe");
    assert_eq!(fionread(p.rx()), Ok(cap), "the refused write added nothing");
}

/// How a test takes RWF_NOWAIT away from one end of a pipe.
#[derive(Clone, Copy, Debug)]
enum Splice {
    /// vmsplice(2) of user memory into the write end.
    VmspliceIntoTheWriteEnd,
    /// splice(2) from the read end into another pipe.
    SpliceFromTheReadEnd,
}

/// Commit 0f99fc513ddd ("splice: clear FMODE_NOWAIT on file if splice/vmsplice is used",
/// 6.4): "By clearing FMODE_NOWAIT if splice is being used on a pipe, other users of the pipe
/// will know that the pipe is no longer safe for RWF_NOWAIT". The flag belongs to the open
/// file description: after vmsplice into the write end (or splice out of the read end),
/// RWF_NOWAIT on that end — and on a dup(2) of it — fails EOPNOTSUPP, while the other end,
/// a separate description of the same pipe, keeps it. Before 6.4 no pipe file has the flag:
/// EOPNOTSUPP on both ends before and after (variant `absent`).
///
/// Kernel change: 6.4, commit 0f99fc513ddd — splice(2)/vmsplice(2) take RWF_NOWAIT away from the pipe file they used (EOPNOTSUPP there).
#[rstest]
#[case::vmsplice_into_the_write_end(Splice::VmspliceIntoTheWriteEnd)]
#[case::splice_from_the_read_end(Splice::SpliceFromTheReadEnd)]
fn splice_takes_rwf_nowait_away_from_the_pipe_file_it_used_since_6_4(#[case] how: Splice) {
    let p = blocking_pair(Kind::Pipe);
    let other = blocking_pair(Kind::Pipe);
    let mut buf = [0u8; 8];
    let has_nowait = variant::since(6, 4, "RWF_NOWAIT on anonymous pipes, cleared by splice/vmsplice");
    let before = if has_nowait { Ok(1) } else { Err(Errno::EOPNOTSUPP) };
    assert_eq!(pwritev2(p.tx(), b"w", NOWAIT), before, "the write end before any splice");
    assert_eq!(preadv2(p.rx(), &mut buf[..1], NOWAIT), before, "the read end before any splice");
    let (used, kept) = match how {
        Splice::VmspliceIntoTheWriteEnd => {
            let data = *b"v";
            let iov = libc::iovec { iov_base: data.as_ptr() as *mut libc::c_void, iov_len: data.len() };
            // SAFETY: one iovec over memory that outlives the call (no SPLICE_F_GIFT).
            let r = sys_size(unsafe { libc::vmsplice(p.tx().as_raw_fd(), &iov, 1, 0) });
            assert_eq!(r, Ok(1), "vmsplice into the write end");
            (p.tx(), p.rx())
        }
        Splice::SpliceFromTheReadEnd => {
            assert_eq!(write_once(p.tx(), b"s"), Ok(1));
            // SAFETY: splice between two pipes we own, no offsets.
            let r = sys_size(unsafe {
                libc::splice(p.rx().as_raw_fd(), std::ptr::null_mut(), other.tx().as_raw_fd(), std::ptr::null_mut(), 1, 0)
            });
            assert_eq!(r, Ok(1), "splice from the read end into another pipe");
            (p.rx(), p.tx())
        }
    };
    let dup = used.try_clone_to_owned().expect("dup");
    let on_used = |fd: std::os::fd::BorrowedFd<'_>, buf: &mut [u8]| match how {
        Splice::VmspliceIntoTheWriteEnd => pwritev2(fd, b"x", NOWAIT),
        Splice::SpliceFromTheReadEnd => preadv2(fd, buf, NOWAIT),
    };
    assert_errno!(on_used(used, &mut buf), Errno::EOPNOTSUPP, "RWF_NOWAIT on the end that {how:?} used");
    assert_errno!(on_used(std::os::fd::AsFd::as_fd(&dup), &mut buf), Errno::EOPNOTSUPP, "through a dup of it");
    let on_kept = match how {
        Splice::VmspliceIntoTheWriteEnd => preadv2(kept, &mut buf[..1], NOWAIT),
        Splice::SpliceFromTheReadEnd => pwritev2(kept, b"k", NOWAIT),
    };
    assert_eq!(on_kept, before, "the other end, another open file description, after {how:?}");
}

/// pipe(7): "I/O on pipes and FIFOs has exactly the same semantics" — but not for RWF_NOWAIT.
/// A FIFO's open file descriptions come from open(2) (fifo_open), which does not set
/// FMODE_NOWAIT: preadv2 and pwritev2 with RWF_NOWAIT fail EOPNOTSUPP on a FIFO on every
/// kernel, also where anonymous pipes honour the flag (6.4+), and nothing is read or
/// written. Linux differs from pipe(7) here (docs/findings.md).
#[test]
fn rwf_nowait_on_a_fifo_fails_eopnotsupp() {
    let p = blocking_pair(Kind::Fifo);
    let mut buf = [0u8; 8];
    let r = within("preadv2(RWF_NOWAIT) on an empty FIFO", || preadv2(p.rx(), &mut buf, NOWAIT));
    assert_errno!(r, Errno::EOPNOTSUPP, "preadv2(RWF_NOWAIT) on an empty FIFO");
    assert_eq!(write_once(p.tx(), b"abc"), Ok(3));
    assert_errno!(preadv2(p.rx(), &mut buf, NOWAIT), Errno::EOPNOTSUPP, "preadv2(RWF_NOWAIT) on a FIFO with data");
    assert_errno!(pwritev2(p.tx(), b"x", NOWAIT), Errno::EOPNOTSUPP, "pwritev2(RWF_NOWAIT) on a FIFO");
    assert_eq!(fionread(p.rx()), Ok(3), "the refused calls moved no data");
}
