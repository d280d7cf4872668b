//! The fuzzers' loop, shared by fuzz_frame.rs and fuzz_claims.rs.

use proptest::strategy::Strategy;
use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};
use std::time::{Duration, Instant};

/// Run `prop` over `strategy`: once with the configured case count, or, with
/// IPCSPEC_FUZZ_SECONDS set, in fresh batches until that time is up. Panics with the (shrunk)
/// failing input.
pub fn fuzz<S: Strategy>(name: &str, strategy: S, prop: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S::Value: std::fmt::Debug,
{
    let seconds: Option<u64> = std::env::var("IPCSPEC_FUZZ_SECONDS").ok().and_then(|s| s.parse().ok());
    let start = Instant::now();
    let mut inputs: u64 = 0;
    loop {
        let config = Config { failure_persistence: None, ..Config::default() };
        let batch = config.cases as u64;
        let mut runner = TestRunner::new(config);
        match runner.run(&strategy, &prop) {
            Ok(()) => {}
            Err(TestError::Fail(why, value)) => panic!("{name}: property failed: {why}\nminimal input: {value:?}"),
            Err(TestError::Abort(why)) => panic!("{name}: aborted: {why}"),
        }
        inputs += batch;
        match seconds {
            Some(s) if start.elapsed() < Duration::from_secs(s) => continue,
            _ => break,
        }
    }
    if seconds.is_some() {
        println!("FUZZ {name}: {inputs} inputs in {:.0} s, no failure", start.elapsed().as_secs_f64());
    }
}
