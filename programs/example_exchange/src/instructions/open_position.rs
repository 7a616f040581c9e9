use anchor_lang::prelude::*;

use crate::errors::ExchangeError;
use crate::state::{Market, Position, PriceFeed};

/// Opens a position of `size` at the market's oracle price (fresh within the market's
/// staleness limit); the caller never names a price.
#[derive(Accounts)]
pub struct OpenPosition<'info> {
    pub owner: Signer<'info>,
    #[account(has_one = price_feed @ ExchangeError::WrongPriceFeed)]
    pub market: Box<Account<'info, Market>>,
    #[account(mut, has_one = owner, has_one = market)]
    pub position: Box<Account<'info, Position>>,
    pub price_feed: Box<Account<'info, PriceFeed>>,
}

pub fn handle_open_position(ctx: Context<OpenPosition>, size: i64) -> Result<()> {
    require!(size != 0, ExchangeError::InvalidOrder);
    let now = Clock::get()?.unix_timestamp;
    let price = ctx
        .accounts
        .price_feed
        .fresh_price(now, ctx.accounts.market.max_price_age)?;
    let position = &mut ctx.accounts.position;
    require!(position.size == 0, ExchangeError::PositionOpen);
    let notional = size.unsigned_abs() as u128 * price as u128;
    let limit = position.collateral as u128 * ctx.accounts.market.max_leverage as u128;
    require!(notional <= limit, ExchangeError::LeverageTooHigh);
    position.size = size;
    position.entry_price = price;
    Ok(())
}
