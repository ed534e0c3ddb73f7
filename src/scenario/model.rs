//! The typed scenario format (scenario-format.md), read by [`super::load_file`] and
//! described to editors by `tollgate schema`.
//!
//! Strings in steps may hold `${name}` references; they are resolved at send
//! time, since captures only exist once earlier steps have run.

use std::fmt;
use std::path::PathBuf;

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use super::de::Spanned;
use super::duration::Duration;
use super::mock_config::MockConfig;

/// One scenario: a named auth flow of ordered steps.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Scenario {
    /// Unique in the suite, `[A-Z0-9-]+`; the name in every report.
    pub id: Spanned<String>,
    /// One line: what a passing target does.
    pub title: String,
    /// For `--tag` selection.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Ids of facts in confluence-auth-facts.md that this scenario checks.
    #[serde(default)]
    pub refs: Vec<Spanned<String>>,
    /// `mock`: needs the emulator; skipped, with that reason, against a real target.
    #[serde(default)]
    pub only: Option<Only>,
    /// Signing keys by name, for `auth: jwt` and the emulator's issuers.
    #[serde(default)]
    pub keys: IndexMap<String, Spanned<KeySpec>>,
    /// Values for `${name}`; may use `${env:NAME}` and `${env:NAME:-default}`.
    #[serde(default)]
    pub vars: IndexMap<String, String>,
    /// The embedded emulator's configuration; ignored against a real target.
    #[serde(default)]
    pub mock: MockConfig,
    /// The ordered steps.
    #[serde(default)]
    #[schemars(required, length(min = 1))]
    pub steps: Vec<Spanned<Step>>,
    /// How `tollgate load` drives this scenario; `tollgate run` ignores it.
    #[serde(default)]
    pub load: Option<Spanned<Load>>,
    /// The file the scenario was read from.
    #[serde(skip)]
    #[schemars(skip)]
    pub file: PathBuf,
    /// The SHA-256 (lowercase hex) of the text this scenario was parsed from:
    /// the certification block names the exact bytes that judged a target.
    #[serde(skip)]
    #[schemars(skip)]
    pub source_sha256: String,
    /// Values that came from `${env:…}`: never shown in any report.
    #[serde(skip)]
    #[schemars(skip)]
    pub env_values: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Only {
    /// The scenario needs the embedded emulator (faults, seeded state).
    Mock,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Step {
    /// Shown in reports.
    pub name: String,
    /// A pause before the step, e.g. `1500ms`.
    #[serde(default)]
    pub wait: Option<Duration>,
    pub request: Request,
    /// Send the request N times, C at once, and judge the set.
    #[serde(default)]
    pub burst: Option<Spanned<Burst>>,
    /// What the response must show.
    #[serde(default)]
    pub expect: Expect,
    /// Values to take from the response for later steps: `name: { cookie: C }`.
    #[serde(default)]
    pub capture: IndexMap<String, Spanned<Capture>>,
}

#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Request {
    /// Default GET.
    #[serde(default = "default_method")]
    pub method: String,
    /// Joined to the target's base URL; may hold a query.
    #[serde(default)]
    pub path: Option<String>,
    /// An absolute URL, e.g. `${idp_url}/token`.
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub query: IndexMap<String, String>,
    #[serde(default)]
    pub headers: IndexMap<String, String>,
    #[serde(default)]
    pub cookies: IndexMap<String, String>,
    /// A raw body.
    #[serde(default)]
    pub body: Option<String>,
    /// A JSON body (sets `Content-Type: application/json`).
    #[serde(default)]
    pub json: Option<serde_json::Value>,
    /// A form body (sets `Content-Type: application/x-www-form-urlencoded`).
    #[serde(default)]
    pub form: Option<IndexMap<String, String>>,
    #[serde(default)]
    pub auth: Option<Spanned<Auth>>,
    /// Default false: a redirect is judged, not followed.
    #[serde(default)]
    pub follow_redirects: bool,
    /// Default 10s.
    #[serde(default)]
    pub timeout: Option<Duration>,
    /// Embedded mock only: the TCP peer address the mock should see, since a
    /// test on loopback cannot change its real one.
    #[serde(default)]
    pub client_ip: Option<String>,
}

fn default_method() -> String {
    "GET".to_string()
}

/// What a step sends to authenticate; exactly one form.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Auth {
    /// Nothing (anonymous).
    None,
    /// `Authorization: Basic …`, preemptively.
    Basic { user: String, password: String },
    /// `Authorization: Bearer TOKEN`.
    Bearer(String),
    /// A JWT minted at send time.
    Jwt(JwtAuth),
    /// A token from the identity provider, sent as Bearer.
    Oauth(OauthAuth),
    /// Log in at the SSO server and send its `crowd.token_key` cookie.
    CrowdSso(CrowdSsoAuth),
}

impl Auth {
    pub fn form_name(&self) -> &'static str {
        match self {
            Auth::None => "none",
            Auth::Basic { .. } => "basic",
            Auth::Bearer(_) => "bearer",
            Auth::Jwt(_) => "jwt",
            Auth::Oauth(_) => "oauth",
            Auth::CrowdSso(_) => "crowd_sso",
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Expect {
    /// `200`, `[200, 204]`, `"2xx"` or `{ not: 200 }`.
    #[serde(default)]
    pub status: Option<Spanned<StatusExpect>>,
    /// By name (case-insensitive): `"exact"` or a matcher.
    #[serde(default)]
    pub headers: IndexMap<String, Spanned<Matcher>>,
    /// Set-Cookie by name.
    #[serde(default)]
    pub cookies: IndexMap<String, Spanned<CookieExpect>>,
    /// JSONPath (RFC 9535) → matcher; a scalar means equals.
    #[serde(default)]
    pub json: IndexMap<String, Spanned<Matcher>>,
    #[serde(default)]
    pub body: Option<Spanned<Matcher>>,
    #[serde(default)]
    pub duration: Option<Spanned<DurationExpect>>,
    /// Burst only: how many responses of each status, e.g. `{ 200: 20, 429: ">=1" }`.
    #[serde(default)]
    pub statuses: IndexMap<u16, Spanned<CountExpect>>,
    /// Burst only: what every response of a status must show.
    #[serde(default)]
    pub each: IndexMap<u16, Spanned<Expect>>,
}

/// `load:` (scenario-format.md): the shape of a `tollgate load` run. Options given
/// on the command line win over these.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Load {
    /// Concurrent virtual users.
    #[serde(default)]
    pub users: Option<usize>,
    /// Users started per second (goose's `--increase-rate`), e.g. `32` or `0.5`.
    #[serde(default)]
    pub increase_rate: Option<f64>,
    /// How long the load runs once started, e.g. `20s`.
    #[serde(default)]
    pub run_time: Option<Duration>,
    /// Instead of a run time: how many times each user runs the steps, then stops.
    #[serde(default)]
    pub iterations: Option<usize>,
    /// A cap on requests per second over all users; turns on coordinated-omission
    /// mitigation, since a target rate is then known.
    #[serde(default)]
    pub throttle: Option<usize>,
    /// The steps one iteration sends, by name; default all. Steps before the first
    /// of them run once per user when it starts (a login), steps after the last once
    /// when it stops (a logout).
    #[serde(default)]
    pub steps: Vec<Spanned<String>>,
    /// Pass/fail rules in goose's syntax: `p99<50ms`, `error-rate<0.1%`, `rps>=1000`,
    /// `p95<20ms for GET step name`.
    #[serde(default)]
    pub thresholds: Vec<Spanned<String>>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DurationExpect {
    pub max: Duration,
}

/// One status pattern: `200`, or a class such as `"4xx"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusPattern {
    Exact(u16),
    Class(u16),
}

impl StatusPattern {
    pub fn matches(self, status: u16) -> bool {
        match self {
            StatusPattern::Exact(code) => code == status,
            StatusPattern::Class(class) => status / 100 == class,
        }
    }

    fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        if let Ok(code) = text.parse::<u16>() {
            return (100..=599)
                .contains(&code)
                .then_some(StatusPattern::Exact(code));
        }
        let lower = text.to_ascii_lowercase();
        let digit = lower.strip_suffix("xx")?.parse::<u16>().ok()?;
        (1..=5)
            .contains(&digit)
            .then_some(StatusPattern::Class(digit))
    }
}

impl fmt::Display for StatusPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StatusPattern::Exact(code) => write!(f, "{code}"),
            StatusPattern::Class(class) => write!(f, "{class}xx"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StatusExpect {
    AnyOf(Vec<StatusPattern>),
    Not(Vec<StatusPattern>),
}

impl StatusExpect {
    pub fn matches(&self, status: u16) -> bool {
        match self {
            StatusExpect::AnyOf(patterns) => patterns.iter().any(|p| p.matches(status)),
            StatusExpect::Not(patterns) => !patterns.iter().any(|p| p.matches(status)),
        }
    }
}

impl fmt::Display for StatusExpect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (prefix, patterns) = match self {
            StatusExpect::AnyOf(p) => ("", p),
            StatusExpect::Not(p) => ("not ", p),
        };
        let list: Vec<String> = patterns.iter().map(ToString::to_string).collect();
        write!(f, "{prefix}{}", list.join(" or "))
    }
}

impl<'de> Deserialize<'de> for StatusExpect {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StatusVisitor;

        fn pattern<E: de::Error>(text: &str) -> Result<StatusPattern, E> {
            StatusPattern::parse(text).ok_or_else(|| {
                E::custom(format_args!(
                    "'{text}' is not a status: write 200, \"2xx\", [200, 204] or {{ not: 200 }}"
                ))
            })
        }

        impl<'de> Visitor<'de> for StatusVisitor {
            type Value = StatusExpect;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a status: 200, \"2xx\", [200, 204] or { not: 200 }")
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<StatusExpect, E> {
                Ok(StatusExpect::AnyOf(vec![pattern(&v.to_string())?]))
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<StatusExpect, E> {
                Ok(StatusExpect::AnyOf(vec![pattern(&v.to_string())?]))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<StatusExpect, E> {
                Ok(StatusExpect::AnyOf(vec![pattern(v)?]))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<StatusExpect, A::Error> {
                let mut patterns = Vec::new();
                while let Some(item) = seq.next_element::<StatusExpect>()? {
                    match item {
                        StatusExpect::AnyOf(p) => patterns.extend(p),
                        StatusExpect::Not(_) => {
                            return Err(de::Error::custom("`not` cannot be inside a list"));
                        }
                    }
                }
                if patterns.is_empty() {
                    return Err(de::Error::custom(
                        "an empty list of statuses matches nothing",
                    ));
                }
                Ok(StatusExpect::AnyOf(patterns))
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<StatusExpect, A::Error> {
                let mut result = None;
                while let Some(key) = map.next_key::<String>()? {
                    if key != "not" {
                        return Err(de::Error::unknown_field(&key, &["not"]));
                    }
                    match map.next_value::<StatusExpect>()? {
                        StatusExpect::AnyOf(p) => result = Some(StatusExpect::Not(p)),
                        StatusExpect::Not(_) => {
                            return Err(de::Error::custom(
                                "`not: { not: … }` says nothing; drop both",
                            ));
                        }
                    }
                }
                result.ok_or_else(|| de::Error::missing_field("not"))
            }
        }

        deserializer.deserialize_any(StatusVisitor)
    }
}

impl JsonSchema for StatusExpect {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "StatusExpect".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let one = serde_json::json!({ "anyOf": [
            { "type": "integer", "minimum": 100, "maximum": 599 },
            { "type": "string", "pattern": "^([1-5][0-9][0-9]|[1-5][xX][xX])$" }
        ]});
        schemars::json_schema!({
            "description": "200, \"2xx\", [200, 204] or { not: 200 }",
            "anyOf": [
                one.clone(),
                { "type": "array", "items": one.clone(), "minItems": 1 },
                { "type": "object", "properties": { "not": { "anyOf": [one.clone(), { "type": "array", "items": one }] } },
                  "required": ["not"], "additionalProperties": false }
            ]
        })
    }
}

/// A check of one value. A scalar in the file means `equals`; a mapping may
/// combine several checks, all of which must hold.
#[derive(Clone, Debug, PartialEq)]
pub enum Matcher {
    Equals(serde_json::Value),
    Spec(Box<MatcherSpec>),
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MatcherSpec {
    /// Exactly this value (text for headers and bodies, any JSON for `json`).
    #[serde(default)]
    pub equals: Option<serde_json::Value>,
    /// A regular expression that must match somewhere in the value.
    #[serde(default)]
    pub matches: Option<String>,
    /// A substring (text) or an element (JSON array).
    #[serde(default)]
    pub contains: Option<serde_json::Value>,
    /// The header, cookie or JSONPath result is there.
    #[serde(default)]
    pub present: Option<bool>,
    /// The header, cookie or JSONPath result is not there.
    #[serde(default)]
    pub absent: Option<bool>,
    /// JSONPath only: the path selects something (`true`) or nothing (`false`).
    #[serde(default)]
    pub exists: Option<bool>,
    /// JSONPath only: `string`, `number`, `boolean`, `array`, `object` or `null`.
    #[serde(default, rename = "type")]
    pub json_type: Option<JsonType>,
    /// Length of a string or array.
    #[serde(default)]
    pub length: Option<usize>,
    /// Body only: the body is empty (`true`) or not (`false`).
    #[serde(default)]
    pub empty: Option<bool>,
    /// The inner matcher must fail.
    #[serde(default)]
    pub not: Option<Box<Matcher>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum JsonType {
    String,
    Number,
    Boolean,
    Array,
    Object,
    Null,
}

impl<'de> Deserialize<'de> for Matcher {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MatcherVisitor;

        impl<'de> Visitor<'de> for MatcherVisitor {
            type Value = Matcher;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a value, or a mapping of equals, matches, contains, present, absent, exists, type, length, empty, not")
            }

            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Matcher, E> {
                Ok(Matcher::Equals(v.into()))
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Matcher, E> {
                Ok(Matcher::Equals(v.into()))
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Matcher, E> {
                Ok(Matcher::Equals(v.into()))
            }

            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Matcher, E> {
                Ok(Matcher::Equals(v.into()))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Matcher, E> {
                Ok(Matcher::Equals(v.into()))
            }

            fn visit_unit<E: de::Error>(self) -> Result<Matcher, E> {
                Ok(Matcher::Equals(serde_json::Value::Null))
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Matcher, A::Error> {
                let spec = MatcherSpec::deserialize(de::value::MapAccessDeserializer::new(map))?;
                if spec == MatcherSpec::default() {
                    return Err(de::Error::custom("an empty matcher checks nothing"));
                }
                Ok(Matcher::Spec(Box::new(spec)))
            }
        }

        deserializer.deserialize_any(MatcherVisitor)
    }
}

impl JsonSchema for Matcher {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Matcher".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let spec = generator.subschema_for::<MatcherSpec>();
        schemars::json_schema!({
            "description": "A scalar means equals; a mapping combines checks.",
            "anyOf": [ { "type": ["string", "number", "boolean", "null"] }, spec ]
        })
    }
}

#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CookieExpect {
    #[serde(default)]
    pub present: Option<bool>,
    #[serde(default)]
    pub absent: Option<bool>,
    #[serde(default)]
    pub value: Option<Matcher>,
    #[serde(default)]
    pub secure: Option<bool>,
    #[serde(default)]
    pub http_only: Option<bool>,
    #[serde(default)]
    pub same_site: Option<String>,
    #[serde(default)]
    pub path: Option<String>,
}

/// Where a later step's `${name}` comes from.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Capture {
    /// A response header's value.
    Header(String),
    /// A cookie's value from `Set-Cookie`.
    Cookie(String),
    /// The first value a JSONPath selects.
    Json(String),
    /// The first group of a regular expression over the body.
    Body(String),
}

/// The algorithms a key may be for: what Connect JWT and REST-auth plugins use
/// (F-JWT-1: HS256 and RS256; ES256 for plugins verifying with a public key).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum Alg {
    RS256,
    ES256,
    HS256,
}

impl Alg {
    pub fn name(self) -> &'static str {
        match self {
            Alg::RS256 => "RS256",
            Alg::ES256 => "ES256",
            Alg::HS256 => "HS256",
        }
    }
}

impl std::str::FromStr for Alg {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text.to_ascii_uppercase().as_str() {
            "RS256" => Ok(Alg::RS256),
            "ES256" => Ok(Alg::ES256),
            "HS256" => Ok(Alg::HS256),
            _ => Err(format!("'{text}' is not one of RS256, ES256, HS256")),
        }
    }
}

impl fmt::Display for Alg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A named key of `keys:`: made at run time, or read from a file.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KeySpec {
    pub alg: Alg,
    /// Make a fresh key for this run.
    #[serde(default)]
    pub generate: bool,
    /// A PKCS#8 PEM file (RS256, ES256), relative to the working directory.
    #[serde(default)]
    pub private_key: Option<PathBuf>,
    /// The shared secret of an HS256 key.
    #[serde(default)]
    pub secret: Option<String>,
}

/// `auth: jwt` — a token minted when the step is sent.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JwtAuth {
    /// A key of `keys:`.
    pub key: String,
    /// Claims; a value `now`, `now+5m` or `now-1h` becomes a NumericDate.
    #[serde(default)]
    pub claims: IndexMap<String, serde_json::Value>,
    /// Header fields to add or override (`kid`, `typ`, …).
    #[serde(default)]
    pub header: IndexMap<String, serde_json::Value>,
    /// Add the Connect query-string hash of this very request (F-JWT-3).
    #[serde(default)]
    pub qsh: bool,
    /// `header` (default) or `query` (`?jwt=`).
    #[serde(default, rename = "in")]
    pub placement: JwtPlacement,
    /// The Authorization scheme: `Bearer` (default) or `JWT`.
    #[serde(default)]
    pub scheme: Option<String>,
    /// Turn the valid token into a canonical bad one (F-JWT-5).
    #[serde(default)]
    pub attack: Option<JwtAttack>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum JwtPlacement {
    #[default]
    Header,
    Query,
}

/// The canonical bad tokens (RFC 8725; the jwt_tool catalogue; F-JWT-5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum JwtAttack {
    /// `alg: none`, no signature.
    AlgNone,
    /// `alg: nOnE` (and other case variants), no signature.
    AlgNoneCase,
    /// The signature segment removed (`header.payload.`).
    StripSignature,
    /// A signature of zero bytes' worth of base64 (`AAAA…`).
    NullSignature,
    /// A claim changed after signing; the old signature kept.
    TamperPayload,
    /// Signed with another key of the same algorithm.
    WrongKey,
    /// HS256, with the RS256 public key's PEM as the HMAC secret (key confusion).
    Hs256WithPublicKey,
    /// Signed with an algorithm the server does not accept (HS512).
    UnsupportedAlg,
    /// `exp` an hour ago, beyond any leeway.
    Expired,
    /// `nbf` an hour ahead.
    NotYetValid,
    /// No `iat` claim.
    MissingIat,
    /// No `exp` claim.
    MissingExp,
    /// `exp` as a string.
    StringExp,
    /// A `qsh` of another request.
    WrongQsh,
    /// `qsh: context-qsh` (a Cloud convention, F-JWT-4).
    ContextQsh,
    /// An `iss` nobody configured.
    WrongIssuer,
    /// An `aud` for another service.
    WrongAudience,
    /// `kid: ../../../../../../dev/null`, HMAC-signed with an empty secret.
    KidTraversal,
    /// `kid` holding an SQL injection that selects a known secret.
    KidInjection,
    /// `jku` pointing at an attacker's JWKS, signed with the attacker's key.
    JkuUntrusted,
    /// `x5u` pointing at an attacker's certificate.
    X5uUntrusted,
    /// The attacker's public key inline in the header (`jwk`), signed with it.
    EmbeddedJwk,
    /// ES256 with r = s = 0 (CVE-2022-21449, "psychic signatures").
    EcdsaZeroSignature,
}

/// `auth: oauth` — a token from the identity provider, sent as Bearer.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OauthAuth {
    pub client: String,
    pub secret: String,
    /// `client_credentials` (default) or `password`.
    #[serde(default)]
    pub grant: Option<String>,
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub scope: Option<String>,
}

/// `burst:` — the same request `count` times, `concurrency` at once.
#[derive(Clone, Copy, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Burst {
    pub count: u32,
    pub concurrency: u32,
}

/// How many responses: `20`, `">=1"`, `"<=5"` or `"10..20"` (inclusive).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CountExpect {
    Exactly(u32),
    AtLeast(u32),
    AtMost(u32),
    Between(u32, u32),
}

impl CountExpect {
    pub fn matches(self, count: u32) -> bool {
        match self {
            CountExpect::Exactly(n) => count == n,
            CountExpect::AtLeast(n) => count >= n,
            CountExpect::AtMost(n) => count <= n,
            CountExpect::Between(low, high) => (low..=high).contains(&count),
        }
    }
}

impl fmt::Display for CountExpect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CountExpect::Exactly(n) => write!(f, "exactly {n}"),
            CountExpect::AtLeast(n) => write!(f, "at least {n}"),
            CountExpect::AtMost(n) => write!(f, "at most {n}"),
            CountExpect::Between(low, high) => write!(f, "{low} to {high}"),
        }
    }
}

impl std::str::FromStr for CountExpect {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let number = |t: &str| {
            t.trim().parse::<u32>().map_err(|_| {
                format!("'{text}' is not a count: write 20, \">=1\", \"<=5\" or \"10..20\"")
            })
        };
        if let Some(rest) = text.strip_prefix(">=") {
            Ok(CountExpect::AtLeast(number(rest)?))
        } else if let Some(rest) = text.strip_prefix("<=") {
            Ok(CountExpect::AtMost(number(rest)?))
        } else if let Some((low, high)) = text.split_once("..") {
            let (low, high) = (number(low)?, number(high)?);
            if low > high {
                return Err(format!("'{text}': the range is empty"));
            }
            Ok(CountExpect::Between(low, high))
        } else {
            Ok(CountExpect::Exactly(number(text)?))
        }
    }
}

impl<'de> Deserialize<'de> for CountExpect {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(de::Error::custom)
    }
}

impl JsonSchema for CountExpect {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "CountExpect".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "20, \">=1\", \"<=5\" or \"10..20\"",
            "anyOf": [
                { "type": "integer", "minimum": 0 },
                { "type": "string", "pattern": "^(>=|<=)?\\s*[0-9]+$|^[0-9]+\\.\\.[0-9]+$" }
            ]
        })
    }
}

/// `auth: crowd_sso` — a session at the SSO server, sent as `crowd.token_key`.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CrowdSsoAuth {
    pub user: String,
    pub password: String,
    /// The Crowd application the runner logs in as; default the embedded
    /// emulator's (`confluence`). A real Crowd needs its own.
    #[serde(default = "default_crowd_application")]
    pub application: String,
    /// That application's password; default the emulator's. Always redacted.
    #[serde(default = "default_crowd_application_password")]
    pub application_password: String,
}

fn default_crowd_application() -> String {
    crate::wire::DEFAULT_CROWD_APPLICATION.to_string()
}

fn default_crowd_application_password() -> String {
    crate::wire::DEFAULT_CROWD_APPLICATION_PASSWORD.to_string()
}
