//! Throwaway PostgreSQL servers for the scale-out tests: a primary with a streaming
//! replica, built from Debian's PostgreSQL 15 binaries in a temporary folder, and a
//! PgBouncer. Each is stopped when its guard drops, also when the test fails.
//!
//! Without the programs a test is skipped with a printed reason, unless `REQUIRE_REPLICA`
//! (PostgreSQL's server programs) or `REQUIRE_POOLER` (PgBouncer) is set, as CI does: then
//! their absence fails it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Where Debian puts PostgreSQL 15's server programs (`PG_BIN` names another folder).
fn pg_bin() -> PathBuf {
    std::env::var_os("PG_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| "/usr/lib/postgresql/15/bin".into())
}

/// Whether `programs` are all installed; when one is missing, says so, and fails if the
/// environment variable `required_by` is set.
pub fn available(programs: &[&Path], required_by: &str) -> bool {
    match programs.iter().find(|p| !p.is_file()) {
        None => true,
        Some(missing) => {
            assert!(
                std::env::var_os(required_by).is_none(),
                "{required_by} is set but {} is missing",
                missing.display()
            );
            eprintln!("{} is not installed: test skipped", missing.display());
            false
        }
    }
}

/// A port no one listens on now. Bound and released: a parallel run gets another one.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A fresh folder under the temporary directory, owned by the `postgres` user when we
/// are root (the server refuses to run as root).
pub fn scratch_dir(what: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "capex-{what}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create the scratch folder");
    if is_root() {
        run(Command::new("chown").arg("postgres:postgres").arg(&dir));
    }
    dir
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// `program` with `args`, as the `postgres` user when we are root.
pub fn as_postgres(program: &Path, args: &[&str]) -> Command {
    if is_root() {
        let mut command = Command::new("runuser");
        command
            .args(["-u", "postgres", "--"])
            .arg(program)
            .args(args);
        command
    } else {
        let mut command = Command::new(program);
        command.args(args);
        command
    }
}

/// Runs `command`, panicking with its output when it fails.
pub fn run(command: &mut Command) -> Output {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// A running PostgreSQL server in a folder of its own; stopped (`-m immediate`) on drop.
pub struct Server {
    pub data: PathBuf,
    pub port: u16,
    stopped: bool,
}

impl Server {
    /// `postgres://postgres@127.0.0.1:PORT/postgres`.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Starts the server of the folder `data` on a free port, its socket in `socket_dir`.
    fn start(data: PathBuf, socket_dir: &Path) -> Server {
        let port = free_port();
        let log = data.with_extension("log");
        let settings = format!(
            "-p {port} -c listen_addresses=127.0.0.1 -k {} -c fsync=off",
            socket_dir.display()
        );
        run(&mut as_postgres(
            &pg_bin().join("pg_ctl"),
            &[
                "-D",
                &data.to_string_lossy(),
                "-l",
                &log.to_string_lossy(),
                "-o",
                &settings,
                "-w",
                "-t",
                "60",
                "start",
            ],
        ));
        Server {
            data,
            port,
            stopped: false,
        }
    }

    /// Stops the server at once (as a crash would).
    pub fn stop(&mut self) {
        if !self.stopped {
            self.stopped = true;
            let _ = as_postgres(
                &pg_bin().join("pg_ctl"),
                &[
                    "-D",
                    &self.data.to_string_lossy(),
                    "-m",
                    "immediate",
                    "-w",
                    "stop",
                ],
            )
            .output();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A primary and one streaming replica (`pg_basebackup -R`), in one temporary folder that
/// is removed when both are stopped.
pub struct ReplicatedCluster {
    // Field order: the replica stops first, then the primary, then the folder goes.
    pub replica: Server,
    pub primary: Server,
    dir: PathBuf,
}

impl ReplicatedCluster {
    /// Builds and starts the pair, or `None` when the programs are missing (see
    /// [`available`]).
    pub fn start() -> Option<ReplicatedCluster> {
        let bin = pg_bin();
        let needed = ["initdb", "pg_ctl", "pg_basebackup", "postgres"].map(|p| bin.join(p));
        let needed: Vec<&Path> = needed.iter().map(PathBuf::as_path).collect();
        if !available(&needed, "REQUIRE_REPLICA") {
            return None;
        }
        let dir = scratch_dir("replication");
        let primary_dir = dir.join("primary");
        let replica_dir = dir.join("replica");
        run(&mut as_postgres(
            &bin.join("initdb"),
            &[
                "-D",
                &primary_dir.to_string_lossy(),
                "-U",
                "postgres",
                "-A",
                "trust",
                "--no-sync",
            ],
        ));
        let primary = Server::start(primary_dir, &dir);
        run(&mut as_postgres(
            &bin.join("pg_basebackup"),
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &primary.port.to_string(),
                "-U",
                "postgres",
                "-D",
                &replica_dir.to_string_lossy(),
                "-R",
                "-X",
                "stream",
                "--no-sync",
            ],
        ));
        let replica = Server::start(replica_dir, &dir);
        Some(ReplicatedCluster {
            replica,
            primary,
            dir,
        })
    }
}

impl Drop for ReplicatedCluster {
    fn drop(&mut self) {
        self.replica.stop();
        self.primary.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Polls `check` until it returns true, for at most `limit`; false when it never did.
pub async fn eventually<F, Fut>(limit: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    loop {
        if check().await {
            return true;
        }
        if started.elapsed() > limit {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Debian's PgBouncer (`PGBOUNCER` names another binary).
fn pgbouncer_bin() -> PathBuf {
    std::env::var_os("PGBOUNCER")
        .map(PathBuf::from)
        .unwrap_or_else(|| "/usr/sbin/pgbouncer".into())
}

/// A PgBouncer in transaction mode in front of `127.0.0.1:5432`, on a free port, with
/// `server_connections` server connections per database; stopped on drop.
pub struct Bouncer {
    pub port: u16,
    dir: PathBuf,
}

impl Bouncer {
    /// Starts it, or `None` when PgBouncer is not installed (see [`available`]).
    pub fn start(server_connections: usize) -> Option<Bouncer> {
        let bin = pgbouncer_bin();
        if !available(&[bin.as_path()], "REQUIRE_POOLER") {
            return None;
        }
        let dir = scratch_dir("pgbouncer");
        let port = free_port();
        let config = format!(
            "[databases]\n\
             * = host=127.0.0.1 port=5432\n\
             [pgbouncer]\n\
             listen_addr = 127.0.0.1\n\
             listen_port = {port}\n\
             unix_socket_dir = {dir}\n\
             auth_type = trust\n\
             auth_file = {dir}/users.txt\n\
             pool_mode = transaction\n\
             default_pool_size = {server_connections}\n\
             max_client_conn = 500\n\
             logfile = {dir}/pgbouncer.log\n\
             pidfile = {dir}/pgbouncer.pid\n",
            dir = dir.display()
        );
        let ini = dir.join("pgbouncer.ini");
        std::fs::write(&ini, config).expect("write pgbouncer.ini");
        std::fs::write(dir.join("users.txt"), "\"postgres\" \"\"\n").expect("write users.txt");
        if is_root() {
            run(Command::new("chown")
                .arg("-R")
                .arg("postgres:postgres")
                .arg(&dir));
        }
        run(&mut as_postgres(&bin, &["-d", &ini.to_string_lossy()]));
        let bouncer = Bouncer { port, dir };
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "pgbouncer did not listen: {}",
                std::fs::read_to_string(bouncer.dir.join("pgbouncer.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(bouncer)
    }

    /// The URL of database `name` through the pooler.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// What PgBouncer logged.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("pgbouncer.log")).unwrap_or_default()
    }
}

impl Drop for Bouncer {
    fn drop(&mut self) {
        if let Ok(pid) = std::fs::read_to_string(self.dir.join("pgbouncer.pid")) {
            let _ = Command::new("kill").arg(pid.trim()).output();
            let started = Instant::now();
            while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok()
                && started.elapsed() < Duration::from_secs(10)
            {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
