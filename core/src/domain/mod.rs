//! The words of DESIGN.md as types that are valid once constructed.

mod account;
mod address;
mod amount;
mod audit;
mod ballot;
mod proposal;
mod quote;
mod recipient;
mod tally;
mod text;
mod vote;

pub use account::{ChatAccount, ChatAccountError, Platform};
pub use address::{Address, AddressError};
pub use amount::{Amount, AmountError, DECIMALS};
pub use audit::{Actor, AuditAction, AuditBreak, AuditEntry, ChainVerifier, chain_hash, proposal_subject};
pub use ballot::{Selection, SelectionError, VotingMethod};
pub use iodao_allocator::{Bps, BpsError, Category};
pub use proposal::{
    Choice, ChoiceError, Choices, ChoicesError, NewProposal, Outcome, Proposal, ProposalId, ProposalIdError,
    ProposalState, TransitionError, Window, WindowError, WindowPosition,
};
pub use quote::{QUOTE_CHARS, Quoted};
pub use recipient::{Allocation, AllocationError, Recipient, RecipientId, RecipientName, RecipientNameError};
pub use tally::{ChoiceRow, Tally, TallyError, TallyReport, Turnout};
pub use text::{Body, ChoiceLabel, TextError, Title};
pub use vote::{Vote, VoteSource};
