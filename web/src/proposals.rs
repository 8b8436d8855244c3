//! Proposals: the list and detail pages (tally bars, quorum, voters, the
//! wallet vote form) and their API (list, get, tally, votes, relaying
//! signed votes and signed proposals).

use askama::Template;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Html;
use chrono::Utc;
use iodao_core::signed::types;
use iodao_core::{
    Address, CastVote, Proposal, ProposalId, ProposalQuery, ProposalState, Quoted, TallyReport, Vote, VotingMethod,
    WindowPosition,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::ApiJson;
use crate::error::{ApiError, ErrorBody, Failure, PageError};
use crate::{AppState, markdown, view};

/// Proposals per page of the list.
const PAGE_SIZE: u32 = 20;
/// Voters per page of a proposal.
const VOTERS_PAGE: u32 = 50;
/// The API's largest page.
const MAX_LIMIT: u32 = 100;

/// Parses a path's proposal number, or says why not.
pub(crate) fn parse_id(raw: &str) -> Result<ProposalId, Failure> {
    ProposalId::parse(raw).map_err(|e| Failure::bad_request(e.to_string()))
}

fn parse_state(raw: Option<&str>) -> Result<Option<ProposalState>, Failure> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => ProposalState::parse(s).map(Some).ok_or_else(|| {
            Failure::bad_request(format!(
                "{} is not a state: use pending, active, passed, rejected, quorum-not-met, executed or cancelled",
                Quoted(s)
            ))
        }),
    }
}

/// Parses an optional positive count (`page`, `limit`, `offset`).
pub(crate) fn parse_count(name: &str, raw: Option<&str>, default: u32, min: u32, max: u32) -> Result<u32, Failure> {
    let Some(s) = raw.map(str::trim).filter(|s| !s.is_empty()) else { return Ok(default) };
    match s.parse::<u32>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => {
            Err(Failure::bad_request(format!("`{name}` must be a whole number from {min} to {max}, not {}", Quoted(s))))
        }
    }
}

// ----- pages ---------------------------------------------------------------

/// `?state=&page=` of the list page.
#[derive(Deserialize)]
pub struct ListParams {
    state: Option<String>,
    page: Option<String>,
}

struct Filter {
    href: String,
    label: &'static str,
    current: bool,
}

struct Row {
    id: i64,
    title: String,
    state: &'static str,
    method: &'static str,
    starts: String,
    ends: String,
    voters: u64,
    participation: String,
    turnout: String,
}

#[derive(Template)]
#[template(path = "proposals.html")]
struct ListPage {
    state: Option<&'static str>,
    filters: Vec<Filter>,
    rows: Vec<Row>,
    page: u32,
    pages: u32,
    prev: Option<String>,
    next: Option<String>,
}

const FILTERS: [&str; 7] = ["active", "pending", "passed", "rejected", "quorum-not-met", "executed", "cancelled"];

/// `/` and `/proposals`: newest first, filtered by state, paginated.
pub async fn list_page(State(s): State<AppState>, Query(q): Query<ListParams>) -> Result<Html<String>, PageError> {
    let filter = parse_state(q.state.as_deref())?;
    let page = parse_count("page", q.page.as_deref(), 1, 1, 1_000_000)?;
    let total = s.governance().count_proposals(filter).await?;
    let pages = u32::try_from(total.div_ceil(u64::from(PAGE_SIZE))).unwrap_or(u32::MAX).max(1);
    if page > pages {
        return Err(Failure::not_found(format!("page {page} is past the last page ({pages})")).into());
    }
    let list = s
        .governance()
        .proposals_with_turnout(ProposalQuery { state: filter, limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE })
        .await?;
    let rows = list
        .into_iter()
        .map(|(p, t)| Row {
            id: p.id.get(),
            title: p.title.to_string(),
            state: p.state.as_str(),
            method: p.method.as_str(),
            starts: view::time(p.window.start()),
            ends: view::time(p.window.end()),
            voters: t.voters,
            participation: view::iotx(t.participation),
            turnout: if p.quorum.is_zero() {
                "no quorum".to_owned()
            } else {
                view::percent(view::basis_points(t.participation.wei(), p.quorum.wei()))
            },
        })
        .collect();
    let state_name = filter.map(ProposalState::as_str);
    let href = |state: Option<&str>, page: u32| {
        let mut h = String::from("/proposals?");
        if let Some(st) = state {
            h.push_str("state=");
            h.push_str(st);
            h.push('&');
        }
        h.push_str(&format!("page={page}"));
        h
    };
    let mut filters = vec![Filter { href: "/proposals".into(), label: "all", current: filter.is_none() }];
    filters.extend(FILTERS.iter().map(|f| Filter {
        href: format!("/proposals?state={f}"),
        label: f,
        current: state_name == Some(*f),
    }));
    let page_view = ListPage {
        state: state_name,
        filters,
        rows,
        page,
        pages,
        prev: (page > 1).then(|| href(state_name, page - 1)),
        next: (page < pages).then(|| href(state_name, page + 1)),
    };
    Ok(Html(page_view.render().map_err(render_failed)?))
}

pub(crate) fn render_failed(e: askama::Error) -> Failure {
    Failure::internal(&format!("template failed to render: {e}"))
}

struct Head {
    id: i64,
    title: String,
    state: &'static str,
    method: &'static str,
    author: String,
    starts: String,
    ends: String,
    snapshot: String,
}

struct ChoiceView {
    number: usize,
    label: String,
    power: String,
    share: String,
    width: String,
    y: usize,
    leading: bool,
}

struct VoteView {
    voter: String,
    selection: String,
    power: String,
    source: &'static str,
    cast_at: String,
}

#[derive(Template)]
#[template(path = "proposal.html")]
struct DetailPage {
    p: Head,
    body_html: String,
    choices: Vec<ChoiceView>,
    bars_height: usize,
    participation: String,
    quorum: String,
    quorum_pct: String,
    quorum_meter: String,
    quorum_met: bool,
    voters: u64,
    threshold: String,
    outcome: &'static str,
    votable: bool,
    method_kind: &'static str,
    votes: Vec<VoteView>,
    votes_prev: Option<String>,
    votes_next: Option<String>,
}

/// `?voters=` page of a proposal's voter list.
#[derive(Deserialize)]
pub struct DetailParams {
    voters: Option<String>,
}

fn outcome_name(r: &TallyReport) -> &'static str {
    match r.outcome {
        iodao_core::Outcome::Passed => "passes",
        iodao_core::Outcome::Rejected => "rejected",
        iodao_core::Outcome::QuorumNotMet => "quorum not met",
    }
}

/// `/proposals/{id}`.
pub async fn page(
    State(s): State<AppState>,
    Path(raw): Path<String>,
    Query(q): Query<DetailParams>,
) -> Result<Html<String>, PageError> {
    let id = parse_id(&raw)?;
    let voters_page = parse_count("voters", q.voters.as_deref(), 1, 1, 1_000_000)?;
    let p = s.governance().proposal(id).await?;
    let tally = s.governance().live_tally(&p).await?;
    let r = p.report(&tally);
    let votes = s.governance().votes(id, VOTERS_PAGE + 1, (voters_page - 1) * VOTERS_PAGE).await?;
    let more = votes.len() > VOTERS_PAGE as usize;
    let votes: Vec<VoteView> = votes.into_iter().take(VOTERS_PAGE as usize).map(|v| vote_view(&p, &v)).collect();
    let now = Utc::now();
    let votable = p.state == ProposalState::Active && p.window.position(now) == WindowPosition::Open;
    let quorum_bps =
        if p.quorum.is_zero() { 10_000 } else { view::basis_points(r.participation.wei(), p.quorum.wei()) };
    let page = DetailPage {
        body_html: markdown::render(p.body.as_str()),
        choices: r
            .choices
            .iter()
            .enumerate()
            .map(|(i, c)| ChoiceView {
                number: c.number,
                label: c.label.clone(),
                power: view::iotx(c.power),
                share: view::percent(u64::from(c.share_bps)),
                width: view::width(u64::from(c.share_bps)),
                y: i * 8,
                leading: r.leader == Some(c.number),
            })
            .collect(),
        bars_height: r.choices.len() * 8,
        participation: view::iotx(r.participation),
        quorum: view::iotx(r.quorum),
        quorum_pct: view::percent(quorum_bps),
        quorum_meter: view::width(quorum_bps),
        quorum_met: r.quorum_met,
        voters: r.voters,
        threshold: r.threshold.to_string(),
        outcome: outcome_name(&r),
        votable,
        method_kind: match p.method {
            VotingMethod::SingleChoice => "single",
            VotingMethod::Approval => "approval",
            VotingMethod::Weighted | VotingMethod::Quadratic => "weights",
        },
        votes,
        votes_prev: (voters_page > 1).then(|| format!("/proposals/{}?voters={}", id, voters_page - 1)),
        votes_next: more.then(|| format!("/proposals/{}?voters={}", id, voters_page + 1)),
        p: Head {
            id: p.id.get(),
            title: p.title.to_string(),
            state: p.state.as_str(),
            method: p.method.as_str(),
            author: p.author.to_hex(),
            starts: view::time(p.window.start()),
            ends: view::time(p.window.end()),
            snapshot: p.snapshot_block.map_or_else(|| "not fixed yet".to_owned(), |b| b.to_string()),
        },
    };
    Ok(Html(page.render().map_err(render_failed)?))
}

fn vote_view(p: &Proposal, v: &Vote) -> VoteView {
    VoteView {
        voter: v.voter.to_hex(),
        selection: v.selection.describe(&p.choices, p.method),
        power: view::iotx(v.power),
        source: v.source.as_str(),
        cast_at: view::time(v.cast_at),
    }
}

// ----- API -----------------------------------------------------------------

/// A proposal.
#[derive(Serialize, ToSchema)]
pub struct ProposalJson {
    /// Its number.
    pub id: i64,
    /// Title.
    pub title: String,
    /// Body (Markdown).
    pub body: String,
    /// Author's address (0x, EIP-55).
    pub author: String,
    /// Choice labels, numbered from 1.
    pub choices: Vec<String>,
    /// single-choice, approval, weighted or quadratic.
    pub method: String,
    /// pending, active, passed, rejected, quorum-not-met, executed or cancelled.
    pub state: String,
    /// Voting opens (RFC 3339, UTC).
    pub starts_at: String,
    /// Voting closes (exclusive).
    pub ends_at: String,
    /// The block voting power is read at, once active.
    pub snapshot_block: Option<u64>,
    /// Quorum in wei (decimal string).
    pub quorum: String,
    /// Pass threshold in basis points.
    pub threshold_bps: u16,
    /// Created (RFC 3339).
    pub created_at: String,
}

impl From<&Proposal> for ProposalJson {
    fn from(p: &Proposal) -> Self {
        Self {
            id: p.id.get(),
            title: p.title.to_string(),
            body: p.body.to_string(),
            author: p.author.to_hex(),
            choices: p.choices.labels().map(str::to_owned).collect(),
            method: p.method.as_str().to_owned(),
            state: p.state.as_str().to_owned(),
            starts_at: p.window.start().to_rfc3339(),
            ends_at: p.window.end().to_rfc3339(),
            snapshot_block: p.snapshot_block,
            quorum: p.quorum.to_wei_string(),
            threshold_bps: p.threshold.get(),
            created_at: p.created_at.to_rfc3339(),
        }
    }
}

/// A page of proposals.
#[derive(Serialize, ToSchema)]
pub struct ProposalList {
    /// The proposals, newest first.
    pub items: Vec<ProposalJson>,
    /// How many match the filter in all.
    pub total: u64,
}

/// One choice's count.
#[derive(Serialize, ToSchema)]
pub struct ChoiceJson {
    /// 1-based number.
    pub number: usize,
    /// Label.
    pub label: String,
    /// Power behind it, wei (decimal string).
    pub power: String,
    /// Share in basis points, rounded down.
    pub share_bps: u16,
}

/// A live tally.
#[derive(Serialize, ToSchema)]
pub struct TallyJson {
    /// The proposal.
    pub proposal: i64,
    /// Per choice.
    pub choices: Vec<ChoiceJson>,
    /// Voters with a current vote.
    pub voters: u64,
    /// Power that took part, wei.
    pub participation: String,
    /// Quorum, wei.
    pub quorum: String,
    /// Whether participation reaches the quorum.
    pub quorum_met: bool,
    /// Threshold in basis points.
    pub threshold_bps: u16,
    /// passed, rejected or quorum-not-met if it closed now.
    pub outcome: String,
    /// The single leading choice, if any.
    pub leader: Option<usize>,
}

impl TallyJson {
    fn new(p: &Proposal, r: &TallyReport) -> Self {
        Self {
            proposal: p.id.get(),
            choices: r
                .choices
                .iter()
                .map(|c| ChoiceJson {
                    number: c.number,
                    label: c.label.clone(),
                    power: c.power.to_wei_string(),
                    share_bps: c.share_bps,
                })
                .collect(),
            voters: r.voters,
            participation: r.participation.to_wei_string(),
            quorum: r.quorum.to_wei_string(),
            quorum_met: r.quorum_met,
            threshold_bps: r.threshold.get(),
            outcome: iodao_core::ProposalState::Closed(r.outcome).as_str().to_owned(),
            leader: r.leader,
        }
    }
}

/// A current vote.
#[derive(Serialize, ToSchema)]
pub struct VoteJson {
    /// The voter (0x).
    pub voter: String,
    /// Stored form: `choice=bps` pairs (`1=10000`, `1=6000,2=4000`).
    pub selection: String,
    /// As people read it (`For`, `Red 60%, Green 40%`).
    pub described: String,
    /// Power at the snapshot, wei.
    pub power: String,
    /// cli, discord, telegram or signed.
    pub source: String,
    /// When (RFC 3339).
    pub cast_at: String,
}

impl VoteJson {
    fn new(p: &Proposal, v: &Vote) -> Self {
        Self {
            voter: v.voter.to_hex(),
            selection: v.selection.to_stored(),
            described: v.selection.describe(&p.choices, p.method),
            power: v.power.to_wei_string(),
            source: v.source.as_str().to_owned(),
            cast_at: v.cast_at.to_rfc3339(),
        }
    }
}

/// `?state=&limit=&offset=`.
#[derive(Deserialize, IntoParams)]
pub struct ApiListParams {
    /// Only this state.
    state: Option<String>,
    /// At most this many (1–100, default 20).
    limit: Option<String>,
    /// Skip this many.
    offset: Option<String>,
}

/// `?limit=&offset=`.
#[derive(Deserialize, IntoParams)]
pub struct PageParams {
    /// At most this many (1–100, default 50).
    limit: Option<String>,
    /// Skip this many.
    offset: Option<String>,
}

/// List proposals, newest first.
#[utoipa::path(get, path = "/api/v1/proposals", params(ApiListParams), tag = "proposals",
    responses((status = 200, body = ProposalList), (status = 400, body = ErrorBody)))]
pub async fn api_list(
    State(s): State<AppState>,
    Query(q): Query<ApiListParams>,
) -> Result<Json<ProposalList>, ApiError> {
    let state = parse_state(q.state.as_deref())?;
    let limit = parse_count("limit", q.limit.as_deref(), 20, 1, MAX_LIMIT)?;
    let offset = parse_count("offset", q.offset.as_deref(), 0, 0, u32::MAX)?;
    let total = s.governance().count_proposals(state).await?;
    let items = s.governance().proposals(ProposalQuery { state, limit, offset }).await?;
    Ok(Json(ProposalList { items: items.iter().map(ProposalJson::from).collect(), total }))
}

/// One proposal.
#[utoipa::path(get, path = "/api/v1/proposals/{id}", tag = "proposals",
    params(("id" = String, Path, description = "proposal number")),
    responses((status = 200, body = ProposalJson), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn api_get(State(s): State<AppState>, Path(raw): Path<String>) -> Result<Json<ProposalJson>, ApiError> {
    let p = s.governance().proposal(parse_id(&raw)?).await?;
    Ok(Json(ProposalJson::from(&p)))
}

/// A proposal's live tally.
#[utoipa::path(get, path = "/api/v1/proposals/{id}/tally", tag = "proposals",
    params(("id" = String, Path, description = "proposal number")),
    responses((status = 200, body = TallyJson), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn api_tally(State(s): State<AppState>, Path(raw): Path<String>) -> Result<Json<TallyJson>, ApiError> {
    let p = s.governance().proposal(parse_id(&raw)?).await?;
    let tally = s.governance().live_tally(&p).await?;
    Ok(Json(TallyJson::new(&p, &p.report(&tally))))
}

/// A proposal's current votes, largest power first.
#[utoipa::path(get, path = "/api/v1/proposals/{id}/votes", tag = "votes",
    params(("id" = String, Path, description = "proposal number"), PageParams),
    responses((status = 200, body = Vec<VoteJson>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn api_votes(
    State(s): State<AppState>,
    Path(raw): Path<String>,
    Query(q): Query<PageParams>,
) -> Result<Json<Vec<VoteJson>>, ApiError> {
    let id = parse_id(&raw)?;
    let limit = parse_count("limit", q.limit.as_deref(), 50, 1, MAX_LIMIT)?;
    let offset = parse_count("offset", q.offset.as_deref(), 0, 0, u32::MAX)?;
    let p = s.governance().proposal(id).await?;
    let votes = s.governance().votes(id, limit, offset).await?;
    Ok(Json(votes.iter().map(|v| VoteJson::new(&p, v)).collect()))
}

/// A wallet-signed EIP-712 `Vote` to relay.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignedVoteJson {
    /// The voter (0x or io1); must be the signer.
    pub voter: String,
    /// The proposal number.
    pub proposal: u64,
    /// The selection as typed: `2`, `Against`, `1,3`, `1=60 2=40`.
    pub choice: String,
    /// Unix seconds when signed (at most 10 minutes old).
    pub timestamp: u64,
    /// 65-byte signature, 0x hex.
    pub signature: String,
}

/// A vote that was counted.
#[derive(Serialize, ToSchema)]
pub struct CastJson {
    /// The proposal.
    pub proposal: i64,
    /// Who it counted for.
    pub voter: String,
    /// What was recorded, as people read it.
    pub described: String,
    /// Power at the snapshot, wei.
    pub power: String,
    /// The snapshot block.
    pub snapshot_block: Option<u64>,
    /// Whether it replaced the voter's earlier vote.
    pub replaced: bool,
}

impl From<&CastVote> for CastJson {
    fn from(c: &CastVote) -> Self {
        Self {
            proposal: c.proposal.id.get(),
            voter: c.vote.voter.to_hex(),
            described: c.vote.selection.describe(&c.proposal.choices, c.proposal.method),
            power: c.vote.power.to_wei_string(),
            snapshot_block: c.proposal.snapshot_block,
            replaced: c.replaced.is_some(),
        }
    }
}

pub(crate) fn parse_address(field: &str, raw: &str) -> Result<Address, Failure> {
    Address::parse(raw).map_err(|e| Failure::bad_request(format!("`{field}`: {e}")))
}

/// Relay a signed vote (signed over the domain of `GET /api/v1/eip712`). It
/// counts for the signer with their power at the snapshot block if it was
/// signed after the voter's current vote was made (409 `superseded` if not);
/// a replay is refused (409 `replayed`).
#[utoipa::path(post, path = "/api/v1/votes", tag = "votes", request_body = SignedVoteJson,
    responses((status = 200, body = CastJson), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn api_submit_vote(
    State(s): State<AppState>,
    ApiJson(v): ApiJson<SignedVoteJson>,
) -> Result<Json<CastJson>, ApiError> {
    let voter = parse_address("voter", &v.voter)?;
    let message = types::Vote { voter: voter.as_evm(), proposal: v.proposal, choice: v.choice, timestamp: v.timestamp };
    let cast = s.governance().cast_signed_vote(message, &v.signature, Utc::now()).await?;
    Ok(Json(CastJson::from(&cast)))
}

/// This deployment's EIP-712 domain and types.
#[derive(Serialize, ToSchema)]
pub struct Eip712Json {
    /// `{ name: "iodao", version: "1", chainId, salt }`: the salt is this
    /// deployment's own, so a signature made for another iodao is refused.
    #[schema(value_type = Object)]
    pub domain: serde_json::Value,
    /// `EIP712Domain`, `Vote` and `Proposal`, each a list of `{ name, type }`.
    #[schema(value_type = Object)]
    pub types: serde_json::Value,
}

/// What a wallet signs for this deployment: the EIP-712 domain (with its
/// salt) and types, ready for `eth_signTypedData_v4` with `primaryType`
/// `Vote` or `Proposal` and a message (see `POST /api/v1/votes`).
#[utoipa::path(get, path = "/api/v1/eip712", tag = "votes", responses((status = 200, body = Eip712Json)))]
pub async fn api_eip712(State(s): State<AppState>) -> Json<Eip712Json> {
    let mut typed = iodao_core::signed::typed_data(s.governance().eip712_domain());
    Json(Eip712Json { domain: typed["domain"].take(), types: typed["types"].take() })
}

/// A wallet-signed EIP-712 `Proposal` to relay.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignedProposalJson {
    /// The author (0x or io1); must be the signer and above the proposal threshold.
    pub author: String,
    /// Title.
    pub title: String,
    /// Body (Markdown).
    pub body: String,
    /// 2–20 choice labels.
    pub choices: Vec<String>,
    /// single-choice, approval, weighted or quadratic.
    pub method: String,
    /// Unix seconds when signed.
    pub timestamp: u64,
    /// 65-byte signature, 0x hex.
    pub signature: String,
}

/// Relay a signed proposal; it gets the DAO's default window, quorum and threshold.
#[utoipa::path(post, path = "/api/v1/proposals", tag = "proposals", request_body = SignedProposalJson,
    responses((status = 201, body = ProposalJson), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn api_submit_proposal(
    State(s): State<AppState>,
    ApiJson(v): ApiJson<SignedProposalJson>,
) -> Result<(StatusCode, Json<ProposalJson>), ApiError> {
    let author = parse_address("author", &v.author)?;
    let message = types::Proposal {
        author: author.as_evm(),
        title: v.title,
        body: v.body,
        choices: v.choices,
        method: v.method,
        timestamp: v.timestamp,
    };
    let p = s.governance().create_signed_proposal(message, &v.signature, Utc::now()).await?;
    Ok((StatusCode::CREATED, Json(ProposalJson::from(&p))))
}
