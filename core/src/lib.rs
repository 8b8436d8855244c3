//! iodao-core: the domain, the rules, the store and the services of iodao.
//!
//! Every front-end (the CLI, the web portal, the Discord and Telegram bots)
//! calls the services here and never touches SQL or the chain itself. This
//! crate owns all SQL (in [`store`]) and defines the ports — such as
//! [`stake::StakeSource`] and [`devices::DeviceRegistry`] — that the chain
//! crate implements. It must not know
//! about any chat platform or HTTP, and it never represents money as a float.

pub mod allocations;
pub mod claims;
pub mod devices;
pub mod domain;
pub mod drafts;
pub mod epochs;
pub mod execution;
pub mod governance;
pub mod links;
pub mod merkle;
pub mod signed;
pub mod stake;
pub mod store;
mod writer;

pub use allocations::{Allocations, AllocationsError, StakedAllocation};
pub use devices::{DeviceError, DeviceRegistry, DeviceStatus};
pub use domain::*;
pub use drafts::{DraftProgress, DraftStep, Drafts};
pub use epochs::{
    Bundle, EpochError, EpochSettings, Epochs, PaymentJournal, Ran, RecipientBounds, VerifyError, export_json,
};
pub use governance::{Ballot, CastVote, DIGEST_MARGIN, Governance, GovernanceError, ProposalRules, Step};
pub use links::{Challenge, LinkError, LinkSettings, Linked, Links};
pub use signed::SignedError;
pub use stake::{CachedStake, CsvStakeSource, StakeError, StakeSource};
pub use store::{
    AuditError, DeviceStoreError, EpochRow, ExportKind, ExportRow, ListedDevice, PayoutRow, ProposalDraft,
    ProposalQuery, RecordedVote, Store, StoreError, TransitionFailed,
};
