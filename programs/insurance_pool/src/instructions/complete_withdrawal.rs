use crate::prelude::*;
use crate::token::pay_from_pool;

/// After the request's wait and within its window, burns all the pending shares and
/// pays their value now from the vault to `destination` (a token account of the pool's
/// mint chosen by the owner; never a pool's vault or bond escrow). Until then the shares
/// were full holders: they bore every loss (an approved claim, reserved, is netted out
/// of free capital) and earned their part of every income, including the premium of
/// the cover they backed while they waited for it to end (the fourth attacker review
/// of issue 31: with the gain capped at the value at request, a 1-unit cover bought
/// before someone's request made it back 30 days of cover for nothing).
///
/// Refused while claims vote (`ClaimsVoting`): any payment made then, with the rest of
/// the position kept in shares, would bear only a pro-rata slice of a claim approved
/// later, not the leaver's part, and could be repeated (review 3, finding 1). The
/// window runs on the pool's exit clock, which stops while claims vote (and while
/// withdrawals are paused), so waiting for the vote never lapses a request. Refused
/// during an approved claim's hold-up too (`HoldupExitsClosed`; the exit clock stops
/// then as well): a leaver paid net of the reservation would hand it to those who stay
/// if the claim were vetoed (fifth attacker review). Refused if the pool's active
/// exposure would exceed its cap on the free capital left.
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
        // The window fixed at the request, on the exit clock (it stands still while
        // claims vote); an expired request never completes.
        let clock = pool.exit_clock(&*self.protocol.load()?, now);
        require!(
            underwriter.expired == 0 && !underwriter.has_lapsed(clock),
            InsuranceError::WithdrawalLapsed
        );
        // A vote binds its voter through these two: nothing completes while a claim of
        // the pool votes, nor during an approved claim's hold-up (the exit clock stands
        // still through both, so no window lapses meanwhile). The voter's own lock
        // (`vote_locked_until`) is statistics now: it ran on past a rejected claim, so
        // it lapsed the voter's window and outlasted the exit horizon (fifth attacker
        // review).
        require!(pool.voting_claims == 0, InsuranceError::ClaimsVoting);
        require!(now >= pool.holdup_until, InsuranceError::HoldupExitsClosed);
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

    // No claim votes (`validate`): the value now is on free capital.
    let value_now = pool.value_of(pending)?;
    let value_at_request = underwriter.pending_value;
    let paid = value_now;
    let shares = pending;
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
    pool.end_request(&mut underwriter)?;
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

    let held = underwriter.shares.get().safe_sub(shares)?;
    underwriter.shares.set(held);
    underwriter.total_withdrawn = underwriter.total_withdrawn.safe_add(paid)?;

    emit!(WithdrawalCompleted {
        pool: pool_key,
        owner: underwriter.owner,
        shares,
        value_at_request,
        value_at_completion: value_now,
        paid,
        pool_capital,
        pool_shares,
    });
    Ok(())
}
