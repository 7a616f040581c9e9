use crate::math::{bps_of_floor, cover_amount, ewma, next_epoch, solvency_floor};
use crate::prelude::*;
use crate::token::pay_from_pool;

/// What `cover_shortfall` returns to the exchange (as return data).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShortfallCover {
    /// Paid into the exchange's destination.
    pub covered: u64,
    /// Left for the exchange to socialise (ADL, loss index, ...).
    pub uncovered: u64,
}

/// Exchange (by CPI, signed by its registered authority PDA): reports a liquidation
/// shortfall of `amount`. Pays `min(amount, per-event cap, epoch room, capital above
/// the solvency floor)` from this pool's vault to the registered destination, each cap
/// the lower of its absolute amount and its bps of free capital, and returns
/// [`ShortfallCover`]. `nonce` must equal the registration's `next_nonce`.
///
/// While shortfall cover is paused, the registration is inactive, it has not reached
/// its activation time, or the destination passed is not the registration's current one
/// (a change governance made has taken effect), the call still succeeds: it pays
/// nothing, records the report, and returns `covered: 0, uncovered: amount`, so the
/// exchange's liquidation goes on and it socialises the loss instead of letting bad
/// debt grow (or every liquidation revert).
#[derive(Accounts)]
pub struct CoverShortfall<'info> {
    pub exchange_authority: Signer<'info>,
    #[account(address = PROTOCOL_ADDRESS)]
    pub protocol: AccountLoader<'info, Protocol>,
    #[account(
        mut,
        has_one = mint @ InsuranceError::WrongMint,
        has_one = vault @ InsuranceError::WrongVault,
        has_one = token_program @ InsuranceError::WrongTokenProgram,
    )]
    pub pool: AccountLoader<'info, Pool>,
    #[account(
        mut,
        has_one = pool @ InsuranceError::WrongExchangeRegistration,
        has_one = exchange_authority @ InsuranceError::WrongExchangeAuthority,
    )]
    pub registration: AccountLoader<'info, ExchangeRegistration>,
    #[account(mut)]
    /// CHECK: not read: paid only when its key is the registration's `destination` (a
    /// token account of the pool's mint when it was registered; the token program
    /// validates it on the payout); any other account is paid nothing
    /// (`CoverLimit::StaleDestination`).
    pub destination: UncheckedAccount<'info>,
    #[account(mut)]
    /// CHECK: the pool's own escrow, bound by its `has_one`; the token program validates
    /// it on the transfer (no need to unpack it here).
    pub vault: UncheckedAccount<'info>,
    /// CHECK: the pool's mint, bound by its `has_one`; `transfer_checked` checks it against
    /// both token accounts and the pool's stored decimals.
    pub mint: UncheckedAccount<'info>,
    pub token_program: Interface<'info, TokenInterface>,
}

impl CoverShortfall<'_> {
    pub fn validate(&self, amount: u64, nonce: u64) -> Result<()> {
        require!(
            nonce == self.registration.load()?.next_nonce,
            InsuranceError::InvalidNonce
        );
        require!(amount > 0, InsuranceError::ZeroAmount);
        Ok(())
    }
}

pub fn handle_cover_shortfall(
    ctx: Context<CoverShortfall>,
    amount: u64,
    nonce: u64,
) -> Result<ShortfallCover> {
    let now = Clock::get()?.unix_timestamp;
    let accounts = ctx.accounts;
    let pool_key = accounts.pool.key();
    let mut pool = accounts.pool.load_mut()?;
    let paused = pool.is_paused(accounts.protocol.load()?.paused, pause::SHORTFALL);
    let registration_key = accounts.registration.key();
    let mut registration = accounts.registration.load_mut()?;
    let clock = pool.refresh_at(&*accounts.protocol.load()?, now);
    registration.refresh(clock);
    let stale = accounts.destination.key() != registration.destination;

    let (epoch_start, epoch_length) = next_epoch(
        registration.epoch_start,
        registration.epoch_length,
        registration.limits.epoch_length,
        now,
    );
    if epoch_start != registration.epoch_start {
        registration.epoch_start = epoch_start;
        registration.epoch_paid = 0;
    }
    registration.epoch_length = epoch_length;
    let limits = registration.limits;
    let free = pool.free_capital();
    let per_event = limits
        .per_event_cap
        .min(bps_of_floor(free, limits.per_event_bps)?);
    let epoch_cap = limits
        .per_epoch_cap
        .min(bps_of_floor(free, limits.per_epoch_bps)?);
    let epoch_room = epoch_cap.saturating_sub(registration.epoch_paid);
    let floor = solvency_floor(pool.reserved_for_claims, pool.params.min_reserve);
    let available = pool.capital.saturating_sub(floor);
    let can_draw = registration.can_draw(clock);
    let (covered, limited_by) = if paused || !can_draw {
        (0, CoverLimit::Suspended)
    } else if stale {
        (0, CoverLimit::StaleDestination)
    } else {
        cover_amount(amount, per_event, epoch_room, available)
    };
    // The volume rate's loss index: only an exchange that can draw moves it (a
    // deactivated or not yet active registration's reports, free to fake, do not), and
    // by at most the per-event limit (what the pool would pay for this one event with
    // cover on). A shortfall while cover is paused counts too: it is the market's real
    // experience, from an exchange governance lets draw.
    if can_draw {
        pool.record_volume_loss(amount.min(per_event), now);
    }
    let uncovered = amount.safe_sub(covered)?;

    pool.capital = pool.capital.safe_sub(covered)?;
    let stats = &mut pool.loss_stats;
    stats.ewma = ewma(stats.ewma, amount, LOSS_EWMA_WEIGHT_BPS, stats.count);
    stats.count = stats.count.safe_add(1)?;
    stats.total_reported = stats.total_reported.saturating_add(amount);
    stats.total_covered = stats.total_covered.safe_add(covered)?;
    stats.largest = stats.largest.max(amount);
    let (pool_capital, signer) = (pool.capital, pool.signer());
    // The pool signs the transfer: no borrow of its data across the CPI.
    drop(pool);
    pay_from_pool(
        &accounts.pool.to_account_info(),
        signer,
        &accounts.token_program.to_account_info(),
        &accounts.vault.to_account_info(),
        &accounts.mint.to_account_info(),
        &accounts.destination.to_account_info(),
        covered,
    )?;

    registration.epoch_paid = registration.epoch_paid.safe_add(covered)?;
    registration.next_nonce = nonce.safe_add(1)?;
    registration.total_reported = registration.total_reported.saturating_add(amount);
    registration.total_covered = registration.total_covered.safe_add(covered)?;

    emit!(ShortfallCovered {
        pool: pool_key,
        registration: registration_key,
        nonce,
        amount,
        covered,
        uncovered,
        limited_by,
        epoch_paid: registration.epoch_paid,
        pool_capital,
    });
    Ok(ShortfallCover { covered, uncovered })
}
