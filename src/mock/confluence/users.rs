//! The user directory and the failed-login counters behind the CAPTCHA
//! (F-BASIC-5, F-BASIC-6). Bounded: counters exist only for configured users.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Mutex;

use crate::mock::sync::lock;
use crate::scenario::mock_config::UserConfig;

/// A configured user, as the resources see it.
#[derive(Clone, Debug)]
pub struct User {
    pub name: String,
    pub key: String,
    pub display_name: String,
    pub groups: Vec<String>,
    password: String,
    can_login: bool,
    /// The global "Can use" permission (F-BASIC-11).
    pub can_use: bool,
    /// A system administrator.
    pub admin: bool,
}

impl User {
    /// Content permission, kept simple: any group grants it, no group denies it.
    pub fn can_view_content(&self) -> bool {
        !self.groups.is_empty()
    }
}

/// What one login attempt (Basic or the login form) came to. The names are
/// Seraph's `LoginReason` values, sent as `X-Seraph-LoginReason`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoginOutcome {
    /// `OK`: right password; the stored user name.
    Ok(String),
    /// `AUTHENTICATED_FAILED`: unknown user or wrong password (F-BASIC-5).
    Failed,
    /// `AUTHENTICATION_DENIED`: the user is locked behind the CAPTCHA (F-BASIC-6).
    Denied,
    /// `AUTHORISATION_FAILED`: right password, but the user may not log in
    /// (`can_login: false`; Seraph's spelling).
    NotPermitted,
}

impl LoginOutcome {
    pub fn reason(&self) -> &'static str {
        match self {
            LoginOutcome::Ok(_) => "OK",
            LoginOutcome::Failed => "AUTHENTICATED_FAILED",
            LoginOutcome::Denied => "AUTHENTICATION_DENIED",
            LoginOutcome::NotPermitted => "AUTHORISATION_FAILED",
        }
    }

    /// The reason a refused Basic login's error page names. Seraph's
    /// `DefaultAuthenticator` stamps the header once (the first reason wins) but
    /// names the reason of its own last step in the page: `login()` stamps
    /// `AUTHORISATION_FAILED` and returns false, and the Basic step then writes
    /// `AUTHENTICATED_FAILED` into the message.
    pub fn basic_page_reason(&self) -> &'static str {
        match self {
            LoginOutcome::NotPermitted => "AUTHENTICATED_FAILED",
            other => other.reason(),
        }
    }
}

/// Users by lower-cased name (Confluence user names are case-insensitive) plus
/// their failed-login counts.
#[derive(Debug)]
pub struct Directory {
    users: HashMap<String, User>,
    /// `None`: the CAPTCHA never locks anyone (disabled, or the `no_captcha` fault).
    captcha_threshold: Option<u32>,
    failed: Mutex<HashMap<String, u32>>,
}

impl Directory {
    pub fn new(users: &[UserConfig], captcha_threshold: Option<u32>) -> Self {
        let users = users
            .iter()
            .map(|u| {
                let user = User {
                    name: u.name.clone(),
                    key: user_key(&u.name),
                    display_name: u.display_name.clone().unwrap_or_else(|| u.name.clone()),
                    groups: u.groups.clone(),
                    password: u.password.clone(),
                    can_login: u.can_login,
                    can_use: u.can_use,
                    admin: u.admin,
                };
                (u.name.to_lowercase(), user)
            })
            .collect();
        Self {
            users,
            captcha_threshold,
            failed: Mutex::new(HashMap::new()),
        }
    }

    pub fn get(&self, name: &str) -> Option<&User> {
        self.users.get(lower(name).as_ref())
    }

    /// Whether `name` may still log in (exists and is not deactivated).
    pub fn can_login(&self, name: &str) -> bool {
        self.get(name).is_some_and(|u| u.can_login)
    }

    /// Checks a password and keeps the counters: a wrong password counts
    /// (F-BASIC-5), a locked user is denied before the password is looked at
    /// (F-BASIC-6), a success resets the count.
    pub fn login(&self, name: &str, password: &str) -> LoginOutcome {
        let Some(user) = self.get(name) else {
            // No user, nothing to count: keeps the map bounded by the user list.
            return LoginOutcome::Failed;
        };
        let key = lower(name);
        let mut failed = lock(&self.failed);
        let count = failed.get(key.as_ref()).copied().unwrap_or(0);
        if self.captcha_threshold.is_some_and(|limit| count >= limit) {
            return LoginOutcome::Denied;
        }
        if user.password != password {
            failed.insert(key.into_owned(), count.saturating_add(1));
            return LoginOutcome::Failed;
        }
        if count > 0 {
            failed.remove(key.as_ref());
        }
        if !user.can_login {
            return LoginOutcome::NotPermitted;
        }
        LoginOutcome::Ok(user.name.clone())
    }

    pub fn failed_count(&self, name: &str) -> u32 {
        lock(&self.failed)
            .get(&name.to_lowercase())
            .copied()
            .unwrap_or(0)
    }

    /// Forgets every failed login (`/__tollgate/reset` stands in for the CAPTCHA UI).
    pub fn reset_counters(&self) {
        lock(&self.failed).clear();
    }
}

/// `name` lower-cased, the directory's key; borrowed when it already is (ASCII
/// without capitals), as user names mostly are.
fn lower(name: &str) -> Cow<'_, str> {
    if name
        .bytes()
        .all(|b| b.is_ascii() && !b.is_ascii_uppercase())
    {
        Cow::Borrowed(name)
    } else {
        Cow::Owned(name.to_lowercase())
    }
}

/// A stable, Confluence-looking user key (32 hex digits) derived from the name.
fn user_key(name: &str) -> String {
    // FNV-1a twice with different offsets: stable across runs, no extra crate.
    let fnv = |seed: u64| {
        name.to_lowercase().bytes().fold(seed, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
    };
    format!(
        "{:016x}{:016x}",
        fnv(0xcbf2_9ce4_8422_2325),
        fnv(0x8a7f_8081_0000_0001)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alice(can_login: bool) -> Vec<UserConfig> {
        vec![UserConfig {
            name: "alice".into(),
            password: "pw".into(),
            can_login,
            ..UserConfig::default()
        }]
    }

    #[test]
    fn three_failures_lock_even_the_right_password() {
        let dir = Directory::new(&alice(true), Some(3));
        assert_eq!(dir.login("alice", "pw"), LoginOutcome::Ok("alice".into()));
        for n in 1..=3 {
            assert_eq!(dir.login("alice", "nope"), LoginOutcome::Failed);
            assert_eq!(dir.failed_count("alice"), n);
        }
        assert_eq!(dir.login("alice", "pw"), LoginOutcome::Denied);
        dir.reset_counters();
        assert_eq!(dir.login("ALICE", "pw"), LoginOutcome::Ok("alice".into()));
    }

    #[test]
    fn without_captcha_nobody_is_locked_and_unknown_users_are_not_counted() {
        let dir = Directory::new(&alice(true), None);
        for _ in 0..5 {
            assert_eq!(dir.login("alice", "nope"), LoginOutcome::Failed);
        }
        assert_eq!(dir.login("alice", "pw"), LoginOutcome::Ok("alice".into()));
        assert_eq!(dir.login("mallory", "x"), LoginOutcome::Failed);
        assert_eq!(dir.failed_count("mallory"), 0);
    }

    #[test]
    fn deactivated_users_are_not_permitted() {
        let dir = Directory::new(&alice(false), Some(3));
        assert_eq!(dir.login("alice", "pw"), LoginOutcome::NotPermitted);
        assert_eq!(dir.get("alice").unwrap().key.len(), 32);
    }
}
