//! One classification of every service error into an HTTP status, a stable
//! machine code and a message for people, rendered as an HTML page for the
//! portal and as `{error, message, request_id}` JSON for the API.
//!
//! Messages come from the core errors, which say what was wrong and what to
//! do. The exceptions are failures inside: the database, the stake source
//! (a node, whose URL may carry an API key), the device registry, a
//! corrupt stored value. Those are logged with the request's id, and the
//! visitor learns only what failed in general terms, what to do, and the
//! id to report — never the SQL, a path, a URL or a node's answer.

use askama::Template;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use iodao_core::{AllocationsError, EpochError, GovernanceError, LinkError, SignedError, StakeError, StoreError};

/// Why a request did nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The HTTP status.
    pub status: StatusCode,
    /// A stable code for programs (`not_found`, `voting_closed`, …).
    pub code: &'static str,
    /// What was wrong and what to do, for people.
    pub message: String,
}

impl Failure {
    /// A failure with a status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into() }
    }

    /// 400: a parameter that does not parse.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// 404: an unknown id or path.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 500 for a failure inside (the store, a corrupt value): logged here
    /// with the request id, never shown.
    pub(crate) fn internal(e: &dyn std::fmt::Display) -> Self {
        tracing::error!(request_id = %id_for_log(), error = %e, "request failed inside");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the server could not complete this request; try again later, and if it keeps failing, \
             report the request id to the operators",
        )
    }

    /// 503 for a stake source that failed: its error may name the node's
    /// URL (with an API key) or quote its answer, so it is logged only.
    fn stake(e: &StakeError) -> Self {
        tracing::warn!(request_id = %id_for_log(), error = %e, "voting power could not be read");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "stake_unavailable",
            "voting power could not be read right now; nothing was changed. Try again in a few minutes",
        )
    }

    fn store(e: &StoreError) -> Self {
        match e {
            StoreError::DuplicateSignedMessage => {
                Self::new(StatusCode::CONFLICT, "replayed", "this signed message was already counted")
            }
            other => Self::internal(other),
        }
    }
}

impl From<GovernanceError> for Failure {
    fn from(e: GovernanceError) -> Self {
        use GovernanceError as G;
        let m = e.to_string();
        match &e {
            G::ProposalNotFound(_) => Self::not_found(m),
            G::VotingNotOpen { .. } => Self::new(StatusCode::CONFLICT, "voting_not_open", m),
            G::VotingClosed { .. } => Self::new(StatusCode::CONFLICT, "voting_closed", m),
            G::NotVotable { .. } | G::Transition(_) => Self::new(StatusCode::CONFLICT, "wrong_state", m),
            G::NoPower { .. } => Self::new(StatusCode::FORBIDDEN, "no_power", m),
            G::NotLinked(_) => Self::new(StatusCode::FORBIDDEN, "not_linked", m),
            G::BelowProposalThreshold { .. } => Self::new(StatusCode::FORBIDDEN, "below_threshold", m),
            G::Signed(SignedError::Replayed) => Self::new(StatusCode::CONFLICT, "replayed", m),
            G::Signed(SignedError::Superseded { .. } | SignedError::SameTime { .. }) => {
                Self::new(StatusCode::CONFLICT, "superseded", m)
            }
            G::Signed(_) => Self::new(StatusCode::BAD_REQUEST, "bad_signature", m),
            G::Selection(_) | G::Text(_) | G::Choices(_) | G::UnknownMethod(_) | G::ProposalId(_) => {
                Self::bad_request(m)
            }
            G::Stake(s) => Self::stake(s),
            G::Store(s) => Self::store(s),
        }
    }
}

impl From<LinkError> for Failure {
    fn from(e: LinkError) -> Self {
        use LinkError as L;
        let m = e.to_string();
        match &e {
            L::UnknownNonce(_) | L::NoOpenChallenge => Self::not_found(m),
            L::Replayed => Self::new(StatusCode::CONFLICT, "replayed", m),
            L::Expired(_) => Self::new(StatusCode::GONE, "expired", m),
            L::WrongSigner { .. } | L::WrongAddress { .. } | L::Altered => {
                Self::new(StatusCode::BAD_REQUEST, "bad_signature", m)
            }
            L::MalformedMessage(_) | L::MalformedSignature(_) | L::WrongDomain { .. } | L::WrongChain { .. } => {
                Self::bad_request(m)
            }
            L::Store(s) => Self::store(s),
        }
    }
}

impl From<AllocationsError> for Failure {
    fn from(e: AllocationsError) -> Self {
        Self::from(&e)
    }
}

impl From<&AllocationsError> for Failure {
    fn from(e: &AllocationsError) -> Self {
        use AllocationsError as A;
        use iodao_core::store::RecipientError as R;
        match e {
            A::Allocation(_) | A::Name(_) => Self::bad_request(e.to_string()),
            A::Recipient(R::NameTaken(_)) => Self::new(StatusCode::CONFLICT, "name_taken", e.to_string()),
            A::Recipient(R::Store(s)) | A::Store(s) | A::Device(iodao_core::DeviceStoreError::Store(s)) => {
                Self::store(s)
            }
            A::Device(iodao_core::DeviceStoreError::NoRecipient(_) | iodao_core::DeviceStoreError::NotListed(..)) => {
                Self::not_found(e.to_string())
            }
            A::Device(_) => Self::bad_request(e.to_string()),
            A::Stake(s) => Self::stake(s),
            A::Overflow => Self::internal(e),
        }
    }
}

impl From<EpochError> for Failure {
    fn from(e: EpochError) -> Self {
        match &e {
            EpochError::Allocations(a) => Self::from(a),
            EpochError::Stake(s) => Self::stake(s),
            EpochError::Allocate(_) => Self::new(StatusCode::UNPROCESSABLE_ENTITY, "allocation_failed", e.to_string()),
            EpochError::Store(s) => Self::store(s),
            EpochError::CorruptBundle(..)
            | EpochError::CorruptJournal(..)
            | EpochError::CorruptInputs(..)
            | EpochError::Export(..)
            | EpochError::RunVanished(_) => Self::internal(&e),
            EpochError::NoDeviceRegistry(_) => {
                Self::new(StatusCode::UNPROCESSABLE_ENTITY, "no_device_registry", e.to_string())
            }
            EpochError::Devices(_) => {
                tracing::warn!(request_id = %id_for_log(), error = %e, "device registry unavailable");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "registry_unavailable",
                    "the ioID device registry could not be read right now; nothing was changed. \
                     Try again in a few minutes",
                )
            }
        }
    }
}

/// The request id for a log line ("-" outside a request).
fn id_for_log() -> String {
    crate::request_id::current().unwrap_or_else(|| "-".to_owned())
}

/// The error page.
#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    reason: &'a str,
    message: &'a str,
    request_id: Option<String>,
}

/// A failure shown as a page.
#[derive(Debug)]
pub struct PageError(pub Failure);

impl<E: Into<Failure>> From<E> for PageError {
    fn from(e: E) -> Self {
        Self(e.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let f = self.0;
        let page = ErrorPage {
            status: f.status.as_u16(),
            reason: f.status.canonical_reason().unwrap_or("Error"),
            message: &f.message,
            request_id: crate::request_id::current(),
        };
        match page.render() {
            Ok(html) => (f.status, Html(html)).into_response(),
            Err(e) => {
                tracing::error!(error = %e, "error page failed to render");
                (f.status, f.message).into_response()
            }
        }
    }
}

/// A failure as the API's JSON: `{"error": code, "message": text}`.
#[derive(Debug)]
pub struct ApiError(pub Failure);

impl<E: Into<Failure>> From<E> for ApiError {
    fn from(e: E) -> Self {
        Self(e.into())
    }
}

/// The API's error body.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// A stable code: `bad_request`, `not_found`, `voting_closed`, `replayed`, …
    pub error: String,
    /// What was wrong and what to do.
    pub message: String,
    /// This request's id (also in the `x-request-id` header): quote it when
    /// reporting a failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let f = self.0;
        let body = ErrorBody { error: f.code.to_owned(), message: f.message, request_id: crate::request_id::current() };
        (f.status, Json(body)).into_response()
    }
}
