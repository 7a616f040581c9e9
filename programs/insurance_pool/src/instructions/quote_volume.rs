use crate::prelude::*;

/// Quotes the volume fee of `volume` (see [`Pool::volume_quote`]) as `contribute_volume`
/// would charge it now, and returns it as return data ([`VolumeQuote`]). Reads only;
/// moves nothing.
#[derive(Accounts)]
pub struct QuoteVolume<'info> {
    #[account(address = PROTOCOL_ADDRESS)]
    pub protocol: AccountLoader<'info, Protocol>,
    pub pool: AccountLoader<'info, Pool>,
    #[account(has_one = pool @ InsuranceError::WrongExposure)]
    pub exposure: AccountLoader<'info, PoolExposure>,
}

impl QuoteVolume<'_> {
    pub fn validate(&self, volume: u64) -> Result<()> {
        require!(volume > 0, InsuranceError::ZeroAmount);
        Ok(())
    }
}

pub fn handle_quote_volume(ctx: Context<QuoteVolume>, volume: u64) -> Result<VolumeQuote> {
    let now = Clock::get()?.unix_timestamp;
    let exposure = ctx.accounts.exposure.load()?;
    // Quote on the pool as `contribute_volume` would see it now.
    let pool = ctx.accounts.pool.load()?.projected(
        &*ctx.accounts.protocol.load()?,
        &exposure.earnings,
        now,
    )?;
    pool.volume_quote(volume, ctx.accounts.protocol.load()?.protocol_fee_bps, now)
}
