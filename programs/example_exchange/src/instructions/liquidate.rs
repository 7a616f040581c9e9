use anchor_lang::prelude::*;
use anchor_lang::solana_program::program::get_return_data;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};
use insurance_pool::cpi::accounts::CoverShortfall;
use insurance_pool::instructions::ShortfallCover;
use insurance_pool::program::InsurancePool;
use insurance_pool::state::{ExchangeRegistration, Pool, Protocol};

use crate::errors::ExchangeError;
use crate::seeds;
use crate::state::{Liquidated, Market, Position, PriceFeed};

/// Liquidates an under-margined position at the market's oracle price (fresh within
/// the market's staleness limit; the liquidator names no price); any loss beyond its
/// collateral is reported to the market's insurance pool, and whatever the pool does
/// not cover (caps, solvency floor, or a paused, inactive or not yet active
/// registration, for which the pool pays 0) is socialised in the market.
#[derive(Accounts)]
pub struct Liquidate<'info> {
    pub liquidator: Signer<'info>,
    #[account(
        mut,
        has_one = collateral_vault,
        has_one = insurance_pool @ ExchangeError::WrongInsurancePool,
        has_one = price_feed @ ExchangeError::WrongPriceFeed,
    )]
    pub market: Box<Account<'info, Market>>,
    #[account(mut, has_one = market)]
    pub position: Box<Account<'info, Position>>,
    pub price_feed: Box<Account<'info, PriceFeed>>,
    /// CHECK: PDA `["authority", market]` (seeds checked); signs the insurance CPI.
    #[account(seeds = [seeds::AUTHORITY, market.key().as_ref()], bump = market.authority_bump)]
    pub authority: UncheckedAccount<'info>,
    #[account(mut)]
    pub collateral_vault: Box<InterfaceAccount<'info, TokenAccount>>,

    // The insurance side; the insurance program checks every relation itself.
    pub insurance_program: Program<'info, InsurancePool>,
    pub insurance_protocol: Box<Account<'info, Protocol>>,
    #[account(mut)]
    pub insurance_pool: Box<Account<'info, Pool>>,
    #[account(mut)]
    pub registration: Box<Account<'info, ExchangeRegistration>>,
    #[account(mut)]
    pub insurance_vault: Box<InterfaceAccount<'info, TokenAccount>>,
    pub mint: Box<InterfaceAccount<'info, Mint>>,
    pub token_program: Interface<'info, TokenInterface>,
}

pub fn handle_liquidate(ctx: Context<Liquidate>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let a = ctx.accounts;
    let price = a.price_feed.fresh_price(now, a.market.max_price_age)?;
    let publish_time = a.price_feed.publish_time;
    let position = &mut a.position;
    require!(position.size != 0, ExchangeError::NoOpenPosition);

    // Equity = collateral + size · (price − entry); maintenance = |size| · price · mm.
    let pnl = (position.size as i128)
        .checked_mul(price as i128 - position.entry_price as i128)
        .ok_or(ExchangeError::MathOverflow)?;
    let equity = (position.collateral as i128)
        .checked_add(pnl)
        .ok_or(ExchangeError::MathOverflow)?;
    // Unsigned arithmetic for the division (SBPF v3 has no signed division).
    let maintenance = (position.size.unsigned_abs() as u128
        * price as u128
        * a.market.maintenance_margin_bps as u128
        / 10_000) as i128;
    require!(equity < maintenance, ExchangeError::NotLiquidatable);

    // Close: the trader keeps any remaining equity; a negative equity is bad debt.
    let shortfall = u64::try_from((-equity).max(0)).map_err(|_| ExchangeError::MathOverflow)?;
    let remaining = u64::try_from(equity.max(0)).map_err(|_| ExchangeError::MathOverflow)?;
    position.collateral = remaining;
    position.size = 0;
    position.entry_price = 0;

    let (mut covered, mut uncovered) = (0, 0);
    if shortfall > 0 {
        let market_key = a.market.key();
        let signer: &[&[u8]] = &[
            seeds::AUTHORITY,
            market_key.as_ref(),
            &[a.market.authority_bump],
        ];
        let accounts = CoverShortfall {
            exchange_authority: a.authority.to_account_info(),
            protocol: a.insurance_protocol.to_account_info(),
            pool: a.insurance_pool.to_account_info(),
            registration: a.registration.to_account_info(),
            destination: a.collateral_vault.to_account_info(),
            vault: a.insurance_vault.to_account_info(),
            mint: a.mint.to_account_info(),
            token_program: a.token_program.to_account_info(),
        };
        let ctx = CpiContext::new(a.insurance_program.key(), accounts)
            .with_signer(std::slice::from_ref(&signer));
        // The nonce the pool expects next: a replayed or raced liquidation fails.
        insurance_pool::cpi::cover_shortfall(ctx, shortfall, a.registration.next_nonce)?;
        // Read the pool's answer from return data (checked, never panicking). While the
        // pool's shortfall cover is paused, or the registration is inactive or not yet
        // active, the call still succeeds with `covered: 0`: the liquidation goes on
        // and the whole shortfall is socialised below.
        let (program, data) = get_return_data().ok_or(ExchangeError::MissingCoverResult)?;
        require_keys_eq!(
            program,
            insurance_pool::ID,
            ExchangeError::MissingCoverResult
        );
        let result =
            ShortfallCover::try_from_slice(&data).map_err(|_| ExchangeError::MissingCoverResult)?;
        covered = result.covered;
        uncovered = result.uncovered;
    }

    let market = &mut a.market;
    market.liquidations = market
        .liquidations
        .checked_add(1)
        .ok_or(ExchangeError::MathOverflow)?;
    market.bad_debt = market
        .bad_debt
        .checked_add(shortfall)
        .ok_or(ExchangeError::MathOverflow)?;
    market.insured_loss = market
        .insured_loss
        .checked_add(covered)
        .ok_or(ExchangeError::MathOverflow)?;
    market.socialized_loss = market
        .socialized_loss
        .checked_add(uncovered)
        .ok_or(ExchangeError::MathOverflow)?;
    emit!(Liquidated {
        market: market.key(),
        owner: position.owner,
        price,
        publish_time,
        equity,
        shortfall,
        covered,
        uncovered,
    });
    Ok(())
}
