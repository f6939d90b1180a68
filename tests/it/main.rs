//! The integration tests: one crate, so the library is linked once. Each
//! module starts real servers (in this process, or the binary under test)
//! and talks to them over real sockets, with real clients where one exists.

mod architecture;
mod archive;
mod attacks;
mod auth;
mod browser;
mod capture;
mod cli;
mod codings;
mod common;
mod conditional_range;
mod connections;
mod curl;
mod docs;
mod errors;
mod files;
mod hardening;
mod hostile_input;
mod inspector;
mod lab;
mod listing;
mod local_server;
mod resilience;
mod sink;
mod tls;
mod trace;
mod uploads;
