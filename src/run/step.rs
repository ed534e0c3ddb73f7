//! One step: build the request, send it, judge the answer, take captures, and
//! record a redacted transcript.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use reqwest::header::{HeaderName, HeaderValue};
use serde_json::Value;

use super::{Clients, burst};
use crate::auth::keys::KeyRing;
use crate::auth::oauth::TokenCache;
use crate::auth::{self, AuthContext};
use crate::expect::{self, Response};
use crate::report::model::{
    Check, Failure, RequestRecord, ResponseRecord, SourceLoc, StepReport, StepResult, Transcript,
};
use crate::report::redact::Redactor;
use crate::scenario::de::Spanned;
use crate::scenario::model::{Capture, Request, Step};
use crate::scenario::vars;
use crate::wire::{self, CLIENT_IP_HEADER};

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// What is read of a body to judge it; the rest is dropped unread.
const BODY_LIMIT: usize = 1 << 20;
/// What a transcript keeps of a body.
const TRANSCRIPT_BODY: usize = 4096;

/// The variables a step can see: the scenario's vars, built-ins, and captures.
pub type Scope = HashMap<String, String>;

/// What every step of one scenario shares.
pub struct ScenarioEnv {
    pub base_url: String,
    pub idp_url: String,
    /// The base URL's path (`/confluence`), for the Connect qsh.
    pub context_path: String,
    pub keys: std::sync::Arc<KeyRing>,
    pub tokens: TokenCache,
    /// The target is the embedded mock: `wait:` moves its clock instead of
    /// sleeping, and `client_ip:` may stand for the peer address.
    pub embedded: bool,
    /// How far `wait:` has moved the mock's clock, so tokens minted here carry
    /// the time the mock sees.
    pub clock_offset: std::sync::atomic::AtomicU64,
}

impl ScenarioEnv {
    /// Seconds since the epoch as the target sees it.
    pub fn now(&self) -> u64 {
        unix_now() + self.clock_offset.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Lets `by` pass for the target: the embedded mock's clock is moved (no
    /// real time passes); a real server is waited for.
    async fn wait(&self, clients: &Clients, by: Duration) -> Result<(), String> {
        if !self.embedded {
            tokio::time::sleep(by).await;
            return Ok(());
        }
        let url = format!("{}{}", self.base_url, wire::control::CLOCK);
        let millis = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        let response = clients
            .direct
            .post(&url)
            .query(&[("advance", format!("{millis}ms"))])
            .send()
            .await
            .map_err(|e| format!("cannot move the mock's clock: {}", describe_error(&e)))?;
        if !response.status().is_success() {
            return Err(format!(
                "the mock refused to move its clock: {}",
                response.status()
            ));
        }
        // Whole seconds only: JWT times are whole seconds, and rounding down keeps
        // a token minted after a wait from looking like it comes from the future.
        self.clock_offset
            .fetch_add(by.as_secs(), std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }
}

/// Everything a step needs besides itself.
pub struct StepContext<'a> {
    pub clients: &'a Clients,
    pub env: &'a ScenarioEnv,
    pub file: &'a str,
    pub scope: &'a mut Scope,
    pub redactor: &'a mut Redactor,
}

pub async fn run_step(step: &Spanned<Step>, ctx: StepContext<'_>) -> StepReport {
    let started = Instant::now();
    let source = SourceLoc {
        file: ctx.file.to_string(),
        line: step.pos.line,
        col: step.pos.col,
    };
    let mut report = StepReport {
        burst: None,
        name: step.name.clone(),
        source,
        result: StepResult::Passed,
        duration_ms: 0,
        transcript: None,
    };
    if let Some(wait) = step.wait {
        if let Err(e) = ctx.env.wait(ctx.clients, wait.get()).await {
            return finish_error(report, e, started);
        }
    }

    let scope = &*ctx.scope;
    let lookup = |text: &str| vars::interpolate(text, |name| scope.get(name).cloned());
    let prepared = match prepare(&step.request, ctx.env, &lookup, ctx.clients).await {
        Ok(prepared) => prepared,
        Err(e) => return finish_error(report, ctx.redactor.text(&e), started),
    };
    for secret in &prepared.secrets {
        ctx.redactor.add_secret(secret.clone());
    }
    let request_record = record_request(&prepared.request, ctx.redactor);

    if let Some(burst) = &step.burst {
        let answers = match burst::send(prepared.client, prepared.request, burst.inner).await {
            Ok(answers) => answers,
            Err(e) => return finish_error(report, e, started),
        };
        let judged = burst::judge(
            &step.expect,
            answers,
            burst.inner,
            ctx.file,
            &lookup,
            ctx.redactor,
        );
        report.transcript = Some(Transcript {
            request: request_record,
            response: judged
                .first
                .as_ref()
                .map(|r| record_response(r, ctx.redactor)),
        });
        report.burst = Some(judged.summary);
        report.result = StepResult::judged(judged.failures);
        report.duration_ms = millis(started.elapsed());
        return report;
    }

    let sent = Instant::now();
    let outcome = prepared.client.execute(prepared.request).await;
    let response = match outcome {
        Ok(response) => read_response(response, sent).await,
        Err(e) => Err(describe_error(&e)),
    };
    let response = match response {
        Ok(response) => response,
        Err(e) => {
            report.transcript = Some(Transcript {
                request: request_record,
                response: None,
            });
            return finish_error(report, ctx.redactor.text(&e), started);
        }
    };

    // Captures first: a credential captured here (a session id, a code) must be
    // redacted from this very step's evidence too.
    let captured = capture(step, &response, ctx.file);
    if let Ok(values) = &captured {
        for (name, value, secret) in values {
            if *secret {
                ctx.redactor.add_secret(value.clone());
            }
            ctx.scope.insert(name.clone(), value.clone());
        }
    }
    let scope = &*ctx.scope;
    let lookup = |text: &str| vars::interpolate(text, |name| scope.get(name).cloned());
    let mut failures = expect::judge(&step.expect, &response, ctx.file, &lookup, ctx.redactor);
    if let Err(missed) = captured {
        failures.extend(missed);
    }
    report.transcript = Some(Transcript {
        request: request_record,
        response: Some(record_response(&response, ctx.redactor)),
    });
    report.result = StepResult::judged(failures);
    report.duration_ms = millis(started.elapsed());
    report
}

fn finish_error(mut report: StepReport, message: String, started: Instant) -> StepReport {
    report.result = StepResult::Errored(message);
    report.duration_ms = millis(started.elapsed());
    report
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

pub fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

pub(crate) struct Prepared<'c> {
    pub client: &'c reqwest::Client,
    pub request: reqwest::Request,
    pub secrets: Vec<String>,
}

pub(crate) async fn prepare<'c>(
    request: &Request,
    env: &ScenarioEnv,
    vars: expect::Vars<'_>,
    clients: &'c Clients,
) -> Result<Prepared<'c>, String> {
    let base_url = env.base_url.as_str();
    let url = match (&request.url, &request.path) {
        (Some(url), _) => vars(url)?,
        (None, Some(path)) => {
            let path = vars(path)?;
            let slash = if path.starts_with('/') { "" } else { "/" };
            format!("{}{slash}{path}", base_url.trim_end_matches('/'))
        }
        (None, None) => return Err("the request has neither `path` nor `url`".into()),
    };
    let mut url = url::Url::parse(&url).map_err(|e| format!("invalid URL '{url}': {e}"))?;
    if !request.query.is_empty() {
        let mut pairs = url.query_pairs_mut();
        for (name, value) in &request.query {
            pairs.append_pair(&vars(name)?, &vars(value)?);
        }
    }
    let method = reqwest::Method::from_bytes(request.method.to_ascii_uppercase().as_bytes())
        .map_err(|_| format!("'{}' is not an HTTP method", request.method))?;

    let mut secrets = Vec::new();
    let mut authorization = None;
    let mut auth_cookie = None;
    let client_ip = request.client_ip.as_deref().map(vars).transpose()?;
    if let Some(auth) = &request.auth {
        let ctx = AuthContext {
            vars,
            method: method.as_str(),
            url: &url,
            context_path: &env.context_path,
            keys: &env.keys,
            idp_url: &env.idp_url,
            http: &clients.direct,
            tokens: &env.tokens,
            now: env.now(),
            client_ip: client_ip.as_deref(),
        };
        let credential = auth::credential(auth, &ctx).await?;
        secrets.extend(credential.secrets);
        authorization = credential.authorization;
        auth_cookie = credential.cookie;
        if let Some(with_credential) = credential.url {
            url = with_credential;
        }
    }
    let client = if request.follow_redirects {
        &clients.following
    } else {
        &clients.direct
    };
    let mut builder = client
        .request(method, url)
        .timeout(request.timeout.map_or(DEFAULT_TIMEOUT, |t| t.get()));
    if let Some(value) = authorization {
        builder = builder.header(reqwest::header::AUTHORIZATION, header_value(&value)?);
    }
    for (name, value) in &request.headers {
        let name = HeaderName::from_bytes(vars(name)?.as_bytes())
            .map_err(|_| format!("'{name}' is not a header name"))?;
        builder = builder.header(name, header_value(&vars(value)?)?);
    }
    if let Some(ip) = &client_ip {
        if !env.embedded {
            return Err("client_ip stands for the peer address on the embedded mock only; a real target sees the real one (mark the scenario `only: mock`)".into());
        }
        builder = builder.header(CLIENT_IP_HEADER, header_value(ip)?);
    }
    if !request.cookies.is_empty() || auth_cookie.is_some() {
        let mut pairs: Vec<String> = auth_cookie
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect();
        for (name, value) in &request.cookies {
            let value = vars(value)?;
            // A cookie sent is a credential, whatever its name.
            secrets.push(value.clone());
            pairs.push(format!("{}={value}", vars(name)?));
        }
        builder = builder.header(reqwest::header::COOKIE, header_value(&pairs.join("; "))?);
    }
    if let Some(body) = &request.body {
        builder = builder.body(vars(body)?);
    } else if let Some(json) = &request.json {
        builder = builder.json(&vars::interpolate_json(json, vars)?);
    } else if let Some(form) = &request.form {
        let mut pairs = Vec::new();
        for (name, value) in form {
            pairs.push((vars(name)?, vars(value)?));
        }
        builder = builder.form(&pairs);
    }
    let request = builder
        .build()
        .map_err(|e| format!("cannot build the request: {}", describe_error(&e)))?;
    Ok(Prepared {
        client,
        request,
        secrets,
    })
}

fn header_value(value: &str) -> Result<HeaderValue, String> {
    HeaderValue::from_str(value)
        .map_err(|_| "a header value holds a character HTTP does not allow".to_string())
}

pub(crate) async fn read_response(
    mut response: reqwest::Response,
    sent: Instant,
) -> Result<Response, String> {
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_string(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| describe_error(&e))? {
        let room = BODY_LIMIT - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= BODY_LIMIT {
            break;
        }
    }
    Ok(Response {
        status,
        headers,
        body,
        elapsed: sent.elapsed(),
    })
}

/// A transport error in words: the cause chain, since reqwest's top-level message
/// ("error sending request") alone does not say what went wrong.
pub(super) fn describe_error(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    let mut causes = Vec::new();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !causes.contains(&text) {
            causes.push(text);
        }
        source = cause.source();
    }
    let url = error.url().map(|u| format!(" to {u}")).unwrap_or_default();
    if causes.is_empty() {
        format!("{kind}{url}")
    } else {
        format!("{kind}{url}: {}", causes.join(": "))
    }
}

fn record_request(request: &reqwest::Request, redactor: &Redactor) -> RequestRecord {
    // Every part is redacted before the record (and its curl line) is made.
    RequestRecord::new(
        request.method().to_string(),
        redactor.url(request.url().as_str()),
        request
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.to_string(),
                    redactor.header(n.as_str(), &String::from_utf8_lossy(v.as_bytes())),
                )
            })
            .collect(),
        request
            .body()
            .and_then(|b| b.as_bytes())
            .map(|bytes| redactor.text(&truncate(bytes).0)),
    )
}

fn record_response(response: &Response, redactor: &Redactor) -> ResponseRecord {
    let (body, body_truncated) = truncate(&response.body);
    ResponseRecord {
        status: response.status,
        headers: response
            .headers
            .iter()
            .map(|(n, v)| (n.clone(), redactor.header(n, v)))
            .collect(),
        body: redactor.text(&body),
        body_truncated,
        duration_ms: millis(response.elapsed),
    }
}

fn truncate(bytes: &[u8]) -> (String, bool) {
    let kept = &bytes[..bytes.len().min(TRANSCRIPT_BODY)];
    (
        String::from_utf8_lossy(kept).into_owned(),
        kept.len() < bytes.len(),
    )
}

/// The step's captures, each with whether it is a credential; or a failure per
/// capture that found nothing.
pub(crate) fn capture(
    step: &Spanned<Step>,
    response: &Response,
    file: &str,
) -> Result<Vec<(String, String, bool)>, Vec<Failure>> {
    let mut values = Vec::new();
    let mut failures = Vec::new();
    for (name, capture) in &step.capture {
        let found = match &capture.inner {
            Capture::Header(header) => response.header_values(header).next().map(str::to_string),
            Capture::Cookie(cookie) => response
                .set_cookies()
                .into_iter()
                .find(|c| c.name() == cookie)
                .map(|c| c.value().to_string()),
            Capture::Json(path) => serde_json_path::JsonPath::parse(path)
                .ok()
                .and_then(|query| {
                    let document = response.json()?;
                    query.query(&document).first().map(|v| match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    })
                }),
            Capture::Body(pattern) => regex::Regex::new(pattern).ok().and_then(|re| {
                re.captures(&response.body_text())
                    .and_then(|c| c.get(1))
                    .map(|m| m.as_str().to_string())
            }),
        };
        match found {
            Some(value) => {
                let secret = is_credential(name, &capture.inner, &value);
                values.push((name.clone(), value, secret))
            }
            None => failures.push(Failure {
                check: Check::Capture(name.clone()),
                expected: describe_capture(&capture.inner),
                actual: "nothing".into(),
                source: SourceLoc {
                    file: file.to_string(),
                    line: capture.pos.line,
                    col: capture.pos.col,
                },
            }),
        }
    }
    if failures.is_empty() {
        Ok(values)
    } else {
        Err(failures)
    }
}

fn describe_capture(capture: &Capture) -> String {
    match capture {
        Capture::Header(h) => format!("a {h} header"),
        Capture::Cookie(c) => format!("a Set-Cookie for {c}"),
        Capture::Json(p) => format!("a value at {p}"),
        Capture::Body(p) => format!("a match of /{p}/ in the body"),
    }
}

/// Cookies are credentials; so is anything whose name says token, secret,
/// password, session or code (an OAuth authorization code) and whose value is
/// long enough to be one: redacting a short value such as "404" would blank
/// unrelated evidence.
fn is_credential(name: &str, capture: &Capture, value: &str) -> bool {
    const SHORTEST_CREDENTIAL: usize = 8;
    let named = |text: &str| {
        let text = text.to_ascii_lowercase();
        [
            "token",
            "secret",
            "password",
            "session",
            "cookie",
            "authorization",
            "jwt",
            "code",
        ]
        .iter()
        .any(|word| text.contains(word))
    };
    match capture {
        Capture::Cookie(_) => true,
        Capture::Header(source) | Capture::Json(source) | Capture::Body(source) => {
            (named(source) || named(name)) && value.len() >= SHORTEST_CREDENTIAL
        }
    }
}
