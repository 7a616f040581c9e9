use crate::prelude::*;

/// Takes a **lapsed** withdrawal request (its window closed on the exit clock without a
/// completion) out of the capital counted as leaving, for anyone: a keeper, or a buyer
/// about to price cover. Nothing else changes: the shares stay pending (no vote, as
/// while the request lapsed), the position and its other shares are untouched, and the
/// owner can only cancel the request (an expired request never completes, even if a
/// longer window would reopen it). Without it a lapsed request kept counting as
/// leaving, and so pricing cover on less capital, for as long as any other request was
/// live (review 3's attacker review, B). It returns no shares: a third party must not
/// be able to re-stake someone's position (re-staked shares lose their vote on the
/// claims already filed: the second attacker review silenced a "no" voter that way).
#[derive(Accounts)]
pub struct ExpireWithdrawal<'info> {
    #[account(address = PROTOCOL_ADDRESS)]
    pub protocol: AccountLoader<'info, Protocol>,
    #[account(mut)]
    pub pool: AccountLoader<'info, Pool>,
    #[account(mut, has_one = pool @ InsuranceError::WrongUnderwriter)]
    pub underwriter: AccountLoader<'info, Underwriter>,
}

impl ExpireWithdrawal<'_> {
    pub fn validate(&self) -> Result<()> {
        let underwriter = self.underwriter.load()?;
        require!(
            underwriter.has_pending_withdrawal(),
            InsuranceError::NoPendingWithdrawal
        );
        require!(
            underwriter.expired == 0,
            InsuranceError::WithdrawalExpiredAlready
        );
        // Past the window fixed at the request, on the exit clock.
        let pool = self.pool.load()?;
        let clock = pool.exit_clock(&*self.protocol.load()?, Clock::get()?.unix_timestamp);
        require!(
            underwriter.has_lapsed(clock),
            InsuranceError::WithdrawalNotLapsed
        );
        Ok(())
    }
}

pub fn handle_expire_withdrawal(ctx: Context<ExpireWithdrawal>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let mut pool = ctx.accounts.pool.load_mut()?;
    let mut underwriter = ctx.accounts.underwriter.load_mut()?;
    pool.refresh_at(&*ctx.accounts.protocol.load()?, now);
    let shares = underwriter.pending_shares.get();
    let leaving = pool.leaving_shares.get().safe_sub(shares)?;
    pool.leaving_shares.set(leaving);
    underwriter.expired = 1;

    emit!(WithdrawalExpired {
        pool: ctx.accounts.pool.key(),
        owner: underwriter.owner,
        shares,
    });
    Ok(())
}
