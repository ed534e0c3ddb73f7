//! The switches that make the emulator misbehave on purpose (emulator.md, "Faults").
//! Each suite fault breaks exactly one fact, and the load-only `slow_auth` slows
//! authentication without breaking any; code asks `faults.has(Fault::X)` at the
//! one place the fact (or, for `slow_auth`, authentication) is implemented.

use crate::scenario::mock_config::Fault;

/// The faults switched on for one mock instance.
#[derive(Clone, Debug, Default)]
pub struct FaultSet {
    on: Vec<Fault>,
}

impl FaultSet {
    pub fn new(faults: &[Fault]) -> Self {
        let mut on = faults.to_vec();
        on.dedup();
        Self { on }
    }

    /// Whether `fault` is switched on.
    pub fn has(&self, fault: Fault) -> bool {
        self.on.contains(&fault)
    }

    /// Whether no fault is on (a conforming instance).
    pub fn is_empty(&self) -> bool {
        self.on.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn has_only_what_was_switched_on() {
        let set = FaultSet::new(&[Fault::NoCaptcha]);
        assert!(set.has(Fault::NoCaptcha));
        assert!(!set.has(Fault::BasicChallenge));
        assert!(FaultSet::default().is_empty());
    }
}
