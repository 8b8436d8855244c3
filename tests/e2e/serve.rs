use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};

use crate::helpers::Workdir;

/// A running `iodao`, killed on drop.
struct Server {
    child: Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `iodao ARGS` on port 0 and waits for its "listening on" line.
fn start(w: &Workdir, args: &[&str]) -> Server {
    let mut child = w
        .cmd(args)
        .env("IODAO_WEB__BIND", "127.0.0.1:0")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn iodao");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let addr = loop {
        let line = lines.next().expect("iodao exited before listening").expect("read stdout");
        if let Some(rest) = line.strip_prefix("listening on http://") {
            break rest.to_owned();
        }
    };
    Server { child, addr }
}

fn get(addr: &str, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).expect("connect");
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").expect("write");
    let mut response = String::new();
    s.read_to_string(&mut response).expect("read");
    let status = response.split_whitespace().nth(1).and_then(|c| c.parse().ok()).expect("status");
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    (status, body)
}

#[test]
fn serve_answers_healthz_once_the_store_is_ready() {
    let w = Workdir::new();
    let server = start(&w, &["serve"]);
    let (status, body) = get(&server.addr, "/healthz");
    assert_eq!(status, 200);
    assert_eq!(body, "ok");
    assert!(w.file("iodao.db").exists(), "the default database was created");
}

#[test]
fn demo_seeds_then_serves() {
    let w = Workdir::new();
    let server = start(&w, &["demo"]);
    assert_eq!(get(&server.addr, "/healthz"), (200, "ok".to_owned()));
    drop(server);
    let list = w.json(&["proposal", "list", "--json"]);
    assert_eq!(list.as_array().map(Vec::len), Some(6));
}

#[test]
fn serve_stops_cleanly_on_sigterm() {
    let w = Workdir::new();
    let mut server = start(&w, &["serve"]);
    let pid = server.child.id().to_string();
    let killed = std::process::Command::new("kill").args(["-TERM", &pid]).status().expect("kill");
    assert!(killed.success());
    let status = server.child.wait().expect("wait");
    assert!(status.success(), "exit status {status}");
}
