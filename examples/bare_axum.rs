//! The server half of the speed baseline (`benches/compare.sh`): one axum route
//! and nothing else, answering about what the mock's `GET /rest/api/space` does,
//! so wrk against it measures what axum and hyper cost on their own. The mock's
//! Basic route is judged against this figure.
//!
//! `cargo run --release --example bare_axum -- --bind 127.0.0.1:8190`

use std::net::SocketAddr;

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use axum::routing::get;
use clap::Parser;
use serde_json::json;
use tokio::net::TcpListener;

#[derive(Debug, Parser)]
#[command(about = "A bare axum route answering like the mock's GET /rest/api/space")]
struct Args {
    /// Address to listen on; port 0 picks a free one (the address is printed).
    #[arg(long, default_value = "127.0.0.1:0")]
    bind: SocketAddr,
}

/// The mock's default space list, field for field, so both servers write the
/// same body; built once, since the floor is what we measure here.
fn body(origin: &str) -> Bytes {
    let page = json!({
        "results": [{
            "id": 98_305, "key": "TST", "name": "Test Space", "type": "global",
            "status": "current",
            "_expandable": {"description": "", "homepage": "", "metadata": ""},
            "_links": {"webui": "/display/TST", "self": format!("{origin}/rest/api/space/TST")},
        }],
        "start": 0, "limit": 25, "size": 1,
        "_links": {"base": origin, "context": "", "self": format!("{origin}/rest/api/space")},
    });
    Bytes::from(serde_json::to_vec(&page).expect("a JSON value serializes"))
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let listener = TcpListener::bind(args.bind).await?;
    let addr = listener.local_addr()?;
    let body = body(&format!("http://{addr}"));
    let content_type = HeaderValue::from_static("application/json;charset=UTF-8");
    let app = Router::new().route(
        "/rest/api/space",
        get(move || {
            let body = body.clone();
            let content_type = content_type.clone();
            // X-AUSERNAME as the mock sends it, so scenarios/load/basic.yaml's
            // expect holds against this route too (LOAD_TARGET=bare).
            async move {
                (
                    [
                        (header::CONTENT_TYPE, content_type),
                        (
                            header::HeaderName::from_static("x-ausername"),
                            HeaderValue::from_static("alice"),
                        ),
                    ],
                    body,
                )
                    .into_response()
            }
        }),
    );
    // The last word is the URL: scripts read it the way they read `tollgate mock`'s.
    println!("bare axum listening on http://{addr}");
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}
