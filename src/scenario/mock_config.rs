//! The `mock:` block of a scenario: plain data describing the embedded emulator.
