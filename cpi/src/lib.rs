//! CPI helpers for an exchange program that integrates the segregated insurance pool.
//!
//! Two calls cover the whole integration, each signed by the exchange's registered
//! authority PDA (`signer_seeds`):
//!
//! - [`cover_shortfall`] when a liquidation leaves bad debt: reads the nonce the pool
//!   expects from the registration (or [`cover_shortfall_with_nonce`] with the
//!   exchange's own counter), makes the CPI and returns the pool's
//!   [`ShortfallCover`] (`covered` paid into the registered destination, `uncovered`
//!   left to socialise). A paused pool or an inactive registration pays `covered: 0`
//!   and the call still succeeds, so the liquidation goes on.
//! - [`contribute_volume`] on each trade: pays the pool's risk-priced volume fee on
//!   `volume` from a token account the exchange authority owns, refusing a rate above
//!   `max_rate_bps`, and returns the fee charged.
//!
//! Both check that the return data was written by the insurance program and decode it
//! without panicking. The crate depends only on `anchor-lang` and the program's `cpi`
//! build, so it builds for SBF; it re-exports the account types an exchange's
//! `#[derive(Accounts)]` struct names ([`Pool`], [`Protocol`], [`ExchangeRegistration`],
//! [`PoolExposure`], [`InsurancePool`]).
//!
//! ```ignore
//! let cover = insurance_pool_cpi::cover_shortfall(
//!     &ShortfallAccounts { insurance_program, exchange_authority, protocol, pool,
//!         registration, destination, vault, mint, token_program },
//!     shortfall,
//!     &[&[b"authority", market.as_ref(), &[bump]]],
//! )?;
//! ```

use anchor_lang::prelude::*;
use anchor_lang::solana_program::program::get_return_data;

pub use insurance_pool::constants::{EXCHANGE_SEED, POOL_SEED, PROTOCOL_ADDRESS, VAULT_SEED};
pub use insurance_pool::instructions::ShortfallCover;
pub use insurance_pool::program::InsurancePool;
pub use insurance_pool::state::{ExchangeRegistration, Pool, PoolExposure, Protocol};
pub use insurance_pool::{pda, ID};

/// Errors of the helpers themselves (the pool's own errors propagate unchanged).
#[error_code(offset = 7000)]
pub enum CpiHelperError {
    #[msg("The insurance program returned no result, or another program's")]
    MissingReturnData,
    #[msg("The insurance program's return data could not be decoded")]
    MalformedReturnData,
    #[msg("The registration is not an insurance-pool exchange registration")]
    NotARegistration,
    #[msg("The insurance program account is not the insurance pool program")]
    WrongInsuranceProgram,
}

/// Accounts of [`cover_shortfall`], in any exchange's account list.
pub struct ShortfallAccounts<'a, 'info> {
    /// The insurance pool program (its id is checked).
    pub insurance_program: &'a AccountInfo<'info>,
    /// The exchange's registered authority PDA (signs with `signer_seeds`).
    pub exchange_authority: &'a AccountInfo<'info>,
    pub protocol: &'a AccountInfo<'info>,
    pub pool: &'a AccountInfo<'info>,
    pub registration: &'a AccountInfo<'info>,
    /// The registration's destination token account (receives what is covered).
    pub destination: &'a AccountInfo<'info>,
    /// The pool's vault.
    pub vault: &'a AccountInfo<'info>,
    pub mint: &'a AccountInfo<'info>,
    pub token_program: &'a AccountInfo<'info>,
}

/// Accounts of [`contribute_volume`].
pub struct VolumeAccounts<'a, 'info> {
    /// The insurance pool program (its id is checked).
    pub insurance_program: &'a AccountInfo<'info>,
    /// The exchange's registered authority PDA (signs with `signer_seeds`; owns `source`).
    pub exchange_authority: &'a AccountInfo<'info>,
    pub protocol: &'a AccountInfo<'info>,
    pub pool: &'a AccountInfo<'info>,
    pub registration: &'a AccountInfo<'info>,
    /// The pool's exposure account, PDA `["exposure", pool]`.
    pub exposure: &'a AccountInfo<'info>,
    /// The exchange's token account the fee is paid from.
    pub source: &'a AccountInfo<'info>,
    /// The pool's vault.
    pub vault: &'a AccountInfo<'info>,
    /// The protocol treasury's token account; needed while a protocol fee is set.
    pub treasury_token: Option<&'a AccountInfo<'info>>,
    pub mint: &'a AccountInfo<'info>,
    pub token_program: &'a AccountInfo<'info>,
}

/// Whether `contribute_volume` accepts volume from `registration` at `now`: premium
/// contributions not paused for the pool, and the registration active and past its
/// activation on the pool's exit clock (a pending change applied first, as the pool
/// does). The pool's own functions decide, so this never drifts from the program. An
/// exchange that keeps trading while its pool refuses contributions checks it and
/// skips the fee; one that makes insurance a condition of trading does not.
///
/// The caller must bind the accounts it passes here to itself: `protocol` at
/// [`PROTOCOL_ADDRESS`], `pool` its market's pool, and `registration` its own
/// (`registration.pool == pool`, `registration.exchange_authority ==` its authority).
/// Otherwise a trader passes another exchange's deactivated registration, this says
/// "no", and the trade skips its fee.
pub fn accepts_volume(
    protocol: &Protocol,
    pool: &Pool,
    registration: &ExchangeRegistration,
    now: i64,
) -> bool {
    if pool.is_paused(protocol.paused, insurance_pool::constants::pause::PREMIUM) {
        return false;
    }
    let clock = pool.exit_clock(protocol, now);
    let mut registration = *registration;
    registration.refresh(clock);
    registration.can_draw(clock)
}

/// The nonce the pool expects on `registration`'s next `cover_shortfall`.
pub fn next_nonce(registration: &AccountInfo) -> Result<u64> {
    require_keys_eq!(*registration.owner, ID, CpiHelperError::NotARegistration);
    let data = registration.try_borrow_data()?;
    let registration = ExchangeRegistration::try_deserialize(&mut &data[..])
        .map_err(|_| error!(CpiHelperError::NotARegistration))?;
    Ok(registration.next_nonce)
}

/// Reports a liquidation shortfall of `amount` to the pool and returns what it covered,
/// with the nonce the registration expects now. That nonce does not make a report
/// idempotent (it always matches): the exchange's own state must (the example closes
/// the position first). To have the pool refuse a repeated report, keep your own
/// counter and use [`cover_shortfall_with_nonce`].
pub fn cover_shortfall(
    accounts: &ShortfallAccounts,
    amount: u64,
    signer_seeds: &[&[&[u8]]],
) -> Result<ShortfallCover> {
    let nonce = next_nonce(accounts.registration)?;
    cover_shortfall_with_nonce(accounts, amount, nonce, signer_seeds)
}

/// [`cover_shortfall`] with the caller's `nonce`: the pool refuses it with
/// `InvalidNonce` unless it equals the registration's `next_nonce` (a report built
/// from a stale counter, or sent twice, fails).
pub fn cover_shortfall_with_nonce(
    accounts: &ShortfallAccounts,
    amount: u64,
    nonce: u64,
    signer_seeds: &[&[&[u8]]],
) -> Result<ShortfallCover> {
    let cpi = insurance_pool::cpi::accounts::CoverShortfall {
        exchange_authority: accounts.exchange_authority.clone(),
        protocol: accounts.protocol.clone(),
        pool: accounts.pool.clone(),
        registration: accounts.registration.clone(),
        destination: accounts.destination.clone(),
        vault: accounts.vault.clone(),
        mint: accounts.mint.clone(),
        token_program: accounts.token_program.clone(),
    };
    let ctx =
        CpiContext::new(program_id(accounts.insurance_program)?, cpi).with_signer(signer_seeds);
    insurance_pool::cpi::cover_shortfall(ctx, amount, nonce)?;
    read_return()
}

/// Pays the pool's volume fee on `volume` (refused above `max_rate_bps`) and returns the
/// fee charged, protocol fee included.
pub fn contribute_volume(
    accounts: &VolumeAccounts,
    volume: u64,
    max_rate_bps: u64,
    signer_seeds: &[&[&[u8]]],
) -> Result<u64> {
    let cpi = insurance_pool::cpi::accounts::ContributeVolume {
        exchange_authority: accounts.exchange_authority.clone(),
        protocol: accounts.protocol.clone(),
        pool: accounts.pool.clone(),
        registration: accounts.registration.clone(),
        exposure: accounts.exposure.clone(),
        source: accounts.source.clone(),
        vault: accounts.vault.clone(),
        treasury_token: accounts.treasury_token.cloned(),
        mint: accounts.mint.clone(),
        token_program: accounts.token_program.clone(),
    };
    let mut ctx =
        CpiContext::new(program_id(accounts.insurance_program)?, cpi).with_signer(signer_seeds);
    if accounts.treasury_token.is_none() {
        // An omitted optional account is sent as the program's own id: the runtime
        // needs that account among the infos.
        ctx = ctx.with_remaining_accounts(vec![accounts.insurance_program.clone()]);
    }
    insurance_pool::cpi::contribute_volume(ctx, volume, max_rate_bps)?;
    read_return()
}

/// The insurance program's id, refusing any other program account (the CPI never goes
/// to a program the caller substituted).
fn program_id(program: &AccountInfo) -> Result<Pubkey> {
    require_keys_eq!(*program.key, ID, CpiHelperError::WrongInsuranceProgram);
    Ok(ID)
}

/// Decodes the insurance program's return data, refusing data another program wrote
/// (or none at all).
fn read_return<T: AnchorDeserialize>() -> Result<T> {
    let (program, data) = get_return_data().ok_or(CpiHelperError::MissingReturnData)?;
    require_keys_eq!(program, ID, CpiHelperError::MissingReturnData);
    T::try_from_slice(&data).map_err(|_| error!(CpiHelperError::MalformedReturnData))
}
