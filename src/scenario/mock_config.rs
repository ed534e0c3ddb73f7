//! The `mock:` block of a scenario: plain data describing the embedded emulator.
//! (Placeholder until the emulator lands.)

use schemars::JsonSchema;
use serde::Deserialize;

#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(default)]
pub struct MockConfig {
    pub tls: bool,
    pub confluence: serde_json::Value,
}

impl MockConfig {
    /// Values configured here that are credentials (users' passwords).
    pub fn secrets(&self) -> Vec<String> {
        Vec::new()
    }
}
