use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

use crate::errors::ExchangeError;
use crate::seeds;
pub use crate::state::{Market, MarketParams, PriceFeed, MAX_PRICE_AGE};

#[derive(Accounts)]
#[instruction(id: u64)]
pub struct CreateMarket<'info> {
    #[account(mut)]
    pub admin: Signer<'info>,
    #[account(
        init,
        payer = admin,
        space = 8 + Market::INIT_SPACE,
        seeds = [seeds::MARKET, &id.to_le_bytes()],
        bump,
    )]
    pub market: Box<Account<'info, Market>>,
    /// CHECK: PDA `["authority", market]`, verified by its seeds; holds no data.
    #[account(seeds = [seeds::AUTHORITY, market.key().as_ref()], bump)]
    pub authority: UncheckedAccount<'info>,
    /// The market's price account (empty until the oracle authority's first
    /// `set_price`; until then the market neither opens nor liquidates).
    #[account(
        init,
        payer = admin,
        space = 8 + PriceFeed::INIT_SPACE,
        seeds = [seeds::PRICE, market.key().as_ref()],
        bump,
    )]
    pub price_feed: Box<Account<'info, PriceFeed>>,
    #[account(mint::token_program = token_program)]
    pub mint: Box<InterfaceAccount<'info, Mint>>,
    #[account(
        init,
        payer = admin,
        seeds = [seeds::COLLATERAL, market.key().as_ref()],
        bump,
        token::mint = mint,
        token::authority = authority,
        token::token_program = token_program,
    )]
    pub collateral_vault: Box<InterfaceAccount<'info, TokenAccount>>,
    pub token_program: Interface<'info, TokenInterface>,
    pub system_program: Program<'info, System>,
}

pub fn handle_create_market(
    ctx: Context<CreateMarket>,
    id: u64,
    params: MarketParams,
    oracle_authority: Pubkey,
) -> Result<()> {
    require!(
        (1..=10_000).contains(&params.maintenance_margin_bps)
            && (1..=100).contains(&params.max_leverage)
            && (1..=MAX_PRICE_AGE).contains(&params.max_price_age)
            && oracle_authority != Pubkey::default(),
        ExchangeError::InvalidParams
    );
    let market_key = ctx.accounts.market.key();
    let insurance_pool = insurance_pool_cpi::pda::pool(&market_key).0;
    ctx.accounts.price_feed.set_inner(PriceFeed {
        market: market_key,
        price: 0,
        publish_time: 0,
        bump: ctx.bumps.price_feed,
    });
    ctx.accounts.market.set_inner(Market {
        admin: ctx.accounts.admin.key(),
        id,
        mint: ctx.accounts.mint.key(),
        collateral_vault: ctx.accounts.collateral_vault.key(),
        insurance_pool,
        maintenance_margin_bps: params.maintenance_margin_bps,
        max_leverage: params.max_leverage,
        total_collateral: 0,
        liquidations: 0,
        bad_debt: 0,
        insured_loss: 0,
        socialized_loss: 0,
        house_balance: 0,
        unpaid_profit: 0,
        volume: 0,
        insurance_fees: 0,
        bump: ctx.bumps.market,
        authority_bump: ctx.bumps.authority,
        oracle_authority,
        price_feed: ctx.accounts.price_feed.key(),
        max_price_age: params.max_price_age,
    });
    Ok(())
}
