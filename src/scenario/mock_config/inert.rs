//! Settings of the `mock:` block that do nothing as written, because the
//! switch they depend on is off: `crowd.trusted_proxies` without
//! `crowd.enabled: true` configures a Crowd client Confluence never asks. Such
//! a scenario passes `check` and tests nothing it seems to, so the loader
//! refuses it at the setting's `file:line:col`, as it refuses an unknown key.
//! Deleting the setting gives the very same emulator, so refusing it costs no
//! scenario anything it could say.
//!
//! A setting an administrator can still switch on at run time is not inert:
//! `basic_auth_block.allowed_paths` with `block_requests: false` is the
//! starting state of `/rest/basicauth/1.0/config`, which a step may change. Nor
//! is one another part of the emulator reads: `crowd.require_consistent_ip` is
//! the Crowd server's setting, which the IdP's Crowd service applies whether or
//! not Confluence asks it.

use super::MockConfig;
use crate::scenario::diagnostic::Problem;
use crate::scenario::yaml::Node;

/// Settings under one mapping that depend on one switch.
struct Rule {
    /// The mapping, below `mock:`.
    section: &'static [&'static str],
    /// Its keys that do nothing while the switch is off.
    keys: &'static [&'static str],
    /// Whether the switch is on, in the configuration as read.
    on: fn(&MockConfig) -> bool,
    /// The switch, as a message names it.
    switch: &'static str,
    /// Why the keys do nothing without it.
    because: &'static str,
}

const RULES: &[Rule] = &[
    Rule {
        section: &["confluence", "crowd"],
        keys: &[
            "trusted_proxies",
            "secure_cookie",
            "cookie_domain",
            "server_url",
            "application",
            "application_password",
        ],
        on: |c| c.confluence.crowd.enabled,
        switch: "`crowd.enabled: true`",
        because: "without it Confluence ignores crowd.token_key and never asks a Crowd server",
    },
    Rule {
        section: &["confluence", "captcha"],
        keys: &["threshold"],
        on: |c| c.confluence.captcha.enabled,
        switch: "`captcha.enabled: true`",
        because: "without it failed logins never lead to a CAPTCHA",
    },
    Rule {
        section: &["confluence", "pats"],
        keys: &[
            "max_per_user",
            "max_expiry_days",
            "max_name_length",
            "tokens",
        ],
        on: |c| c.confluence.pats.enabled,
        switch: "`pats.enabled: true`",
        because: "with `enabled: false` no token is made, listed or accepted",
    },
    Rule {
        section: &["confluence", "native_oauth"],
        keys: &["clients", "access_token_ttl"],
        on: |c| c.confluence.native_oauth.enabled,
        switch: "`native_oauth.enabled: true`",
        because: "with `enabled: false` Confluence's OAuth 2 provider issues and accepts nothing",
    },
    Rule {
        section: &["confluence", "connect_jwt"],
        keys: &["leeway", "impersonation"],
        on: |c| !c.confluence.connect_jwt.issuers.is_empty(),
        switch: "a `connect_jwt.issuers` entry",
        because: "without an issuer Confluence verifies no Connect JWT",
    },
    Rule {
        section: &["confluence", "plugin", "bearer"],
        keys: &["client_id", "client_secret", "client_auth"],
        on: |c| plugin_bearer(c).is_some_and(|b| b.introspection),
        switch: "`bearer.introspection: true`",
        because: "only introspection authenticates the plugin as a client; userinfo sends the token alone and JWTs are checked locally",
    },
    Rule {
        section: &["confluence", "plugin", "bearer"],
        keys: &["idp_url"],
        on: |c| {
            plugin_bearer(c).is_some_and(|b| {
                b.introspection
                    || b.userinfo
                    // `idp`: the IdP's JWKS, fetched from `idp_url`.
                    || b.jwt.as_ref().is_some_and(|jwt| jwt.keys.iter().any(|k| k == "idp"))
            })
        },
        switch: "`bearer.introspection`, `bearer.userinfo` or `bearer.jwt.keys: [idp]`",
        because: "the plugin calls its IdP only to introspect, for userinfo or for the IdP's JWKS",
    },
    Rule {
        section: &["confluence", "plugin"],
        keys: &["username_attribute"],
        on: |c| plugin_bearer(c).is_some_and(|b| b.introspection || b.userinfo),
        switch: "`bearer.introspection: true` or `bearer.userinfo: true`",
        because: "only the IdP's introspection or userinfo answer carries that attribute (a JWT's user is `bearer.jwt.username_claim`)",
    },
];

/// The rule only a scenario obeys: `tollgate mock --tls` may switch TLS on for
/// a mock file, never for a scenario's embedded mock.
const TLS_RULE: Rule = Rule {
    section: &["server"],
    keys: &["tls_handshake_timeout"],
    on: |c| c.tls,
    switch: "`mock.tls: true`",
    because: "without TLS there is no handshake to time",
};

fn plugin_bearer(config: &MockConfig) -> Option<&super::PluginBearer> {
    config.confluence.plugin.as_ref().map(|p| &p.bearer)
}

/// Every setting under `mock` (the `mock:` block as written) that does nothing
/// in `config` (the same block as read). `tls_by_flag`: a mock file, whose TLS
/// `tollgate mock --tls` may switch on.
pub fn check(config: &MockConfig, mock: &Node, tls_by_flag: bool) -> Vec<Problem> {
    let tls_rule = (!tls_by_flag).then_some(&TLS_RULE);
    let mut problems = Vec::new();
    for rule in RULES.iter().chain(tls_rule) {
        if (rule.on)(config) {
            continue;
        }
        let Some(section) = rule
            .section
            .iter()
            .try_fold(mock, |node, key| node.get(key))
        else {
            continue;
        };
        let written = match &section.kind {
            crate::scenario::yaml::NodeKind::Map(entries) => entries,
            _ => continue,
        };
        for (key, _) in written {
            let Some(name) = key.as_str().filter(|name| rule.keys.contains(name)) else {
                continue;
            };
            let owner = rule.section.last().copied().unwrap_or_default();
            problems.push((
                key.pos,
                format!(
                    "`{owner}.{name}` does nothing unless {}: {}",
                    rule.switch, rule.because
                ),
                Some(format!(
                    "switch it on with {}, or remove `{name}`",
                    rule.switch
                )),
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    fn problems(mock: &str) -> Vec<String> {
        let text = format!(
            "id: T\ntitle: t\nmock:\n{mock}steps:\n  - name: s\n    request: {{ path: / }}\n"
        );
        match crate::scenario::load_str(&text, Path::new("m.yaml"), &|_| None) {
            Ok(_) => Vec::new(),
            Err(found) => found
                .iter()
                .map(|d| format!("{}: {}", d.location(), d.message))
                .collect(),
        }
    }

    #[test]
    fn settings_whose_switch_is_off_are_refused_at_their_key() {
        let cases = [
            (
                "  confluence:\n    crowd: { cookie_domain: example.com }\n",
                "m.yaml:5:14: `crowd.cookie_domain` does nothing unless `crowd.enabled: true`",
            ),
            (
                "  confluence:\n    captcha: { enabled: false, threshold: 5 }\n",
                "m.yaml:5:32: `captcha.threshold` does nothing unless `captcha.enabled: true`",
            ),
            (
                "  confluence:\n    pats:\n      enabled: false\n      tokens: []\n",
                "m.yaml:7:7: `pats.tokens` does nothing unless `pats.enabled: true`",
            ),
            (
                "  confluence:\n    native_oauth: { enabled: false, access_token_ttl: 1h }\n",
                "`native_oauth.access_token_ttl` does nothing unless `native_oauth.enabled: true`",
            ),
            (
                "  confluence:\n    connect_jwt: { leeway: 5s }\n",
                "`connect_jwt.leeway` does nothing unless a `connect_jwt.issuers` entry",
            ),
            (
                "  confluence:\n    plugin: { bearer: { userinfo: true, client_id: c } }\n",
                "`bearer.client_id` does nothing unless `bearer.introspection: true`",
            ),
            (
                "  confluence:\n    plugin: { username_attribute: sub, bearer: { jwt: { keys: [idp] } } }\n",
                "`plugin.username_attribute` does nothing unless",
            ),
            (
                "  confluence:\n    plugin: { bearer: { idp_url: \"http://127.0.0.1:9\" } }\n",
                "`bearer.idp_url` does nothing unless",
            ),
            (
                "  server: { tls_handshake_timeout: 2s }\n",
                "`server.tls_handshake_timeout` does nothing unless `mock.tls: true`",
            ),
        ];
        for (mock, expected) in cases {
            let found = problems(mock);
            assert!(
                found.iter().any(|p| p.contains(expected)),
                "{mock}: {found:?}"
            );
        }
    }

    #[test]
    fn settings_whose_switch_is_on_or_that_act_alone_are_accepted() {
        for mock in [
            "  confluence:\n    crowd: { enabled: true, cookie_domain: example.com }\n",
            // The Crowd server's own setting: the IdP's Crowd service applies it.
            "  confluence:\n    crowd: { require_consistent_ip: false }\n",
            "  confluence:\n    captcha: { threshold: 5 }\n",
            "  confluence:\n    pats: { tokens: [] }\n",
            "  confluence:\n    connect_jwt: { leeway: 5s, issuers: [{ iss: a, shared_secret: s3cret-hs256 }] }\n",
            "  confluence:\n    plugin: { username_attribute: sub, bearer: { introspection: true, client_id: c } }\n",
            "  confluence:\n    plugin: { bearer: { idp_url: \"http://127.0.0.1:9\", jwt: { keys: [idp] } } }\n",
            // An administrator may switch the block on at run time.
            "  confluence:\n    basic_auth_block: { allowed_paths: [\"/x\"] }\n",
            "  tls: true\n  server: { tls_handshake_timeout: 2s }\n",
        ] {
            assert_eq!(problems(mock), Vec::<String>::new(), "{mock}");
        }
    }
}
