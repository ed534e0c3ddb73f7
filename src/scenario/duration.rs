//! Human durations in scenario files: `1500ms`, `2s`, `30m`, `90d`.
//!
//! Every duration is at most [`MAX`] (100 years) when it is read, so no later
//! `Instant`, `SystemTime` or calendar arithmetic on it can overflow: `check`
//! reports `expires_in: 9000y` at its position instead of `run` panicking on it.

use std::fmt;
use std::time::Duration as StdDuration;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A duration written the way people write them (`250ms`, `10s`, `1h 30m`).
///
/// A bare integer is read as seconds, since that is what YAML authors mean by
/// `timeout: 10`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration(pub StdDuration);

/// The longest duration a file may write: 100 years (of 365.25 days, as
/// humantime counts `y`). Added to today's date, even after the embedded
/// mock's clock has been moved to its 584-year limit, it stays far inside
/// every time type's range (`time` stops at year 9999).
pub const MAX: StdDuration = StdDuration::from_secs(100 * 31_557_600);

impl Duration {
    pub const fn from_secs(secs: u64) -> Self {
        Self(StdDuration::from_secs(secs))
    }

    pub const fn from_millis(ms: u64) -> Self {
        Self(StdDuration::from_millis(ms))
    }

    pub fn get(self) -> StdDuration {
        self.0
    }
}

impl std::str::FromStr for Duration {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        let parsed = match text.parse::<u64>() {
            Ok(secs) => StdDuration::from_secs(secs),
            Err(_) => humantime::parse_duration(text).map_err(|e| {
                format!("invalid duration '{text}' ({e}); write e.g. 500ms, 2s, 5m, 90d")
            })?,
        };
        if parsed > MAX {
            return Err(format!(
                "duration '{text}' is longer than 100 years, the most a scenario may write"
            ));
        }
        Ok(Self(parsed))
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", humantime::format_duration(self.0))
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl JsonSchema for Duration {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Duration".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A duration such as 500ms, 2s, 5m or 90d; a bare number is seconds.",
            "type": ["string", "integer"]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_units_scenarios_use() {
        assert_eq!(
            "1500ms".parse::<Duration>().unwrap().get().as_millis(),
            1500
        );
        assert_eq!("2s".parse::<Duration>().unwrap().get().as_secs(), 2);
        assert_eq!("10".parse::<Duration>().unwrap().get().as_secs(), 10);
        assert_eq!(
            "90d".parse::<Duration>().unwrap().get().as_secs(),
            90 * 86_400
        );
        assert!("soon".parse::<Duration>().unwrap_err().contains("500ms"));
    }

    #[test]
    fn durations_past_100_years_are_refused() {
        for text in [
            "9000y",
            "101y",
            "3155760001",
            "18446744073709551615",
            "99999999999999d",
        ] {
            let err = text.parse::<Duration>().unwrap_err();
            assert!(
                err.contains("100 years") || err.contains("invalid"),
                "{text}: {err}"
            );
        }
        assert_eq!("100y".parse::<Duration>().unwrap().get(), MAX);
        assert_eq!("3155760000".parse::<Duration>().unwrap().get(), MAX);
    }

    proptest::proptest! {
        /// Any text is a duration within [`MAX`] or a message, never a panic;
        /// and a parsed duration added to now and to the latest calendar date
        /// the mock can reach stays representable.
        #[test]
        fn any_text_is_a_bounded_duration_or_an_error(text in "[0-9]{0,24}( ?[0-9]{0,6}(ns|us|ms|s|m|h|d|w|M|y|years|x))*") {
            if let Ok(d) = text.parse::<Duration>() {
                proptest::prop_assert!(d.get() <= MAX);
                proptest::prop_assert!(std::time::SystemTime::now().checked_add(d.get()).is_some());
                let latest_mock_date = time::OffsetDateTime::now_utc()
                    .checked_add(time::Duration::seconds(584 * 31_557_600));
                let sum = latest_mock_date.and_then(|t| t.checked_add(time::Duration::try_from(d.get()).ok()?));
                proptest::prop_assert!(sum.is_some());
            }
        }
    }
}
