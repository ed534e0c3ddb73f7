//! The personal access tokens of one instance (F-PAT-1..4): the raw token format
//! and the store. The `Bearer` check is `authenticate.rs`, the REST resource
//! `routes.rs`.
//!
//! A raw token is base64 of 33 bytes: the token id as 12 ASCII digits, `:`, and
//! 20 random bytes, so 44 characters (F-PAT-3). Only a SHA-256 hash of the 20
//! secret bytes is kept. A bearer value that decodes to that shape is a PAT;
//! anything else is left to the next token authenticator (native OAuth).
//!
//! A dead PAT (unknown, wrong secret, expired, revoked, user gone) is not an
//! error: the request goes on anonymously (F-PAT-2). A live one authenticates
//! without opening a session (F-PAT-4: the session is invalidated after every PAT
//! request, so the mock never sends a `JSESSIONID` for one).
//!
//! Bounded: live tokens are at most `max_per_user` for each configured user (plus
//! the seeds); revoked tokens are kept as tombstones (so the
//! `revoked_pat_accepted` fault has something to accept), at most
//! [`MAX_TOMBSTONES`], oldest dropped first.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json as j};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::mock::clock::Clock;
use crate::scenario::mock_config::{PatSeed, PatsConfig};

/// Characters of a raw token: base64 of 33 bytes (F-PAT-3).
pub const RAW_TOKEN_LEN: usize = 44;
/// Digits of the id part of a raw token.
const ID_DIGITS: usize = 12;
/// Random bytes after the `:`.
const SECRET_BYTES: usize = 20;
const SECONDS_PER_DAY: u64 = 86_400;
/// Revoked tokens remembered at most (for the `revoked_pat_accepted` fault).
pub const MAX_TOMBSTONES: usize = 1_000;
/// Tokens a user may hold under `pat_limit_unenforced`: the fault lifts the
/// configured limit, not the mock's bound.
pub const MAX_UNENFORCED_PER_USER: usize = 1_000;

/// The two halves of a well-formed raw token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawParts {
    pub id: u64,
    pub secret: [u8; SECRET_BYTES],
}

/// Decodes a raw token of the 8.7.2 format (F-PAT-3); `None` if it is not one.
pub fn parse_raw(raw: &str) -> Option<RawParts> {
    if raw.len() != RAW_TOKEN_LEN {
        return None;
    }
    let bytes = STANDARD.decode(raw).ok()?;
    if bytes.len() != ID_DIGITS + 1 + SECRET_BYTES
        || !bytes[..ID_DIGITS].iter().all(u8::is_ascii_digit)
        || bytes[ID_DIGITS] != b':'
    {
        return None;
    }
    let id = std::str::from_utf8(&bytes[..ID_DIGITS])
        .ok()?
        .parse()
        .ok()?;
    let mut secret = [0u8; SECRET_BYTES];
    secret.copy_from_slice(&bytes[ID_DIGITS + 1..]);
    Some(RawParts { id, secret })
}

/// Encodes a raw token: `base64("%012d:" + secret)`.
pub fn encode_raw(id: u64, secret: &[u8; SECRET_BYTES]) -> String {
    let mut bytes = format!("{id:0ID_DIGITS$}:").into_bytes();
    bytes.extend_from_slice(secret);
    STANDARD.encode(bytes)
}

fn hash(secret: &[u8]) -> [u8; 32] {
    Sha256::digest(secret).into()
}

#[derive(Clone, Debug)]
struct Pat {
    user: String,
    name: String,
    /// SHA-256 of the secret bytes; the raw token itself is never kept (F-PAT-3).
    hash: [u8; 32],
    created: Instant,
    created_wall: OffsetDateTime,
    /// `None`: never expires (F-PAT-4 allows it). Dead from this instant on.
    expires: Option<Instant>,
    expires_wall: Option<OffsetDateTime>,
    revoked: bool,
}

/// Why a create was refused (F-PAT-4: the PAT plugin's `RestValidator`).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CreateError {
    #[error("Token name must not be empty")]
    NoName,
    #[error("Token name must not be longer than {0} characters")]
    LongName(usize),
    #[error("Expiration duration must be between 1 and {0} days")]
    BadExpiry(u32),
    #[error("You have reached the limit of {0} personal access tokens")]
    TooMany(usize),
}

impl CreateError {
    /// The plugin's exception mapper: a failed `Assert` (an
    /// `IllegalArgumentException`) is a 400, `UserTokenLimitExceededException` a 403.
    pub fn status(&self) -> u16 {
        match self {
            CreateError::TooMany(_) => 403,
            _ => 400,
        }
    }
}

/// Who may see a token by id (`GET`/`DELETE /tokens/{id}`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ownership {
    /// No live token has this id.
    Missing,
    Yours,
    /// Another user's token.
    Theirs,
}

/// Every PAT of one instance.
#[derive(Debug)]
pub struct PatStore {
    config: PatsConfig,
    tokens: BTreeMap<u64, Pat>,
    next_id: u64,
}

impl PatStore {
    /// A store holding the seeds of `config` (`pats.tokens`). A seed `value` that
    /// is not a 44-character token is skipped with a note on stderr.
    pub fn new(config: &PatsConfig, clock: &Clock) -> Self {
        let mut store = Self {
            config: config.clone(),
            tokens: BTreeMap::new(),
            next_id: 1,
        };
        for (index, seed) in config.tokens.iter().enumerate() {
            if store.seed(seed, clock).is_none() {
                let _ = writeln!(
                    std::io::stderr(),
                    "tollgate mock: pats.tokens[{index}].value is not a {RAW_TOKEN_LEN}-character \
                     personal access token (base64 of 12 digits, ':' and 20 bytes); seed skipped"
                );
            }
        }
        store
    }

    /// Adds one seed; returns its raw token, or `None` for an unusable `value`.
    fn seed(&mut self, seed: &PatSeed, clock: &Clock) -> Option<String> {
        let (id, secret) = match &seed.value {
            Some(value) => {
                let parts = parse_raw(value.trim())?;
                (parts.id, parts.secret)
            }
            None => (self.next_id, rand::random()),
        };
        let now = clock.now();
        let wall = wall_now(clock);
        let (expires, expires_wall) = if seed.expired {
            // Dead from the start: expiry is now (`now >= expires` is dead).
            (Some(now), Some(wall))
        } else {
            // A lifetime past the last date the mock can write (`9000y`) never
            // comes within a run: the seed does not expire.
            match seed.expires_in.and_then(|d| expiry(now, wall, d.get())) {
                Some((at, at_wall)) => (Some(at), Some(at_wall)),
                None => (None, None),
            }
        };
        self.next_id = self.next_id.max(id.saturating_add(1));
        self.tokens.insert(
            id,
            Pat {
                user: seed.user.clone(),
                name: seed.name.clone(),
                hash: hash(&secret),
                created: now,
                created_wall: wall,
                expires,
                expires_wall,
                revoked: seed.revoked,
            },
        );
        Some(encode_raw(id, &secret))
    }

    /// Creates a token for `user` (F-PAT-3/4); returns its JSON with `rawToken`.
    /// `enforce_limit` false is the `pat_limit_unenforced` fault; the store stays
    /// bounded by [`MAX_UNENFORCED_PER_USER`] even then.
    pub fn create(
        &mut self,
        user: &str,
        name: &str,
        days: Option<i64>,
        clock: &Clock,
        enforce_limit: bool,
    ) -> Result<Value, CreateError> {
        // `Assert.hasText`, then Java's `String.length()`, which counts UTF-16 units.
        if name.trim().is_empty() {
            return Err(CreateError::NoName);
        }
        let max_name = self.config.max_name_length;
        if name.encode_utf16().count() > max_name {
            return Err(CreateError::LongName(max_name));
        }
        let max_days = self.config.max_expiry_days;
        let (now, wall) = (clock.now(), wall_now(clock));
        // An expiry past the dates the mock can represent is as invalid as one
        // past `max_days` (F-PAT-4), whatever the configuration allowed.
        let expires = match days {
            None => None,
            Some(d) if d >= 1 && d <= i64::from(max_days) => {
                let lifetime = d
                    .unsigned_abs()
                    .checked_mul(SECONDS_PER_DAY)
                    .map(Duration::from_secs);
                match lifetime.and_then(|lifetime| expiry(now, wall, lifetime)) {
                    Some(at) => Some(at),
                    None => return Err(CreateError::BadExpiry(max_days)),
                }
            }
            Some(_) => return Err(CreateError::BadExpiry(max_days)),
        };
        let held = self.of_user(user).count();
        let limit = if enforce_limit {
            self.config.max_per_user
        } else {
            MAX_UNENFORCED_PER_USER.max(self.config.max_per_user)
        };
        if held >= limit {
            return Err(CreateError::TooMany(self.config.max_per_user));
        }
        let id = self.next_id;
        self.next_id = self.next_id.saturating_add(1);
        let secret: [u8; SECRET_BYTES] = rand::random();
        let pat = Pat {
            user: user.to_owned(),
            name: name.to_owned(),
            hash: hash(&secret),
            created: now,
            created_wall: wall,
            expires: expires.map(|(at, _)| at),
            expires_wall: expires.map(|(_, at_wall)| at_wall),
            revoked: false,
        };
        let mut body = token_json(id, &pat);
        body["rawToken"] = Value::String(encode_raw(id, &secret));
        self.tokens.insert(id, pat);
        Ok(body)
    }

    /// The tokens `user` holds (revoked ones are gone for them).
    fn of_user<'a>(&'a self, user: &'a str) -> impl Iterator<Item = (&'a u64, &'a Pat)> + 'a {
        self.tokens
            .iter()
            .filter(move |(_, p)| !p.revoked && p.user.eq_ignore_ascii_case(user))
    }

    /// `GET /tokens`: the caller's tokens, without raw values.
    pub fn list(&self, user: &str) -> Vec<Value> {
        self.of_user(user)
            .map(|(id, p)| token_json(*id, p))
            .collect()
    }

    /// `GET /tokens/{id}`: `None` unless `user` holds it.
    pub fn get(&self, user: &str, id: u64) -> Option<Value> {
        self.of_user(user)
            .find(|(i, _)| **i == id)
            .map(|(id, p)| token_json(*id, p))
    }

    /// Whether `user` may see the live token `id`.
    pub fn ownership(&self, user: &str, id: u64) -> Ownership {
        match self.tokens.get(&id) {
            Some(pat) if !pat.revoked && pat.user.eq_ignore_ascii_case(user) => Ownership::Yours,
            Some(pat) if !pat.revoked => Ownership::Theirs,
            _ => Ownership::Missing,
        }
    }

    /// `DELETE /tokens/{id}`: revokes it; `false` unless `user` holds it.
    pub fn revoke(&mut self, user: &str, id: u64) -> bool {
        if self.get(user, id).is_none() {
            return false;
        }
        if let Some(pat) = self.tokens.get_mut(&id) {
            pat.revoked = true;
        }
        self.trim_tombstones();
        true
    }

    fn trim_tombstones(&mut self) {
        let dead: Vec<u64> = self
            .tokens
            .iter()
            .filter(|(_, p)| p.revoked)
            .map(|(id, _)| *id)
            .collect();
        // Ids grow with time, so the smallest ids are the oldest tombstones.
        for id in dead.iter().take(dead.len().saturating_sub(MAX_TOMBSTONES)) {
            self.tokens.remove(id);
        }
    }

    /// The user a raw token stands for, if it is alive at `now` (F-PAT-2: else
    /// `None`). `accept_expired` / `accept_revoked` are the two faults.
    pub fn verify(
        &self,
        parts: &RawParts,
        now: Instant,
        accept_expired: bool,
        accept_revoked: bool,
    ) -> Option<&str> {
        let pat = self.tokens.get(&parts.id)?;
        if pat.hash != hash(&parts.secret) {
            return None;
        }
        if pat.revoked && !accept_revoked {
            return None;
        }
        if pat.expires.is_some_and(|e| now >= e) && !accept_expired {
            return None;
        }
        Some(&pat.user)
    }

    /// Live and dead entries (tests check the caps).
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// When the token was created, by the mock's clock (for tests).
    pub fn created(&self, id: u64) -> Option<Instant> {
        self.tokens.get(&id).map(|p| p.created)
    }
}

/// The mock's wall-clock time: real UTC plus the clock's offset (the last
/// representable moment if the offset were ever past it).
fn wall_now(clock: &Clock) -> OffsetDateTime {
    later(OffsetDateTime::now_utc(), clock.offset())
        .unwrap_or_else(|| time::PrimitiveDateTime::MAX.assume_utc())
}

/// `wall + by`, or `None` past the year 9999.
fn later(wall: OffsetDateTime, by: Duration) -> Option<OffsetDateTime> {
    wall.checked_add(time::Duration::try_from(by).ok()?)
}

/// When a token living `lifetime` from `now` / `wall` dies, on the mock's
/// monotonic clock and on its wall clock; `None` if either cannot hold it.
fn expiry(
    now: Instant,
    wall: OffsetDateTime,
    lifetime: Duration,
) -> Option<(Instant, OffsetDateTime)> {
    Some((now.checked_add(lifetime)?, later(wall, lifetime)?))
}

/// `2024-03-04T13:34:01.789+0000`, the shape Confluence's PAT resource writes.
fn timestamp(t: OffsetDateTime) -> String {
    const FORMAT: &[time::format_description::FormatItem<'static>] = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]+0000"
    );
    t.format(FORMAT).unwrap_or_default()
}

fn token_json(id: u64, pat: &Pat) -> Value {
    let mut body = j!({
        "id": id,
        "name": pat.name,
        "createdAt": timestamp(pat.created_wall),
    });
    if let Some(expires) = pat.expires_wall {
        body["expiringAt"] = Value::String(timestamp(expires));
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::duration::Duration as Human;

    fn config(seeds: Vec<PatSeed>) -> PatsConfig {
        PatsConfig {
            tokens: seeds,
            ..PatsConfig::default()
        }
    }

    #[test]
    fn raw_tokens_are_44_chars_of_id_colon_20_bytes() {
        let raw = encode_raw(42, &[7u8; SECRET_BYTES]);
        assert_eq!(raw.len(), RAW_TOKEN_LEN);
        let bytes = STANDARD.decode(&raw).unwrap();
        assert_eq!(&bytes[..13], b"000000000042:");
        assert_eq!(
            parse_raw(&raw),
            Some(RawParts {
                id: 42,
                secret: [7u8; SECRET_BYTES]
            })
        );
        assert_eq!(parse_raw("not a token"), None);
        assert_eq!(parse_raw(&"A".repeat(44)), None);
        assert_eq!(parse_raw(&"é".repeat(22)), None);
        // 33 bytes but no colon after the digits.
        assert_eq!(parse_raw(&STANDARD.encode([b'1'; 33])), None);
    }

    #[test]
    fn create_limits_and_ownership() {
        let clock = Clock::new();
        let mut store = PatStore::new(&config(Vec::new()), &clock);
        let made = store.create("alice", "ci", Some(90), &clock, true).unwrap();
        let id = made["id"].as_u64().unwrap();
        assert!(made["expiringAt"].is_string());
        let parts = parse_raw(made["rawToken"].as_str().unwrap()).unwrap();
        assert_eq!(parts.id, id);
        assert_eq!(
            store.verify(&parts, clock.now(), false, false),
            Some("alice")
        );
        assert_eq!(
            store.create("alice", " ", None, &clock, true),
            Err(CreateError::NoName)
        );
        assert_eq!(
            store.create("alice", "x", Some(366), &clock, true),
            Err(CreateError::BadExpiry(365))
        );
        assert_eq!(
            store.create("alice", "x", Some(0), &clock, true),
            Err(CreateError::BadExpiry(365))
        );
        for n in 1..10 {
            store
                .create("alice", &format!("t{n}"), None, &clock, true)
                .unwrap();
        }
        assert_eq!(
            store.create("alice", "eleventh", None, &clock, true),
            Err(CreateError::TooMany(10))
        );
        assert_eq!(CreateError::TooMany(10).status(), 403);
        assert_eq!(CreateError::NoName.status(), 400);
        assert!(store.get("bob", id).is_none());
        assert_eq!(store.ownership("bob", id), Ownership::Theirs);
        assert_eq!(store.ownership("alice", id), Ownership::Yours);
        assert_eq!(store.ownership("alice", 999), Ownership::Missing);
        assert!(!store.revoke("bob", id));
        assert!(store.revoke("alice", id));
        assert_eq!(store.verify(&parts, clock.now(), false, false), None);
        assert_eq!(
            store.verify(&parts, clock.now(), false, true),
            Some("alice")
        );
        // Revoking frees a slot.
        store.create("alice", "again", None, &clock, true).unwrap();
        assert_eq!(store.ownership("alice", id), Ownership::Missing);
    }

    #[test]
    fn names_are_limited_in_utf16_units_and_the_fault_lifts_the_count() {
        let clock = Clock::new();
        let mut store = PatStore::new(&config(Vec::new()), &clock);
        assert!(
            store
                .create("alice", &"n".repeat(40), None, &clock, true)
                .is_ok()
        );
        assert_eq!(
            store.create("alice", &"n".repeat(41), None, &clock, true),
            Err(CreateError::LongName(40))
        );
        // One character outside the BMP is two UTF-16 units.
        assert_eq!(
            store.create("alice", &"😀".repeat(21), None, &clock, true),
            Err(CreateError::LongName(40))
        );
        for n in 1..10 {
            store
                .create("alice", &format!("t{n}"), None, &clock, true)
                .unwrap();
        }
        assert!(store.create("alice", "over", None, &clock, true).is_err());
        assert!(store.create("alice", "over", None, &clock, false).is_ok());
    }

    #[test]
    fn expiry_follows_the_mock_clock() {
        let clock = Clock::new();
        let mut store = PatStore::new(&config(Vec::new()), &clock);
        let made = store.create("alice", "ci", Some(1), &clock, true).unwrap();
        let parts = parse_raw(made["rawToken"].as_str().unwrap()).unwrap();
        clock.advance(Duration::from_secs(86_400));
        assert_eq!(store.verify(&parts, clock.now(), false, false), None);
        assert_eq!(
            store.verify(&parts, clock.now(), true, false),
            Some("alice")
        );
    }

    #[test]
    fn seeds_keep_their_value_and_can_be_dead() {
        let clock = Clock::new();
        let value = encode_raw(7, &[1u8; SECRET_BYTES]);
        let seeds = vec![
            PatSeed {
                user: "alice".into(),
                name: "seeded".into(),
                value: Some(value.clone()),
                expires_in: Some(Human::from_secs(60)),
                ..PatSeed::default()
            },
            PatSeed {
                user: "alice".into(),
                name: "dead".into(),
                expired: true,
                value: Some(encode_raw(8, &[2u8; SECRET_BYTES])),
                ..PatSeed::default()
            },
            PatSeed {
                user: "alice".into(),
                value: Some("garbage".into()),
                ..PatSeed::default()
            },
            PatSeed {
                user: "alice".into(),
                name: "generated".into(),
                ..PatSeed::default()
            },
        ];
        let store = PatStore::new(&config(seeds), &clock);
        assert_eq!(store.len(), 3);
        let now = clock.now();
        assert_eq!(
            store.verify(&parse_raw(&value).unwrap(), now, false, false),
            Some("alice")
        );
        let dead = parse_raw(&encode_raw(8, &[2u8; SECRET_BYTES])).unwrap();
        assert_eq!(store.verify(&dead, now, false, false), None);
        assert_eq!(store.verify(&dead, now, true, false), Some("alice"));
        // The generated seed got the next free id.
        assert!(store.created(9).is_some());
        // A wrong secret for a known id is no token.
        let wrong = parse_raw(&encode_raw(7, &[9u8; SECRET_BYTES])).unwrap();
        assert_eq!(store.verify(&wrong, now, true, true), None);
    }

    /// Issue 12: `max_expiry_days: 4294967295` and a matching
    /// `expirationDuration` overflowed the expiry date and panicked.
    #[test]
    fn an_expiry_past_the_last_date_is_refused_not_a_panic() {
        let clock = Clock::new();
        let mut store = PatStore::new(
            &PatsConfig {
                max_expiry_days: u32::MAX,
                ..PatsConfig::default()
            },
            &clock,
        );
        for days in [i64::from(u32::MAX), 3_000_000, i64::MAX] {
            let refused = store.create("alice", "far", Some(days), &clock, true);
            assert!(
                days > i64::from(u32::MAX) || refused == Err(CreateError::BadExpiry(u32::MAX)),
                "{days}: {refused:?}"
            );
            assert!(refused.is_err(), "{days}");
        }
        // Within the dates the mock can write it still works, on a clock moved
        // by centuries too.
        clock.advance(Duration::from_secs(500 * 365 * SECONDS_PER_DAY));
        assert!(
            store
                .create("alice", "near", Some(36_500), &clock, true)
                .is_ok()
        );
        let seed = PatSeed {
            user: "alice".into(),
            name: "forever".into(),
            expires_in: Some(Human(Duration::from_secs(9000 * 365 * SECONDS_PER_DAY))),
            ..PatSeed::default()
        };
        let seeded = PatStore::new(&config(vec![seed]), &clock);
        assert_eq!(
            seeded.len(),
            1,
            "a far seed never expires instead of panicking"
        );
    }

    #[test]
    fn tombstones_are_capped() {
        let clock = Clock::new();
        let mut store = PatStore::new(
            &PatsConfig {
                max_per_user: 1,
                ..PatsConfig::default()
            },
            &clock,
        );
        for n in 0..MAX_TOMBSTONES + 5 {
            let made = store
                .create("alice", &format!("t{n}"), None, &clock, true)
                .unwrap();
            assert!(store.revoke("alice", made["id"].as_u64().unwrap()));
        }
        assert_eq!(store.len(), MAX_TOMBSTONES);
        assert!(!store.is_empty());
    }
}
