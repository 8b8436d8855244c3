//! The command layer and the Telegram adapter against real SQLite files
//! (and, for Telegram, a local stand-in of the Bot API).

mod commands;
mod helpers;
mod telegram;
