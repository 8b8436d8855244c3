//! Epochs: the list, one epoch's allocation (SVG shares per category and per
//! recipient, the table with target, payout and binding rule, transaction
//! links), its verifiable bundle, and the API.

use std::collections::BTreeMap;

use askama::Template;
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{Html, Response};
use chrono::Utc;
use futures_util::TryStreamExt as _;
use iodao_core::store::RunRow;
use iodao_core::{Amount, Bundle, Category, EpochRow, ExportKind, PayoutRow, Quoted};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody, Failure, PageError};
use crate::proposals::render_failed;
use crate::security::Admin;
use crate::{AppState, view};

fn parse_number(raw: &str) -> Result<u64, Failure> {
    match raw.trim().parse::<u64>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(Failure::bad_request(format!("{} is not an epoch number: epochs are numbered from 1", Quoted(raw)))),
    }
}

async fn epoch(s: &AppState, n: u64) -> Result<(EpochRow, Vec<PayoutRow>), Failure> {
    s.epochs().get(n).await?.ok_or_else(|| Failure::not_found(format!("epoch {n} has not run: see /epochs")))
}

struct Summary {
    /// Allocated: it has a page.
    allocated: bool,
    number: u64,
    slot: String,
    state: String,
    budget: String,
    spent: String,
    unallocated: String,
    snapshot_block: u64,
}

impl From<&EpochRow> for Summary {
    fn from(e: &EpochRow) -> Self {
        Self {
            allocated: true,
            number: e.number,
            slot: view::time(e.slot),
            state: e.state.clone(),
            budget: view::iotx(e.budget),
            spent: view::iotx(e.spent),
            unallocated: view::iotx(e.unallocated),
            snapshot_block: e.snapshot_block,
        }
    }
}

/// A run not allocated: its state only (a failure's reason can quote the
/// node's error, so it is for the operator's `iodao epoch list`).
impl From<&RunRow> for Summary {
    fn from(r: &RunRow) -> Self {
        let none = || "—".to_owned();
        Self {
            allocated: false,
            number: r.number,
            slot: view::time(r.slot),
            state: r.state.to_string(),
            budget: none(),
            spent: none(),
            unallocated: none(),
            snapshot_block: r.snapshot_block,
        }
    }
}

#[derive(Template)]
#[template(path = "epochs.html")]
struct ListPage {
    rows: Vec<Summary>,
}

/// `/epochs`.
pub async fn list_page(State(s): State<AppState>) -> Result<Html<String>, PageError> {
    // Runs not allocated and allocated epochs, by number: a failed run
    // keeps its number while later slots' epochs run.
    let mut rows: Vec<Summary> = s.epochs().runs().await?.iter().map(Summary::from).collect();
    rows.extend(s.epochs().list().await?.iter().map(Summary::from));
    rows.sort_by_key(|r| std::cmp::Reverse(r.number));
    Ok(Html(ListPage { rows }.render().map_err(render_failed)?))
}

struct CategoryView {
    name: &'static str,
    slug: &'static str,
    amount: String,
    share: String,
    x: String,
    width: String,
}

struct PayoutView {
    name: String,
    category: &'static str,
    slug: &'static str,
    address: String,
    target: String,
    amount: String,
    share: String,
    binding: String,
    width: String,
    y: usize,
}

struct ClaimView {
    root: String,
    state: String,
    total: String,
    tx: Option<String>,
    href: Option<String>,
}

struct BatchView {
    batch: u32,
    state: String,
    tx: Option<String>,
    href: Option<String>,
    block: String,
    gas: String,
}

#[derive(Template)]
#[template(path = "epoch.html")]
struct DetailPage {
    e: Summary,
    digest: String,
    categories: Vec<CategoryView>,
    payouts: Vec<PayoutView>,
    bars_height: usize,
    batches: Vec<BatchView>,
    claim: Option<ClaimView>,
}

/// `/epochs/{n}`.
pub async fn page(State(s): State<AppState>, Path(raw): Path<String>) -> Result<Html<String>, PageError> {
    let n = parse_number(&raw)?;
    let (row, payouts) = epoch(&s, n).await?;
    let recipients: BTreeMap<i64, (String, Category)> =
        s.allocations().recipients().await?.into_iter().map(|r| (r.id.get(), (r.name, r.category))).collect();
    let budget = row.budget.wei();
    let mut per_category: BTreeMap<&'static str, (Category, Amount)> = BTreeMap::new();
    let mut views = Vec::with_capacity(payouts.len());
    for (i, p) in payouts.iter().enumerate() {
        let (name, category) = recipients
            .get(&p.recipient_id)
            .cloned()
            .unwrap_or_else(|| (format!("#{}", p.recipient_id), Category::Dapp));
        let entry = per_category.entry(category.as_str()).or_insert((category, Amount::ZERO));
        entry.1 = entry.1.checked_add(p.amount).unwrap_or(entry.1);
        let bps = view::basis_points(p.amount.wei(), budget);
        views.push(PayoutView {
            name,
            category: category.as_str(),
            slug: category.as_str(),
            address: p.payout.to_hex(),
            target: view::iotx(p.target),
            amount: view::iotx(p.amount),
            share: view::percent(bps),
            binding: p.binding.clone(),
            width: view::width(bps),
            y: i * 8,
        });
    }
    let mut x = 0u64;
    let categories = Category::ALL
        .into_iter()
        .filter_map(|c| per_category.get(c.as_str()))
        .map(|(c, amount)| {
            let bps = view::basis_points(amount.wei(), budget);
            let v = CategoryView {
                name: c.as_str(),
                slug: c.as_str(),
                amount: view::iotx(*amount),
                share: view::percent(bps),
                x: view::width(x),
                width: view::width(bps),
            };
            x += bps;
            v
        })
        .collect();
    let explorer = s.settings().explorer_tx_url.clone();
    let journal = s.epochs().payment(n).await?;
    let batches: Vec<BatchView> = journal
        .batches
        .into_iter()
        .map(|b| BatchView {
            batch: b.batch,
            state: b.tx.state.to_string(),
            href: b.tx.tx_hash.as_ref().and_then(|tx| explorer.as_ref().map(|base| format!("{base}{tx}"))),
            tx: b.tx.tx_hash,
            block: b.tx.block.map(|v| v.to_string()).unwrap_or_default(),
            gas: b.tx.gas_used.map(|v| v.to_string()).unwrap_or_default(),
        })
        .collect();
    let claim = journal.claim.map(|c| ClaimView {
        href: c.tx.tx_hash.as_ref().and_then(|tx| explorer.as_ref().map(|base| format!("{base}{tx}"))),
        tx: c.tx.tx_hash,
        root: c.root,
        state: c.tx.state.to_string(),
        total: Amount::parse_wei(&c.total).map(view::iotx).unwrap_or(c.total),
    });
    let page = DetailPage {
        claim,
        digest: row.digest.clone(),
        e: Summary::from(&row),
        bars_height: views.len().max(1) * 8,
        payouts: views,
        categories,
        batches,
    };
    Ok(Html(page.render().map_err(render_failed)?))
}

/// An epoch's stored export as a streamed JSON response (built and stored
/// by the first request: see [`iodao_core::Epochs::export`]); with
/// `download`, as an attachment named after the epoch. Exports never change,
/// so clients may keep them.
async fn export(s: &AppState, n: u64, kind: ExportKind, download: bool) -> Result<Response, Failure> {
    let Some(e) = s.epochs().export(n, kind).await? else {
        epoch(s, n).await?;
        return Err(match kind {
            ExportKind::Claims => Failure::not_found(format!("epoch {n} is not paid by Merkle claims")),
            ExportKind::Bundle => Failure::not_found(format!("epoch {n} has no bundle")),
        });
    };
    let body = Body::from_stream(s.epochs().export_chunks(&e).inspect_err(move |err| {
        tracing::error!(error = %err, epoch = n, "stored export unreadable; response cut short");
    }));
    let mut r = Response::new(body);
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(e.size));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{}\"", e.digest)) {
        h.insert(header::ETAG, etag);
    }
    if download {
        let name = match kind {
            ExportKind::Bundle => format!("epoch-{n}.json"),
            ExportKind::Claims => format!("epoch-{n}-claims.json"),
        };
        if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
            h.insert(header::CONTENT_DISPOSITION, v);
        }
    }
    Ok(r)
}

/// `/epochs/{n}/claims.json`: every claim with its proof, as a download.
pub async fn claims_download(State(s): State<AppState>, Path(raw): Path<String>) -> Result<Response, PageError> {
    Ok(export(&s, parse_number(&raw)?, ExportKind::Claims, true).await?)
}

/// An epoch's Merkle claims: the root and every leaf with its proof, for
/// `Distributor.claim(epoch, index, account, amount, proof)` (the file
/// `iodao epoch execute --claim` writes).
#[utoipa::path(get, path = "/api/v1/epochs/{number}/claims", tag = "epochs",
    params(("number" = String, Path, description = "epoch number")),
    responses((status = 200, description = "`{root, claims: [{index, account, amount, proof}]}`", body = Object),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn api_claims(State(s): State<AppState>, Path(raw): Path<String>) -> Result<Response, ApiError> {
    Ok(export(&s, parse_number(&raw)?, ExportKind::Claims, false).await?)
}

/// `/epochs/{n}/bundle.json`: the bundle as a download.
pub async fn bundle_download(State(s): State<AppState>, Path(raw): Path<String>) -> Result<Response, PageError> {
    Ok(export(&s, parse_number(&raw)?, ExportKind::Bundle, true).await?)
}

/// An epoch.
#[derive(Serialize, ToSchema)]
pub struct EpochJson {
    /// Its number.
    pub number: u64,
    /// The scheduled slot it ran for (RFC 3339).
    pub slot: String,
    /// The block voters' power was read at.
    pub snapshot_block: u64,
    /// Budget, wei.
    pub budget: String,
    /// Sum of payouts, wei.
    pub spent: String,
    /// What no feasible allocation could spend, wei.
    pub unallocated: String,
    /// allocated, executing or executed.
    pub state: String,
    /// keccak256 of its bundle.
    pub digest: String,
}

impl From<&EpochRow> for EpochJson {
    fn from(e: &EpochRow) -> Self {
        Self {
            number: e.number,
            slot: e.slot.to_rfc3339(),
            snapshot_block: e.snapshot_block,
            budget: e.budget.to_wei_string(),
            spent: e.spent.to_wei_string(),
            unallocated: e.unallocated.to_wei_string(),
            state: e.state.clone(),
            digest: e.digest.clone(),
        }
    }
}

/// A payout.
#[derive(Serialize, ToSchema)]
pub struct PayoutJson {
    /// The recipient's id.
    pub recipient: i64,
    /// Where it is paid (0x).
    pub address: String,
    /// Amount, wei.
    pub amount: String,
    /// Its vote-proportional target, wei.
    pub target: String,
    /// The rule that bound it.
    pub binding: String,
}

/// Every epoch, newest first.
#[utoipa::path(get, path = "/api/v1/epochs", tag = "epochs", responses((status = 200, body = Vec<EpochJson>)))]
pub async fn api_list(State(s): State<AppState>) -> Result<Json<Vec<EpochJson>>, ApiError> {
    Ok(Json(s.epochs().list().await?.iter().map(EpochJson::from).collect()))
}

/// One epoch.
#[utoipa::path(get, path = "/api/v1/epochs/{number}", tag = "epochs",
    params(("number" = String, Path, description = "epoch number")),
    responses((status = 200, body = EpochJson), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn api_get(State(s): State<AppState>, Path(raw): Path<String>) -> Result<Json<EpochJson>, ApiError> {
    let (row, _) = epoch(&s, parse_number(&raw)?).await?;
    Ok(Json(EpochJson::from(&row)))
}

/// An epoch's payouts.
#[utoipa::path(get, path = "/api/v1/epochs/{number}/payouts", tag = "epochs",
    params(("number" = String, Path, description = "epoch number")),
    responses((status = 200, body = Vec<PayoutJson>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn api_payouts(
    State(s): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Json<Vec<PayoutJson>>, ApiError> {
    let (_, payouts) = epoch(&s, parse_number(&raw)?).await?;
    Ok(Json(
        payouts
            .iter()
            .map(|p| PayoutJson {
                recipient: p.recipient_id,
                address: p.payout.to_hex(),
                amount: p.amount.to_wei_string(),
                target: p.target.to_wei_string(),
                binding: p.binding.clone(),
            })
            .collect(),
    ))
}

/// An epoch's bundle: its inputs and result, to recompute with `iodao epoch verify`.
#[utoipa::path(get, path = "/api/v1/epochs/{number}/bundle", tag = "epochs",
    params(("number" = String, Path, description = "epoch number")),
    responses((status = 200, description = "the bundle, byte for byte as `iodao epoch export` writes it", body = Object),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn api_bundle(State(s): State<AppState>, Path(raw): Path<String>) -> Result<Response, ApiError> {
    Ok(export(&s, parse_number(&raw)?, ExportKind::Bundle, false).await?)
}

/// Dry run (admin): the split an epoch run now would make under the
/// configured policy. Stores nothing.
#[utoipa::path(post, path = "/api/v1/admin/epochs/plan", tag = "admin", security(("admin" = [])),
    responses((status = 200, description = "the bundle an epoch run now would store", body = Object),
        (status = 401, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn api_plan(_: Admin, State(s): State<AppState>) -> Result<Json<Bundle>, ApiError> {
    Ok(Json(s.epochs().plan(Utc::now()).await?))
}
