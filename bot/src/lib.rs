//! iodao-bot: the platform-independent chat command layer (parse a command,
//! call a core service, build a reply model) and thin Discord and Telegram
//! adapters that render it. It never writes SQL and never talks to the chain
//! directly. (Filled by the Discord and Telegram issues.)
