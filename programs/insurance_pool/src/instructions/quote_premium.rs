use crate::prelude::*;

/// Quotes cover of `notional` (see [`Pool::quote`]) and returns it as return data
/// ([`PremiumQuote`]). Reads only; moves nothing. Pass the caller's `Member` account
/// to quote a top-up of an active cover, or omit it for a new cover.
#[derive(Accounts)]
pub struct QuotePremium<'info> {
    #[account(address = PROTOCOL_ADDRESS)]
    pub protocol: AccountLoader<'info, Protocol>,
    pub pool: AccountLoader<'info, Pool>,
    #[account(has_one = pool @ InsuranceError::WrongExposure)]
    pub exposure: AccountLoader<'info, PoolExposure>,
    #[account(has_one = pool @ InsuranceError::WrongMember)]
    pub member: Option<AccountLoader<'info, Member>>,
}

impl QuotePremium<'_> {
    pub fn validate(&self, notional: u64) -> Result<()> {
        require!(notional > 0, InsuranceError::ZeroAmount);
        Ok(())
    }
}

pub fn handle_quote_premium(ctx: Context<QuotePremium>, notional: u64) -> Result<PremiumQuote> {
    let now = Clock::get()?.unix_timestamp;
    let member = match &ctx.accounts.member {
        Some(m) => Some(m.load()?),
        None => None,
    };
    let exposure = ctx.accounts.exposure.load()?;
    // Quote on the pool as `contribute_premium` would see it now.
    let protocol = ctx.accounts.protocol.load()?;
    let pool = ctx
        .accounts
        .pool
        .load()?
        .projected(&protocol, &exposure.earnings, now)?;
    let clock = pool.exit_clock(&protocol, now);
    pool.quote(&exposure.book, member.as_deref(), notional, clock, now)
}
