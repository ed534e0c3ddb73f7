//! The one lock helper of the emulator: every table behind a `Mutex` is reached
//! through `lock`, so a handler that panicked while holding one cannot take the
//! whole mock down with it.

use std::sync::{Mutex, MutexGuard};

/// Locks a mutex, shrugging off poisoning: the data of a panicked handler is
/// still a consistent table (every update is one statement under the lock).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
