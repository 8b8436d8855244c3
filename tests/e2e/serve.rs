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

fn post(addr: &str, path: &str, token: Option<&str>, body: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).expect("connect");
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("write");
    let mut response = String::new();
    s.read_to_string(&mut response).expect("read");
    let status = response.split_whitespace().nth(1).and_then(|c| c.parse().ok()).expect("status");
    (status, response.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default())
}

#[test]
fn the_demo_portal_serves_pages_and_an_admin_api_whose_token_never_shows() {
    const TOKEN: &str = "e2e-admin-secret-91c4";
    let w = Workdir::new();
    let mut child = w
        .cmd(&["demo"])
        .env("IODAO_WEB__BIND", "127.0.0.1:0")
        .env("IODAO_ADMIN_TOKEN", TOKEN)
        .env("RUST_LOG", "debug,sqlx=warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn iodao");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let addr = loop {
        let line = lines.next().expect("iodao exited before listening").expect("read stdout");
        if let Some(rest) = line.strip_prefix("listening on http://") {
            break rest.to_owned();
        }
    };
    let mut server = Server { child, addr };

    let (status, home) = get(&server.addr, "/proposals");
    assert_eq!(status, 200);
    assert!(home.contains("/proposals/1"), "the demo's proposals are listed");
    assert_eq!(get(&server.addr, "/epochs/1").0, 200, "the demo's epoch");
    assert_eq!(get(&server.addr, "/proposals/12345").0, 404);

    let new = r#"{"name": "e2e-dapp", "category": "dapp", "payout": "0x00000000000000000000000000000000000000e2"}"#;
    assert_eq!(post(&server.addr, "/api/v1/recipients", None, new).0, 401);
    let (status, body) = post(&server.addr, "/api/v1/recipients", Some("wrong"), new);
    assert_eq!(status, 401);
    assert!(!body.contains(TOKEN));
    let (status, body) = post(&server.addr, "/api/v1/recipients", Some(TOKEN), new);
    assert_eq!(status, 201, "{body}");
    assert!(get(&server.addr, "/recipients").1.contains("e2e-dapp"));

    let _ = server.child.kill();
    let mut stderr = String::new();
    server.child.stderr.take().expect("stderr").read_to_string(&mut stderr).expect("read stderr");
    assert!(stderr.contains("web server started"), "debug logs were captured: {stderr}");
    assert!(!stderr.contains(TOKEN), "the admin token appeared in the logs");
}
