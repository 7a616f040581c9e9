use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};
use insurance_pool_cpi::{ExchangeRegistration, InsurancePool, Pool, Protocol, ShortfallAccounts};

use crate::errors::ExchangeError;
use crate::seeds;
use crate::state::{Liquidated, Market, Position, PriceFeed};

/// Liquidates an under-margined position at the market's oracle price (fresh within
/// the market's staleness limit; the liquidator names no price); any loss beyond its
/// collateral is reported to the market's insurance pool, and whatever the pool does
/// not cover (caps, solvency floor, or a paused, inactive or not yet active
/// registration, for which the pool pays 0) is socialised in the market.
///
/// Books (the house is every position's counterparty, see [`Market::house_balance`]):
/// with equity `e = collateral + pnl`,
/// - `e >= 0`: the trader keeps `collateral + pnl` (a profit paid by the house up to
///   its balance, the rest recorded as `unpaid_profit`), the house receives a loss;
/// - `e < 0`: the trader keeps nothing, the house receives the collateral plus what
///   the pool covered (paid into the collateral vault), and bears the uncovered rest
///   (`socialized_loss`).
///
/// So the collateral vault still holds `total_collateral + house_balance`.
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
    pub insurance_protocol: AccountLoader<'info, Protocol>,
    #[account(mut)]
    pub insurance_pool: AccountLoader<'info, Pool>,
    #[account(mut)]
    pub registration: AccountLoader<'info, ExchangeRegistration>,
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
    let maintenance = (position.size.unsigned_abs() as u128)
        .checked_mul(price as u128)
        .and_then(|n| n.checked_mul(a.market.maintenance_margin_bps as u128))
        .map(|m| m / 10_000)
        .and_then(|m| i128::try_from(m).ok())
        .ok_or(ExchangeError::MathOverflow)?;
    require!(equity < maintenance, ExchangeError::NotLiquidatable);

    // Close. A negative equity is bad debt, reported to the pool.
    let shortfall = u64::try_from((-equity).max(0)).map_err(|_| ExchangeError::MathOverflow)?;
    let collateral = position.collateral;
    let house = a.market.house_balance;
    let (remaining, unpaid) = if pnl > 0 {
        let profit = u64::try_from(pnl).map_err(|_| ExchangeError::MathOverflow)?;
        let paid = profit.min(house);
        (collateral.saturating_add(paid), profit - paid)
    } else {
        (
            u64::try_from(equity.max(0)).map_err(|_| ExchangeError::MathOverflow)?,
            0,
        )
    };
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
        // The helper reads the nonce the pool expects and checks the return data; a
        // replayed liquidation is refused above (the position is closed, so
        // `NoOpenPosition`), not by the nonce. While the pool's shortfall cover is
        // paused, or the registration is inactive or not yet active, the call still
        // succeeds with `covered: 0`: the liquidation goes on and the whole shortfall is
        // socialised below.
        let cover = insurance_pool_cpi::cover_shortfall(
            &ShortfallAccounts {
                insurance_program: &a.insurance_program.to_account_info(),
                exchange_authority: &a.authority.to_account_info(),
                protocol: &a.insurance_protocol.to_account_info(),
                pool: &a.insurance_pool.to_account_info(),
                registration: &a.registration.to_account_info(),
                destination: &a.collateral_vault.to_account_info(),
                vault: &a.insurance_vault.to_account_info(),
                mint: &a.mint.to_account_info(),
                token_program: &a.token_program.to_account_info(),
            },
            shortfall,
            &[signer],
        )?;
        covered = cover.covered;
        uncovered = cover.uncovered;
    }
    // What the house receives: the trader's collateral minus what the trader keeps,
    // plus the pool's cover (the vault grew by `covered`).
    let house_delta = collateral as i128 - remaining as i128 + covered as i128;
    let house_balance =
        u64::try_from(house as i128 + house_delta).map_err(|_| ExchangeError::MathOverflow)?;
    position.collateral = remaining;

    let market = &mut a.market;
    market.total_collateral = market
        .total_collateral
        .checked_sub(collateral)
        .and_then(|t| t.checked_add(remaining))
        .ok_or(ExchangeError::MathOverflow)?;
    market.house_balance = house_balance;
    market.unpaid_profit = market.unpaid_profit.saturating_add(unpaid);
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
        house_delta,
    });
    Ok(())
}
