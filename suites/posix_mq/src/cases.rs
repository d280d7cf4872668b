//! The suite's parameter sets, defined once and applied by name (rstest_reuse), with case
//! ids that say which case ran (`..::case_1_send`, `..::case_2_receive`):
//!
//! ```ignore
//! #[apply(both_calls)]
//! #[rstest]
//! fn timed_calls_fail_etimedout_after_a_short_deadline(#[case] call: Call) { .. }
//! ```
//!
//! A test keeps its own `#[rstest]` after `#[apply(..)]`: the catalog (`ipcspec catalog`)
//! recognises tests by `#[test]`/`#[rstest]`, and rustc accepts the repetition.

use fixtures::IpcName;
use nix::errno::Errno;
use rstest_reuse::template;

use crate::queue::{Mq, create};

/// The two calls that block: mq_send(3) when the queue is full, mq_receive(3) when it is
/// empty (and their timed variants).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Call {
    Send,
    Receive,
}

impl Call {
    /// A new queue of one message on which this call blocks: full (one message "fill") for
    /// a send, empty for a receive.
    pub fn queue_where_it_blocks(self, name: &IpcName) -> Mq {
        let q = create(name, 1);
        if self == Call::Send {
            q.send(b"fill", 0).unwrap();
        }
        q
    }

    /// What mq_curmsgs is on that queue as long as the call has transferred nothing.
    pub fn untouched(self) -> i64 {
        if self == Call::Send { 1 } else { 0 }
    }

    /// The call without a deadline: mq_send(3) of `msg`, or mq_receive(3) (which must then
    /// receive `msg`).
    pub fn blocking(self, q: &Mq, msg: &[u8]) -> Result<(), Errno> {
        match self {
            Call::Send => q.send(msg, 0),
            Call::Receive => q.receive().map(|(m, _)| assert_eq!(m, msg)),
        }
    }

    /// The timed call: mq_timedsend(3) of "x", or mq_timedreceive(3).
    pub fn timed(self, q: &Mq, abs: &libc::timespec) -> Result<(), Errno> {
        match self {
            Call::Send => q.timedsend(b"x", 0, abs),
            Call::Receive => q.timedreceive(abs).map(drop),
        }
    }
}

/// Both blocking calls: `send` (on a full queue) and `receive` (on an empty one).
/// mq_send(3) and mq_receive(3), the two calls that block.
#[template]
#[export]
#[rstest]
#[case::send(::posix_mq::cases::Call::Send)]
#[case::receive(::posix_mq::cases::Call::Receive)]
pub fn both_calls(#[case] call: ::posix_mq::cases::Call) {}
