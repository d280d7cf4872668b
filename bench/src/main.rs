//! `ipcspec-bench`: what each data-carrying IPC mechanism costs on the kernel at hand.
//!
//! For every mechanism and message size, a run forks two processes, a client and a server,
//! pinned to different CPUs (sched_setaffinity; the same one when only one is allowed), over
//! a channel made before the fork ([`chan`]):
//!
//! 1. **latency**: the client sends a message and waits for the server's echo of the same
//!    size, again and again (after a warm-up) until the latency budget is spent; every
//!    round trip is timed (CLOCK_MONOTONIC), giving percentiles and round trips per second;
//! 2. **throughput**: the client sends messages one way as fast as the server takes them
//!    until the throughput budget is spent, then a last one; the server answers with the
//!    number it received, and the client's clock stops at that answer.
//!
//! Runs are repeated (`--runs`, interleaved over the mechanisms so that a burst of load hits
//! them all), and a combination whose median latency still spreads by more than 25% gets
//! more runs, up to `--max-runs`; every figure is reported as min / median / max over the
//! runs. Each run's processes have a deadline; a hung or crashed run is reported, never
//! waited for. The result is one JSON document on standard output (`ipcspec bench` reads it).

mod chan;
mod stats;

use std::io::{Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use chan::{End, Pair, Skip, TAG_ACK, TAG_DATA, TAG_END_LATENCY, TAG_END_THROUGHPUT};

pub const SCHEMA: &str = "ipcspec-bench/1";

/// One mechanism: its id, what it is, how its channel is made.
struct Mech {
    id: &'static str,
    label: &'static str,
    how: &'static str,
    /// The only size it carries (eventfd: the 8-byte counter).
    fixed_size: Option<usize>,
    open: fn(usize) -> Result<Pair, Skip>,
}

const MECHS: &[Mech] = &[
    Mech { id: "pipe", label: "pipe", how: "two pipe2(2) pipes, one per direction", fixed_size: None, open: chan::pipes },
    Mech { id: "fifo", label: "FIFO", how: "two FIFOs (mkfifo(3) in $TMPDIR, opened through the path, then unlinked)", fixed_size: None, open: chan::fifos },
    Mech { id: "unix-stream", label: "UNIX stream socket", how: "socketpair(AF_UNIX, SOCK_STREAM)", fixed_size: None, open: chan::unix_stream },
    Mech { id: "unix-dgram", label: "UNIX datagram socket", how: "socketpair(AF_UNIX, SOCK_DGRAM), SO_SNDBUF raised to hold one message", fixed_size: None, open: chan::unix_dgram },
    Mech { id: "unix-seqpacket", label: "UNIX seqpacket socket", how: "socketpair(AF_UNIX, SOCK_SEQPACKET), SO_SNDBUF raised to hold one message", fixed_size: None, open: chan::unix_seqpacket },
    Mech { id: "tcp", label: "TCP loopback", how: "a connection over 127.0.0.1, TCP_NODELAY on both ends", fixed_size: None, open: chan::tcp },
    Mech { id: "udp", label: "UDP loopback", how: "two UDP sockets on 127.0.0.1 connected to each other (the largest receive buffer allowed)", fixed_size: None, open: chan::udp },
    Mech { id: "posix-mq", label: "POSIX message queue", how: "two queues (mq_open(3), mq_msgsize = the message size), unlinked after opening", fixed_size: None, open: chan::mq },
    Mech { id: "pty", label: "pseudoterminal", how: "/dev/ptmx master and its slave in raw mode (cfmakeraw)", fixed_size: None, open: chan::pty },
    Mech { id: "shm-futex", label: "shared memory + futex", how: "a MAP_SHARED|MAP_ANONYMOUS slot per direction, handed over by a state word with FUTEX_WAIT/FUTEX_WAKE; one message in flight, so a one-way message costs a wake-up each way (a ring buffer would batch them)", fixed_size: None, open: chan::shm_futex },
    Mech { id: "shm-eventfd", label: "shared memory + eventfd", how: "the same slots, waiting on an eventfd per slot and change", fixed_size: None, open: chan::shm_eventfd },
    Mech { id: "shm-spin", label: "shared memory, spinning", how: "the same slots, busy-waiting on the state word (no system call; sched_yield every 1024 spins) — what ipc-bench's shm and mmap measure", fixed_size: None, open: chan::shm_spin },
    Mech { id: "eventfd", label: "eventfd (signalling only)", how: "two eventfd(2) counters: a write of 1 and its read are the message", fixed_size: Some(8), open: chan::eventfds },
];

struct Opts {
    runs: usize,
    max_runs: usize,
    sizes: Vec<usize>,
    only: Vec<String>,
    latency_ms: u64,
    throughput_ms: u64,
    deadline_ms: u64,
    quiet: bool,
    /// Client and server on one CPU (the first allowed), to separate the cost of waking a
    /// process on another CPU from the cost of the mechanism.
    same_cpu: bool,
}

fn usage() -> ! {
    eprintln!(
        "usage: ipcspec-bench [--runs N] [--max-runs N] [--sizes 64,4096,65536] [--only pipe,tcp,...]\n\
         \x20                    [--latency-ms 50] [--throughput-ms 50] [--deadline-ms 10000] [--same-cpu] [--quiet] [--list]\n\
         Prints one JSON document ({SCHEMA}) on standard output."
    );
    std::process::exit(2)
}

fn parse_args() -> Opts {
    let mut o = Opts {
        runs: 5,
        max_runs: 8,
        sizes: vec![64, 4096, 65536],
        only: vec![],
        latency_ms: 50,
        throughput_ms: 50,
        deadline_ms: 10_000,
        quiet: false,
        same_cpu: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().unwrap_or_else(|| usage());
        let num = |s: String| s.parse::<u64>().unwrap_or_else(|_| usage());
        match a.as_str() {
            "--runs" => o.runs = num(val()) as usize,
            "--max-runs" => o.max_runs = num(val()) as usize,
            "--sizes" => o.sizes = val().split(',').map(|s| s.trim().parse().unwrap_or_else(|_| usage())).collect(),
            "--only" => o.only = val().split(',').map(|s| s.trim().to_string()).collect(),
            "--latency-ms" => o.latency_ms = num(val()),
            "--throughput-ms" => o.throughput_ms = num(val()),
            "--deadline-ms" => o.deadline_ms = num(val()),
            "--quiet" | "-q" => o.quiet = true,
            "--same-cpu" => o.same_cpu = true,
            "--list" => {
                for m in MECHS {
                    println!("{}\t{}\t{}", m.id, m.label, m.how);
                }
                std::process::exit(0)
            }
            _ => usage(),
        }
    }
    if o.runs == 0 || o.sizes.is_empty() || o.sizes.iter().any(|&s| s < 16) {
        eprintln!("ipcspec-bench: --runs must be at least 1 and every size at least 16 bytes");
        std::process::exit(2)
    }
    o.max_runs = o.max_runs.max(o.runs);
    for m in &o.only {
        if !MECHS.iter().any(|x| x.id == m) {
            eprintln!("ipcspec-bench: unknown mechanism {m:?} (--list shows them)");
            std::process::exit(2)
        }
    }
    o
}

/// What one run measured.
#[derive(Clone, Debug, Default)]
struct RunResult {
    p50: f64,
    p90: f64,
    p99: f64,
    mean: f64,
    round_trips: u64,
    round_trips_per_s: f64,
    msgs_per_s: f64,
    bytes_per_s: f64,
    lost: u64,
}

/// Bind the calling process to one CPU.
fn pin(cpu: usize) {
    // SAFETY: cpu_set_t is plain data; CPU_SET stays inside it for cpu < CPU_SETSIZE.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
}

/// The CPUs this process may run on.
fn allowed_cpus() -> Vec<usize> {
    // SAFETY: as above.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) != 0 {
            return vec![0];
        }
        (0..libc::CPU_SETSIZE as usize).filter(|&c| libc::CPU_ISSET(c, &set)).collect()
    }
}

fn msg(size: usize, tag: u8) -> Vec<u8> {
    let mut m: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
    m[0] = tag;
    m
}

/// The server: echo until the end of the latency phase, then count until the last message
/// and answer with the count.
fn serve(end: &mut dyn End, size: usize) -> std::io::Result<()> {
    let size = proto_size(size);
    let mut buf = vec![0u8; size];
    // Messages of the throughput phase that came with the end of the latency phase.
    let mut count;
    loop {
        let n = end.recv(&mut buf)?;
        if buf[0] == TAG_END_LATENCY {
            count = n - 1;
            break;
        }
        end.send(&buf)?;
    }
    loop {
        let n = end.recv(&mut buf)?;
        count += n;
        if buf[0] == TAG_END_THROUGHPUT {
            break;
        }
    }
    let mut ack = msg(size, TAG_ACK);
    ack[1..9].copy_from_slice(&count.to_le_bytes());
    end.send(&ack)?;
    // A lossy channel may bring the last message again: answer each copy.
    if end.lossy() {
        let t = Instant::now();
        while t.elapsed() < Duration::from_millis(500) {
            if end.wait_readable(50)? {
                end.recv(&mut buf)?;
                if buf[0] == TAG_END_THROUGHPUT {
                    end.send(&ack)?;
                }
            }
        }
    }
    Ok(())
}

/// The client: the latency phase, then the throughput phase.
fn measure(end: &mut dyn End, size: usize, o: &Opts) -> std::io::Result<RunResult> {
    let payload = size;
    let size = proto_size(size);
    let data = msg(size, TAG_DATA);
    let mut reply = vec![0u8; size];
    // Warm-up: 20 round trips or 5 ms, whichever is longer; the first echo is checked.
    let t = Instant::now();
    let mut warm = 0;
    while warm < 20 || t.elapsed() < Duration::from_millis(5) {
        end.send(&data)?;
        recv_reply(end, &mut reply, &data)?;
        if warm == 0 && payload == size && reply[1..] != data[1..] {
            return Err(std::io::Error::other("the echo differs from the message"));
        }
        warm += 1;
    }
    let budget = Duration::from_millis(o.latency_ms);
    let mut samples: Vec<u64> = Vec::with_capacity(100_000);
    let start = Instant::now();
    loop {
        let t0 = Instant::now();
        end.send(&data)?;
        recv_reply(end, &mut reply, &data)?;
        samples.push(t0.elapsed().as_nanos() as u64);
        if samples.len() >= 200_000 || start.elapsed() >= budget {
            break;
        }
    }
    let lat_elapsed = start.elapsed().as_secs_f64();
    end.send(&msg(size, TAG_END_LATENCY))?;

    let budget = Duration::from_millis(o.throughput_ms);
    let start = Instant::now();
    let mut sent = 0u64;
    loop {
        end.send(&data)?;
        sent += 1;
        if sent.is_multiple_of(16) && start.elapsed() >= budget {
            break;
        }
    }
    let last = msg(size, TAG_END_THROUGHPUT);
    end.send(&last)?;
    sent += 1;
    let mut ack = vec![0u8; size];
    loop {
        if end.lossy() && !end.wait_readable(20)? {
            end.send(&last)?;
            if start.elapsed() > budget + Duration::from_secs(5) {
                return Err(std::io::Error::other("no answer to the last message"));
            }
            continue;
        }
        end.recv(&mut ack)?;
        if ack[0] == TAG_ACK {
            break;
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    let got = u64::from_le_bytes(ack[1..9].try_into().unwrap_or([0; 8]));
    if got > sent || (!end.lossy() && got != sent) {
        return Err(std::io::Error::other(format!("the server counted {got} messages of {sent}")));
    }
    samples.sort_unstable();
    let n = samples.len();
    let pct = |p: f64| samples[((n as f64 * p) as usize).min(n - 1)] as f64;
    Ok(RunResult {
        p50: pct(0.50),
        p90: pct(0.90),
        p99: pct(0.99),
        mean: samples.iter().sum::<u64>() as f64 / n as f64,
        round_trips: n as u64,
        round_trips_per_s: n as f64 / lat_elapsed,
        msgs_per_s: got as f64 / elapsed,
        bytes_per_s: got as f64 * payload as f64 / elapsed,
        lost: sent - got,
    })
}

/// The length of a protocol message: the size, or 16 where the mechanism carries fewer
/// bytes than a tag and a count (eventfd's 8-byte counter: its end maps tags to values, so
/// its echo cannot be compared byte for byte).
fn proto_size(size: usize) -> usize {
    size.max(16)
}

fn recv_reply(end: &mut dyn End, reply: &mut [u8], _sent: &[u8]) -> std::io::Result<()> {
    end.recv(reply)?;
    if reply[0] != TAG_DATA {
        return Err(std::io::Error::other(format!("unexpected tag {:#x} in an echo", reply[0])));
    }
    Ok(())
}

/// Fork a child that runs `f` pinned to `cpu`, with the other end dropped, and leaves with
/// `_exit`.
fn spawn(cpu: usize, f: impl FnOnce() -> i32) -> libc::pid_t {
    // SAFETY: this program is single-threaded; the child only runs `f` and `_exit`s.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        pin(cpu);
        // A panic must end the child here, never unwind into the parent's loop.
        let code = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or(101);
        // SAFETY: leave without running the parent's exit handlers.
        unsafe { libc::_exit(code) };
    }
    pid
}

/// Wait for both children until the deadline; kill them past it. Err: why a run failed.
fn reap(pids: [libc::pid_t; 2], deadline: Duration) -> Result<(), String> {
    let t = Instant::now();
    let mut status = [None::<i32>; 2];
    while status.iter().any(Option::is_none) {
        for (i, &pid) in pids.iter().enumerate() {
            if status[i].is_none() {
                let mut st = 0;
                // SAFETY: our own child.
                let r = unsafe { libc::waitpid(pid, &mut st, libc::WNOHANG) };
                if r == pid || r < 0 {
                    status[i] = Some(st);
                }
            }
        }
        if t.elapsed() > deadline {
            for (i, &pid) in pids.iter().enumerate() {
                if status[i].is_none() {
                    // SAFETY: our own child, not yet reaped.
                    unsafe {
                        libc::kill(pid, libc::SIGKILL);
                        libc::waitpid(pid, std::ptr::null_mut(), 0);
                    }
                }
            }
            return Err(format!("did not finish within {} ms (killed)", deadline.as_millis()));
        }
        std::thread::sleep(Duration::from_micros(500));
    }
    for (who, st) in ["client", "server"].iter().zip(status) {
        let st = st.unwrap_or(0);
        if libc::WIFSIGNALED(st) {
            return Err(format!("the {who} was killed by signal {}", libc::WTERMSIG(st)));
        }
        if libc::WIFEXITED(st) && libc::WEXITSTATUS(st) != 0 {
            return Err(format!("the {who} failed (exit {})", libc::WEXITSTATUS(st)));
        }
    }
    Ok(())
}

/// One run of one mechanism at one size.
fn run_once(m: &Mech, size: usize, o: &Opts, cpus: (usize, usize)) -> Result<RunResult, String> {
    let pair = (m.open)(size).map_err(|Skip(why)| format!("skip: {why}"))?;
    let mut fds = [0; 2];
    // SAFETY: room for two descriptors.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(format!("pipe2: {}", std::io::Error::last_os_error()));
    }
    // SAFETY: fresh descriptors, owned here.
    let (res_r, res_w) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    let Pair { client, server, mapping } = pair;
    let mut client = Some(client);
    let mut server = Some(server);
    let server_pid = spawn(cpus.1, || {
        drop(client.take());
        let mut s = server.take().unwrap_or_else(|| unsafe { libc::_exit(3) });
        match serve(s.as_mut(), size) {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("ipcspec-bench: {} server: {e}", m.id);
                1
            }
        }
    });
    let client_pid = spawn(cpus.0, || {
        drop(server.take());
        let mut c = client.take().unwrap_or_else(|| unsafe { libc::_exit(3) });
        let line = match measure(c.as_mut(), size, o) {
            Ok(r) => format!(
                "ok {} {} {} {} {} {} {} {} {}\n",
                r.p50, r.p90, r.p99, r.mean, r.round_trips, r.round_trips_per_s, r.msgs_per_s, r.bytes_per_s, r.lost
            ),
            Err(e) => format!("err {e}\n"),
        };
        let mut w = std::fs::File::from(res_w.try_clone().unwrap_or_else(|_| unsafe { libc::_exit(3) }));
        let _ = w.write_all(line.as_bytes());
        0
    });
    drop(client);
    drop(server);
    drop(res_w);
    if server_pid < 0 || client_pid < 0 {
        return Err(format!("fork: {}", std::io::Error::last_os_error()));
    }
    let reaped = reap([client_pid, server_pid], Duration::from_millis(o.deadline_ms));
    if let Some(map) = mapping {
        chan::unmap(map);
    }
    let mut line = String::new();
    let _ = std::fs::File::from(res_r).read_to_string(&mut line);
    let line = line.trim();
    if let Some(e) = line.strip_prefix("err ") {
        return Err(e.to_string());
    }
    reaped?;
    let v: Vec<f64> = line.strip_prefix("ok ").unwrap_or("").split(' ').filter_map(|x| x.parse().ok()).collect();
    if v.len() != 9 {
        return Err(format!("no result from the client ({line:?})"));
    }
    Ok(RunResult {
        p50: v[0],
        p90: v[1],
        p99: v[2],
        mean: v[3],
        round_trips: v[4] as u64,
        round_trips_per_s: v[5],
        msgs_per_s: v[6],
        bytes_per_s: v[7],
        lost: v[8] as u64,
    })
}

fn loadavg() -> Option<Vec<f64>> {
    let s = std::fs::read_to_string("/proc/loadavg").ok()?;
    Some(s.split_whitespace().take(3).filter_map(|x| x.parse().ok()).collect())
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| s.lines().find_map(|l| l.strip_prefix("model name").map(|r| r.trim_start_matches([' ', '\t', ':']).trim().to_string())))
        .unwrap_or_default()
}

fn kernel_release() -> String {
    std::fs::read_to_string("/proc/sys/kernel/osrelease").map(|s| s.trim().to_string()).unwrap_or_default()
}

/// One combination of mechanism and size, with the runs done so far.
struct Combo {
    mech: &'static Mech,
    size: usize,
    runs: Vec<RunResult>,
    errors: Vec<String>,
    skip: Option<String>,
}

fn main() {
    let o = parse_args();
    let started = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let t_all = Instant::now();
    let load_before = loadavg();
    let allowed = allowed_cpus();
    let online = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) }.max(1) as usize;
    let cpus = if allowed.len() >= 2 && !o.same_cpu { (allowed[0], allowed[1]) } else { (allowed[0], allowed[0]) };
    let pinning = if cpus.0 == cpus.1 && o.same_cpu {
        format!("client and server both on CPU {} (--same-cpu: they take turns on it)", cpus.0)
    } else if cpus.0 == cpus.1 {
        format!("client and server on CPU {} (only one CPU is allowed: they take turns on it)", cpus.0)
    } else if online == 2 {
        format!("client on CPU {}, server on CPU {} (a 2-CPU machine: one CPU each)", cpus.0, cpus.1)
    } else {
        format!("client on CPU {}, server on CPU {} ({} CPUs online, {} allowed)", cpus.0, cpus.1, online, allowed.len())
    };
    let mut combos: Vec<Combo> = Vec::new();
    for m in MECHS.iter().filter(|m| o.only.is_empty() || o.only.iter().any(|x| x == m.id)) {
        let sizes: Vec<usize> = match m.fixed_size {
            Some(s) => vec![s],
            None => o.sizes.clone(),
        };
        for size in sizes {
            combos.push(Combo { mech: m, size, runs: vec![], errors: vec![], skip: None });
        }
    }
    // A SIGPIPE would end a run silently: failed writes are errors instead.
    // SAFETY: setting a disposition before any child exists.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
    for round in 0..o.max_runs {
        let mut any = false;
        for c in combos.iter_mut() {
            if c.skip.is_some() || c.errors.len() >= 2 {
                continue;
            }
            if round >= o.runs && (c.runs.len() < o.runs || stats::spread(&c.runs.iter().map(|r| r.p50).collect::<Vec<_>>()) <= 0.25) {
                continue;
            }
            any = true;
            match run_once(c.mech, c.size, &o, cpus) {
                Ok(r) => c.runs.push(r),
                Err(e) if e.starts_with("skip: ") => c.skip = Some(e["skip: ".len()..].to_string()),
                Err(e) => c.errors.push(e),
            }
            if !o.quiet && std::io::IsTerminal::is_terminal(&std::io::stderr()) {
                eprint!("\ripcspec-bench: round {} {:<16} {:>6} B   ", round + 1, c.mech.id, c.size);
            }
        }
        if !any {
            break;
        }
    }
    if !o.quiet {
        eprintln!("\ripcspec-bench: {} combinations done in {:.1} s{:40}", combos.len(), t_all.elapsed().as_secs_f64(), "");
    }
    let results: Vec<Value> = combos
        .iter()
        .filter(|c| c.skip.is_none() && !c.runs.is_empty())
        .map(|c| {
            let f = |g: fn(&RunResult) -> f64| stats::spread_json(&c.runs.iter().map(g).collect::<Vec<_>>());
            let p50: Vec<f64> = c.runs.iter().map(|r| r.p50).collect();
            json!({
                "mechanism": c.mech.id,
                "size": c.size,
                "runs": c.runs.len(),
                "stable": stats::spread(&p50) <= 0.25,
                "latency_ns": { "p50": f(|r| r.p50), "p90": f(|r| r.p90), "p99": f(|r| r.p99), "mean": f(|r| r.mean) },
                "round_trips_per_s": f(|r| r.round_trips_per_s),
                "round_trips_per_run": f(|r| r.round_trips as f64),
                "throughput": { "msgs_per_s": f(|r| r.msgs_per_s), "bytes_per_s": f(|r| r.bytes_per_s) },
                "lost": c.runs.iter().map(|r| r.lost).sum::<u64>(),
                "errors": c.errors,
            })
        })
        .collect();
    let skipped: Vec<Value> = combos
        .iter()
        .filter_map(|c| {
            let why = c.skip.clone().or_else(|| (c.runs.is_empty()).then(|| format!("every run failed: {}", c.errors.join("; "))))?;
            Some(json!({ "mechanism": c.mech.id, "size": c.size, "why": why }))
        })
        .collect();
    let doc = json!({
        "schema": SCHEMA,
        "tool": format!("ipcspec-bench {}", env!("CARGO_PKG_VERSION")),
        "started_at_unix": started,
        "duration_ms": t_all.elapsed().as_millis() as u64,
        "kernel": kernel_release(),
        "cpu_model": cpu_model(),
        "cpus_online": online,
        "cpus_allowed": allowed.len(),
        "pinning": pinning,
        "uid": unsafe { libc::geteuid() },
        "load_before": load_before,
        "load_after": loadavg(),
        "settings": {
            "runs": o.runs, "max_runs": o.max_runs, "sizes": o.sizes, "same_cpu": o.same_cpu,
            "latency_ms": o.latency_ms, "throughput_ms": o.throughput_ms,
            "stable_if_p50_spread_at_most": 0.25,
        },
        "mechanisms": MECHS.iter().map(|m| json!({ "id": m.id, "label": m.label, "how": m.how, "fixed_size": m.fixed_size })).collect::<Vec<_>>(),
        "results": results,
        "skipped": skipped,
    });
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    let _ = std::io::stderr().flush();
}
