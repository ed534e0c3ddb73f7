//! The `mock:` block of a scenario: plain data describing the embedded emulator.
//!
//! No HTTP here: `mock/` reads these types, `scenario/` only fills them. Every
//! struct is `#[serde(default)]` and its `Default` is the documented default of
//! emulator.md, so `mock: {}` gives a locked-down instance with one user
//! (alice / alice-pw in `confluence-users`). The loader reports unknown keys itself,
//! so nothing here uses `deny_unknown_fields`, `flatten` or `untagged`.
//!
//! Adding a key: add the field, give it a default in the `Default` impl, done.
//! Adding a fault: add a variant to [`Fault`] and to [`Fault::ALL`] / [`Fault::name`].

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::scenario::duration::Duration;

/// The whole `mock:` block.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct MockConfig {
    /// Serve HTTPS (not implemented yet: the mock refuses to start with `tls: true`).
    pub tls: bool,
    /// The emulated Confluence node.
    pub confluence: ConfluenceConfig,
    /// The identity provider (a later issue fills this in; any mapping is kept as is).
    pub idp: IdpConfig,
}

/// Placeholder for the identity provider's configuration: accepts `{}` (and, until
/// the IdP exists, any mapping) so scenarios written ahead of it still load.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct IdpConfig(pub serde_json::Value);

/// The Confluence side of the mock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct ConfluenceConfig {
    /// Context path such as `/confluence`; empty means the root.
    pub context_path: String,
    /// What OAuth realms and absolute links name; `auto` = the address the mock
    /// is bound to, plus the context path.
    pub base_url: String,
    /// Whether anonymous users may read content (the global "anonymous access").
    pub anonymous_access: bool,
    /// Status of an anonymous content read when anonymous access is off:
    /// 401 (the default, F-ANON-3 body) or 404 (F-ANON-4 body); any other value
    /// reads as 401. F-ANON-4 is inferred, hence the switch.
    pub anonymous_denied_status: u16,
    /// The users Seraph knows.
    pub users: Vec<UserConfig>,
    /// The initial content.
    pub content: ContentPreset,
    /// Failed-login CAPTCHA (F-BASIC-6).
    pub captcha: CaptchaConfig,
    /// HTTP sessions (JSESSIONID).
    pub sessions: SessionsConfig,
    /// Switches that make the mock non-conforming on purpose.
    pub faults: Vec<Fault>,
}

impl Default for ConfluenceConfig {
    fn default() -> Self {
        Self {
            context_path: String::new(),
            base_url: "auto".to_owned(),
            anonymous_access: false,
            anonymous_denied_status: 401,
            users: vec![UserConfig {
                name: "alice".to_owned(),
                password: "alice-pw".to_owned(),
                ..UserConfig::default()
            }],
            content: ContentPreset::Default,
            captcha: CaptchaConfig::default(),
            sessions: SessionsConfig::default(),
            faults: Vec::new(),
        }
    }
}

/// One Confluence user. A key left out takes the default below (empty name and
/// password, group `confluence-users`, may log in).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct UserConfig {
    pub name: String,
    pub password: String,
    /// Groups; a user in no group has no content permission.
    pub groups: Vec<String>,
    /// `false`: the password is right but the user may not log in (deactivated).
    pub can_login: bool,
    /// Shown by `/rest/api/user/current`; defaults to the name.
    pub display_name: Option<String>,
}

impl Default for UserConfig {
    fn default() -> Self {
        Self {
            name: String::new(),
            password: String::new(),
            groups: vec!["confluence-users".to_owned()],
            can_login: true,
            display_name: None,
        }
    }
}

/// Which content the instance starts with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContentPreset {
    /// A space TST "Test Space" and a page 65537 "Home" with one attachment.
    #[default]
    Default,
    /// No spaces and no pages.
    Empty,
}

/// CAPTCHA after failed logins (F-BASIC-6).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct CaptchaConfig {
    pub enabled: bool,
    /// Failed logins after which Basic is refused for the user.
    pub threshold: u32,
}

impl Default for CaptchaConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            threshold: 3,
        }
    }
}

/// The JSESSIONID store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct SessionsConfig {
    /// A session unused this long is gone.
    pub idle_timeout: Duration,
    /// At most this many live sessions; the oldest is evicted first.
    pub max: usize,
}

impl Default for SessionsConfig {
    fn default() -> Self {
        Self {
            idle_timeout: Duration::from_secs(30 * 60),
            max: 10_000,
        }
    }
}

/// A switch that makes the mock break exactly one fact of
/// confluence-auth-facts.md, so the suite can prove it notices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    /// Anonymous requests get `WWW-Authenticate: Basic realm="Confluence"` (breaks F-BASIC-2).
    BasicChallenge,
    /// Anonymous REST calls that need a user get a 302 to the login page instead of
    /// a 401 (breaks F-ANON-3).
    RestLoginRedirect,
    /// Anonymous users read content and pages with anonymous access off (breaks F-ANON-4, F-ANON-1).
    AnonymousRead,
    /// Failed logins never lock Basic behind the CAPTCHA (breaks F-BASIC-6).
    NoCaptcha,
    /// `Authorization: basic …` (lower case) authenticates (breaks F-BASIC-4).
    LowercaseBasicAccepted,
    /// An unknown JSESSIONID under `/rest/` falls back to anonymous (breaks F-SESS-1).
    StaleSessionAnonymous,
}

impl Fault {
    /// Every fault, in the order of emulator.md.
    pub const ALL: &'static [Fault] = &[
        Fault::BasicChallenge,
        Fault::RestLoginRedirect,
        Fault::AnonymousRead,
        Fault::NoCaptcha,
        Fault::LowercaseBasicAccepted,
        Fault::StaleSessionAnonymous,
    ];

    /// The name scenarios write (`faults: [basic_challenge]`).
    pub fn name(&self) -> &'static str {
        match self {
            Fault::BasicChallenge => "basic_challenge",
            Fault::RestLoginRedirect => "rest_login_redirect",
            Fault::AnonymousRead => "anonymous_read",
            Fault::NoCaptcha => "no_captcha",
            Fault::LowercaseBasicAccepted => "lowercase_basic_accepted",
            Fault::StaleSessionAnonymous => "stale_session_anonymous",
        }
    }
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl MockConfig {
    /// Values configured here that are credentials (the users' passwords): the
    /// runner hands them to the redactor before anything is sent.
    pub fn secrets(&self) -> Vec<String> {
        self.confluence
            .users
            .iter()
            .map(|u| u.password.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_block_is_a_locked_down_instance_with_alice() {
        let config: MockConfig = serde_json::from_str("{}").unwrap();
        assert_eq!(config, MockConfig::default());
        let c = &config.confluence;
        assert!(!config.tls && !c.anonymous_access);
        assert_eq!(c.base_url, "auto");
        assert_eq!(c.users.len(), 1);
        assert_eq!(c.users[0].name, "alice");
        assert_eq!(c.users[0].groups, ["confluence-users"]);
        assert!(c.users[0].can_login);
        assert_eq!(
            c.captcha,
            CaptchaConfig {
                enabled: true,
                threshold: 3
            }
        );
        assert_eq!(c.sessions.idle_timeout.get().as_secs(), 1800);
        assert_eq!(c.sessions.max, 10_000);
        assert_eq!(c.anonymous_denied_status, 401);
    }

    #[test]
    fn partial_blocks_keep_the_other_defaults() {
        let json = r#"{"confluence":{"users":[{"name":"bob","password":"pw"}],
            "captcha":{"threshold":5},"sessions":{"idle_timeout":"2s"},
            "content":"empty","faults":["no_captcha"]},"idp":{}}"#;
        let config: MockConfig = serde_json::from_str(json).unwrap();
        let c = &config.confluence;
        assert_eq!(c.users[0].groups, ["confluence-users"]);
        assert_eq!(
            c.captcha,
            CaptchaConfig {
                enabled: true,
                threshold: 5
            }
        );
        assert_eq!(c.sessions.idle_timeout.get().as_secs(), 2);
        assert_eq!(c.sessions.max, 10_000);
        assert_eq!(c.content, ContentPreset::Empty);
        assert_eq!(c.faults, [Fault::NoCaptcha]);
    }

    #[test]
    fn fault_names_match_serde() {
        for fault in Fault::ALL {
            let json = serde_json::to_string(fault).unwrap();
            assert_eq!(json, format!("\"{}\"", fault.name()));
            let back: Fault = serde_json::from_str(&json).unwrap();
            assert_eq!(back, *fault);
        }
    }
}
