//! The subscribers' WebSocket clients in a process of their own (`--clients process`, the
//! default): this binary started with `--live-clients ADDR` under `setsid`.
//!
//! Why: on one host the clients stand for other machines, and must take only the CPU the
//! server, the writer and the database leave. Threads at nice 19 do that only against
//! threads of their own autogroup (`/proc/sys/kernel/sched_autogroup_enabled`): the
//! kernel first shares the CPU between autogroups (one per session), then within each.
//! Every PostgreSQL backend runs in a session of its own, so clients at nice 19 in the
//! bench's process still took an equal share against the backend of the writes. In a
//! session of their own, with their autogroup at nice 19 (`/proc/self/autogroup`), they
//! yield to the backend too.
//!
//! The parent tells the process what to do on its standard input, one line each:
//! `start` (subscribe), `pause` (complete every subscription), `resume EPOCH`; when the
//! input closes, the process exits and its connections close. The process reports on its
//! standard output, in records of one kind byte and little-endian fields: [`OPENED`] once
//! every connection is initialized, then [`EVENT`] (subscriber `u32`, marker `i64`,
//! arrival `i64` ns of wall-clock time) or [`WRONG`] (length `u32`, UTF-8 text) per
//! message. The arrival goes as wall-clock time, which both processes read alike, and is
//! turned back into an [`Instant`] here.

use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::mpsc;

use super::{
    Args, CLIENTS_NICE, Control, PER_CONNECTION, Received, Watch, clients, open_all, readers,
};

/// Every connection is open and initialized.
const OPENED: u8 = b'O';
/// A subscriber's event.
const EVENT: u8 = b'E';
/// What was wrong with a message.
const WRONG: u8 = b'X';

/// The clients' process while it runs, for [`super::cpu_times`] (0: none).
static PID: AtomicU32 = AtomicU32::new(0);

/// The process id of the clients' process, while one runs.
pub(super) fn pid() -> Option<u32> {
    Some(PID.load(Ordering::SeqCst)).filter(|&pid| pid != 0)
}

/// The clients' process, seen from the bench.
pub(super) struct Process {
    child: Child,
    commands: ChildStdin,
    /// Its output, after [`OPENED`]; taken by [`Process::start`].
    output: Option<BufReader<std::process::ChildStdout>>,
    /// The thread that turns its records into [`Received`].
    forward: Option<std::thread::JoinHandle<()>>,
}

impl Process {
    /// Starts the clients' process for `args.subscribers` subscribers of `watch` on the
    /// server at `addr`; returns once their connections are open and initialized.
    pub(super) async fn open(watch: Watch, addr: &str, args: &Args) -> Process {
        let mut command = std::process::Command::new("setsid");
        command
            .arg(std::env::current_exe().expect("this binary"))
            .args([
                "--live-clients",
                addr,
                "--watch",
                watch.name(),
                "--subscribers",
                &args.subscribers.to_string(),
                "--clients-nice",
                &args.clients_nice.to_string(),
            ]);
        if args.pin {
            command.arg("--pin");
        }
        if args.hold_reads {
            command.arg("--hold-reads");
        }
        // `setsid` makes a session and runs the bench in it without a fork (it forks only
        // when started as a process group's leader, and this child is not): its pid is
        // the bench's.
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the clients' process (setsid, from util-linux)");
        let commands = child.stdin.take().expect("its input");
        let mut output = BufReader::with_capacity(1 << 16, child.stdout.take().expect("output"));
        let output = tokio::task::spawn_blocking(move || {
            let mut kind = [0];
            output
                .read_exact(&mut kind)
                .expect("the clients' process stopped before its connections opened");
            assert_eq!(kind[0], OPENED, "the clients' process's first record");
            output
        })
        .await
        .expect("the clients' process's first record");
        PID.store(child.id(), Ordering::SeqCst);
        Process {
            child,
            commands,
            output: Some(output),
            forward: None,
        }
    }

    /// Starts the subscriptions; returns their events.
    pub(super) fn start(&mut self) -> mpsc::UnboundedReceiver<Received> {
        let (results, received) = mpsc::unbounded_channel();
        let output = self.output.take().expect("started once");
        self.forward = Some(
            std::thread::Builder::new()
                .name("bench-clients-in".into())
                .spawn(move || receive(output, &results))
                .expect("a thread"),
        );
        self.command("start");
        received
    }

    /// Tells every connection's reader.
    pub(super) fn send(&mut self, control: Control) {
        match control {
            Control::Pause => self.command("pause"),
            Control::Resume(epoch) => self.command(&format!("resume {epoch}")),
            Control::Hold => self.command("hold"),
            Control::Release => self.command("release"),
        }
    }

    fn command(&mut self, line: &str) {
        writeln!(self.commands, "{line}")
            .and_then(|()| self.commands.flush())
            .expect("the clients' process reads its input");
    }

    /// Closes its input: it exits, and its connections close.
    pub(super) async fn stop(self) {
        let Process {
            mut child,
            commands,
            forward,
            ..
        } = self;
        drop(commands);
        let status = tokio::task::spawn_blocking(move || {
            let status = child.wait();
            if let Some(forward) = forward {
                forward.join().expect("the records' thread");
            }
            status
        })
        .await
        .expect("the clients' process")
        .expect("the clients' process");
        PID.store(0, Ordering::SeqCst);
        assert!(status.success(), "the clients' process: {status}");
    }
}

/// Reads the clients' process's records until its output ends; sends each as [`Received`].
fn receive(mut output: impl Read, results: &mpsc::UnboundedSender<Received>) {
    let clock = Clock::now();
    let mut kind = [0];
    while output.read_exact(&mut kind).is_ok() {
        let received = match kind[0] {
            EVENT => {
                let mut fields = [0; 20];
                if output.read_exact(&mut fields).is_err() {
                    return;
                }
                let sub = u32::from_le_bytes(fields[..4].try_into().expect("4 bytes"));
                let marker = i64::from_le_bytes(fields[4..12].try_into().expect("8 bytes"));
                let at = i64::from_le_bytes(fields[12..].try_into().expect("8 bytes"));
                Ok((sub as usize, marker, clock.instant(at)))
            }
            WRONG => {
                let mut length = [0; 4];
                let mut text = Vec::new();
                if output.read_exact(&mut length).is_err()
                    || (&mut output)
                        .take(u32::from_le_bytes(length).into())
                        .read_to_end(&mut text)
                        .is_err()
                {
                    return;
                }
                Err(String::from_utf8_lossy(&text).into_owned())
            }
            other => Err(format!(
                "the clients' process wrote a record of kind {other}"
            )),
        };
        if results.send(received).is_err() {
            return;
        }
    }
}

/// The clients' process (`--live-clients ADDR`): opens the connections for
/// `args.subscribers` subscribers of `--watch` to the server at `addr`, then follows the
/// commands on its input (see the module's documentation).
pub async fn serve(addr: &str, args: &Args) {
    // Its autogroup (its session's, made by `setsid`) at the clients' nice value.
    if let Err(error) = std::fs::write("/proc/self/autogroup", args.clients_nice.to_string()) {
        eprintln!("the clients' autogroup keeps its nice value: /proc/self/autogroup: {error}");
    }
    CLIENTS_NICE.store(args.clients_nice, Ordering::SeqCst);
    if args.pin {
        super::taskset(&["-a", "-p", "-c", "1", &std::process::id().to_string()]);
    }
    let watch = Watch::named(&args.watch);
    let connections = args.subscribers.div_ceil(PER_CONNECTION);
    let to = addr.to_string();
    let hold = args.hold_reads;
    let sockets = clients()
        .spawn(async move { open_all(&to, connections, hold).await })
        .await
        .expect("the connections open");
    let mut out = std::io::stdout();
    out.write_all(&[OPENED])
        .and_then(|()| out.flush())
        .expect("the bench reads");

    let mut lines = commands();
    assert_eq!(
        lines.recv().await.as_deref(),
        Some("start"),
        "the clients' first command"
    );
    let (results, received) = mpsc::unbounded_channel();
    let (controls, readers) = readers(watch, sockets, args.subscribers, results);
    std::thread::Builder::new()
        .name("bench-clients-out".into())
        .spawn(move || report(received))
        .expect("a thread");
    while let Some(line) = lines.recv().await {
        let control = match line.split_once(' ') {
            None if line == "pause" => Control::Pause,
            None if line == "hold" => Control::Hold,
            None if line == "release" => Control::Release,
            Some(("resume", epoch)) => {
                Control::Resume(epoch.parse().expect("resume EPOCH: a number"))
            }
            _ => panic!("an unknown command for the clients: {line}"),
        };
        for reader in &controls {
            reader.send(control).expect("a reader");
        }
    }
    // The bench is done: the connections close with the process.
    for reader in readers {
        reader.abort();
    }
    std::process::exit(0);
}

/// The lines of this process's input, read on a thread of their own.
fn commands() -> mpsc::UnboundedReceiver<String> {
    let (lines, commands) = mpsc::unbounded_channel();
    std::thread::Builder::new()
        .name("bench-clients-cmd".into())
        .spawn(move || {
            for line in std::io::stdin().lock().lines() {
                let Ok(line) = line else { return };
                if lines.send(line.trim().to_string()).is_err() {
                    return;
                }
            }
        })
        .expect("a thread");
    commands
}

/// Writes the readers' events to this process's output as records: woken by an event, it
/// waits [`GATHER`] for the others of the same write, then writes and flushes them all.
/// Flushed after each event, the records cost a wake-up and a pipe write on each side per
/// event: the clients took 5 ms of CPU per write of 1,000 events, against 0.85 ms in the
/// bench's process.
fn report(mut received: mpsc::UnboundedReceiver<Received>) {
    let clock = Clock::now();
    let mut out = BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    while let Some(first) = received.blocking_recv() {
        std::thread::sleep(GATHER);
        let mut next = Some(first);
        while let Some(event) = next {
            if write_record(&mut out, &clock, event).is_err() {
                return;
            }
            next = received.try_recv().ok();
        }
        if out.flush().is_err() {
            return;
        }
    }
}

/// How long the clients' process gathers events before it writes them to the bench. The
/// arrival is taken when a reader reads the event, so this does not count in the latency.
const GATHER: Duration = Duration::from_millis(1);

fn write_record(out: &mut impl Write, clock: &Clock, event: Received) -> std::io::Result<()> {
    match event {
        Ok((sub, marker, at)) => {
            let mut record = [0; 21];
            record[0] = EVENT;
            record[1..5].copy_from_slice(&(sub as u32).to_le_bytes());
            record[5..13].copy_from_slice(&marker.to_le_bytes());
            record[13..].copy_from_slice(&clock.wall(at).to_le_bytes());
            out.write_all(&record)
        }
        Err(wrong) => {
            out.write_all(&[WRONG])?;
            out.write_all(&(wrong.len() as u32).to_le_bytes())?;
            out.write_all(wrong.as_bytes())
        }
    }
}

/// One moment read on both clocks: turns an [`Instant`] of this process into wall-clock
/// time (ns since the epoch) and back, so that another process can read it.
struct Clock {
    instant: Instant,
    wall: i64,
}

impl Clock {
    fn now() -> Clock {
        let instant = Instant::now();
        let wall = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .expect("after 1970")
            .as_nanos() as i64;
        Clock { instant, wall }
    }

    /// `at` as wall-clock time.
    fn wall(&self, at: Instant) -> i64 {
        match at.checked_duration_since(self.instant) {
            Some(after) => self.wall + after.as_nanos() as i64,
            None => self.wall - self.instant.duration_since(at).as_nanos() as i64,
        }
    }

    /// Wall-clock time `wall` as an [`Instant`].
    fn instant(&self, wall: i64) -> Instant {
        let from = Duration::from_nanos(wall.abs_diff(self.wall));
        if wall >= self.wall {
            self.instant + from
        } else {
            self.instant.checked_sub(from).unwrap_or(self.instant)
        }
    }
}
