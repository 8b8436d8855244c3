//! A voter's page: power at recent snapshots, votes cast, and which
//! platforms are linked — never the chat user ids, which are not ours to
//! publish.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Html;
use iodao_core::ProposalQuery;

use crate::error::PageError;
use crate::proposals::{parse_address, render_failed};
use crate::{AppState, view};

/// Recent snapshots shown.
const SNAPSHOTS: usize = 10;
/// Votes shown.
const VOTES: u32 = 100;

struct PowerView {
    block: u64,
    proposal: i64,
    power: String,
}

struct VoteView {
    proposal: i64,
    title: String,
    selection: String,
    power: String,
    source: &'static str,
    cast_at: String,
}

#[derive(Template)]
#[template(path = "voter.html")]
struct VoterPage {
    hex: String,
    io: String,
    platforms: Vec<&'static str>,
    powers: Vec<PowerView>,
    votes: Vec<VoteView>,
}

/// `/voters/{address}` (0x or io1).
pub async fn page(State(s): State<AppState>, Path(raw): Path<String>) -> Result<Html<String>, PageError> {
    let address = parse_address("address", &raw)?;
    let mut platforms: Vec<&'static str> =
        s.links().accounts_of(address).await?.iter().map(|a| a.platform().as_str()).collect();
    platforms.sort_unstable();
    platforms.dedup();

    let recent = s.governance().proposals(ProposalQuery { state: None, limit: 50, offset: 0 }).await?;
    let mut powers = Vec::new();
    for p in recent {
        let Some(block) = p.snapshot_block else { continue };
        if powers.iter().any(|v: &PowerView| v.block == block) {
            continue;
        }
        // Peeked: a page view records nothing (no stake-cache row, so no
        // write that would empty the page cache).
        let power = match s.governance().peek_power_at(address, block).await {
            Ok(a) => view::iotx(a),
            Err(e) => {
                tracing::warn!(error = %e, block, "power unavailable for the voter page");
                "unavailable".to_owned()
            }
        };
        powers.push(PowerView { block, proposal: p.id.get(), power });
        if powers.len() == SNAPSHOTS {
            break;
        }
    }

    let votes = s
        .governance()
        .votes_by_voter(address, VOTES)
        .await?
        .into_iter()
        .map(|(p, v)| VoteView {
            proposal: p.id.get(),
            title: p.title.to_string(),
            selection: v.selection.describe(&p.choices, p.method),
            power: view::iotx(v.power),
            source: v.source.as_str(),
            cast_at: view::time(v.cast_at),
        })
        .collect();
    let page = VoterPage { hex: address.to_hex(), io: address.to_io(), platforms, powers, votes };
    Ok(Html(page.render().map_err(render_failed)?))
}
