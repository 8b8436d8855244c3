//! The command layer and the Telegram and Discord adapters against real
//! SQLite files (and local stand-ins of the Bot API, Discord's REST API and
//! Discord's gateway).

mod announce;
mod commands;
mod discord;
mod gateway;
mod helpers;
mod parsers;
mod telegram;
