//! Program accounts: one file per account type.
//!
//! How instructions authenticate them: each account type is created by exactly one
//! instruction, always at its canonical PDA (`init` with `seeds` and the canonical
//! bump, which is then stored). So a typed account (`AccountLoader<T>` or
//! `Account<T>`: owner = this program, `T`'s discriminator) is necessarily the real
//! one, and instructions bind accounts to each other with `has_one` (an `Underwriter`
//! to its `pool` and `owner`, a `Pool` to its `mint`, `vault` and `token_program`) and
//! check the protocol singleton with `address = PROTOCOL_ADDRESS`, rather than
//! re-deriving PDAs (about 1,500 compute units each). The stored bumps sign the pool's
//! vault transfers.
//!
//! Every account but `VoteRecord` is zero-copy (`AccountLoader`: no Borsh round trip,
//! which cost about 8 compute units per byte); the loader checks the same owner and
//! discriminator `Account<T>` did.

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

use anchor_lang::prelude::*;
use std::cell::RefMut;

/// The data of an `init_if_needed` zero-copy account: initialised (discriminator
/// written on exit) when this instruction just created it, loaded otherwise.
pub fn load_or_init<'a, 'info, T>(loader: &'a AccountLoader<'info, T>) -> Result<RefMut<'a, T>>
where
    T: anchor_lang::ZeroCopy + anchor_lang::Owner,
{
    let fresh = loader
        .as_ref()
        .try_borrow_data()?
        .iter()
        .take(8)
        .all(|b| *b == 0);
    if fresh {
        loader.load_init()
    } else {
        loader.load_mut()
    }
}

/// Borsh for a plain-old-data type (`repr(C)`, no padding, every field a little-endian
/// integer or byte array): its bytes, which is exactly what the field-by-field derive
/// writes, in one copy instead of one call per field. Outside the IDL build only (there
/// the type derives `AnchorSerialize`/`AnchorDeserialize` for its IDL definition:
/// `#[cfg_attr(feature = "idl-build", derive(AnchorSerialize, AnchorDeserialize))]`).
#[macro_export]
macro_rules! pod_borsh {
    ($ty:ty) => {
        #[cfg(not(feature = "idl-build"))]
        impl anchor_lang::AnchorSerialize for $ty {
            fn serialize<W: std::io::Write>(&self, writer: &mut W) -> std::io::Result<()> {
                writer.write_all(bytemuck::bytes_of(self))
            }
        }

        #[cfg(not(feature = "idl-build"))]
        impl anchor_lang::AnchorDeserialize for $ty {
            fn deserialize_reader<R: std::io::Read>(reader: &mut R) -> std::io::Result<Self> {
                let mut value = <Self as bytemuck::Zeroable>::zeroed();
                reader.read_exact(bytemuck::bytes_of_mut(&mut value))?;
                Ok(value)
            }
        }
    };
}
