use crate::prelude::*;

/// Ends a **lapsed** withdrawal request (its window closed on the exit clock without a
/// completion), for anyone: a keeper, or a buyer about to price cover. The shares
/// return to their position exactly as `cancel_withdrawal` returns them (free, staked
/// anew); nothing is paid. Without it a lapsed request kept counting as leaving, and
/// pricing cover on the capital that stays, for as long as any other request was live
/// (review 3's attacker review, B: a whale's lapsed request, kept "leaving" by a dust
/// request re-made every week, priced 400 000 of cover at 2 000 bps instead of 210).
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
        let pool = self.pool.load()?;
        let clock = pool.exit_clock(&*self.protocol.load()?, Clock::get()?.unix_timestamp);
        require!(
            underwriter
                .window_closes_at(pool.params.withdrawal_window)
                .is_some_and(|closes| clock > closes),
            InsuranceError::WithdrawalNotLapsed
        );
        Ok(())
    }
}

pub fn handle_expire_withdrawal(ctx: Context<ExpireWithdrawal>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let mut pool = ctx.accounts.pool.load_mut()?;
    let mut underwriter = ctx.accounts.underwriter.load_mut()?;
    let shares = pool.return_pending(&mut underwriter, now)?;

    emit!(WithdrawalExpired {
        pool: ctx.accounts.pool.key(),
        owner: underwriter.owner,
        shares,
    });
    Ok(())
}
