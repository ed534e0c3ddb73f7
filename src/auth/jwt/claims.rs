//! Claim values relative to the send time: `now`, `now+5m`, `now-1h`, `now+30s`
//! become NumericDates (seconds since the epoch), so a scenario never hard-codes
//! a timestamp that would expire (scenario-format.md, the `auth: jwt` row).

use serde_json::{Map, Value};

/// A `now±…` value that is no time. Claims are no secret (a token's payload is
/// evidence in every report), so the value is quoted.
#[derive(Debug, thiserror::Error)]
pub enum RelativeTimeError {
    #[error(
        "'{text}': '{offset}' is not a duration ({reason}); write e.g. now+5m, now-1h, now+30s"
    )]
    NotADuration {
        text: String,
        offset: String,
        reason: humantime::DurationError,
    },
    #[error("'{text}' falls outside 1970..2^64 seconds")]
    OutOfRange { text: String },
}

/// A claim whose relative time could not be resolved.
#[derive(Debug, thiserror::Error)]
#[error("claim '{name}': {reason}")]
pub struct ClaimError {
    pub name: String,
    pub reason: RelativeTimeError,
}

/// Every top-level claim with its relative time resolved against `now`.
pub fn resolve_all(
    claims: impl IntoIterator<Item = (String, Value)>,
    now: u64,
) -> Result<Map<String, Value>, ClaimError> {
    claims
        .into_iter()
        .map(|(name, value)| match resolve(&value, now) {
            Ok(resolved) => Ok((name, resolved)),
            Err(reason) => Err(ClaimError { name, reason }),
        })
        .collect()
}

/// `now`, `now+<duration>` or `now-<duration>` (humantime units, spaces allowed
/// around the sign) as a NumericDate; any other value unchanged.
pub fn resolve(value: &Value, now: u64) -> Result<Value, RelativeTimeError> {
    let Some(text) = value.as_str() else {
        return Ok(value.clone());
    };
    let trimmed = text.trim();
    let Some(rest) = trimmed.strip_prefix("now") else {
        return Ok(value.clone());
    };
    let rest = rest.trim_start();
    let (sign, offset) = if rest.is_empty() {
        return Ok(Value::from(now));
    } else if let Some(offset) = rest.strip_prefix('+') {
        (1, offset)
    } else if let Some(offset) = rest.strip_prefix('-') {
        (-1, offset)
    } else {
        // `nowhere`, `now!`: not a time, an ordinary string.
        return Ok(value.clone());
    };
    let offset = offset.trim();
    let duration =
        humantime::parse_duration(offset).map_err(|reason| RelativeTimeError::NotADuration {
            text: text.to_string(),
            offset: offset.to_string(),
            reason,
        })?;
    let secs = duration.as_secs();
    let resolved = if sign > 0 {
        now.checked_add(secs)
    } else {
        now.checked_sub(secs)
    };
    resolved
        .map(Value::from)
        .ok_or_else(|| RelativeTimeError::OutOfRange {
            text: text.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: u64 = 1_700_000_000;

    #[test]
    fn relative_times_become_numeric_dates() {
        assert_eq!(resolve(&json!("now"), NOW).unwrap(), json!(NOW));
        assert_eq!(resolve(&json!("now+5m"), NOW).unwrap(), json!(NOW + 300));
        assert_eq!(resolve(&json!("now-1h"), NOW).unwrap(), json!(NOW - 3600));
        assert_eq!(resolve(&json!("now+30s"), NOW).unwrap(), json!(NOW + 30));
        assert_eq!(
            resolve(&json!(" now + 1d "), NOW).unwrap(),
            json!(NOW + 86_400)
        );
        assert_eq!(
            resolve(&json!("now+1h 30m"), NOW).unwrap(),
            json!(NOW + 5400)
        );
    }

    #[test]
    fn other_values_are_unchanged() {
        for value in [
            json!("alice"),
            json!("nowhere"),
            json!(42),
            json!(["now"]),
            json!(null),
        ] {
            assert_eq!(resolve(&value, NOW).unwrap(), value);
        }
    }

    #[test]
    fn a_bad_offset_is_a_clear_error() {
        let err = resolve(&json!("now+5x"), NOW).unwrap_err().to_string();
        assert!(err.contains("'now+5x'") && err.contains("now+5m"), "{err}");
        let err = resolve_all([("exp".to_string(), json!("now+"))], NOW)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("claim 'exp':"), "{err}");
        assert!(resolve(&json!("now-100y"), 10).is_err());
    }
}
