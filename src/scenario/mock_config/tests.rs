//! Defaults of `mock: {}`, partial blocks, and the fault lists.

use super::*;
use serde_json::json;

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
    assert!(c.users[0].can_use && !c.users[0].admin);
    assert!(!c.basic_auth_block.block_requests);
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

/// The schema lists every variant, so a fault left out of both lists (and so
/// out of `ALL` and the matrix) shows up here.
#[test]
fn every_fault_is_either_judged_by_the_suite_or_load_only() {
    fn strings(value: &serde_json::Value, out: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, value) in map {
                    match (key.as_str(), value) {
                        ("const", serde_json::Value::String(s)) => out.push(s.clone()),
                        ("enum", serde_json::Value::Array(items)) => {
                            out.extend(items.iter().filter_map(|i| i.as_str().map(str::to_owned)))
                        }
                        _ => strings(value, out),
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|i| strings(i, out)),
            _ => {}
        }
    }
    let mut variants = Vec::new();
    strings(&schemars::schema_for!(Fault).to_value(), &mut variants);
    let mut listed: Vec<String> = Fault::ALL.iter().map(|f| f.name().to_owned()).collect();
    assert_eq!(listed.len(), Fault::SUITE.len() + Fault::LOAD_ONLY.len());
    listed.sort();
    listed.dedup();
    variants.sort();
    assert_eq!(listed, variants, "ALL lists each variant exactly once");
    assert!(Fault::SUITE.iter().all(|f| !f.is_load_only()));
    assert!(Fault::LOAD_ONLY.iter().all(|f| f.is_load_only()));
    assert_eq!(Fault::LOAD_ONLY, [Fault::SlowAuth]);
    assert_eq!(Fault::ALL.first(), Some(&Fault::BasicChallenge));
    assert_eq!(Fault::ALL.last(), Some(&Fault::SlowAuth));
}

/// Issue 12: a bound the mock can honour: every PAT expiry a date it can write,
/// every server timeout a deadline it can compute, at least one connection.
#[test]
fn limits_out_of_range_are_load_errors() {
    for bad in [
        json!({ "confluence": { "pats": { "max_expiry_days": 4_294_967_295_u64 } } }),
        json!({ "confluence": { "pats": { "max_expiry_days": 36_501 } } }),
        json!({ "confluence": { "pats": { "max_expiry_days": 0 } } }),
        json!({ "server": { "idle_timeout": "0s" } }),
        json!({ "server": { "header_read_timeout": "25h" } }),
        json!({ "server": { "tls_handshake_timeout": "0ms" } }),
        json!({ "server": { "max_connections": 0 } }),
    ] {
        assert!(
            serde_json::from_value::<MockConfig>(bad.clone()).is_err(),
            "{bad}"
        );
    }
    let good: MockConfig = serde_json::from_value(json!({
        "confluence": { "pats": { "max_expiry_days": 36_500 } },
        "server": { "idle_timeout": "300ms", "max_connections": 1, "http2": true },
    }))
    .unwrap();
    assert_eq!(good.confluence.pats.max_expiry_days, MAX_PAT_EXPIRY_DAYS);
    assert_eq!(good.server.max_connections, 1);
    let defaults = ServerConfig::default();
    assert_eq!(defaults.header_read_timeout.get().as_secs(), 10);
    assert_eq!(defaults.idle_timeout.get().as_secs(), 60);
    assert_eq!(defaults.tls_handshake_timeout.get().as_secs(), 10);
    assert_eq!(defaults.max_connections, 1024);
    assert!(!defaults.http2 && !defaults.trust_client_ip_header);
}
