//! The YAML contract: scenario files → typed [`model::Scenario`]s with spans.
//!
//! Knows nothing of HTTP; never imports `run`, `mock`, `expect` or `report`.

pub mod duration;
pub mod mock_config;
