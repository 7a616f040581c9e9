//! Shared harness of the insurance pool tests (`tests/`, the CLI's tests and demo, the
//! CU benchmark in `xtask/`).
//!
//! One place holds everything a test needs: starting the bank ([`runtime`]) at a fixed
//! instant ([`clock`]), sending
//! transactions and asserting refusals, tokens, the clock and conservation
//! ([`env::TestEnv`]), and instruction builders ([`ix`]). Test files only describe
//! scenarios.

pub mod clock;
pub mod env;
pub mod exchange;
pub mod exchange_ix;
pub mod params;
pub mod runtime;

/// Instruction builders come from the SDK (one definition for tests, CLI and users);
/// [`exchange`] re-exports the example exchange's ([`exchange_ix`]) with helpers;
/// [`params`] holds the tests' default pool parameters.
pub use insurance_pool_sdk::ix;

pub use env::*;
pub use ix::*;
pub use params::*;
pub use runtime::{selected_runtime, Runtime};

pub use anchor_lang::prelude::Pubkey;
pub use anchor_lang::AnchorDeserialize;
pub use example_exchange::errors::ExchangeError;
pub use example_exchange::state::{Market, MarketParams, Position};
pub use exchange::ExchangeKeys;
pub use insurance_pool::constants::pause;
pub use insurance_pool::errors::InsuranceError;
pub use insurance_pool::events::*;
pub use insurance_pool::instructions::ShortfallCover;
pub use insurance_pool::instructions::UpdateProtocolArgs;
pub use insurance_pool::math::Curve;
pub use insurance_pool::state::*;
pub use solana_keypair::Keypair;
pub use solana_signer::Signer;

/// Anchor's own error codes (constraint failures and the like).
pub use anchor_lang::error::ErrorCode as AnchorError;
