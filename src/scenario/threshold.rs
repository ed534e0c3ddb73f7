//! A load threshold (`p99<50ms`, `error-rate<1%`, `rps>=100`, optionally
//! `for STEP`), checked once when it is read, by goose's own parser: the rule
//! that judges a run is the rule that was checked.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Threshold(String);

/// Why a text is not a threshold rule.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidThreshold(String);

impl Threshold {
    /// The rule as goose reads it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for Threshold {
    type Err = InvalidThreshold;

    fn from_str(rule: &str) -> Result<Self, InvalidThreshold> {
        match rule.parse::<goose::threshold::Threshold>() {
            Ok(_) => Ok(Threshold(rule.to_string())),
            // goose's explanation names the rule itself.
            Err(goose::GooseError::InvalidOption { detail, .. }) if !detail.is_empty() => {
                Err(InvalidThreshold(detail))
            }
            Err(_) => Err(InvalidThreshold(format!(
                "threshold \"{rule}\" is not a rule such as p99<50ms, error-rate<1% or rps>=100"
            ))),
        }
    }
}

impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Threshold {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let rule = String::deserialize(deserializer)?;
        rule.parse().map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for Threshold {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Threshold".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "goose's syntax: p99<50ms, error-rate<0.1%, rps>=1000, p95<20ms for GET step name"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn goose_decides_what_a_rule_is() {
        assert_eq!(
            "p99<50ms".parse::<Threshold>().unwrap().as_str(),
            "p99<50ms"
        );
        assert!("p99<<50ms".parse::<Threshold>().is_err());
    }
}
