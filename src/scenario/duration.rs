//! Human durations in scenario files: `1500ms`, `2s`, `30m`, `90d`.

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
        if let Ok(secs) = text.parse::<u64>() {
            return Ok(Self::from_secs(secs));
        }
        humantime::parse_duration(text)
            .map(Self)
            .map_err(|e| format!("invalid duration '{text}' ({e}); write e.g. 500ms, 2s, 5m, 90d"))
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
}
