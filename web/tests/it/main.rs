//! The portal served for real (a loopback port, a SQLite file) and driven
//! over HTTP; the browser test drives it with headless Chromium.

mod api;
mod browser;
mod hardening;
mod helpers;
mod pages;
mod parsers;
