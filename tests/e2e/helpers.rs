use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A temporary working directory for one run of the binary, with its own
/// database and stake file (the defaults: `iodao.db`, `stake.csv`).
pub struct Workdir {
    pub dir: tempfile::TempDir,
}

impl Workdir {
    pub fn new() -> Self {
        Self { dir: tempfile::tempdir().expect("temp dir") }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The binary, run here with no `IODAO_*` from the outside.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_iodao"));
        c.args(args).current_dir(self.path()).env("RUST_LOG", "warn");
        for (k, _) in std::env::vars() {
            if k.starts_with("IODAO_") {
                c.env_remove(k);
            }
        }
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().expect("run iodao")
    }

    /// Runs and expects success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "iodao {args:?} failed:\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8")
    }

    /// Runs and expects failure; returns stderr.
    pub fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(!out.status.success(), "iodao {args:?} should have failed:\n{}", String::from_utf8_lossy(&out.stdout));
        let stderr = String::from_utf8(out.stderr).expect("utf-8");
        // A refusal exits 1 with a message; 101 would be a panic.
        assert_eq!(out.status.code(), Some(1), "iodao {args:?} did not fail cleanly:\n{stderr}");
        stderr
    }

    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        serde_json::from_str(&self.ok(args)).expect("json output")
    }
}

/// A running `iodao serve` (or `demo`), killed on drop.
pub struct Server {
    pub child: std::process::Child,
    pub addr: String,
}

impl Server {
    /// Spawns `cmd` with stdout piped and waits for its "listening on" line
    /// (the caller sets `IODAO_WEB__BIND` and where stderr goes).
    pub fn spawn(mut cmd: Command) -> Self {
        use std::io::BufRead as _;
        let mut child = cmd.stdout(std::process::Stdio::piped()).spawn().expect("spawn iodao");
        let mut lines = std::io::BufReader::new(child.stdout.take().expect("stdout")).lines();
        let addr = loop {
            let line = lines.next().expect("iodao exited before listening").expect("read stdout");
            if let Some(rest) = line.strip_prefix("listening on http://") {
                break rest.to_owned();
            }
        };
        Self { child, addr }
    }

    /// One HTTP/1.1 request to the server: (status, body).
    pub fn request(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> (u16, String) {
        use std::io::{Read as _, Write as _};
        let addr = &self.addr;
        let mut s = std::net::TcpStream::connect(addr).expect("connect");
        let extra: String = headers.iter().map(|(k, v)| format!("{k}: {v}\r\n")).collect();
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .expect("write");
        let mut response = String::new();
        s.read_to_string(&mut response).expect("read");
        let status = response.split_whitespace().nth(1).and_then(|c| c.parse().ok()).expect("status");
        (status, response.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default())
    }

    /// `GET path`.
    pub fn get(&self, path: &str) -> (u16, String) {
        self.request("GET", path, &[], "")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Serves `app` on a free port of 127.0.0.1 from its own runtime thread (a
/// stand-in for a platform's API; the tests themselves are synchronous) and
/// returns its `http://` URL once it listens.
pub fn serve_on_thread(app: axum::Router) -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
            tx.send(listener.local_addr().expect("addr")).expect("send addr");
            axum::serve(listener, app).await.expect("stand-in");
        });
    });
    format!("http://{}", rx.recv_timeout(std::time::Duration::from_secs(30)).expect("stand-in started"))
}
