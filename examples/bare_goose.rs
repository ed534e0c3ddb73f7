//! The client half of the speed baseline (`benches/compare.sh`): goose with one
//! transaction and nothing of tollgate's, so `tollgate load` on the same route can
//! be judged against what goose itself reaches (the issue: within 10%).
//!
//! One `GET URL` with a fixed `Authorization: Basic …`, status 200 expected, body
//! read; no cookies (the crate builds goose without them), no gzip, no telnet or
//! WebSocket controller, goose's own tables off; each user has goose's default
//! client, with its own connection. Prints
//! `requests: N  failures: N  req/s: X` like `tollgate load`'s summary.
//!
//! `cargo run --release --example bare_goose -- --url http://127.0.0.1:8090/rest/api/space --users 8 --run-time 10s`

use std::sync::OnceLock;

use base64::Engine;
use clap::Parser;
use goose::config::GooseConfiguration;
use goose::prelude::*;
use goose::test_plan::TestPlanStepAction;
use reqwest::header::{AUTHORIZATION, HeaderValue};

#[derive(Debug, Parser)]
#[command(about = "A bare goose attack: one GET with a fixed Basic header")]
struct Args {
    /// The full URL every request goes to.
    #[arg(long)]
    url: url::Url,
    /// `user:password` for the Basic header.
    #[arg(long, default_value = "alice:alice-pw")]
    basic: String,
    /// Concurrent goose users.
    #[arg(long, default_value_t = 8)]
    users: usize,
    /// Users started per second; defaults to all of them in the first second, so
    /// the ramp is short (goose counts only what follows it).
    #[arg(long)]
    increase_rate: Option<String>,
    /// How long to run once every user has started (goose's syntax: 10s, 1m).
    #[arg(long, default_value = "10s")]
    run_time: String,
}

/// Goose transactions are plain `fn(&mut GooseUser)`: what they send has to live
/// outside them, and it is the same for every request.
static REQUEST: OnceLock<(String, HeaderValue)> = OnceLock::new();

async fn get_with_basic(user: &mut GooseUser) -> TransactionResult {
    let (path, authorization) = REQUEST.get().expect("set before the attack starts");
    let builder = user
        .get_request_builder(&GooseMethod::Get, path)?
        .header(AUTHORIZATION, authorization.clone());
    let request = GooseRequest::builder()
        .set_request_builder(builder)
        .expect_status_code(200)
        .build();
    let goose = user.request(request).await?;
    // Reading the body hands the connection back to the pool; wrk reads it too.
    if let Ok(response) = goose.response {
        let _ = response.bytes().await;
    }
    Ok(())
}

/// Seconds from the start of the steady phase (when goose resets its metrics)
/// to the end of the run, to the microsecond; `metrics.duration` is the same
/// span in whole seconds.
fn measured_seconds(metrics: &GooseMetrics) -> f64 {
    let start = metrics
        .history
        .iter()
        .find(|h| matches!(h.action, TestPlanStepAction::Maintaining))
        .map(|h| h.timestamp);
    let end = metrics.history.last().map(|h| h.timestamp);
    match (start, end) {
        (Some(start), Some(end)) if end > start => {
            (end - start).num_microseconds().unwrap_or_default() as f64 / 1e6
        }
        _ => metrics.duration as f64,
    }
}

#[tokio::main]
async fn main() -> Result<(), GooseError> {
    let args = Args::parse();
    let credentials = base64::engine::general_purpose::STANDARD.encode(&args.basic);
    let authorization = HeaderValue::from_str(&format!("Basic {credentials}"))
        .expect("base64 is a valid header value");
    let path = match args.url.query() {
        Some(query) => format!("{}?{query}", args.url.path()),
        None => args.url.path().to_owned(),
    };
    REQUEST
        .set((path, authorization))
        .expect("set once, before the attack");

    let mut config = GooseConfiguration::default();
    config.host = Some(args.url.origin().ascii_serialization());
    config.users = Some(args.users);
    config.increase_rate = Some(args.increase_rate.unwrap_or_else(|| args.users.to_string()));
    config.run_time = Some(args.run_time);
    config.no_gzip = true;
    config.no_telnet = true;
    // The WebSocket controller is off unless `websocket` is set; `no_websocket`
    // would only add a deprecation warning.
    config.no_print_metrics = true;
    config.no_error_summary = true;
    let metrics = GooseAttack::initialize_with_config(config)?
        .register_scenario(scenario!("bare").register_transaction(transaction!(get_with_basic)))
        .execute()
        .await?;

    let (requests, failures) = metrics.requests.values().fold((0, 0), |(n, f), r| {
        (n + r.raw_data.counter, f + r.fail_count)
    });
    // req/s as goose reports it (whole seconds), which is what `tollgate load`
    // summarises from the same metrics: the two rates are then alike.
    let rate = if metrics.duration > 0 {
        requests as f64 / metrics.duration as f64
    } else {
        0.0
    };
    println!("requests: {requests}  failures: {failures}  req/s: {rate:.1}");
    println!(
        "duration: {}s (measured {:.3}s)  users: {}",
        metrics.duration,
        measured_seconds(&metrics),
        metrics.maximum_users
    );
    Ok(())
}
