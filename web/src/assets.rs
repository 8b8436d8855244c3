//! The portal's two static files, compiled into the binary so a deployment
//! is one file. Served with a short cache lifetime: they change with releases.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use iodao_core::Quoted;

use crate::error::{Failure, PageError};

const CSS: &str = include_str!("../static/portal.css");
const JS: &str = include_str!("../static/portal.js");

/// `/static/{file}`.
pub async fn serve(Path(file): Path<String>) -> Response {
    let (body, mime) = match file.as_str() {
        "portal.css" => (CSS, "text/css; charset=utf-8"),
        "portal.js" => (JS, "text/javascript; charset=utf-8"),
        _ => {
            return PageError(Failure::not_found(format!("there is no static file {}", Quoted(&file)))).into_response();
        }
    };
    (StatusCode::OK, [(header::CONTENT_TYPE, mime), (header::CACHE_CONTROL, "public, max-age=300")], body)
        .into_response()
}
