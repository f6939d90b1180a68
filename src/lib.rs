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
//! | [`static_files`] | the orchestrator: method (RFC 9110 §9), target, file, preconditions, range |
//! | [`conditional`] | validators, entity-tag comparison, preconditions in order (RFC 9110 §8.8, §13) |
//! | [`range`] | Range parsing and policy, Content-Range, multipart/byteranges (RFC 9110 §14) |
//! | [`cache`] | small files kept in memory, revalidated on every request |
//! | [`fs`] | target → file: percent-decoding, `..`, dotfiles, symlinks, index files |
//! | [`access_log`] | one escaped Common Log Format line per request |
//! | [`trace`] | `--trace`: every exchange and decision explained |
//! | [`capture`] | `--capture`: the server's conversations as a pcap file |
//! | [`sys`] | what differs between operating systems: path lookup beneath the root, sending files, socket set-up, limits, stop requests |

pub mod access_log;
pub mod body;
pub mod cache;
pub mod capture;
pub mod conditional;
pub mod connection;
pub mod fs;
pub mod range;
pub mod request;
pub mod response;
pub mod server;
pub mod static_files;
pub mod sys;
pub mod trace;

pub use server::{Config, Server, StartError};
