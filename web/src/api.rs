//! The JSON API's shared parts: the body extractor whose refusals are JSON
//! like every other error, and the OpenAPI document generated from the
//! handlers' annotations (served at `/api/v1/openapi.json`).

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

use crate::error::{ApiError, Failure};
use crate::{epochs, links, proposals, recipients};

/// A JSON body; malformed, oversized or mistyped bodies become API errors.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(Self(v)),
            Err(e) => Err(ApiError(refusal(&e))),
        }
    }
}

fn refusal(e: &JsonRejection) -> Failure {
    match e {
        JsonRejection::MissingJsonContentType(_) => Failure::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the body as JSON with `Content-Type: application/json`",
        ),
        JsonRejection::BytesRejection(_) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            Failure::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", "the request body is too large")
        }
        other => Failure::bad_request(format!("the JSON body is not valid: {}", other.body_text())),
    }
}

/// The API's OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    info(title = "iodao API", description = "Proposals, votes, wallet links, recipients and epochs of an IoTeX DAO. \
        Amounts are wei as decimal strings; addresses are accepted as 0x or io1."),
    paths(
        proposals::api_list, proposals::api_get, proposals::api_tally, proposals::api_votes,
        proposals::api_eip712, proposals::api_submit_vote, proposals::api_submit_proposal,
        links::api_challenge, links::api_get, links::api_verify,
        recipients::api_list, recipients::api_add,
        epochs::api_list, epochs::api_get, epochs::api_payouts, epochs::api_bundle, epochs::api_claims, epochs::api_plan,
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "proposals"), (name = "votes"), (name = "links"), (name = "recipients"), (name = "epochs"),
        (name = "admin", description = "needs `Authorization: Bearer <admin token>`"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "admin",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// `/api/v1/openapi.json`.
pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
