//! Wallet links: the page a bot's `/link` points to (it shows the EIP-4361
//! message and asks the wallet to sign it) and the API behind it.
//!
//! Issuing a challenge is admin-only: the challenge names the chat account,
//! and only a bot knows which account is really asking. Were it open, anyone
//! could bind their own wallet to someone else's chat account.

use askama::Template;
use axum::Json;
use axum::extract::{Path, State};
use axum::response::Html;
use chrono::Utc;
use iodao_core::store::StoredChallenge;
use iodao_core::{ChatAccount, Linked, Quoted};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::ApiJson;
use crate::error::{ApiError, ErrorBody, Failure, PageError};
use crate::proposals::{parse_address, render_failed};
use crate::security::Admin;
use crate::{AppState, view};

/// Nonces are short alphanumeric strings; refuse anything else before a lookup.
fn check_nonce(raw: &str) -> Result<&str, Failure> {
    if raw.is_empty() || raw.len() > 64 || !raw.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(Failure::bad_request(format!(
            "{} is not a link nonce: open the link the bot gave you",
            Quoted(raw)
        )));
    }
    Ok(raw)
}

#[derive(Template)]
#[template(path = "link.html")]
struct LinkPage {
    address: String,
    platform: &'static str,
    message: String,
    expires: String,
    used: bool,
    expired: bool,
}

/// `/link/{nonce}`.
pub async fn page(State(s): State<AppState>, Path(raw): Path<String>) -> Result<Html<String>, PageError> {
    let c = s.links().pending_challenge(check_nonce(&raw)?).await?;
    let page = LinkPage {
        address: c.address.to_hex(),
        platform: c.account.platform().as_str(),
        message: c.message.clone(),
        expires: view::time(c.expires_at),
        used: c.used_at.is_some(),
        expired: c.expires_at <= Utc::now(),
    };
    Ok(Html(page.render().map_err(render_failed)?))
}

/// A challenge to issue (for a bot).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChallengeRequest {
    /// `discord:<id>` or `telegram:<id>`.
    pub account: String,
    /// The address to prove (0x or io1).
    pub address: String,
}

/// An issued challenge.
#[derive(Serialize, ToSchema)]
pub struct ChallengeJson {
    /// The single-use nonce.
    pub nonce: String,
    /// The exact text to sign with `personal_sign`.
    pub message: String,
    /// The portal page that asks the wallet to sign it.
    pub url: String,
    /// When it stops being accepted (RFC 3339).
    pub expires_at: String,
}

/// Issue a link challenge for a chat account (admin: bots call this).
#[utoipa::path(post, path = "/api/v1/links/challenge", tag = "admin", request_body = ChallengeRequest,
    security(("admin" = [])),
    responses((status = 200, body = ChallengeJson), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn api_challenge(
    _: Admin,
    State(s): State<AppState>,
    ApiJson(r): ApiJson<ChallengeRequest>,
) -> Result<Json<ChallengeJson>, ApiError> {
    let account = ChatAccount::parse(&r.account).map_err(|e| Failure::bad_request(e.to_string()))?;
    let address = parse_address("address", &r.address)?;
    let c = s.links().challenge(&account, address, Utc::now()).await?;
    Ok(Json(ChallengeJson { nonce: c.nonce, message: c.message, url: c.url, expires_at: c.expires_at.to_rfc3339() }))
}

/// A challenge as the portal shows it (the platform, never the chat user id).
#[derive(Serialize, ToSchema)]
pub struct PendingJson {
    /// The text to sign.
    pub message: String,
    /// The address it proves.
    pub address: String,
    /// discord or telegram.
    pub platform: String,
    /// When it expires (RFC 3339).
    pub expires_at: String,
    /// Whether it was used already.
    pub used: bool,
}

impl From<&StoredChallenge> for PendingJson {
    fn from(c: &StoredChallenge) -> Self {
        Self {
            message: c.message.clone(),
            address: c.address.to_hex(),
            platform: c.account.platform().as_str().to_owned(),
            expires_at: c.expires_at.to_rfc3339(),
            used: c.used_at.is_some(),
        }
    }
}

/// A pending challenge by nonce.
#[utoipa::path(get, path = "/api/v1/links/{nonce}", tag = "links",
    params(("nonce" = String, Path, description = "the challenge's nonce")),
    responses((status = 200, body = PendingJson), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn api_get(State(s): State<AppState>, Path(raw): Path<String>) -> Result<Json<PendingJson>, ApiError> {
    let c = s.links().pending_challenge(check_nonce(&raw)?).await?;
    Ok(Json(PendingJson::from(&c)))
}

/// A signed challenge.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    /// The challenge text exactly as issued.
    pub message: String,
    /// Its `personal_sign` signature, 0x hex.
    pub signature: String,
}

/// A link that was made.
#[derive(Serialize, ToSchema)]
pub struct LinkedJson {
    /// discord or telegram.
    pub platform: String,
    /// The address the account now votes with.
    pub address: String,
    /// Whether it replaced an earlier link of the account.
    pub replaced: bool,
}

impl From<&Linked> for LinkedJson {
    fn from(l: &Linked) -> Self {
        Self {
            platform: l.account.platform().as_str().to_owned(),
            address: l.address.to_hex(),
            replaced: l.previous.is_some(),
        }
    }
}

/// Check a signed challenge and make the link.
#[utoipa::path(post, path = "/api/v1/links/verify", tag = "links", request_body = VerifyRequest,
    responses((status = 200, body = LinkedJson), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 410, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn api_verify(
    State(s): State<AppState>,
    ApiJson(r): ApiJson<VerifyRequest>,
) -> Result<Json<LinkedJson>, ApiError> {
    let linked = s.links().verify(&r.message, &r.signature, Utc::now()).await?;
    Ok(Json(LinkedJson::from(&linked)))
}
