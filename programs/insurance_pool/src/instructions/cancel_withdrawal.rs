use crate::prelude::*;

/// Cancels the caller's pending withdrawal; the shares become free again. Allowed while
/// withdrawals are paused: it moves no tokens and only returns shares to full exposure.
/// The returned shares are staked anew: young (no vote on claims filed before they
/// season) and not withdrawable until seasoned, exactly like a fresh deposit, so a
/// request cannot hide shares from a claim's eligible weight and bring them back to vote.
#[derive(Accounts)]
pub struct CancelWithdrawal<'info> {
    pub owner: Signer<'info>,
    #[account(mut)]
    pub pool: AccountLoader<'info, Pool>,
    #[account(
        mut,
        has_one = owner @ InsuranceError::WrongUnderwriter,
        has_one = pool @ InsuranceError::WrongUnderwriter,
    )]
    pub underwriter: AccountLoader<'info, Underwriter>,
}

impl CancelWithdrawal<'_> {
    pub fn validate(&self) -> Result<()> {
        require!(
            self.underwriter.load()?.has_pending_withdrawal(),
            InsuranceError::NoPendingWithdrawal
        );
        Ok(())
    }
}

pub fn handle_cancel_withdrawal(ctx: Context<CancelWithdrawal>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let mut pool = ctx.accounts.pool.load_mut()?;
    let mut underwriter = ctx.accounts.underwriter.load_mut()?;
    let shares = pool.end_request(&mut underwriter)?;
    pool.stake(&mut underwriter, shares, now)?;

    emit!(WithdrawalCancelled {
        pool: ctx.accounts.pool.key(),
        owner: underwriter.owner,
        shares,
    });
    Ok(())
}
