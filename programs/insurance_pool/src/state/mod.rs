//! Program accounts: one file per account type.
//!
//! How instructions authenticate them: each account type is created by exactly one
//! instruction, always at its canonical PDA (`init` with `seeds` and the canonical
//! bump, which is then stored). So a typed `Account<T>` (owner = this program, `T`'s
//! discriminator) is necessarily the real one, and instructions bind accounts to each
//! other with `has_one` (an `Underwriter` to its `pool` and `owner`, a `Pool` to its
//! `mint`, `vault` and `token_program`) and check the protocol singleton with
//! `address = PROTOCOL_ADDRESS`, rather than re-deriving PDAs (about 1,500 compute
//! units each). The stored bumps sign the pool's vault transfers.

pub mod claim;
pub mod exchange;
pub mod member;
pub mod pool;
pub mod protocol;
pub mod underwriter;

pub use claim::*;
pub use exchange::*;
pub use member::*;
pub use pool::*;
pub use protocol::*;
pub use underwriter::*;
