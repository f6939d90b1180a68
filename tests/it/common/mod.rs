//! Shared helpers, one file per concern:
//!
//! | module | holds |
//! |---|---|
//! | `fixtures` | the repository's site, and a temporary site per test |
//! | `launch` | the server under test, in process or as the real binary |
//! | `client` | a raw client that reads one response at a time, and the reply |
//! | `tools` | external programs: present or not, `prlimit`, `setpriv` |

mod client;
mod fixtures;
mod launch;
mod tools;

pub use client::*;
pub use fixtures::*;
pub use launch::*;
pub use tools::*;
