use crate::prelude::*;

/// Schedules the exit of `shares` of the caller's free shares and records their current
/// value on free capital (statistics). Refused during the deposit lock and while any of
/// the position's shares are young. From now on the shares no longer count in the
/// capital new cover is priced on; until `complete_withdrawal` they stay full holders
/// (losses, income, votes). The completion is accepted after the cooldown or once the
/// cover in force now has ended (capital stays on risk for the cover it priced; at most
/// `PoolParams::longest_request_wait`), whichever is later, and within the withdrawal
/// window after that (on the exit clock, fixed now).
#[derive(Accounts)]
pub struct RequestWithdrawal<'info> {
    pub owner: Signer<'info>,
    #[account(address = PROTOCOL_ADDRESS)]
    pub protocol: AccountLoader<'info, Protocol>,
    #[account(mut)]
    pub pool: AccountLoader<'info, Pool>,
    #[account(
        mut,
        has_one = owner @ InsuranceError::WrongUnderwriter,
        has_one = pool @ InsuranceError::WrongUnderwriter,
    )]
    pub underwriter: AccountLoader<'info, Underwriter>,
    /// The pool's exposure and earning books (premium earned so far joins capital
    /// before shares are priced).
    #[account(mut, has_one = pool @ InsuranceError::WrongExposure)]
    pub exposure: AccountLoader<'info, PoolExposure>,
}

impl RequestWithdrawal<'_> {
    pub fn validate(&self, shares: Shares, now: i64) -> Result<()> {
        let pool = self.pool.load()?;
        require!(
            !pool.is_paused(self.protocol.load()?.paused, pause::WITHDRAW),
            InsuranceError::Paused
        );
        require!(shares > 0, InsuranceError::ZeroAmount);
        let u = self.underwriter.load()?;
        require!(
            !u.has_pending_withdrawal(),
            InsuranceError::WithdrawalAlreadyPending
        );
        require!(
            shares <= u.free_shares(),
            InsuranceError::InsufficientShares
        );
        require!(
            now >= u
                .last_deposit_at
                .saturating_add(pool.params.min_deposit_lock)
                && u.young_shares.young_at(pool.stake_period(now)) == 0,
            InsuranceError::DepositLocked
        );
        Ok(())
    }
}

pub fn handle_request_withdrawal(ctx: Context<RequestWithdrawal>, shares: Shares) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let a = ctx.accounts;
    let pool_key = a.pool.key();
    let mut pool = a.pool.load_mut()?;
    let mut underwriter = a.underwriter.load_mut()?;
    let clock = pool.refresh_at(&*a.protocol.load()?, now);
    pool.earn(&mut a.exposure.load_mut()?.earnings, now)?;

    let value = pool.value_on_free_capital(shares)?;
    // Capital stays on risk for the cover it priced: the request waits its cooldown or
    // until the cover in force now has ended, whichever is later (attacker review A:
    // cover bought and a whale's request in one transaction left a passive underwriter
    // carrying 30-day cover priced on ten times its capital after a one-day cooldown).
    // The whole cover in force, even sold under a longer term before a change of
    // `coverage_duration` (the fifth attacker review: a wait capped at the new term let
    // a whale leave 30-day cover it priced after 3 days); new draw rights and parameter
    // changes wait past it too (`Pool::activation_delay`).
    let wait = pool.params.withdrawal_cooldown.max(pool.cover_wait_at(now));
    let unlock_at = now.safe_add(wait)?;
    // The window is fixed now: a later change of it neither revives a lapsed request
    // nor cuts a live one short.
    let window_closes_at = clock
        .safe_add(wait)?
        .safe_add(pool.params.withdrawal_window)?;
    let pending = pool.pending_withdrawal_shares.get().safe_add(shares)?;
    pool.pending_withdrawal_shares.set(pending);
    let leaving = pool.leaving_shares.get().safe_add(shares)?;
    pool.leaving_shares.set(leaving);
    pool.pending_closes_until = pool.pending_closes_until.max(window_closes_at);
    underwriter.pending_shares.set(shares);
    underwriter.pending_value = value;
    underwriter.requested_at = now;
    underwriter.unlock_at = unlock_at;
    underwriter.window_closes_at = window_closes_at;

    emit!(WithdrawalRequested {
        pool: pool_key,
        owner: underwriter.owner,
        shares,
        value_at_request: value,
        unlock_at,
        window_closes_at,
    });
    Ok(())
}
