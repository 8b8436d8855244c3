//! The command layer and the Telegram and Discord adapters against real
//! SQLite files (and local stand-ins of the Bot API and Discord's REST API).

mod announce;
mod commands;
mod discord;
mod helpers;
mod telegram;
