//! The result stream between the guest executor and the host: framed, checksummed records.
//!
//! One record per line:
//!
//! ```text
//! @@IPCSPEC1 <payload length> <crc32 of payload, 8 hex digits> <payload>\n
//! ```
//!
//! The payload is one compact JSON object ([`Record`]) and contains no newline. The stream
//! may carry anything else between records (kernel log lines on a shared console, garbage
//! from a dying guest): the decoder looks for the magic anywhere, checks length and
//! checksum, and reports what it could not use as diagnostics. A record cut off by the end
//! of the stream (the guest died while writing it) is reported as truncated.
//!
//! Everything here is a pure function of bytes and never panics on any input (see the
//! tests, and the fuzz-style test over random and mutated streams).

use serde::{Deserialize, Serialize};

use crate::model::{Outcome, User, Variant};

/// The start of every record.
pub const MAGIC: &[u8] = b"@@IPCSPEC1 ";

/// At most this much of a test's output travels in its result record (the head and the
/// tail are kept: the start says what ran, the end how it ended).
pub const OUTPUT_CAP: usize = 8 * 1024;

/// `text` cut to at most [`OUTPUT_CAP`] bytes (plus a marker line): its first quarter and
/// its last three quarters, cut at character boundaries.
pub fn cap_output(text: &str) -> String {
    if text.len() <= OUTPUT_CAP {
        return text.to_string();
    }
    let head_len = OUTPUT_CAP / 4;
    let mut h = head_len;
    while !text.is_char_boundary(h) {
        h -= 1;
    }
    let mut t = text.len() - (OUTPUT_CAP - head_len);
    while !text.is_char_boundary(t) {
        t += 1;
    }
    format!("{}\n[... {} bytes of output cut ...]\n{}", &text[..h], t - h, &text[t..])
}

/// Records longer than this are treated as corrupt (a corrupted length field must not make
/// the decoder wait for gigabytes).
pub const MAX_PAYLOAD: usize = 1 << 20;

/// What the guest executor reports.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Record {
    /// The executor is up: what it runs on.
    Hello {
        executor: String,
        kernel_release: String,
        time_scale: f64,
        parallel: usize,
        /// How many (test, user) runs the plan holds.
        planned: usize,
    },
    /// A test process was started (so a crash can name the tests that were running).
    Started { id: String, user: User },
    /// A test finished.
    Result {
        id: String,
        user: User,
        #[serde(flatten)]
        outcome: Outcome,
        /// The variant the test reported (fixtures::variant), if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        variant: Option<Variant>,
        duration_ms: u64,
        /// What the test wrote (stdout, then stderr), capped at [`OUTPUT_CAP`] bytes by
        /// [`cap_output`]: the host writes it to `logs/<column>/<test>.log`. Empty when the
        /// test wrote nothing (and in streams of executors older than this field).
        #[serde(default, skip_serializing_if = "String::is_empty")]
        output: String,
    },
    /// The executor is alive; `done` runs finished so far.
    Heartbeat { done: usize },
    /// Something the executor wants the reader to know (a mount that failed, ...).
    Note { message: String },
    /// The executor finished the plan: the stream is complete.
    Done { results: usize, duration_ms: u64 },
}

/// Encode one record as a frame line (ending in '\n').
pub fn encode(record: &Record) -> Vec<u8> {
    // Serialising these types cannot fail (no maps with non-string keys, no I/O).
    let payload = serde_json::to_vec(record).unwrap_or_else(|e| {
        serde_json::to_vec(&Record::Note { message: format!("unencodable record: {e}") })
            .unwrap_or_default()
    });
    let crc = crc32fast::hash(&payload);
    let mut out = Vec::with_capacity(payload.len() + 32);
    out.push(b'\n');
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(format!("{} {:08x} ", payload.len(), crc).as_bytes());
    out.extend_from_slice(&payload);
    out.push(b'\n');
    out
}

/// A problem found in the stream, with the byte offset where it starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub offset: usize,
    pub message: String,
}

/// Everything a stream held.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Decoded {
    pub records: Vec<Record>,
    pub diagnostics: Vec<Diagnostic>,
    /// The stream ended inside a record.
    pub truncated: bool,
}

/// Decode a complete stream.
pub fn decode(bytes: &[u8]) -> Decoded {
    let mut d = Decoder::default();
    d.feed(bytes);
    d.finish()
}

/// An incremental decoder: feed it bytes as they arrive, take records as they complete.
#[derive(Debug, Default)]
pub struct Decoder {
    buf: Vec<u8>,
    /// Stream offset of `buf[0]`.
    base: usize,
    records: Vec<Record>,
    diagnostics: Vec<Diagnostic>,
}

enum Step {
    /// A record (or a bad frame) ends at this index of `buf`.
    Consumed(usize),
    /// More bytes are needed to decide.
    NeedMore,
}

impl Decoder {
    pub fn feed(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
        let mut pos = 0;
        loop {
            let Some(start) = find(&self.buf[pos..], MAGIC).map(|i| pos + i) else {
                // Keep a tail that may be the start of a magic cut in two.
                pos = self.buf.len().saturating_sub(MAGIC.len() - 1).max(pos);
                break;
            };
            match self.frame_at(start) {
                Step::Consumed(end) => pos = end,
                Step::NeedMore => {
                    pos = start;
                    break;
                }
            }
        }
        self.buf.drain(..pos);
        self.base += pos;
    }

    /// Records decoded so far (drained).
    pub fn take_records(&mut self) -> Vec<Record> {
        std::mem::take(&mut self.records)
    }

    /// End of stream: whatever is left inside a frame is a truncated record.
    pub fn finish(mut self) -> Decoded {
        let truncated = find(&self.buf, MAGIC).is_some();
        if let Some(i) = find(&self.buf, MAGIC) {
            self.diagnostics.push(Diagnostic {
                offset: self.base + i,
                message: format!(
                    "truncated record: the stream ends {} bytes into it",
                    self.buf.len() - i
                ),
            });
        }
        Decoded { records: self.records, diagnostics: self.diagnostics, truncated }
    }

    /// Try to decode the frame whose magic starts at `start`.
    fn frame_at(&mut self, start: usize) -> Step {
        let (step, got) = parse_frame(&self.buf, start);
        match got {
            Some(Ok(r)) => self.records.push(r),
            Some(Err(message)) => self.diagnostics.push(Diagnostic { offset: self.base + start, message }),
            None => {}
        }
        step
    }
}

/// Decode the frame whose magic starts at `buf[start]`: how far it reaches, and the record or
/// the reason it is unusable (None: more bytes are needed).
fn parse_frame(buf: &[u8], start: usize) -> (Step, Option<Result<Record, String>>) {
    let hdr = start + MAGIC.len();
    let rest = buf.get(hdr..).unwrap_or(&[]);
    let bad = |m: &str| (Step::Consumed(hdr), Some(Err(m.to_string())));
    // "<len> <crc8> " — lengths have at most 7 digits.
    let Some(sp1) = rest.iter().take(9).position(|&b| b == b' ') else {
        if rest.len() < 9 && rest.iter().all(u8::is_ascii_digit) {
            return (Step::NeedMore, None);
        }
        return bad("bad record header (no length)");
    };
    let len = match std::str::from_utf8(&rest[..sp1]).ok().and_then(|s| s.parse::<usize>().ok()) {
        Some(n) if n <= MAX_PAYLOAD && sp1 > 0 => n,
        _ => return bad("bad record header (length is not a number in range)"),
    };
    let crc_at = sp1 + 1;
    if rest.len() < crc_at + 9 {
        return (Step::NeedMore, None);
    }
    let crc_txt = &rest[crc_at..crc_at + 8];
    let crc = match std::str::from_utf8(crc_txt).ok().and_then(|s| u32::from_str_radix(s, 16).ok()) {
        Some(c) if rest[crc_at + 8] == b' ' && crc_txt.iter().all(u8::is_ascii_hexdigit) => c,
        _ => return bad("bad record header (checksum field)"),
    };
    let body = crc_at + 9;
    if rest.len() < body + len {
        // The payload may still be arriving; but a newline inside it proves this frame was
        // cut short (payloads hold none), so do not wait for it.
        if let Some(nl) = rest[body..].iter().position(|&b| b == b'\n') {
            let m = format!("record cut short after {nl} of {len} payload bytes");
            return (Step::Consumed(hdr + body + nl), Some(Err(m)));
        }
        return (Step::NeedMore, None);
    }
    let payload = &rest[body..body + len];
    if crc32fast::hash(payload) != crc {
        return bad("record checksum mismatch (corrupted in transfer)");
    }
    let got = serde_json::from_slice::<Record>(payload)
        .map_err(|e| format!("record with a valid checksum but unknown content: {e}"));
    (Step::Consumed(hdr + body + len), Some(got))
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<Record> {
        vec![
            Record::Hello {
                executor: "ipcspec 0.1.0".into(),
                kernel_release: "6.1.0-56-cloud-amd64".into(),
                time_scale: 1.0,
                parallel: 2,
                planned: 3,
            },
            Record::Started { id: "fds::dup::a".into(), user: User::Root },
            Record::Result {
                id: "fds::dup::a".into(),
                user: User::Root,
                outcome: Outcome::Fail { message: "left: 1\n right: 2 \u{1b}[0m \"q\"".into() },
                variant: None,
                duration_ms: 12,
                output: "thread 'a' panicked at x.rs:1:1\nleft: 1\n\u{0}\u{1b}[0m é".into(),
            },
            Record::Result {
                id: "fds::dup::b".into(),
                user: User::Nobody,
                outcome: Outcome::Skip { reason: "requires root".into() },
                variant: Some(Variant { name: "absent".into(), lacking: true, detail: "ENOSYS".into() }),
                duration_ms: 1,
                output: String::new(),
            },
            Record::Heartbeat { done: 2 },
            Record::Done { results: 2, duration_ms: 40 },
        ]
    }

    fn stream(records: &[Record]) -> Vec<u8> {
        records.iter().flat_map(encode).collect()
    }

    #[test]
    fn round_trip() {
        let recs = sample();
        let d = decode(&stream(&recs));
        assert_eq!(d.records, recs);
        assert!(d.diagnostics.is_empty(), "{:?}", d.diagnostics);
        assert!(!d.truncated);
    }

    #[test]
    fn noise_between_and_inside_lines_is_ignored() {
        let recs = sample();
        let mut s = b"[    0.000000] Linux version 6.1.0\r\n".to_vec();
        for r in &recs {
            s.extend_from_slice(b"[    1.2] random: crng init done\n\x00\xff garbage ");
            s.extend_from_slice(&encode(r));
        }
        // CRLF translation by a tty must not matter.
        let s: Vec<u8> = s.iter().flat_map(|&b| if b == b'\n' { vec![b'\r', b'\n'] } else { vec![b] }).collect();
        let d = decode(&s);
        assert_eq!(d.records, recs);
        assert!(d.diagnostics.is_empty(), "{:?}", d.diagnostics);
    }

    #[test]
    fn byte_at_a_time_equals_all_at_once() {
        let s = stream(&sample());
        let mut dec = Decoder::default();
        let mut got = Vec::new();
        for b in &s {
            dec.feed(std::slice::from_ref(b));
            got.extend(dec.take_records());
        }
        let fin = dec.finish();
        got.extend(fin.records);
        assert_eq!(got, sample());
        assert!(fin.diagnostics.is_empty());
    }

    #[test]
    fn truncation_is_detected_and_earlier_records_kept() {
        let s = stream(&sample());
        for cut in 1..s.len() {
            let d = decode(&s[..cut]);
            // Every record wholly before the cut survives.
            let full = sample();
            assert!(d.records.len() <= full.len());
            assert_eq!(&full[..d.records.len()], &d.records[..]);
            if d.truncated {
                assert!(d.diagnostics.iter().any(|x| x.message.contains("truncated")));
            }
        }
        let last = s.len() - 5;
        assert!(decode(&s[..last]).truncated);
    }

    #[test]
    fn a_corrupted_record_is_reported_and_the_rest_survive() {
        let recs = sample();
        let mut s = Vec::new();
        for (i, r) in recs.iter().enumerate() {
            let mut f = encode(r);
            if i == 2 {
                let n = f.len();
                f[n - 10] ^= 0x20; // flip a bit in the payload
            }
            s.extend(f);
        }
        let d = decode(&s);
        assert_eq!(d.records.len(), recs.len() - 1);
        assert!(d.diagnostics.iter().any(|x| x.message.contains("checksum")));
    }

    #[test]
    fn a_record_cut_by_a_newline_does_not_swallow_the_next() {
        let recs = sample();
        let mut s = encode(&recs[0]);
        let f = encode(&recs[1]);
        s.extend_from_slice(&f[..f.len() / 2]);
        s.push(b'\n'); // the guest died mid-record and something else wrote a line
        s.extend(encode(&recs[2]));
        let d = decode(&s);
        assert_eq!(d.records, vec![recs[0].clone(), recs[2].clone()]);
        assert_eq!(d.diagnostics.len(), 1, "{:?}", d.diagnostics);
    }

    #[test]
    fn hostile_headers_do_not_panic_or_stall() {
        let cases: &[&[u8]] = &[
            b"@@IPCSPEC1 ",
            b"@@IPCSPEC1 99999999999999999999 00000000 x\n",
            b"@@IPCSPEC1 5 zzzzzzzz hello\n",
            b"@@IPCSPEC1 5 00000000hello\n",
            b"@@IPCSPEC1 -1 00000000 \n",
            b"@@IPCSPEC1 2000000 00000000 \n",
            b"@@IPCSPEC1 2 00000000 {}\n",
            b"@@IPCSPEC1 @@IPCSPEC1 @@IPCSPEC1 ",
            b"@@IPCSPEC",
            b"\xff\xfe\x00@@IPCSPEC1 3 ",
        ];
        for c in cases {
            let d = decode(c);
            assert!(d.records.is_empty(), "{c:?}");
        }
        // A valid record after hostile bytes is still found.
        let mut s = b"@@IPCSPEC1 2000000 00000000 \n".to_vec();
        s.extend(encode(&Record::Heartbeat { done: 7 }));
        assert_eq!(decode(&s).records, vec![Record::Heartbeat { done: 7 }]);
    }

    #[test]
    fn output_is_capped_head_and_tail_at_char_boundaries() {
        assert_eq!(cap_output("short"), "short");
        let long: String = "é".repeat(OUTPUT_CAP) + "THE END";
        let c = cap_output(&long);
        assert!(c.len() <= OUTPUT_CAP + 64, "{}", c.len());
        assert!(c.starts_with('é') && c.ends_with("THE END") && c.contains("bytes of output cut"), "{c}");
        // A result without the field (an older executor) still decodes, with no output.
        let old = br#"{"type":"result","id":"a::b::c","user":"root","outcome":"PASS","duration_ms":1}"#;
        match serde_json::from_slice::<Record>(old).unwrap() {
            Record::Result { output, .. } => assert!(output.is_empty()),
            r => panic!("{r:?}"),
        }
    }

    #[test]
    fn valid_checksum_unknown_record_is_a_diagnostic() {
        let payload = br#"{"type":"from_the_future","x":1}"#;
        let mut s = Vec::new();
        s.extend_from_slice(MAGIC);
        s.extend_from_slice(format!("{} {:08x} ", payload.len(), crc32fast::hash(payload)).as_bytes());
        s.extend_from_slice(payload);
        s.push(b'\n');
        let d = decode(&s);
        assert!(d.records.is_empty());
        assert!(d.diagnostics[0].message.contains("unknown content"));
    }

    /// A small deterministic fuzz: random bytes and random mutations of a valid stream never
    /// panic, and valid records untouched by a mutation are still decoded.
    #[test]
    fn random_and_mutated_streams_never_panic() {
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut rnd = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let valid = stream(&sample());
        for _ in 0..3000 {
            let mut s = valid.clone();
            let n = (rnd() % 6) as usize;
            for _ in 0..n {
                let i = (rnd() as usize) % s.len().max(1);
                match rnd() % 4 {
                    0 => s[i] = rnd() as u8,
                    1 => {
                        s.insert(i, rnd() as u8);
                    }
                    2 => {
                        s.remove(i);
                    }
                    _ => s.truncate(i),
                }
                if s.is_empty() {
                    break;
                }
            }
            let d = decode(&s);
            assert!(d.records.len() <= sample().len() + 1);
            let len = (rnd() % 200) as usize;
            let junk: Vec<u8> = (0..len).map(|_| rnd() as u8).collect();
            let _ = decode(&junk);
        }
    }
}
