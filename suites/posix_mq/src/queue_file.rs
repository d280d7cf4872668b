//! The files of the mqueue filesystem (mq_overview(7), "Mounting the message queue
//! filesystem"): one line "QSIZE:129 NOTIFY:2 SIGNO:0 NOTIFY_PID:8260" per queue.

use std::path::Path;

use fixtures::IpcName;

/// The fields of a queue file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueFile {
    pub qsize: u64,
    pub notify: i32,
    pub signo: i32,
    pub notify_pid: i32,
}

impl QueueFile {
    /// Parse the line; panics naming the text if a field is missing.
    pub fn parse(text: &str) -> QueueFile {
        let field = |key: &str| -> i64 {
            text.split_whitespace()
                .find_map(|t| t.strip_prefix(key)?.strip_prefix(':')?.parse().ok())
                .unwrap_or_else(|| panic!("no {key} in queue file {text:?}"))
        };
        QueueFile {
            qsize: field("QSIZE") as u64,
            notify: field("NOTIFY") as i32,
            signo: field("SIGNO") as i32,
            notify_pid: field("NOTIFY_PID") as i32,
        }
    }
}

/// Read a queue's file in a mounted mqueue filesystem.
pub fn read_queue_file(dir: &Path, name: &IpcName) -> QueueFile {
    let p = dir.join(name.bare());
    QueueFile::parse(&std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("read {}: {e}", p.display())))
}
