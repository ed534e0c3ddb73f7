//! What the IdP tests share: a client without proxies, JSON in and out, the
//! kids `/jwks` publishes, a client_credentials token.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use reqwest::{Client, RequestBuilder};
use serde_json::Value;

/// The client every default `mock.idp` knows.
pub const CLIENT: (&str, &str) = ("tollgate", "tollgate-secret");

pub fn client() -> Client {
    Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

pub fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// Sends `request` and reads its answer as JSON.
pub async fn json_of(request: RequestBuilder) -> Value {
    request.send().await.unwrap().json().await.unwrap()
}

/// The `kid` of every key `{base}/jwks` publishes.
pub async fn jwks_kids(http: &Client, base: &str) -> Vec<String> {
    let set = json_of(http.get(format!("{base}/jwks"))).await;
    set["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect()
}

/// A client_credentials access token from `{base}/token` for `(id, secret)`.
pub async fn client_token(http: &Client, base: &str, (id, secret): (&str, &str)) -> String {
    let request = http
        .post(format!("{base}/token"))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials")]);
    json_of(request).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}
