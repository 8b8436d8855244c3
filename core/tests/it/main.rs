//! Integration tests of the governance service against a real SQLite file.

mod allocations;
mod audit;
mod claims;
mod devices;
mod drafts;
mod epochs;
mod helpers;
mod lifecycle;
mod links;
mod parsers;
mod signed;
mod stake;
mod voting;
