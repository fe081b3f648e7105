//! The 12345 operator console of `zhiku serve`, driven in headless Debian
//! Chromium (tests/browser/console.mjs): an operator reads the internal
//! answer, and with a token set nothing internal is served without it.
//!
//! Needs `/usr/bin/chromium` and `npm ci --prefix tests/browser`.

mod common;

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::copy_fixture;

/// A `zhiku serve` child process, killed when dropped.
struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn serve(root: &Path, token: Option<&str>) -> Server {
    let port = free_port();
    let mut command = Command::new(env!("CARGO_BIN_EXE_zhiku"));
    command
        .args(["serve", "--as-of", "2026-11-26", "-p", &port.to_string(), "--root"])
        .arg(root)
        .env_remove("ZHIKU_TOKEN")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(token) = token {
        command.env("ZHIKU_TOKEN", token);
    }
    let server = Server { child: command.spawn().unwrap(), base: format!("http://127.0.0.1:{port}") };
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed() < Duration::from_secs(120), "zhiku serve did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    server
}

fn run_browser(base: &str, token: Option<&str>) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let browser_dir = repo.join("tests/browser");
    assert!(
        browser_dir.join("node_modules/playwright-core").is_dir(),
        "browser test dependencies missing: run `npm ci --prefix tests/browser` (and `apt-get install chromium`)"
    );
    let mut command = Command::new("node");
    command.arg(browser_dir.join("console.mjs")).arg(base);
    if let Some(token) = token {
        command.arg(token);
    }
    let output = command.output().expect("node is needed for the browser tests");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "console test failed:\n{stdout}\n{stderr}");
}

#[test]
fn operator_reads_the_internal_answer() {
    let site = copy_fixture("valid");
    let server = serve(site.path(), None);
    run_browser(&server.base, None);
}

#[test]
fn token_gate_holds() {
    let site = copy_fixture("valid");
    let server = serve(site.path(), Some("s3cret-token"));
    run_browser(&server.base, Some("s3cret-token"));
}

#[test]
fn refuses_to_serve_beyond_loopback_without_a_token() {
    let site = copy_fixture("valid");
    let output = Command::new(env!("CARGO_BIN_EXE_zhiku"))
        .args(["serve", "-i", "0.0.0.0", "-p", &free_port().to_string(), "--root"])
        .arg(site.path())
        .env_remove("ZHIKU_TOKEN")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("without an access token"), "{stderr}");
}
