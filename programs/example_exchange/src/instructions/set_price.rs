use anchor_lang::prelude::*;

use crate::errors::ExchangeError;
use crate::state::{Market, PriceFeed, PriceSet};

/// The market's oracle authority publishes `price`, observed at `publish_time`.
///
/// In this example a trusted key is the oracle; a real venue has no such instruction
/// and reads Pyth's or Switchboard's account instead (see [`PriceFeed`]).
#[derive(Accounts)]
pub struct SetPrice<'info> {
    pub oracle_authority: Signer<'info>,
    #[account(
        has_one = oracle_authority @ ExchangeError::WrongOracleAuthority,
        has_one = price_feed @ ExchangeError::WrongPriceFeed,
    )]
    pub market: Box<Account<'info, Market>>,
    #[account(mut)]
    pub price_feed: Box<Account<'info, PriceFeed>>,
}

pub fn handle_set_price(ctx: Context<SetPrice>, price: u64, publish_time: i64) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let feed = &mut ctx.accounts.price_feed;
    // No zero price, no price from the future, and no going back to an older one.
    require!(
        price > 0 && publish_time <= now && publish_time >= feed.publish_time,
        ExchangeError::InvalidPrice
    );
    feed.price = price;
    feed.publish_time = publish_time;
    emit!(PriceSet {
        market: feed.market,
        price,
        publish_time,
    });
    Ok(())
}
