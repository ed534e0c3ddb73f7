//! Personal access tokens (F-PAT-1..4): [`store`] the tokens and their raw
//! format, [`authenticate`] the `Bearer` step of Seraph's token chain,
//! [`routes`] the REST resource `/rest/pat/latest/tokens`.

pub mod authenticate;
pub mod routes;
pub mod store;

pub use store::{
    CreateError, MAX_TOMBSTONES, MAX_UNENFORCED_PER_USER, Ownership, PatStore, RAW_TOKEN_LEN,
    RawParts, encode_raw, parse_raw,
};
