//! Recipients (device programs, DePIN projects, dapps): the page with their
//! payout addresses in both forms and current weight, and the API (listing
//! is public, adding is admin-only).

use std::collections::BTreeMap;

use askama::Template;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Html;
use chrono::Utc;
use iodao_core::{Amount, Category, Quoted, Recipient, RecipientId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::ApiJson;
use crate::error::{ApiError, ErrorBody, Failure, PageError};
use crate::proposals::{parse_address, render_failed};
use crate::security::Admin;
use crate::{AppState, view};

/// Current weights, or `None` when stake cannot be read now (the page still
/// shows the recipients). "Current" is a recent block (kept for the stake
/// source's read window) and the powers are peeked, read in batches: a view
/// writes nothing and costs at most one node read per voter per window.
async fn current_weights(s: &AppState) -> Option<(u64, BTreeMap<RecipientId, Amount>)> {
    let block = match s.governance().recent_block().await {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!(error = %e, "recipient weights unavailable");
            return None;
        }
    };
    match s.allocations().weights_at(block).await {
        Ok(w) => Some((block, w)),
        Err(e) => {
            tracing::warn!(error = %e, "recipient weights unavailable");
            None
        }
    }
}

struct RowView {
    id: i64,
    name: String,
    hex: String,
    io: String,
    weight: String,
    active: bool,
}

struct Group {
    name: &'static str,
    rows: Vec<RowView>,
}

#[derive(Template)]
#[template(path = "recipients.html")]
struct RecipientsPage {
    block: String,
    groups: Vec<Group>,
}

fn category_title(c: Category) -> &'static str {
    match c {
        Category::DeviceProgram => "Device programs",
        Category::DepinProject => "DePIN projects",
        Category::Dapp => "Dapps",
    }
}

/// `/recipients`.
pub async fn page(State(s): State<AppState>) -> Result<Html<String>, PageError> {
    let recipients = s.allocations().recipients().await?;
    let weights = current_weights(&s).await;
    let weight = |r: &Recipient| match &weights {
        Some((_, w)) => view::iotx(w.get(&r.id).copied().unwrap_or_default()),
        None => "unavailable".to_owned(),
    };
    let groups = Category::ALL
        .into_iter()
        .map(|c| Group {
            name: category_title(c),
            rows: recipients
                .iter()
                .filter(|r| r.category == c)
                .map(|r| RowView {
                    id: r.id.get(),
                    name: r.name.clone(),
                    hex: r.payout.to_hex(),
                    io: r.payout.to_io(),
                    weight: weight(r),
                    active: r.active,
                })
                .collect(),
        })
        .collect();
    let block = weights.as_ref().map_or_else(|| "unknown (stake unavailable)".to_owned(), |(b, _)| b.to_string());
    Ok(Html(RecipientsPage { block, groups }.render().map_err(render_failed)?))
}

/// A recipient.
#[derive(Serialize, ToSchema)]
pub struct RecipientJson {
    /// Its number.
    pub id: i64,
    /// Its unique name.
    pub name: String,
    /// device-program, depin-project or dapp.
    pub category: String,
    /// Payout address, 0x.
    pub payout: String,
    /// The same address, io1.
    pub payout_io: String,
    /// Whether it takes votes and payouts.
    pub active: bool,
    /// Current weight in wei (stake-weighted allocation votes), if stake can be read.
    pub weight: Option<String>,
}

fn json(r: &Recipient, weight: Option<Amount>) -> RecipientJson {
    RecipientJson {
        id: r.id.get(),
        name: r.name.clone(),
        category: r.category.as_str().to_owned(),
        payout: r.payout.to_hex(),
        payout_io: r.payout.to_io(),
        active: r.active,
        weight: weight.map(|w| w.to_wei_string()),
    }
}

/// Every recipient with its current weight.
#[utoipa::path(get, path = "/api/v1/recipients", tag = "recipients", responses((status = 200, body = Vec<RecipientJson>)))]
pub async fn api_list(State(s): State<AppState>) -> Result<Json<Vec<RecipientJson>>, ApiError> {
    let recipients = s.allocations().recipients().await?;
    let weights = current_weights(&s).await;
    Ok(Json(
        recipients
            .iter()
            .map(|r| json(r, weights.as_ref().map(|(_, w)| w.get(&r.id).copied().unwrap_or_default())))
            .collect(),
    ))
}

/// A recipient to add.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRecipientJson {
    /// A unique name (1–64 characters).
    pub name: String,
    /// device-program, depin-project or dapp.
    pub category: String,
    /// Payout address (0x or io1).
    pub payout: String,
}

/// Add a recipient (admin).
#[utoipa::path(post, path = "/api/v1/recipients", tag = "admin", request_body = NewRecipientJson,
    security(("admin" = [])),
    responses((status = 201, body = RecipientJson), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn api_add(
    _: Admin,
    State(s): State<AppState>,
    ApiJson(r): ApiJson<NewRecipientJson>,
) -> Result<(StatusCode, Json<RecipientJson>), ApiError> {
    let name = r.name.trim();
    if name.is_empty() || name.chars().count() > 64 {
        return Err(Failure::bad_request("`name` must be 1 to 64 characters").into());
    }
    let category = Category::parse(&r.category).ok_or_else(|| {
        Failure::bad_request(format!(
            "{} is not a category: use device-program, depin-project or dapp",
            Quoted(&r.category)
        ))
    })?;
    let payout = parse_address("payout", &r.payout)?;
    let added = s.allocations().add_recipient(name, category, payout, &iodao_core::Actor::Admin, Utc::now()).await?;
    Ok((StatusCode::CREATED, Json(json(&added, None))))
}
