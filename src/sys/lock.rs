//! Locks whose poisoning is no reason to stop: a thread that panicked while
//! holding one (a connection's panic is contained to its thread) leaves a
//! value that every user of these locks keeps consistent at each step, so
//! the others go on with it.

use std::sync::{LockResult, PoisonError};

/// What a lock, read, write or wait gave, poisoned or not.
pub fn ignoring_poison<Guard>(result: LockResult<Guard>) -> Guard {
    result.unwrap_or_else(PoisonError::into_inner)
}
