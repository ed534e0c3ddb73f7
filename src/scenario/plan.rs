//! The executable form of a scenario: what the loader's [`super::compile`] makes
//! of the serde surface in [`super::model`], once per scenario.
//!
//! Everything a runner would otherwise parse per request is parsed here: `${…}`
//! templates into segments, regular expressions and JSONPaths compiled (unless
//! they hold a reference, which only a running scenario can fill in), the method
//! an [`http::Method`], and the choices the surface leaves to validation (path or
//! URL; one kind of body) made into enums. `run` and `load` consume only this.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use indexmap::IndexMap;
use regex::Regex;
use serde_json_path::JsonPath;

use super::de::Spanned;
use super::mock_config::MockConfig;
use super::model::{
    Burst, CountExpect, DurationExpect, JsonType, JwtAttack, JwtMint, JwtPlacement, KeySpec, Only,
    Setup, StatusExpect,
};
use super::template::{JsonTemplate, Scope, Template, UnknownVar};
use super::threshold::Threshold;
use super::vars::EnvDefault;
use super::version::VersionRange;
use super::yaml::Pos;
use crate::wire::observed::ClientAuth;

/// One scenario, ready to run.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Unique in the suite; its position is where reports point for the scenario.
    pub id: Spanned<String>,
    pub title: String,
    pub tags: Vec<String>,
    /// Ids of the facts it checks.
    pub refs: Vec<Spanned<String>>,
    pub only: Option<Only>,
    /// `requires.confluence`: the versions the scenario holds for (all when absent).
    pub requires_confluence: Option<VersionRange>,
    /// `requires.setup`: what a real target must be set up for.
    pub requires_setup: Option<Setup>,
    pub keys: IndexMap<String, Spanned<KeySpec>>,
    /// In order: each may use the ones before it.
    pub vars: Vec<(String, Template)>,
    pub mock: MockConfig,
    pub steps: Vec<Step>,
    pub load: Option<Spanned<Load>>,
    pub file: PathBuf,
    /// Of the exact text this scenario was compiled from.
    pub source_sha256: String,
    /// Values from `${env:…}` that are secret: the variable is named like one
    /// (`*PASSWORD*`, `*SECRET*`, `*TOKEN*`, `*KEY*`), or the value is sent
    /// where a credential goes. Never shown in any report; other values from
    /// the environment (`CONF_USER`, `CONNECT_ISSUER`) are evidence.
    pub env_secrets: Vec<String>,
    /// `${env:NAME:-default}` references whose variable was not set.
    pub env_defaults: Vec<EnvDefault>,
    /// Vars whose value is never shown, whoever gives it (the file, `--var`):
    /// declared `secret: true`, or used where a credential goes
    /// ([`credential_references`]).
    pub secret_vars: Vec<String>,
}

/// A credential the scenario would send that is the default of an
/// `${env:NAME:-default}` whose variable was not set: the emulator's password,
/// which has no business reaching a real server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DefaultedCredential {
    /// The environment variable that was not set.
    pub env: String,
    /// Where the default sits: `var 'password'`, `key 'app'`, or the step whose
    /// `auth:` holds it.
    pub place: String,
}

impl Scenario {
    /// Whether the scenario asks tollgate's IdP or judges what it was asked:
    /// against a real target it then needs the IdP in the loop (`--idp-listen`).
    pub fn needs_idp(&self) -> bool {
        self.requires_setup.is_some_and(Setup::needs_idp)
            || self.steps.iter().any(|step| {
                step.expect.idp.is_some()
                    || step.expect.should.as_ref().is_some_and(|s| s.idp.is_some())
            })
    }

    /// The credentials (passwords, tokens, secrets, keys) this scenario would send
    /// that are a default of `${env:NAME:-default}` rather than a value someone
    /// gave; `forced` are the `--var` values, which win over a scenario's vars.
    /// A default is recognised when it is the whole value (the way scenarios write
    /// `password: ${env:CONF_PASSWORD:-alice-pw}`).
    pub fn defaulted_credentials(&self, forced: &[(String, String)]) -> Vec<DefaultedCredential> {
        let default_of = |value: &str| {
            self.env_defaults
                .iter()
                .find(|d| !d.value.is_empty() && d.value == value)
        };
        let mut scope = Scope::new();
        let mut defaulted_vars: Vec<(&str, &EnvDefault)> = Vec::new();
        for (name, template) in &self.vars {
            if let Some((_, value)) = forced.iter().find(|(k, _)| k == name) {
                scope.insert(name.clone(), value.clone());
                continue;
            }
            if let Ok(value) = template.render(&scope) {
                if let Some(default) = default_of(&value) {
                    defaulted_vars.push((name, default));
                }
                scope.insert(name.clone(), value);
            }
        }
        let mut found = Vec::new();
        let mut check = |template: &Template, step: &str| {
            if let Some(default) = template.as_literal().and_then(default_of) {
                found.push(DefaultedCredential {
                    env: default.name.clone(),
                    place: format!("the auth of step '{step}'"),
                });
            }
            for name in template.references() {
                if let Some((var, default)) = defaulted_vars.iter().find(|(v, _)| *v == name) {
                    found.push(DefaultedCredential {
                        env: default.name.clone(),
                        place: format!("var '{var}'"),
                    });
                }
            }
        };
        for step in &self.steps {
            for template in step
                .request
                .auth
                .as_ref()
                .map(|a| a.inner.credentials())
                .unwrap_or_default()
            {
                check(template, &step.name);
            }
        }
        for (name, key) in &self.keys {
            if let Some(default) = key.secret.as_deref().and_then(default_of) {
                found.push(DefaultedCredential {
                    env: default.name.clone(),
                    place: format!("key '{name}'"),
                });
            }
        }
        found.sort_by(|a, b| (&a.env, &a.place).cmp(&(&b.env, &b.place)));
        found.dedup();
        found
    }

    /// Credentials written literally in the scenario: known secrets before
    /// anything is sent (values from templates are added as they are resolved).
    pub fn literal_secrets(&self) -> Vec<String> {
        let mut secrets = Vec::new();
        for step in &self.steps {
            match step.request.auth.as_ref().map(|a| &a.inner) {
                Some(Auth::Basic { password, .. }) | Some(Auth::Bearer(password)) => {
                    secrets.extend(password.as_literal().map(str::to_string));
                }
                Some(Auth::CrowdSso(sso)) => {
                    secrets.extend(sso.password.as_literal().map(str::to_string));
                    secrets.extend(sso.application_password.as_literal().map(str::to_string));
                }
                Some(Auth::Oauth(oauth)) => {
                    secrets.extend(oauth.secret.as_literal().map(str::to_string));
                    let password = oauth.password.as_ref().and_then(Template::as_literal);
                    secrets.extend(password.map(str::to_string));
                }
                _ => {}
            }
        }
        secrets
    }
}

/// `load:`, its thresholds parsed (see [`super::model::Load`] for each field).
#[derive(Clone, Debug, Default)]
pub struct Load {
    pub users: Option<usize>,
    pub increase_rate: Option<f64>,
    pub run_time: Option<Duration>,
    pub iterations: Option<usize>,
    pub throttle: Option<usize>,
    /// The steps one iteration sends, by name; empty means all.
    pub steps: Vec<String>,
    pub thresholds: Vec<Threshold>,
}

#[derive(Clone, Debug)]
pub struct Step {
    pub name: String,
    pub pos: Pos,
    pub wait: Option<Duration>,
    pub request: Request,
    pub burst: Option<Spanned<Burst>>,
    pub expect: Expect,
    pub capture: Vec<Capture>,
}

/// Where a request goes.
#[derive(Clone, Debug)]
pub enum Address {
    /// Joined to the target's base URL.
    Path(Template),
    /// Absolute, e.g. `${idp_url}/token`.
    Url(Template),
}

#[derive(Clone, Debug)]
pub enum Body {
    None,
    Raw(Template),
    /// Sent with `Content-Type: application/json`.
    Json(JsonTemplate),
    /// Sent with `Content-Type: application/x-www-form-urlencoded`.
    Form(Vec<(Template, Template)>),
}

#[derive(Clone, Debug)]
pub struct Request {
    pub method: http::Method,
    pub address: Address,
    pub query: Vec<(Template, Template)>,
    pub headers: Vec<(Template, Template)>,
    pub cookies: Vec<(Template, Template)>,
    pub body: Body,
    pub auth: Option<Spanned<Auth>>,
    pub follow_redirects: bool,
    pub timeout: Duration,
    pub client_ip: Option<Template>,
}

/// What a step sends to authenticate, its texts parsed.
#[derive(Clone, Debug)]
pub enum Auth {
    None,
    Basic {
        user: Template,
        password: Template,
        /// As sent: `Basic` unless the scenario says otherwise.
        scheme: String,
    },
    Bearer(Template),
    Jwt(JwtAuth),
    Oauth(OauthAuth),
    CrowdSso(CrowdSsoAuth),
}

impl Auth {
    /// The secrets of this form (passwords, tokens, client secrets), as written.
    pub fn credentials(&self) -> Vec<&Template> {
        match self {
            Auth::None | Auth::Jwt(_) => Vec::new(),
            Auth::Basic { password, .. } => vec![password],
            Auth::Bearer(token) => vec![token],
            Auth::Oauth(oauth) => std::iter::once(&oauth.secret)
                .chain(oauth.password.as_ref())
                .collect(),
            Auth::CrowdSso(sso) => vec![&sso.password, &sso.application_password],
        }
    }

    /// The same credential every time it is sent: nothing minted or fetched.
    pub fn is_fixed(&self) -> bool {
        matches!(self, Auth::None | Auth::Basic { .. } | Auth::Bearer(_))
    }
}

#[derive(Clone, Debug)]
pub struct JwtAuth {
    pub key: Template,
    pub claims: Vec<(String, JsonTemplate)>,
    pub header: Vec<(String, JsonTemplate)>,
    pub qsh: bool,
    pub placement: JwtPlacement,
    pub scheme: Option<Template>,
    pub attack: Option<JwtAttack>,
    pub mint: JwtMint,
}

impl JwtAuth {
    /// A fresh token is needed for every request: the Connect `qsh` covers one
    /// request, a `jti` names one use, an attack is judged on the token it makes,
    /// or the scenario says `mint: per_request`. Otherwise `tollgate load` keeps a
    /// user's token until it nears its `exp`, as clients do.
    pub fn mints_per_request(&self) -> bool {
        self.qsh
            || self.attack.is_some()
            || self.mint == JwtMint::PerRequest
            || self.claims.iter().any(|(name, _)| name == "jti")
    }
}

#[derive(Clone, Debug)]
pub struct OauthAuth {
    pub client: Template,
    pub secret: Template,
    pub grant: Option<Template>,
    pub user: Option<Template>,
    pub password: Option<Template>,
    pub scope: Option<Template>,
}

#[derive(Clone, Debug)]
pub struct CrowdSsoAuth {
    pub user: Template,
    pub password: Template,
    pub application: Template,
    pub application_password: Template,
}

/// A JSONPath, compiled unless it holds a reference.
#[derive(Clone, Debug)]
pub enum Query {
    Fixed { text: String, path: JsonPath },
    Templated(Template),
}

/// Why a templated query or pattern cannot be used once filled in.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    #[error(transparent)]
    Unknown(#[from] UnknownVar),
    #[error("'{text}' is not a JSONPath: {reason}")]
    JsonPath { text: String, reason: String },
    #[error("'{text}' is not a regular expression: {reason}")]
    Regex { text: String, reason: String },
}

impl Query {
    /// The path to run: the compiled one, or the template filled in and compiled.
    pub fn resolve(&self, scope: &Scope) -> Result<std::borrow::Cow<'_, JsonPath>, ResolveError> {
        match self {
            Query::Fixed { path, .. } => Ok(std::borrow::Cow::Borrowed(path)),
            Query::Templated(template) => {
                let text = template.render(scope)?;
                JsonPath::parse(&text)
                    .map(std::borrow::Cow::Owned)
                    .map_err(|e| ResolveError::JsonPath {
                        reason: e.to_string(),
                        text,
                    })
            }
        }
    }
}

impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Query::Fixed { text, .. } => f.write_str(text),
            Query::Templated(template) => template.fmt(f),
        }
    }
}

/// A regular expression, compiled unless it holds a reference.
#[derive(Clone, Debug)]
pub enum Pattern {
    Fixed(Regex),
    Templated(Template),
}

impl Pattern {
    pub fn resolve(&self, scope: &Scope) -> Result<std::borrow::Cow<'_, Regex>, ResolveError> {
        match self {
            Pattern::Fixed(regex) => Ok(std::borrow::Cow::Borrowed(regex)),
            Pattern::Templated(template) => {
                let text = template.render(scope)?;
                Regex::new(&text)
                    .map(std::borrow::Cow::Owned)
                    .map_err(|e| ResolveError::Regex {
                        reason: e.to_string(),
                        text,
                    })
            }
        }
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pattern::Fixed(regex) => f.write_str(regex.as_str()),
            Pattern::Templated(template) => template.fmt(f),
        }
    }
}

/// Where a later step's `${name}` comes from.
#[derive(Clone, Debug)]
pub enum CaptureSource {
    Header(String),
    Cookie(String),
    /// The first value the path selects.
    Json(Query),
    /// The first group of the pattern over the body.
    Body(Pattern),
}

impl fmt::Display for CaptureSource {
    /// What the capture looks for, in the words a failure shows.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CaptureSource::Header(h) => write!(f, "a {h} header"),
            CaptureSource::Cookie(c) => write!(f, "a Set-Cookie for {c}"),
            CaptureSource::Json(p) => write!(f, "a value at {p}"),
            CaptureSource::Body(p) => write!(f, "a match of /{p}/ in the body"),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Capture {
    pub name: String,
    pub pos: Pos,
    pub source: CaptureSource,
    /// A credential whatever it looks like: declared `secret: true`, or used by
    /// some step where a credential goes ([`credential_references`]).
    pub secret: bool,
}

/// Header, query, form and JSON field names that carry a credential: what a
/// `${name}` sent under them is, whatever the name says.
const CREDENTIAL_WORDS: &[&str] = &[
    "authorization",
    "cookie",
    "token",
    "secret",
    "password",
    "passwd",
    "session",
    "api-key",
    "apikey",
    "api_key",
    "jwt",
];

fn names_a_credential(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    CREDENTIAL_WORDS.iter().any(|word| name.contains(word))
}

/// The `${name}`s `steps` send where a credential goes: in an `auth:` form's
/// password, token or secret; in an `Authorization`, `Cookie` or other header
/// named like a credential; as a cookie; in a query, form or JSON field named like
/// one (`jwt`, `access_token`, `os_password`). Such a value is secret whatever
/// its own name says: a capture called `ticket` sent as `Bearer ${ticket}` is a
/// token (issue 12).
pub fn credential_references(steps: &[Step]) -> std::collections::BTreeSet<String> {
    let mut names = std::collections::BTreeSet::new();
    visit_credentials(steps, &mut |sent| {
        if let Sent::Template(template) = sent {
            names.extend(template.references().map(str::to_string));
        }
    });
    names
}

/// The literal values `steps` send where a credential goes (the places of
/// [`credential_references`]), each whole and, when it is `SCHEME value` (an
/// `Authorization` header as written), its value alone: a value from the
/// environment is a credential when it is one of these.
pub fn credential_literals(steps: &[Step]) -> Vec<String> {
    let mut literals = Vec::new();
    let mut add = |text: &str| {
        literals.push(text.to_string());
        if let Some((_, value)) = text.trim().split_once(char::is_whitespace) {
            literals.push(value.trim().to_string());
        }
    };
    visit_credentials(steps, &mut |sent| match sent {
        Sent::Template(template) => {
            if let Some(text) = template.as_literal() {
                add(text);
            }
        }
        Sent::Fixed(value) => json_strings(value, &mut add),
    });
    literals
}

/// A value sent where a credential goes.
enum Sent<'a> {
    Template(&'a Template),
    /// A JSON value with no reference in it, under a key named like a credential.
    Fixed(&'a serde_json::Value),
}

fn json_strings(value: &serde_json::Value, add: &mut dyn FnMut(&str)) {
    match value {
        serde_json::Value::String(text) => add(text),
        serde_json::Value::Array(items) => items.iter().for_each(|v| json_strings(v, add)),
        serde_json::Value::Object(fields) => fields.values().for_each(|v| json_strings(v, add)),
        _ => {}
    }
}

/// Calls `visit` with every value `steps` send where a credential goes.
fn visit_credentials(steps: &[Step], visit: &mut dyn FnMut(Sent<'_>)) {
    for step in steps {
        let request = &step.request;
        if let Some(auth) = &request.auth {
            for template in auth.inner.credentials() {
                visit(Sent::Template(template));
            }
        }
        for (_, value) in &request.cookies {
            visit(Sent::Template(value));
        }
        let named_pairs = request
            .headers
            .iter()
            .chain(&request.query)
            .chain(match &request.body {
                Body::Form(form) => form.as_slice(),
                _ => &[],
            });
        for (name, value) in named_pairs {
            if name.as_literal().is_none_or(names_a_credential) {
                visit(Sent::Template(value));
            }
        }
        if let Body::Json(json) = &request.body {
            json_credentials(json, false, visit);
        }
        let address = match &request.address {
            Address::Path(template) | Address::Url(template) => template,
        };
        for (field, value) in query_in_address(address) {
            if names_a_credential(&field) {
                visit(Sent::Template(&value));
            }
        }
    }
}

/// The values under JSON keys named like a credential.
fn json_credentials(json: &JsonTemplate, under_credential: bool, visit: &mut dyn FnMut(Sent<'_>)) {
    match json {
        JsonTemplate::Fixed(value) => json_fixed_credentials(value, under_credential, visit),
        JsonTemplate::String(template) => {
            if under_credential {
                visit(Sent::Template(template));
            }
        }
        JsonTemplate::Array(items) => items
            .iter()
            .for_each(|item| json_credentials(item, under_credential, visit)),
        JsonTemplate::Object(fields) => {
            for (key, value) in fields {
                json_credentials(value, under_credential || names_a_credential(key), visit);
            }
        }
    }
}

/// [`json_credentials`] inside a value that holds no reference.
fn json_fixed_credentials(
    value: &serde_json::Value,
    under_credential: bool,
    visit: &mut dyn FnMut(Sent<'_>),
) {
    match value {
        serde_json::Value::Object(fields) => {
            for (key, value) in fields {
                json_fixed_credentials(value, under_credential || names_a_credential(key), visit);
            }
        }
        serde_json::Value::Array(items) => items
            .iter()
            .for_each(|item| json_fixed_credentials(item, under_credential, visit)),
        other if under_credential => visit(Sent::Fixed(other)),
        _ => {}
    }
}

/// `(field, value)` for each `field=value` in the query part of a path or URL
/// as written (`/plugins/servlet/x?jwt=${token}`), the value a template.
fn query_in_address(address: &Template) -> Vec<(String, Template)> {
    let written = address.to_string();
    let Some((_, query)) = written.split_once('?') else {
        return Vec::new();
    };
    query
        .split(['&', ';'])
        .filter_map(|pair| pair.split_once('='))
        .filter_map(|(field, value)| Some((field.to_string(), Template::parse(value).ok()?)))
        .collect()
}

/// What a response must show.
#[derive(Clone, Debug, Default)]
pub struct Expect {
    pub status: Option<Spanned<StatusExpect>>,
    /// By name, compared case-insensitively.
    pub headers: Vec<(String, Spanned<Matcher>)>,
    /// Set-Cookie by name.
    pub cookies: Vec<(String, Spanned<CookieExpect>)>,
    pub json: Vec<(Query, Spanned<Matcher>)>,
    pub body: Option<Spanned<Matcher>>,
    pub duration: Option<Spanned<DurationExpect>>,
    /// Burst only: how many responses of each status.
    pub statuses: Vec<(u16, Spanned<CountExpect>)>,
    /// Burst only: what every response of a status must show.
    pub each: Vec<(u16, Spanned<Expect>)>,
    /// What the target asked tollgate's IdP during the step.
    pub idp: Option<Spanned<IdpExpect>>,
    /// Should-level checks: their misses are warnings.
    pub should: Option<Box<Expect>>,
}

/// `expect.idp`, compiled.
#[derive(Clone, Debug, Default)]
pub struct IdpExpect {
    pub introspections: Option<Spanned<OauthCalls>>,
    pub userinfo: Option<Spanned<OauthCalls>>,
    pub jwks: Option<Spanned<CountExpect>>,
    pub crowd_validations: Option<Spanned<CrowdCalls>>,
    pub crowd_sessions: Option<Spanned<CrowdCalls>>,
}

/// Introspection or userinfo calls: how many, and what each must show.
#[derive(Clone, Debug, Default)]
pub struct OauthCalls {
    /// `None` with another key given means at least one.
    pub count: Option<CountExpect>,
    /// Empty: any.
    pub client_auth: Vec<ClientAuth>,
    pub client: Option<Template>,
    pub token: Option<Template>,
}

/// Crowd calls: how many, and what each must show.
#[derive(Clone, Debug, Default)]
pub struct CrowdCalls {
    pub count: Option<CountExpect>,
    pub application: Option<Template>,
    pub factors: Vec<(String, Spanned<Matcher>)>,
}

/// A check of one value: a scalar means equals; a spec combines checks.
#[derive(Clone, Debug)]
pub enum Matcher {
    Equals(JsonTemplate),
    Spec(Box<MatcherSpec>),
}

#[derive(Clone, Debug, Default)]
pub struct MatcherSpec {
    pub equals: Option<JsonTemplate>,
    pub matches: Option<Pattern>,
    pub contains: Option<JsonTemplate>,
    pub present: Option<bool>,
    pub absent: Option<bool>,
    pub exists: Option<bool>,
    pub json_type: Option<JsonType>,
    pub length: Option<usize>,
    pub empty: Option<bool>,
    pub not: Option<Box<Matcher>>,
    pub any_of: Option<Vec<Matcher>>,
}

#[derive(Clone, Debug, Default)]
pub struct CookieExpect {
    pub present: Option<bool>,
    pub absent: Option<bool>,
    pub value: Option<Matcher>,
    pub secure: Option<bool>,
    pub http_only: Option<bool>,
    pub same_site: Option<String>,
    pub path: Option<String>,
}
