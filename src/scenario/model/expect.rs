//! `expect:` in the surface format: what a response must show, and the value
//! types with their own YAML spellings (statuses, matchers, counts).

use std::fmt;

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::scenario::de::Spanned;
use crate::scenario::duration::Duration;

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
    /// What the target asked tollgate's IdP or Crowd service during the step.
    #[serde(default)]
    pub idp: Option<Spanned<IdpExpect>>,
    /// What a conformant server should do (the same shape, without its own
    /// `should`): a miss is a warning, not a failure, unless the run is `--strict`.
    #[serde(default)]
    pub should: Option<Box<Spanned<Expect>>>,
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
    /// At least one of these matchers must hold: a set of answers a correct
    /// server may give, e.g. a header that is absent or `anonymous`.
    #[serde(default)]
    pub any_of: Option<Vec<Matcher>>,
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
                f.write_str("a value, or a mapping of equals, matches, contains, present, absent, exists, type, length, empty, not, any_of")
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

/// `expect.idp:` what the target asked tollgate's identity provider or Crowd
/// service while one step ran (issue 13, "evidence from the other side"). A
/// plugin that serves a revoked token from a cache makes no introspection call; a
/// Confluence that forwards the wrong client address sends the wrong factors:
/// both are caught here whatever the HTTP answer was.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct IdpExpect {
    /// RFC 7662 `POST /introspect` calls.
    #[serde(default)]
    pub introspections: Option<Spanned<OauthCalls>>,
    /// `GET /userinfo` calls (seed 002's plugin uses them as its introspection).
    #[serde(default)]
    pub userinfo: Option<Spanned<OauthCalls>>,
    /// How many times the JWKS was fetched: `1`, `">=1"`, `0`.
    #[serde(default)]
    pub jwks: Option<Spanned<CountExpect>>,
    /// Crowd `POST …/session/{token}`: SSO tokens validated.
    #[serde(default)]
    pub crowd_validations: Option<Spanned<CrowdCalls>>,
    /// Crowd `POST …/session`: SSO sessions asked for (a login).
    #[serde(default)]
    pub crowd_sessions: Option<Spanned<CrowdCalls>>,
}

/// Introspection or userinfo calls. Without `count`, at least one call is
/// expected whenever another key is given; every call must meet each key.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct OauthCalls {
    /// How many calls: `1`, `">=1"`, `0`, `"1..3"`.
    #[serde(default)]
    pub count: Option<CountExpect>,
    /// How the client authenticated (introspection): `basic`, `post`, `none`, or a list.
    #[serde(default)]
    pub client_auth: Option<ClientAuths>,
    /// The client id it authenticated as (introspection).
    #[serde(default)]
    pub client: Option<String>,
    /// The token asked about, e.g. `"${access_token}"` (compared by digest).
    #[serde(default)]
    pub token: Option<String>,
}

/// Crowd calls. Without `count`, at least one call is expected whenever another
/// key is given; every call must meet each key.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct CrowdCalls {
    #[serde(default)]
    pub count: Option<CountExpect>,
    /// The Crowd application the caller authenticated as.
    #[serde(default)]
    pub application: Option<String>,
    /// Validation factors by name (`remote_address`, `X-Forwarded-For`): a value
    /// means equals; `{ absent: true }` that the factor was not sent.
    #[serde(default)]
    pub factors: IndexMap<String, Spanned<Matcher>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClientAuthName {
    /// `client_secret_basic`.
    Basic,
    /// `client_secret_post`.
    Post,
    /// No client authentication (RFC 7662 §2.1 requires some).
    None,
}

/// `basic`, or `[basic, post]`. Hand-written: the positioned deserializer has no
/// buffering for `#[serde(untagged)]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientAuths(pub Vec<ClientAuthName>);

impl<'de> Deserialize<'de> for ClientAuths {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::{self, IntoDeserializer, SeqAccess, Visitor};

        struct AuthsVisitor;

        impl<'de> Visitor<'de> for AuthsVisitor {
            type Value = ClientAuths;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("basic, post or none, or a list of them")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<ClientAuths, E> {
                let one = ClientAuthName::deserialize(v.into_deserializer())?;
                Ok(ClientAuths(vec![one]))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ClientAuths, A::Error> {
                let mut all = Vec::new();
                while let Some(one) = seq.next_element::<ClientAuthName>()? {
                    all.push(one);
                }
                if all.is_empty() {
                    return Err(de::Error::custom("an empty list allows no call"));
                }
                Ok(ClientAuths(all))
            }
        }

        deserializer.deserialize_any(AuthsVisitor)
    }
}

impl JsonSchema for ClientAuths {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ClientAuths".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let one = generator.subschema_for::<ClientAuthName>();
        schemars::json_schema!({
            "description": "basic, post or none, or a list of them",
            "anyOf": [ one.clone(), { "type": "array", "items": one, "minItems": 1 } ]
        })
    }
}
