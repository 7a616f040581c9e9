//! Shared harness of the insurance pool integration tests.
//!
//! One place holds everything a test needs: starting the bank ([`runtime`]), sending
//! transactions and asserting refusals, tokens, the clock and conservation
//! ([`env::TestEnv`]), and instruction builders ([`ix`]). Test files only describe
//! scenarios.

pub mod env;
pub mod ix;
pub mod runtime;

pub use env::*;
pub use ix::*;
pub use runtime::{selected_runtime, Runtime};
