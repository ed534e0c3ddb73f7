//! Helpers the mock's integration tests share: a mock from a `confluence:` block,
//! a client that judges redirects instead of following them, Basic headers, and a
//! raw TCP exchange for requests reqwest refuses to send.
//!
//! Each test binary uses only some of these, hence the allowance below.
#![allow(dead_code)]

pub mod cli;
pub mod load_report;
pub mod schema;

use std::net::SocketAddr;
use std::time::Duration;

use base64::Engine;
use reqwest::{Client, Response};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tollgate::mock::{RunningMock, start};
use tollgate::scenario::mock_config::MockConfig;

/// A mock whose `mock.confluence` block is `confluence`.
pub async fn mock_with(confluence: Value) -> RunningMock {
    let config: MockConfig = serde_json::from_value(json!({ "confluence": confluence })).unwrap();
    start(&config).await.unwrap()
}

/// No redirects followed (they are judged), no proxy from the environment, and a
/// bound on every exchange.
pub fn client() -> Client {
    Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

pub fn basic(user: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

pub fn header<'a>(response: &'a Response, name: &str) -> Option<&'a str> {
    response.headers().get(name).map(|v| v.to_str().unwrap())
}

/// Writes `request` on a fresh connection and returns the status line, or `None`
/// if the server closed without answering. Writing and reading run side by side
/// so a server that answers early (and closes) cannot deadlock the test.
pub async fn raw(addr: SocketAddr, request: Vec<u8>) -> Option<String> {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let write = tokio::spawn(async move {
        let _ = writer.write_all(&request).await;
        let _ = writer.flush().await;
        writer
    });
    let mut buffer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), async {
        let mut chunk = [0u8; 4096];
        loop {
            match reader.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            }
            if buffer.windows(4).any(|w| w == b"\r\n\r\n") {
                break;
            }
        }
    })
    .await;
    assert!(read.is_ok(), "the server neither answered nor closed");
    drop(write.await);
    let text = String::from_utf8_lossy(&buffer).into_owned();
    text.lines()
        .next()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
}
