//! The protocol: HTTP/1.1 as bytes and rules, with no I/O and no knowledge of
//! files. Heads in, heads out.
//!
//! | module | owns |
//! |---|---|
//! | [`coding`] | content codings and `Accept-Encoding` negotiation (RFC 9110 §8.4, §12.5.3) |
//! | [`chunked`] | the chunked transfer coding both ways (RFC 9112 §7.1): the encoder for event streams, the decoder for request bodies |
//! | [`civil`] | a time as a UTC calendar date and clock, for logs and listings |
//! | [`status`] | the status codes and reason phrases (RFC 9110 §15) |
//! | [`tls_hello`] | the TLS ClientHello as Wireshark shows it (versions, suites, SNI, ALPN, key shares), for the explanation |
//! | [`fields`] | field values as comma-separated tokens (RFC 9110 §5.6) |
//! | [`request`] | request heads and their limits (RFC 9112 §2–§5) |
//! | [`host`] | the `Host` value: `uri-host [ ":" port ]` (RFC 9112 §3.2, RFC 3986 §3.2.2) |
//! | [`body`] | request body framing (RFC 9112 §6–§7), and the reader that owns a body's progress |
//! | [`persistence`] | whether a connection persists, its `Connection` field, why it closed (RFC 9112 §9) |
//! | [`byte_range`] | a byte range and its `Content-Range` (RFC 9110 §14.4) |
//! | [`multipart`] | `multipart/byteranges` framing (RFC 9110 §14.6) |
//! | [`response`] | response bodies and the one writer of response heads (RFC 9110 §6) |
//! | [`visible`] | client bytes made safe to print on a terminal |
//! | [`added`] | the operator's fields for every response (`--header`), and those refused |
//! | [`cors`] | `--cors`: which origins may read, and preflights (Fetch) |
//! | [`auth`] | Basic credentials (RFC 7617): the `Authorization` value read, and the verdict |
//! | [`form`] | `multipart/form-data` (RFC 7578) read as it streams, in bounded memory |
//! | [`words`] | every explanation in English and Chinese: [`words::Phrase`], [`words::Said`], [`words::Lang`] |

pub mod added;
pub mod auth;
pub mod body;
pub mod byte_range;
pub mod chunked;
pub mod civil;
pub mod coding;
pub mod cors;
pub mod fields;
pub mod form;
pub mod host;
pub mod multipart;
pub mod persistence;
pub mod request;
pub mod response;
pub mod status;
pub mod tls_hello;
pub mod visible;
pub mod words;

pub use persistence::{CloseReason, ConnectionField, KeepAlive, Policy};
pub use request::{HttpVersion, Method, Request};
pub use response::{Body, Response, Source};
pub use status::Status;
