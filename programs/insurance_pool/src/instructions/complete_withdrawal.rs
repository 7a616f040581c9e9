use crate::math::withdrawal_settlement;
use crate::prelude::*;
use crate::token::pay_from_pool;

/// After the cooldown and within the withdrawal window, burns the pending shares and
/// pays `min(value at request, value now)` from the vault to `destination` (a token
/// account of the pool's mint chosen by the owner; never a pool's vault or bond
/// escrow). "Value now" is on free capital net of the claims still voting, so an
/// approved or pending claim is borne by the leaver too; the shares carrying the
/// leaver's part of the voting claims stay pending until those are settled (see
/// [`crate::math::withdrawal_settlement`]). Whatever the shares gained
/// during the cooldown (including what a rejected claim frees) stays with the remaining
/// underwriters. Refused if the pool's active exposure would exceed its cap on the free
/// capital left.
#[derive(Accounts)]
pub struct CompleteWithdrawal<'info> {
    pub owner: Signer<'info>,
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
        has_one = owner @ InsuranceError::WrongUnderwriter,
        has_one = pool @ InsuranceError::WrongUnderwriter,
    )]
    pub underwriter: AccountLoader<'info, Underwriter>,
    #[account(mut, has_one = pool @ InsuranceError::WrongExposure)]
    pub exposure: AccountLoader<'info, PoolExposure>,
    #[account(
        mut,
        constraint = token_account(&destination)?.mint == pool.load()?.mint @ InsuranceError::WrongMint,
    )]
    /// CHECK: a token account, read by `token_account` (its mint and owner); the token
    /// program validates it again on the transfer.
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

impl CompleteWithdrawal<'_> {
    pub fn validate(&self, now: i64) -> Result<()> {
        let pool = self.pool.load()?;
        require!(
            !pool.is_paused(self.protocol.load()?.paused, pause::WITHDRAW),
            InsuranceError::Paused
        );
        let underwriter = self.underwriter.load()?;
        require!(
            underwriter.has_pending_withdrawal(),
            InsuranceError::NoPendingWithdrawal
        );
        require!(
            now >= underwriter.unlock_at,
            InsuranceError::CooldownNotElapsed
        );
        require!(
            now <= underwriter
                .unlock_at
                .saturating_add(pool.params.withdrawal_window),
            InsuranceError::WithdrawalLapsed
        );
        require!(
            now >= underwriter.vote_locked_until,
            InsuranceError::VoteLocked
        );
        // Not into any pool's vault or bond escrow (a pool PDA owns both).
        crate::token::refuse_pool_escrow(
            &self.destination.key(),
            &token_account(&self.destination)?.owner,
        )
    }
}

pub fn handle_complete_withdrawal(ctx: Context<CompleteWithdrawal>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let accounts = ctx.accounts;
    let pool_key = accounts.pool.key();
    let mut pool = accounts.pool.load_mut()?;
    let mut underwriter = accounts.underwriter.load_mut()?;
    let pending = underwriter.pending_shares.get();
    pool.refresh_at(&*accounts.protocol.load()?, now);
    let mut books = accounts.exposure.load_mut()?;
    pool.earn(&mut books.earnings, now)?;

    let value_now = pool.value_of(pending)?;
    let full = pool.value_on_free_capital(pending)?;
    let (paid, shares) =
        withdrawal_settlement(pending, underwriter.pending_value, full, value_now)?;
    let remaining = pending.safe_sub(shares)?;
    // Capital reserved for approved claims stays put.
    require!(
        pool.capital.safe_sub(paid)? >= pool.reserved_for_claims,
        InsuranceError::ReservedForClaims
    );
    let exposure = books.book.active_at(now);
    drop(books);
    require!(
        pool.exposure_within_cap(exposure, pool.free_capital().safe_sub(paid)?),
        InsuranceError::WithdrawalBreachesExposureCap
    );

    pool.capital = pool.capital.safe_sub(paid)?;
    let total = pool.total_shares.get().safe_sub(shares)?;
    pool.total_shares.set(total);
    let pending_total = pool.pending_withdrawal_shares.get().safe_sub(shares)?;
    pool.pending_withdrawal_shares.set(pending_total);
    pool.total_withdrawn = pool.total_withdrawn.safe_add(paid)?;
    let (pool_capital, pool_shares, signer) =
        (pool.capital, pool.total_shares.get(), pool.signer());
    // The pool signs the transfer: no borrow of its data across the CPI.
    drop(pool);
    pay_from_pool(
        &accounts.pool.to_account_info(),
        signer,
        &accounts.token_program.to_account_info(),
        &accounts.vault.to_account_info(),
        &accounts.mint.to_account_info(),
        &accounts.destination.to_account_info(),
        paid,
    )?;

    let value_at_request = underwriter.pending_value;
    let held = underwriter.shares.get().safe_sub(shares)?;
    underwriter.shares.set(held);
    underwriter.total_withdrawn = underwriter.total_withdrawn.safe_add(paid)?;
    if remaining > 0 {
        // The voting claims' part stays pending; completable again (a new window)
        // once they are settled.
        underwriter.pending_shares.set(remaining);
        underwriter.pending_value = value_at_request.safe_sub(paid)?;
        underwriter.unlock_at = now;
    } else {
        underwriter.pending_shares = PodShares::default();
        underwriter.pending_value = 0;
        underwriter.requested_at = 0;
        underwriter.unlock_at = 0;
    }

    emit!(WithdrawalCompleted {
        pool: pool_key,
        owner: underwriter.owner,
        shares,
        value_at_request,
        value_at_completion: value_now,
        paid,
        pool_capital,
        pool_shares,
        remaining_shares: remaining,
    });
    Ok(())
}
