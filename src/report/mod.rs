//! Reporters. Each reads only [`model`] and writes to an `impl io::Write`.

pub mod model;
pub mod redact;
