//! The REST resources under `/rest/api/` and their authorization (F-ANON-3..5).
//!
//! Anonymous-allowed: `user/current` (F-ANON-5) and the content and space reads,
//! which filter by permission: with anonymous access off, anonymous lists are
//! empty and direct reads 404 (F-ANON-4). Changes need a user: anonymous gets
//! F-ANON-3's exact 401 body. A user without "Can use" gets 403 (F-BASIC-11).
//! Errors use the F-ANON-4 shape (`respond::rest_error`); every body is
//! `application/json;charset=UTF-8`. [`access`] decides who may do what,
//! [`shapes`] writes the JSON, [`reads`] and [`writes`] are the resources,
//! [`multipart`] reads uploads.

pub mod access;
pub mod multipart;
pub mod reads;
pub mod shapes;
pub mod writes;

use axum::Router;
use axum::routing::{any, get};

use super::state::State;

pub fn routes() -> Router<State> {
    Router::new()
        .route("/rest/api/user/current", get(reads::current_user))
        .route("/rest/api/space", get(reads::list_spaces))
        .route("/rest/api/space/{key}", get(reads::get_space))
        .route(
            "/rest/api/content",
            get(reads::list_content).post(writes::create_content),
        )
        .route(
            "/rest/api/content/{id}",
            get(reads::get_content)
                .put(writes::update_content)
                .delete(writes::delete_content),
        )
        .route(
            "/rest/api/content/{id}/child/attachment",
            get(reads::list_attachments).post(writes::upload_attachment),
        )
        .route("/rest/{*rest}", any(reads::unknown_resource))
}
