//! The embedded mock Confluence (see emulator.md). Never imports `run`, `load`,
//! `expect` or `report`, and of `auth` only `auth::keys` and `auth::jwt` (key
//! material, qsh, JWT decoding): it stands alone so `tollgate mock` can serve
//! real clients.
//!
//! [`start`] binds `127.0.0.1:0`, serves in the background and hands back a
//! [`RunningMock`]; [`router`] and [`serve`] are the pieces, for callers (and
//! tests) that bring their own listener. The identity provider ([`idp`]) is a
//! second server beside Confluence, on its own port, so it can go down alone;
//! [`idp_loop`] serves it alone for a whole run against a real Confluence (and
//! [`idp_server`], `tollgate idp`, on top of it).
//!
//! The module graph is a tree: this file and each folder's `mod.rs` only
//! declare, re-export and assemble; no module imports a `mod.rs`. Leaves at this
//! level: [`clock`] (the mock's time), [`faults`], [`store`] (the one bounded,
//! expiring table every cache and session list is), [`sync`] (the lock
//! helper), [`bearer`] (`Authorization: Bearer` parsing), [`tls`] (the CA).
//! [`connections`] serves a listener under the connection limits; [`server`]
//! starts both servers.

pub mod bearer;
pub mod clock;
pub mod confluence;
pub mod connections;
pub mod faults;
pub mod idp;
pub mod idp_loop;
pub mod idp_server;
#[cfg(test)]
mod parser_properties;
pub mod server;
pub mod store;
pub mod sync;
pub mod tls;

pub use connections::{Limits, serve};
pub use idp_loop::{IdpInLoop, LoopOptions, LoopTls};
pub use server::{
    RunningMock, idp_addr, router, start, start_on, start_on_with_keys, start_with_keys,
};
