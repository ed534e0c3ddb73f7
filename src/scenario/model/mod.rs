//! The typed scenario format (scenario-format.md), read by [`super::load_file`] and
//! described to editors by `tollgate schema`.
//!
//! Strings in steps may hold `${name}` references; they are resolved at send
//! time, since captures only exist once earlier steps have run.

use std::fmt;
use std::path::PathBuf;

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

mod expect;

use super::de::{Spanned, TEXT_OR_MAPPING_NAME};
use super::duration::Duration;
use super::mock_config::MockConfig;
pub use expect::{
    ClientAuthName, ClientAuths, CookieExpect, CountExpect, CrowdCalls, DurationExpect, Expect,
    IdpExpect, JsonType, Matcher, MatcherSpec, OauthCalls, StatusExpect, StatusPattern,
};

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
    /// What the target must be for the scenario to apply; outside it the scenario
    /// is skipped with the reason.
    #[serde(default)]
    pub requires: Option<Spanned<Requires>>,
    /// Signing keys by name, for `auth: jwt` and the emulator's issuers.
    #[serde(default)]
    pub keys: IndexMap<String, Spanned<KeySpec>>,
    /// Values for `${name}`; may use `${env:NAME}` and `${env:NAME:-default}`.
    /// A text, or `{ value: TEXT, secret: true }` for one never to be shown.
    #[serde(default)]
    pub vars: IndexMap<String, Var>,
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
    /// Values that came from `${env:…}`, with their variables' names.
    #[serde(skip)]
    #[schemars(skip)]
    pub env_values: Vec<super::vars::EnvValue>,
    /// `${env:NAME:-default}` references whose variable was not set.
    #[serde(skip)]
    #[schemars(skip)]
    pub env_defaults: Vec<super::vars::EnvDefault>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Only {
    /// The scenario needs the embedded emulator (faults, seeded state).
    Mock,
}

/// `requires:`: the target the scenario holds for.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Requires {
    /// The Confluence versions, as a Cargo-style range: `">=7.9"`, `">=7.9, <9"`.
    #[serde(default)]
    pub confluence: Option<Spanned<String>>,
    /// What a real target must be set up for (docs/profiles.md); on the embedded
    /// mock the scenario's `mock:` sets it up. Against a real target the scenario
    /// runs only when the run says the target has it (`--profile` or `--setup`),
    /// and, for a setup that asks tollgate's IdP, with `--idp-listen`.
    #[serde(default)]
    pub setup: Option<Setup>,
}

/// A configuration of the target (or of tollgate's IdP) a scenario needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Setup {
    /// Only tollgate's IdP in the loop; nothing on the target (the IdP's own endpoints).
    TollgateIdp,
    /// A REST-auth plugin introspecting bearer tokens at tollgate's IdP (RFC 7662).
    OauthIntrospection,
    /// A REST-auth plugin asking tollgate's IdP's userinfo endpoint (seed 002).
    OauthUserinfo,
    /// A plugin verifying JWTs with the public keys at tollgate's IdP's JWKS.
    JwtPublicKey,
    /// Confluence's Crowd SSO against tollgate's Crowd service.
    CrowdSso,
    /// Confluence Data Center's own rate limiting, with the capacity given as vars.
    RateLimit,
    /// A REST-auth plugin's per-token limit (F-PLUG-5), with the limit given as vars.
    PluginRateLimit,
    /// A REST-auth plugin's access policies (F-PLUG-1..4, 6), configured as its
    /// profile says, with groups, users and addresses given as vars.
    PluginPolicies,
}

impl Setup {
    pub const ALL: [Setup; 8] = [
        Setup::TollgateIdp,
        Setup::OauthIntrospection,
        Setup::OauthUserinfo,
        Setup::JwtPublicKey,
        Setup::CrowdSso,
        Setup::RateLimit,
        Setup::PluginRateLimit,
        Setup::PluginPolicies,
    ];

    /// As written in scenarios, profiles and `--setup`.
    pub fn name(self) -> &'static str {
        match self {
            Setup::TollgateIdp => "tollgate-idp",
            Setup::OauthIntrospection => "oauth-introspection",
            Setup::OauthUserinfo => "oauth-userinfo",
            Setup::JwtPublicKey => "jwt-public-key",
            Setup::CrowdSso => "crowd-sso",
            Setup::RateLimit => "rate-limit",
            Setup::PluginRateLimit => "plugin-rate-limit",
            Setup::PluginPolicies => "plugin-policies",
        }
    }

    /// Whether the target asks tollgate's IdP or Crowd service (`--idp-listen`).
    pub fn needs_idp(self) -> bool {
        !matches!(
            self,
            Setup::RateLimit | Setup::PluginRateLimit | Setup::PluginPolicies
        )
    }

    /// Whether the target itself must be configured for it (a run says so with
    /// `--profile` or `--setup`); `tollgate-idp` needs only the IdP.
    pub fn on_target(self) -> bool {
        !matches!(self, Setup::TollgateIdp)
    }
}

impl std::str::FromStr for Setup {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        Setup::ALL
            .into_iter()
            .find(|s| s.name() == text)
            .ok_or_else(|| {
                let names: Vec<&str> = Setup::ALL.iter().map(|s| s.name()).collect();
                format!("'{text}' is no setup; one of {}", names.join(", "))
            })
    }
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
    Basic {
        user: String,
        password: String,
        /// The scheme word as sent, default `Basic`: `basic` probes how a
        /// server reads the scheme's case (F-BASIC-4).
        #[serde(default)]
        scheme: Option<String>,
    },
    /// `Authorization: Bearer TOKEN`.
    Bearer(String),
    /// A JWT minted at send time.
    Jwt(JwtAuth),
    /// A token from the identity provider, sent as Bearer.
    Oauth(OauthAuth),
    /// Log in at the SSO server and send its `crowd.token_key` cookie.
    CrowdSso(CrowdSsoAuth),
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

/// Where a later step's `${name}` comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CaptureFrom {
    /// A response header's value.
    Header(String),
    /// A cookie's value from `Set-Cookie`.
    Cookie(String),
    /// The first value a JSONPath selects.
    Json(String),
    /// The first group of a regular expression over the body.
    Body(String),
}

/// A capture: `{ SOURCE: … }`, and `secret: true` to treat the value as a
/// credential whatever it looks like.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "CaptureFields")]
pub struct Capture {
    pub from: CaptureFrom,
    pub secret: bool,
}

/// A capture as written, before "exactly one source" is checked.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaptureFields {
    /// A response header's value.
    #[serde(default)]
    header: Option<String>,
    /// A cookie's value from `Set-Cookie`.
    #[serde(default)]
    cookie: Option<String>,
    /// The first value a JSONPath selects.
    #[serde(default)]
    json: Option<String>,
    /// The first group of a regular expression over the body.
    #[serde(default)]
    body: Option<String>,
    /// A credential, whatever its name, source or use: never shown.
    #[serde(default)]
    secret: bool,
}

impl TryFrom<CaptureFields> for Capture {
    type Error = String;

    fn try_from(fields: CaptureFields) -> Result<Self, String> {
        let sources = [
            fields.header.map(CaptureFrom::Header),
            fields.cookie.map(CaptureFrom::Cookie),
            fields.json.map(CaptureFrom::Json),
            fields.body.map(CaptureFrom::Body),
        ];
        let mut given = sources.into_iter().flatten();
        match (given.next(), given.next()) {
            (Some(from), None) => Ok(Capture {
                from,
                secret: fields.secret,
            }),
            _ => Err("a capture takes exactly one of header, cookie, json, body".into()),
        }
    }
}

impl JsonSchema for Capture {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Capture".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let source = |name: &str, description: &str| {
            schemars::json_schema!({
                "type": "object",
                "properties": {
                    name: { "type": "string", "description": description },
                    "secret": {
                        "type": "boolean",
                        "description": "A credential, whatever its name, source or use: never shown."
                    }
                },
                "required": [name],
                "additionalProperties": false
            })
        };
        schemars::json_schema!({
            "description": "Where a later step's `${name}` comes from: exactly one source.",
            "oneOf": [
                source("header", "A response header's value."),
                source("cookie", "A cookie's value from `Set-Cookie` (always a credential)."),
                source("json", "The first value a JSONPath selects."),
                source("body", "The first group of a regular expression over the body.")
            ]
        })
    }
}

/// A var: a text, or `{ value: TEXT, secret: true }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Var {
    pub value: String,
    /// Never shown: every report has `[redacted]` in its place.
    pub secret: bool,
}

/// The mapping form of a var.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct VarFields {
    /// The text; may use `${env:…}` and the vars above.
    value: String,
    /// Never shown: every report has `[redacted]` in its place.
    #[serde(default)]
    secret: bool,
}

/// A scalar is the value; a mapping is `{ value, secret }`. Hand-written because
/// the positioned deserializer has no buffering for `#[serde(untagged)]`; it
/// reads the scalar's text as written ([`TEXT_OR_MAPPING_NAME`]).
impl<'de> Deserialize<'de> for Var {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::{self, Visitor};

        struct VarVisitor;

        fn text(value: impl ToString) -> Var {
            Var {
                value: value.to_string(),
                secret: false,
            }
        }

        impl<'de> Visitor<'de> for VarVisitor {
            type Value = Var;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a text, or a mapping of value and secret")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Var, E> {
                Ok(text(v))
            }

            fn visit_unit<E: de::Error>(self) -> Result<Var, E> {
                Ok(text(""))
            }

            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Var, A::Error> {
                let fields = VarFields::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(Var {
                    value: fields.value,
                    secret: fields.secret,
                })
            }
        }

        // A scalar comes as its text, as written: `7.10` is not the number 7.1.
        deserializer.deserialize_struct(TEXT_OR_MAPPING_NAME, &["value", "secret"], VarVisitor)
    }
}

impl JsonSchema for Var {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Var".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let fields = generator.subschema_for::<VarFields>();
        schemars::json_schema!({
            "description": "A text, or `{ value: TEXT, secret: true }` for a value never shown.",
            "anyOf": [ { "type": ["string", "number", "boolean", "null"] }, fields ]
        })
    }
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
    /// A PKCS#8 PEM file (RS256, ES256), relative to this file's folder (a
    /// path that is one set environment variable's value whole: to the working
    /// directory).
    #[serde(default)]
    pub private_key: Option<Spanned<PathBuf>>,
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
    /// Under `tollgate load`: `reuse` (default) keeps a user's token until near
    /// its `exp`, as clients do; `per_request` mints one for every request.
    #[serde(default)]
    pub mint: JwtMint,
}

/// When `tollgate load` mints a user's JWT (scenario-format.md, `mint`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum JwtMint {
    /// Once per user, again when it nears its `exp`.
    #[default]
    Reuse,
    /// For every request.
    PerRequest,
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

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use indexmap::IndexMap;

    use super::Var;
    use crate::scenario::de::from_node;
    use crate::scenario::yaml::parse;

    fn vars(yaml: &str) -> (Result<IndexMap<String, Var>, String>, Vec<String>) {
        let soft = RefCell::new(Vec::new());
        let parsed = from_node(&parse(yaml).unwrap(), &soft).map_err(|e| e.message);
        let soft = soft.into_inner().into_iter().map(|e| e.message).collect();
        (parsed, soft)
    }

    #[test]
    fn a_var_is_a_text_or_a_value_declared_secret() {
        let yaml = "plain: alice\nnumber: 12345\nquoted: \"7.10\"\nunquoted: 7.10\nflag: True\nempty:\nticket: { value: \"${env:X}\", secret: true }\njoined: { value: \"${plain}\" }\nexact: { value: 7.10 }\n";
        let (parsed, soft) = vars(yaml);
        assert!(soft.is_empty(), "{soft:?}");
        let shown: Vec<(String, String, bool)> = parsed
            .unwrap()
            .into_iter()
            .map(|(name, var)| (name, var.value, var.secret))
            .collect();
        let expected = [
            ("plain", "alice", false),
            ("number", "12345", false),
            ("quoted", "7.10", false),
            // A plain scalar keeps its text: not the number 7.1, not `true`.
            ("unquoted", "7.10", false),
            ("flag", "True", false),
            ("empty", "", false),
            ("ticket", "${env:X}", true),
            ("joined", "${plain}", false),
            ("exact", "7.10", false),
        ];
        let expected: Vec<(String, String, bool)> = expected
            .iter()
            .map(|(n, v, s)| (n.to_string(), v.to_string(), *s))
            .collect();
        assert_eq!(shown, expected);
    }

    #[test]
    fn the_schema_describes_secret_vars_and_captures() {
        let schema = serde_json::to_value(schemars::schema_for!(super::Scenario)).unwrap();
        let defs = &schema["$defs"];
        assert_eq!(defs["VarFields"]["properties"]["secret"]["type"], "boolean");
        assert_eq!(defs["VarFields"]["required"], serde_json::json!(["value"]));
        let sources: Vec<&str> = defs["Capture"]["oneOf"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["required"][0].as_str().unwrap())
            .collect();
        assert_eq!(sources, ["header", "cookie", "json", "body"]);
    }

    #[test]
    fn a_var_mapping_takes_only_value_and_secret() {
        let (_, soft) = vars("v: { valeu: x, secret: true }\n");
        let hard = vars("v: { valeu: x, secret: true }\n").0.unwrap_err();
        let all = format!("{soft:?} {hard}");
        assert!(all.contains("valeu"), "{all}");
    }
}
