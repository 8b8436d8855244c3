//! iodao-bot: the platform-independent chat command layer and the chat
//! adapters that render it.
//!
//! [`command`] turns text into a [`Command`] (Discord builds one from a slash
//! command's options); [`Commands`] runs it against core's services and
//! answers with a [`Reply`] — title, text, fields, buttons, public or
//! private — that each adapter renders, escaping every string for its
//! platform. Buttons carry an [`Action`]. Announcements ([`announce`]) are
//! found, built and fanned out to every platform here too, so every
//! platform says the same. [`telegram`] is the Telegram adapter (teloxide),
//! [`discord`] the Discord adapter (serenity).
//!
//! *Invariant:* this crate never writes SQL and never talks to the chain: it
//! calls core's services.

pub mod action;
pub mod announce;
pub mod command;
pub mod commands;
pub mod discord;
mod refusals;
pub mod reply;
pub mod telegram;
pub mod views;

pub use action::Action;
pub use announce::{Announcer, Event, Sink, Watcher};
pub use command::{Command, UsageError};
pub use commands::{Commands, Origin, Schedule};
pub use reply::{ActionReply, Block, Button, Field, Reply, Tone, Visibility};
