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

/// `init_if_needed` for a zero-copy account at the PDA of `seeds`, without the PDA
/// search when the account exists (Anchor's `init_if_needed` runs
/// `find_program_address`, ~1,500 compute units per bump tried, on every call).
///
/// - Existing account: authenticated as the module doc says (owned by this program,
///   `T`'s discriminator and size: only this function creates a `T`, and only at its
///   canonical PDA), so the caller binds it by its stored fields (`pool`, `owner`)
///   instead of re-deriving the address.
/// - New account (owned by the system program): `account` must be the canonical PDA
///   of `seeds` (Anchor's `ConstraintSeeds` otherwise); it is created rent-exempt,
///   paid by `payer` (an address someone sent lamports to beforehand is topped up,
///   allocated and assigned instead), and gets `T`'s discriminator. The bump is returned for the caller to store.
///
/// Returns the account's data and, when it was just created, its bump.
pub fn open_or_load<'a, 'info, T>(
    account: &'a AccountInfo<'info>,
    seeds: &[&[u8]],
    payer: &AccountInfo<'info>,
    system_program: &AccountInfo<'info>,
) -> Result<(RefMut<'a, T>, Option<u8>)>
where
    T: anchor_lang::ZeroCopy + anchor_lang::Owner,
{
    use anchor_lang::system_program::{
        allocate, assign, create_account, transfer, Allocate, Assign, CreateAccount, Transfer,
    };
    let space = 8 + std::mem::size_of::<T>();
    let mut created = None;
    if account.owner == &anchor_lang::system_program::ID {
        let (address, bump) = Pubkey::find_program_address(seeds, &crate::ID);
        if account.key() != address {
            return Err(
                Error::from(ErrorCode::ConstraintSeeds).with_pubkeys((account.key(), address))
            );
        }
        let bump_seed = [bump];
        let mut signer_seeds = seeds.to_vec();
        signer_seeds.push(&bump_seed);
        let signer: &[&[&[u8]]] = &[&signer_seeds];
        let rent = Rent::get()?.minimum_balance(space);
        let lamports = account.lamports();
        if lamports == 0 {
            let accounts = CreateAccount {
                from: payer.clone(),
                to: account.clone(),
            };
            let cpi = CpiContext::new_with_signer(system_program.key(), accounts, signer);
            create_account(cpi, rent, space as u64, &crate::ID)?;
        } else {
            // Someone sent lamports to the address first (`create_account` would fail:
            // "already in use"). Top up, allocate and assign, each allowed on a funded
            // system account on every cluster (`CreateAccountAllowPrefund` needs a
            // feature gate a cluster may not have activated).
            let top_up = rent.saturating_sub(lamports);
            if top_up > 0 {
                let accounts = Transfer {
                    from: payer.clone(),
                    to: account.clone(),
                };
                transfer(CpiContext::new(system_program.key(), accounts), top_up)?;
            }
            let accounts = Allocate {
                account_to_allocate: account.clone(),
            };
            let cpi = CpiContext::new_with_signer(system_program.key(), accounts, signer);
            allocate(cpi, space as u64)?;
            let accounts = Assign {
                account_to_assign: account.clone(),
            };
            let cpi = CpiContext::new_with_signer(system_program.key(), accounts, signer);
            assign(cpi, &crate::ID)?;
        }
        account.try_borrow_mut_data()?[..8].copy_from_slice(T::DISCRIMINATOR);
        created = Some(bump);
    }
    if account.owner != &T::owner() {
        return Err(Error::from(ErrorCode::AccountOwnedByWrongProgram)
            .with_pubkeys((*account.owner, T::owner())));
    }
    if !account.is_writable {
        return Err(ErrorCode::AccountNotMutable.into());
    }
    // The checks and errors of `AccountLoader`, in its order (another account type
    // of this program is a discriminator mismatch, whatever its size).
    let data = account.try_borrow_mut_data()?;
    if data.len() < 8 {
        return Err(ErrorCode::AccountDiscriminatorNotFound.into());
    }
    if &data[..8] != T::DISCRIMINATOR {
        return Err(ErrorCode::AccountDiscriminatorMismatch.into());
    }
    if data.len() != space {
        return Err(ErrorCode::AccountDidNotDeserialize.into());
    }
    let value = RefMut::map(data, |data| bytemuck::from_bytes_mut(&mut data[8..space]));
    Ok((value, created))
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
