//! `mock.confluence.faults`: the switches that break one fact each.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A switch that makes the mock misbehave on purpose. A suite fault
/// ([`Fault::SUITE`]) breaks exactly one fact of confluence-auth-facts.md, so the
/// conformance suite can prove it notices; a load-only fault ([`Fault::LOAD_ONLY`])
/// breaks none and exists so a load threshold can prove it notices.
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
    /// An expired PAT still authenticates (breaks F-PAT-2).
    ExpiredPatAccepted,
    /// A revoked PAT still authenticates (breaks F-PAT-2).
    RevokedPatAccepted,
    /// `/rest/token-auth/api/` serves every path, whitelist or not (breaks F-TOKAUTH-2/3).
    TokenAuthOpen,
    /// Whitelist patterns match case-sensitively (breaks F-TOKAUTH-3).
    TokenAuthCaseSensitive,
    /// A Connect JWT with `alg: none` (any case) is accepted unsigned (breaks F-JWT-1).
    JwtAlgNone,
    /// An HS256 token signed with an RS256 issuer's public key verifies (breaks F-JWT-1).
    JwtKeyConfusion,
    /// Connect JWT signatures are not checked at all (breaks F-JWT-1).
    JwtSignatureUnchecked,
    /// `exp` and `nbf` are not checked (breaks F-JWT-2).
    JwtExpiryIgnored,
    /// The query-string hash is not checked (breaks F-JWT-3).
    JwtQshIgnored,
    /// A token from an unknown `iss` acts as a configured issuer (breaks F-JWT-2).
    JwtUnknownIssuer,
    /// The plugin's JWT validation ignores `aud` (breaks F-JWT-5, F-PLUG-7).
    JwtAudienceIgnored,
    /// The plugin fetches the IdP's JWKS once and never again, so a token under
    /// a rotated key is refused forever (breaks F-PLUG-7).
    JwksNeverRefetched,
    /// A `kid` naming a file path selects the key (an empty one for /dev/null) (breaks F-JWT-5).
    JwtKidTraversal,
    /// A Connect JWT's `sub` names the user though impersonation is not allowed (breaks F-JWT-2).
    ConnectImpersonationOpen,
    /// A user may create PATs beyond the per-user limit (breaks F-PAT-4).
    PatLimitUnenforced,
    /// The plugin lets in a token the IdP calls inactive (breaks F-OAUTH-3/4).
    IntrospectionInactiveAccepted,
    /// The plugin lets a bearer token in when the IdP cannot be reached (breaks F-OAUTH-3).
    IntrospectionFailOpen,
    /// The plugin caches introspection results, so a revoked token keeps working (breaks F-OAUTH-4).
    RevokedTokenCached,
    /// Rate limiting never refuses (breaks F-RATE-1/3).
    RateLimitOff,
    /// The limiter checks, then decrements later, so a concurrent burst overshoots (breaks F-RATE-1).
    RateLimitRace,
    /// Counted responses carry no X-RateLimit-* headers (breaks F-RATE-2).
    RateHeadersMissing,
    /// Exempt requests (UI, anonymous, exempt URLs) are counted too (breaks F-RATE-2/4).
    RateCountsExempt,
    /// An SSO token works from any address despite require_consistent_ip (breaks F-CROWD-2).
    CrowdIpUnbound,
    /// Confluence's Crowd client validates SSO tokens without validation
    /// factors: the client address never reaches Crowd (breaks F-CROWD-2).
    CrowdFactorsMissing,
    /// X-Forwarded-For from an untrusted peer is believed (breaks F-CROWD-3).
    CrowdTrustAnyXff,
    /// The SSO cookie lacks Secure/HttpOnly when configured (breaks F-CROWD-1).
    CrowdCookieInsecure,
    /// Form POSTs pass without X-Atlassian-Token or atl_token; the browser
    /// Origin check stays (breaks F-XSRF-2).
    XsrfOff,
    /// Read-only groups may write (breaks F-PLUG-1).
    ReadOnlyWrites,
    /// Users outside the allowed groups reach the API (breaks F-PLUG-1).
    GroupsIgnored,
    /// The IP allowlist is not applied (breaks F-PLUG-2).
    IpAllowIgnored,
    /// The client-IP header is believed from any peer (breaks F-PLUG-2).
    IpHeaderUntrusted,
    /// Basic still works with disable_basic on (breaks F-PLUG-3).
    DisableBasicIgnored,
    /// Restricted public paths stay anonymous (breaks F-PLUG-4).
    RestrictPublicIgnored,
    /// The plugin's per-token limit never refuses (breaks F-PLUG-5).
    PluginRateLimitOff,
    /// REST calls are not written to the audit log (breaks F-PLUG-6).
    AuditMissing,
    /// Data Center's Basic-auth block matches `Basic ` case-sensitively, so
    /// `basic …` slips through (breaks F-BASIC-10).
    BasicBlockCaseSensitive,
    /// A Basic request the block lets through on an allowed path or for an
    /// allowed user keeps its session (breaks F-BASIC-10).
    BasicBlockSessionKept,
    /// A user without the global "Can use" permission is served by `/rest/api/`
    /// (breaks F-BASIC-11).
    UnlicensedUserServed,
    /// Every request that carries credentials waits a fixed delay (the mock's
    /// `SLOW_AUTH_DELAY`, 50 ms) before it is authenticated, then gets the clean
    /// answer (breaks no fact: load-only, for load thresholds).
    SlowAuth,
}

impl Fault {
    /// The faults that break a fact, in the order of emulator.md: the conformance
    /// suite must catch each (`tollgate selftest`, `tests/fault_matrix.rs`).
    pub const SUITE: &'static [Fault] = &[
        Fault::BasicChallenge,
        Fault::RestLoginRedirect,
        Fault::AnonymousRead,
        Fault::NoCaptcha,
        Fault::LowercaseBasicAccepted,
        Fault::StaleSessionAnonymous,
        Fault::ExpiredPatAccepted,
        Fault::RevokedPatAccepted,
        Fault::TokenAuthOpen,
        Fault::TokenAuthCaseSensitive,
        Fault::IntrospectionInactiveAccepted,
        Fault::IntrospectionFailOpen,
        Fault::RevokedTokenCached,
        Fault::JwtAlgNone,
        Fault::JwtKeyConfusion,
        Fault::JwtSignatureUnchecked,
        Fault::JwtExpiryIgnored,
        Fault::JwtQshIgnored,
        Fault::JwtUnknownIssuer,
        Fault::JwtAudienceIgnored,
        Fault::JwksNeverRefetched,
        Fault::JwtKidTraversal,
        Fault::ConnectImpersonationOpen,
        Fault::PatLimitUnenforced,
        Fault::CrowdIpUnbound,
        Fault::CrowdFactorsMissing,
        Fault::CrowdTrustAnyXff,
        Fault::CrowdCookieInsecure,
        Fault::RateLimitOff,
        Fault::RateLimitRace,
        Fault::RateHeadersMissing,
        Fault::RateCountsExempt,
        Fault::PluginRateLimitOff,
        Fault::XsrfOff,
        Fault::ReadOnlyWrites,
        Fault::GroupsIgnored,
        Fault::IpAllowIgnored,
        Fault::IpHeaderUntrusted,
        Fault::DisableBasicIgnored,
        Fault::RestrictPublicIgnored,
        Fault::AuditMissing,
        Fault::BasicBlockCaseSensitive,
        Fault::BasicBlockSessionKept,
        Fault::UnlicensedUserServed,
    ];

    /// The faults that break no fact, so no conformance scenario can catch them:
    /// only a load threshold judges them (`tests/load.rs`), and selftest leaves
    /// them out of the fault matrix.
    pub const LOAD_ONLY: &'static [Fault] = &[Fault::SlowAuth];

    /// Every fault the mock honours: [`Fault::SUITE`], then [`Fault::LOAD_ONLY`].
    /// A fault is listed once the mock honours it, so a fault that does nothing is
    /// refused as unknown rather than silently accepted.
    pub const ALL: &'static [Fault] =
        &concat::<{ Fault::SUITE.len() + Fault::LOAD_ONLY.len() }>(Fault::SUITE, Fault::LOAD_ONLY);

    /// Whether only load thresholds judge this fault (it is in [`Fault::LOAD_ONLY`]).
    pub fn is_load_only(self) -> bool {
        Fault::LOAD_ONLY.contains(&self)
    }

    /// The name scenarios write (`faults: [basic_challenge]`).
    pub fn name(&self) -> &'static str {
        match self {
            Fault::BasicChallenge => "basic_challenge",
            Fault::RestLoginRedirect => "rest_login_redirect",
            Fault::AnonymousRead => "anonymous_read",
            Fault::NoCaptcha => "no_captcha",
            Fault::LowercaseBasicAccepted => "lowercase_basic_accepted",
            Fault::StaleSessionAnonymous => "stale_session_anonymous",
            Fault::ExpiredPatAccepted => "expired_pat_accepted",
            Fault::RevokedPatAccepted => "revoked_pat_accepted",
            Fault::TokenAuthOpen => "token_auth_open",
            Fault::TokenAuthCaseSensitive => "token_auth_case_sensitive",
            Fault::JwtAlgNone => "jwt_alg_none",
            Fault::JwtKeyConfusion => "jwt_key_confusion",
            Fault::JwtSignatureUnchecked => "jwt_signature_unchecked",
            Fault::JwtExpiryIgnored => "jwt_expiry_ignored",
            Fault::JwtQshIgnored => "jwt_qsh_ignored",
            Fault::JwtUnknownIssuer => "jwt_unknown_issuer",
            Fault::JwtAudienceIgnored => "jwt_audience_ignored",
            Fault::JwksNeverRefetched => "jwks_never_refetched",
            Fault::JwtKidTraversal => "jwt_kid_traversal",
            Fault::ConnectImpersonationOpen => "connect_impersonation_open",
            Fault::PatLimitUnenforced => "pat_limit_unenforced",
            Fault::IntrospectionInactiveAccepted => "introspection_inactive_accepted",
            Fault::IntrospectionFailOpen => "introspection_fail_open",
            Fault::RevokedTokenCached => "revoked_token_cached",
            Fault::RateLimitOff => "rate_limit_off",
            Fault::RateLimitRace => "rate_limit_race",
            Fault::RateHeadersMissing => "rate_headers_missing",
            Fault::RateCountsExempt => "rate_counts_exempt",
            Fault::CrowdIpUnbound => "crowd_ip_unbound",
            Fault::CrowdFactorsMissing => "crowd_factors_missing",
            Fault::CrowdTrustAnyXff => "crowd_trust_any_xff",
            Fault::CrowdCookieInsecure => "crowd_cookie_insecure",
            Fault::XsrfOff => "xsrf_off",
            Fault::ReadOnlyWrites => "read_only_writes",
            Fault::GroupsIgnored => "groups_ignored",
            Fault::IpAllowIgnored => "ip_allow_ignored",
            Fault::IpHeaderUntrusted => "ip_header_untrusted",
            Fault::DisableBasicIgnored => "disable_basic_ignored",
            Fault::RestrictPublicIgnored => "restrict_public_ignored",
            Fault::PluginRateLimitOff => "plugin_rate_limit_off",
            Fault::AuditMissing => "audit_missing",
            Fault::BasicBlockCaseSensitive => "basic_block_case_sensitive",
            Fault::BasicBlockSessionKept => "basic_block_session_kept",
            Fault::UnlicensedUserServed => "unlicensed_user_served",
            Fault::SlowAuth => "slow_auth",
        }
    }
}

/// `a` then `b`, at compile time, so [`Fault::ALL`] cannot drift from the two
/// lists it is made of.
const fn concat<const N: usize>(a: &[Fault], b: &[Fault]) -> [Fault; N] {
    assert!(a.len() + b.len() == N);
    let mut out = [Fault::BasicChallenge; N];
    let mut i = 0;
    while i < N {
        out[i] = if i < a.len() { a[i] } else { b[i - a.len()] };
        i += 1;
    }
    out
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
