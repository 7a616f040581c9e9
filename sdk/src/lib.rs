//! Rust SDK of the segregated insurance pool.
//!
//! - [`pda`]: every program address;
//! - [`ix`]: an instruction builder for every instruction;
//! - [`decode_account`] and the account types in [`state`];
//! - [`errors`]: custom error code → name and message, from the committed IDLs;
//! - [`logs`]: Anchor events read from transaction logs (per program frame);
//! - [`units`]: token amounts in token units (`1500.25`) and base units, exactly;
//! - [`math`]: the program's own share, premium, exposure, shortfall and governance
//!   math (re-exported from the program crate: one source of truth).

pub mod errors;
pub mod ix;
pub mod logs;
pub mod units;

pub use insurance_pool::instructions::{ShortfallCover, UpdateProtocolArgs};
pub use insurance_pool::{constants, events, math, pda, state, ID};

/// Decodes an Anchor account of type `T` from its raw data (discriminator checked).
pub fn decode_account<T: anchor_lang::AccountDeserialize>(data: &[u8]) -> anchor_lang::Result<T> {
    T::try_deserialize(&mut &data[..])
}

/// The account data of a zero-copy account (`#[account(zero_copy)]`, e.g.
/// [`state::Pool`]): its discriminator followed by its in-memory bytes. Anchor gives
/// zero-copy types `AccountDeserialize` but no `AccountSerialize`; tests and the
/// fuzzer's model build the bytes they compare and write with this.
pub fn encode_zero_copy<T: bytemuck::Pod + anchor_lang::Discriminator>(state: &T) -> Vec<u8> {
    let mut data = T::DISCRIMINATOR.to_vec();
    data.extend_from_slice(bytemuck::bytes_of(state));
    data
}
