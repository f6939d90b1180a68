//! glasshttp: a small HTTP/1.1 static file server, written by hand over
//! `std::net` so that every rule it follows can be read in one place.
//!
//! The tree is the architecture. Five parts, each a folder:
//!
//! | part | owns |
//! |---|---|
//! | [`protocol`] | HTTP/1.1 as bytes and rules: request heads, body framing, persistence, status codes, byte ranges and multipart framing, the one writer of response heads. Pure. |
//! | [`files`] | the semantics of serving files: target → path beneath the root → file → preconditions → range, the [`Decision`](files::Decision), the file cache |
//! | [`observe`] | the observer seam: one [`ExchangeRecord`](observe::ExchangeRecord) per exchange, read by the access log, `--trace`, `--capture` and the inspector's journal |
//! | [`server`] | the listener, the connection threads, the connection loop, the wire writer, shutdown |
//! | [`sys`] | what differs between operating systems, behind one small interface, and the few system-level helpers every part shares (locks that outlive a panic, hashing) |
//!
//! Which part may use which (checked by `tests/it/architecture.rs`, from
//! the `use` lines):
//!
//! - `server` → `protocol`, `files`, `observe`, `sys`
//! - `observe` → `protocol`, `files`, `sys` (the lock helper and the TCP facts of a connection)
//! - `files` → `protocol`, `sys`
//! - `protocol` and `sys` → nothing of the crate
//!
//! So the semantics and the protocol never reach into the server or the
//! observers, and observers read values but never drive the loop.

// No unsafe code but calls with no safe wrapper, allowed where they are
// alone, each with the proof beside it: one Windows call (asking whether
// the console window is the process's own: `sys/console.rs`) and Linux's
// TCP_INFO and saved SYN (`sys/tcp.rs`).
#![deny(unsafe_code)]

pub mod files;
pub mod observe;
pub mod protocol;
pub mod server;
pub mod sys;

pub use server::{Config, Server, StartError};
