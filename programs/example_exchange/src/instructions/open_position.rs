use anchor_lang::prelude::*;

use crate::errors::ExchangeError;
use crate::state::{Market, Position};

#[derive(Accounts)]
pub struct OpenPosition<'info> {
    pub owner: Signer<'info>,
    pub market: Box<Account<'info, Market>>,
    #[account(mut, has_one = owner, has_one = market)]
    pub position: Box<Account<'info, Position>>,
}

pub fn handle_open_position(ctx: Context<OpenPosition>, size: i64, price: u64) -> Result<()> {
    require!(size != 0 && price > 0, ExchangeError::InvalidOrder);
    let position = &mut ctx.accounts.position;
    require!(position.size == 0, ExchangeError::PositionOpen);
    let notional = size.unsigned_abs() as u128 * price as u128;
    let limit = position.collateral as u128 * ctx.accounts.market.max_leverage as u128;
    require!(notional <= limit, ExchangeError::LeverageTooHigh);
    position.size = size;
    position.entry_price = price;
    Ok(())
}
