//! Property tests ("fuzzers") of the result-stream decoder (runner/src/frame.rs): the bytes a
//! guest VM or container hands back may be garbage, cut short by a dying guest, or corrupted.
//!
//! - Any bytes: never a panic, and never more records than frames.
//! - Valid records with noise between them (kernel log lines, CRLF, NUL bytes): exactly the
//!   records, no diagnostics; fed in arbitrary chunks: the same as all at once.
//! - A stream cut anywhere: a prefix of the records, and "truncated" when cut inside a frame.
//! - Random mutations (bit flips, inserted, deleted bytes): never a panic, and every record
//!   decoded is one that was sent (the checksum rejects the rest).
//!
//! By default each property runs PROPTEST_CASES inputs (proptest's default: 256). For a long
//! fuzzing session: `IPCSPEC_FUZZ_SECONDS=600 cargo test --release -p ipcspec --test
//! fuzz_frame -- --nocapture` runs every property again and again for that long and prints
//! how many inputs it tried (docs/trust.md has the numbers). A failing input found that way is
//! added to `REGRESSIONS` below.

use ipcspec::frame::{self, Decoder, MAGIC, Record};
use ipcspec::model::{Outcome, User};
use proptest::prelude::*;

#[path = "common/fuzz.rs"]
mod fuzz_loop;
use fuzz_loop::fuzz;

/// Inputs that once mattered, run on every `cargo test`.
const REGRESSIONS: &[&[u8]] = &[
    b"@@IPCSPEC1 ",
    b"@@IPCSPEC1 0 00000000 \n",
    b"@@IPCSPEC1 1048577 00000000 x",
    b"@@IPCSPEC1 9 ffffffff {\"type\":1}\n",
    b"@@IPCSPEC1 12 00000000 \n\n\n\n\n\n\n\n\n\n\n\n",
    b"@@IPCSPEC1 @@IPCSPEC1 5 ",
    b"@@IPCSPEC",
    b"\r\n@@IPCSPEC1 4 \xff\xff\xff\xff ",
    b"@@IPCSPEC1 00000004 0000000g abcd\n",
];


fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,40}",
        "[a-z_:]{1,60}",
        Just("left: 1\n right: 2 \u{1b}[0m \"q\" \\ \u{0}".to_string()),
        proptest::collection::vec(any::<char>(), 0..30).prop_map(|v| v.into_iter().collect()),
    ]
}

fn user() -> impl Strategy<Value = User> {
    prop_oneof![Just(User::Root), Just(User::Nobody)]
}

fn outcome() -> impl Strategy<Value = Outcome> {
    prop_oneof![
        Just(Outcome::Pass),
        text().prop_map(|message| Outcome::Fail { message }),
        text().prop_map(|reason| Outcome::Skip { reason }),
        text().prop_map(|message| Outcome::Timeout { message }),
        text().prop_map(|reason| Outcome::Crash { reason }),
    ]
}

fn record() -> impl Strategy<Value = Record> {
    prop_oneof![
        (text(), text(), 1u32..400, any::<usize>(), any::<usize>()).prop_map(|(executor, kernel_release, ts, parallel, planned)| {
            Record::Hello { executor, kernel_release, time_scale: ts as f64 / 4.0, parallel, planned }
        }),
        (text(), user()).prop_map(|(id, user)| Record::Started { id, user }),
        (text(), user(), outcome(), any::<u64>(), text())
            .prop_map(|(id, user, outcome, duration_ms, output)| Record::Result { id, user, outcome, variant: None, duration_ms, output }),
        any::<usize>().prop_map(|done| Record::Heartbeat { done }),
        text().prop_map(|message| Record::Note { message }),
        (any::<usize>(), any::<u64>()).prop_map(|(results, duration_ms)| Record::Done { results, duration_ms }),
    ]
}

/// Noise a console may carry between records; never the magic itself.
fn noise() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(Vec::new()),
        Just(b"[    0.000000] Linux version 6.1.0\r\n".to_vec()),
        Just(b"\x00\xff garbage @@IPCSPEC0 @@IPC\n".to_vec()),
        proptest::collection::vec(any::<u8>(), 0..64),
    ]
    .prop_filter("noise must not hold the magic", |n| !n.windows(MAGIC.len()).any(|w| w == MAGIC) && !n.ends_with(b"@") && !n.ends_with(b"@@") && !ends_with_magic_prefix(n))
}

fn ends_with_magic_prefix(n: &[u8]) -> bool {
    (1..MAGIC.len()).any(|k| n.len() >= k && n[n.len() - k..] == MAGIC[..k])
}

fn stream(records: &[Record], noise: &[Vec<u8>]) -> Vec<u8> {
    let mut s = Vec::new();
    for (i, r) in records.iter().enumerate() {
        if let Some(n) = noise.get(i) {
            s.extend_from_slice(n);
        }
        s.extend(frame::encode(r));
    }
    s
}

#[test]
fn regressions_never_panic() {
    for r in REGRESSIONS {
        let d = frame::decode(r);
        assert!(d.records.is_empty(), "{r:?}");
        let mut dec = Decoder::default();
        for b in r.iter() {
            dec.feed(std::slice::from_ref(b));
        }
        let _ = dec.finish();
    }
}

#[test]
fn any_bytes_never_panic() {
    fuzz("any bytes", proptest::collection::vec(any::<u8>(), 0..2048), |bytes| {
        let d = frame::decode(&bytes);
        let frames = bytes.windows(MAGIC.len()).filter(|w| *w == MAGIC).count();
        prop_assert!(d.records.len() <= frames);
        Ok(())
    });
}

#[test]
fn bytes_around_the_magic_never_panic() {
    let pieces = prop_oneof![
        Just(MAGIC.to_vec()),
        Just(b" ".to_vec()),
        Just(b"\n".to_vec()),
        "[0-9]{1,9}".prop_map(|s| s.into_bytes()),
        "[0-9a-fA-Fg]{8}".prop_map(|s| s.into_bytes()),
        Just(br#"{"type":"heartbeat","done":1}"#.to_vec()),
        proptest::collection::vec(any::<u8>(), 0..8),
    ];
    fuzz("magic-rich bytes", proptest::collection::vec(pieces, 0..24), |parts| {
        let bytes: Vec<u8> = parts.concat();
        let _ = frame::decode(&bytes);
        Ok(())
    });
}

#[test]
fn valid_records_with_noise_round_trip_in_any_chunking() {
    let input = proptest::collection::vec(record(), 0..12).prop_flat_map(|recs| {
        let n = recs.len();
        (Just(recs), proptest::collection::vec(noise(), n..=n), proptest::collection::vec(1usize..64, 1..20))
    });
    fuzz("round trip", input, |(recs, noise, chunks)| {
        let s = stream(&recs, &noise);
        let d = frame::decode(&s);
        prop_assert_eq!(&d.records, &recs);
        prop_assert!(d.diagnostics.is_empty(), "{:?}", d.diagnostics);
        prop_assert!(!d.truncated);
        let mut dec = Decoder::default();
        let mut got = Vec::new();
        let mut at = 0;
        let mut i = 0;
        while at < s.len() {
            let n = chunks[i % chunks.len()].min(s.len() - at);
            dec.feed(&s[at..at + n]);
            got.extend(dec.take_records());
            at += n;
            i += 1;
        }
        let fin = dec.finish();
        got.extend(fin.records);
        prop_assert_eq!(&got, &recs);
        Ok(())
    });
}

#[test]
fn a_stream_cut_anywhere_keeps_a_prefix_of_the_records() {
    let input = (proptest::collection::vec(record(), 1..8), any::<prop::sample::Index>());
    fuzz("truncation", input, |(recs, cut)| {
        let s = stream(&recs, &[]);
        let at = cut.index(s.len());
        let d = frame::decode(&s[..at]);
        prop_assert!(d.records.len() <= recs.len());
        prop_assert_eq!(&recs[..d.records.len()], &d.records[..]);
        if d.truncated {
            prop_assert!(d.diagnostics.iter().any(|x| x.message.contains("truncated")));
        }
        Ok(())
    });
}

#[derive(Clone, Debug)]
enum Mutation {
    Flip(prop::sample::Index, u8),
    Insert(prop::sample::Index, u8),
    Delete(prop::sample::Index),
    Truncate(prop::sample::Index),
    Newline(prop::sample::Index),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<prop::sample::Index>(), 1u8..=255).prop_map(|(i, b)| Mutation::Flip(i, b)),
        (any::<prop::sample::Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        any::<prop::sample::Index>().prop_map(Mutation::Delete),
        any::<prop::sample::Index>().prop_map(Mutation::Truncate),
        any::<prop::sample::Index>().prop_map(Mutation::Newline),
    ]
}

#[test]
fn mutated_streams_never_panic_and_never_invent_records() {
    let input = (proptest::collection::vec(record(), 1..8), proptest::collection::vec(mutation(), 1..8));
    fuzz("mutations", input, |(recs, muts)| {
        let mut s = stream(&recs, &[]);
        for m in &muts {
            if s.is_empty() {
                break;
            }
            match m {
                Mutation::Flip(i, b) => {
                    let i = i.index(s.len());
                    s[i] ^= b;
                }
                Mutation::Insert(i, b) => {
                    let i = i.index(s.len() + 1);
                    s.insert(i, *b);
                }
                Mutation::Delete(i) => {
                    let i = i.index(s.len());
                    s.remove(i);
                }
                Mutation::Truncate(i) => {
                    let i = i.index(s.len());
                    s.truncate(i);
                }
                Mutation::Newline(i) => {
                    let i = i.index(s.len() + 1);
                    s.insert(i, b'\n');
                }
            }
        }
        let d = frame::decode(&s);
        for r in &d.records {
            prop_assert!(recs.contains(r), "decoded a record that was never sent: {:?}", r);
        }
        Ok(())
    });
}
