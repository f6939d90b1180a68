//! glasshttp: a small HTTP/1.1 static file server, written by hand over
//! `std::net` so that every rule it follows can be read in one place.
//!
//! | module | owns |
//! |---|---|
//! | [`server`] | bind, accept, one thread per connection |
//! | [`connection`] | persistence and pipelining (RFC 9112 §9), timeouts, graceful close |
//! | [`request`] | request heads and their limits (RFC 9112 §2–§5), header list tokens (RFC 9110 §5.6.1) |
//! | [`body`] | request body framing: Content-Length and chunked (RFC 9112 §6–§7) |
//! | [`response`] | status codes, bodies, the one writer of response heads (RFC 9110 §6, §15) |
//! | [`static_files`] | methods (RFC 9110 §9), file responses and their fields (RFC 9110 §8) |
//! | [`fs`] | target → file: percent-decoding, `..`, dotfiles, symlinks, index files |
//! | [`access_log`] | one escaped Common Log Format line per request |

pub mod access_log;
pub mod body;
pub mod connection;
pub mod fs;
pub mod request;
pub mod response;
pub mod server;
pub mod static_files;

pub use server::{Config, Server, StartError};
