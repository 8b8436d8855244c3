//! The portal and API fed hostile text over real HTTP (multi-byte,
//! controls, bidi marks, up to 10 kB; at least 10 000 cases each): path
//! segments, query parameters and JSON bodies. The server always answers —
//! a page or JSON, never a 5xx, never a dropped connection — and a refusal
//! says what was wrong in a readable message.

use std::fmt::Write as _;
use std::time::Duration;

use iodao_testkit::hostile::{self, check, readable};
use iodao_web::{RateLimit, Settings};
use proptest::prelude::*;
use serde_json::{Value, json};

use crate::helpers::*;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime")
}

/// A portal whose write limit lets ten thousand requests through: the
/// limiter is tested on its own; here every request must reach a parser.
fn portal(rt: &tokio::runtime::Runtime) -> Portal {
    rt.block_on(async {
        let p = Portal::with(Settings {
            admin_token: admin_token(),
            rate_limit: RateLimit { per: Duration::from_nanos(1), burst: u32::MAX },
            ..Settings::default()
        })
        .await;
        p.proposal("Fund the meters", "body").await;
        p.epoch().await;
        p
    })
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn encode(s: &str) -> String {
    s.bytes().fold(String::new(), |mut out, b| {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
        out
    })
}

/// A refusal is a 4xx with a readable message; nothing is a 5xx.
fn answered(status: u16, body: &str, json: bool) -> Result<(), TestCaseError> {
    prop_assert!(status < 500, "{} for a hostile request: {:.300}", status, body);
    if status >= 400 && json {
        let v: Value =
            serde_json::from_str(body).map_err(|e| TestCaseError::fail(format!("not JSON ({e}): {body:.300}")))?;
        prop_assert!(v["error"].is_string(), "no error code: {}", v);
        readable(v["message"].as_str().unwrap_or_default())?;
    }
    Ok(())
}

#[test]
fn hostile_path_segments_and_query_parameters_get_a_page_or_a_refusal() {
    let rt = runtime();
    let p = portal(&rt);
    let routes = [
        "/voters/",
        "/proposals/",
        "/epochs/",
        "/epochs/1/",
        "/link/",
        "/static/",
        "/api/v1/proposals/",
        "/api/v1/epochs/",
        "/api/v1/links/",
    ];
    let seeds = ["ioé1abc", "io1t2htvpfl862vnwdqnuekd9p4ulh3h6hdf9mua7", "1", "#1", "-1", "bundle.json", "claims.json"];
    let case = (prop::sample::select(routes.to_vec()), hostile::text(&seeds), hostile::text(&["active", "10", "0"]));
    check("portal paths and queries", case, |(route, segment, query)| {
        rt.block_on(async {
            let q = encode(&query);
            for path in [
                format!("{route}{}", encode(&segment)),
                // One parameter each: a URL stays under 64 kB, as HTTP clients require.
                format!("/proposals?state={q}"),
                format!("/api/v1/proposals?limit={q}"),
                format!("/api/v1/proposals?offset={q}"),
            ] {
                let r = p.http.get(p.url(&path)).send().await.map_err(|e| TestCaseError::fail(e.to_string()))?;
                let status = r.status().as_u16();
                let body = r.text().await.map_err(|e| TestCaseError::fail(e.to_string()))?;
                answered(status, &body, path.starts_with("/api/"))?;
            }
            Ok(())
        })
    });
}

/// A body for `route` with the hostile text in every string field.
fn shaped(route: &str, s: &str) -> Value {
    match route {
        "/api/v1/votes" => json!({"voter": s, "proposal": 1, "choice": s, "timestamp": 1, "signature": s}),
        "/api/v1/proposals" => json!({
            "author": s, "title": s, "body": s, "choices": [s, s], "method": s, "timestamp": 1, "signature": s
        }),
        "/api/v1/links/verify" => json!({"message": s, "signature": s}),
        "/api/v1/links/challenge" => json!({"account": s, "address": s}),
        "/api/v1/recipients" => json!({"name": s, "category": s, "payout": s}),
        _ => json!({"slot": s}),
    }
}

#[test]
fn hostile_json_bodies_are_refused_with_a_readable_error() {
    let rt = runtime();
    let p = portal(&rt);
    let routes = [
        "/api/v1/votes",
        "/api/v1/proposals",
        "/api/v1/links/verify",
        "/api/v1/links/challenge",
        "/api/v1/recipients",
        "/api/v1/admin/epochs/plan",
    ];
    let seeds = ["{\"voter\":", "\"", "}", "[", "null", "1e999", "\\u0000", "\\ud800"];
    let case = (prop::sample::select(routes.to_vec()), hostile::text(&seeds), any::<bool>());
    check("API JSON bodies", case, |(route, s, raw)| {
        rt.block_on(async {
            let admin = !matches!(route, "/api/v1/votes" | "/api/v1/proposals" | "/api/v1/links/verify");
            let mut req = p.http.post(p.url(route)).header("content-type", "application/json");
            req = if raw { req.body(s.clone()) } else { req.body(shaped(route, &s).to_string()) };
            if admin {
                req = req.bearer_auth(ADMIN);
            }
            let r = req.send().await.map_err(|e| TestCaseError::fail(e.to_string()))?;
            let status = r.status().as_u16();
            let body = r.text().await.map_err(|e| TestCaseError::fail(e.to_string()))?;
            answered(status, &body, true)
        })
    });
}
