//! The semantics of serving files: a request target becomes a path beneath
//! the root, a file, then preconditions and a range, decided in the order
//! RFC 9110 gives. Reads the protocol's vocabulary; never touches a socket.
//!
//! | module | owns |
//! |---|---|
//! | [`site`] | the layers around the core, in one list: CORS, reload events, credentials, the sink, the SPA fallback, the 404 page |
//! | [`serve`] | the core: method (RFC 9110 §9), target, file, preconditions, range; knows no flag |
//! | [`decision`] | what was decided and why: the [`Decision`] every answer comes with |
//! | [`negotiate`] | which representation is sent (`Accept-Encoding`, siblings, compressed bytes), and media types |
//! | [`target`] | target → path: percent-decoding, `..`, dotfiles, names Windows reads otherwise |
//! | [`root`] | path → open file beneath the root, index files, file-system errors |
//! | [`conditional`] | validators, entity-tag comparison, preconditions in order (RFC 9110 §8.8, §13) |
//! | [`range`] | the Range field against a file's length, and its policy (RFC 9110 §14) |
//! | [`cache`] | small files kept in memory, revalidated on every request |
//! | [`archive`] | a folder as one `.zip`, streamed: its layout, its entries, ZIP64 |
//! | [`listing`] | a directory without an index file as an HTML page, in the order asked |
//! | [`sort`] | a listing's order: the query's, `--sort`'s, the headers' links |
//! | [`watch`] | `--watch`: changes beneath the root, and the script that reloads a page |
//! | [`guard`] | `--auth` and `--auth-path`: which paths need credentials, and whether a request has them |
//! | [`upload`] | `--sink`: who may upload, the form, and the report of an upload |
//! | [`qr`] | `--qr`: the address a phone would use, as a QR code for the terminal and the listings |
//! | [`store`] | `--upload`: where files may be stored, their names, whole or nothing |

pub mod archive;
pub mod cache;
pub mod conditional;
pub mod decision;
pub mod guard;
pub mod listing;
pub mod negotiate;
pub mod qr;
pub mod range;
pub mod root;
pub mod serve;
pub mod site;
pub mod sort;
pub mod store;
pub mod target;
pub mod upload;
pub mod watch;

pub use decision::{Decision, FileDecision};
pub use site::serve;
