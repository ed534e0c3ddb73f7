//! The HTTP client side every stage that sends shares: the clients (no cookie
//! jar, no proxy, bounded connects), where a scenario's requests go and the
//! per-user state a request is built from ([`Env`]). [`prepare()`] builds a step's
//! request; [`response`] reads an answer into what [`crate::expect`] judges.
//!
//! Below `run` and `load`, which both send through it; it knows nothing of the
//! emulator but the wire names in [`crate::wire`].

pub mod clients;
pub mod env;
pub mod manifest;
pub mod prepare;
pub mod response;

pub use clients::{ClientError, Clients, TlsTrust};
pub use env::{Endpoints, Env, WaitError};
pub use prepare::{PrepareError, Prepared, prepare};
pub use response::{describe_error, read_response};
