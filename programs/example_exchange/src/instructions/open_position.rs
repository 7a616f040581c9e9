use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};
use insurance_pool_cpi::{
    accepts_volume, ExchangeRegistration, InsurancePool, Pool, Protocol, VolumeAccounts,
    PROTOCOL_ADDRESS,
};

use crate::errors::ExchangeError;
use crate::seeds;
use crate::state::{Market, Position, PositionOpened, PriceFeed};

/// Opens a position of `size` at the market's oracle price (fresh within the market's
/// staleness limit; the caller never names a price), charging the trader the insurance
/// pool's volume fee on the notional: the exchange pays it from its collateral vault to
/// the market's pool by CPI (`contribute_volume`, refused above the trader's
/// `max_insurance_rate_bps`) and debits it from the trader's collateral, in the same
/// instruction. The leverage limit applies to the collateral before the fee; the
/// collateral left after it must still cover the maintenance margin
/// (`InsufficientCollateral`), so a fee as large as the margin cannot open a position
/// that is liquidatable at once.
///
/// While the pool does not accept contributions (premium contributions paused, the
/// registration inactive or not yet active: [`insurance_pool_cpi::accepts_volume`]),
/// the position opens without a fee: trading does not stop because its insurance is
/// suspended, as shortfall cover pays 0 then and the liquidation still goes on.
#[derive(Accounts)]
pub struct OpenPosition<'info> {
    pub owner: Signer<'info>,
    #[account(
        mut,
        has_one = price_feed @ ExchangeError::WrongPriceFeed,
        has_one = collateral_vault,
        has_one = insurance_pool @ ExchangeError::WrongInsurancePool,
    )]
    pub market: Box<Account<'info, Market>>,
    #[account(mut, has_one = owner, has_one = market)]
    pub position: Box<Account<'info, Position>>,
    pub price_feed: Box<Account<'info, PriceFeed>>,
    /// CHECK: PDA `["authority", market]` (seeds checked); signs the insurance CPI and
    /// owns the collateral vault the fee is paid from.
    #[account(seeds = [seeds::AUTHORITY, market.key().as_ref()], bump = market.authority_bump)]
    pub authority: UncheckedAccount<'info>,
    #[account(mut)]
    pub collateral_vault: Box<InterfaceAccount<'info, TokenAccount>>,

    // The insurance side; the insurance program checks every relation itself.
    pub insurance_program: Program<'info, InsurancePool>,
    #[account(address = PROTOCOL_ADDRESS @ ExchangeError::WrongRegistration)]
    pub insurance_protocol: AccountLoader<'info, Protocol>,
    #[account(mut)]
    pub insurance_pool: AccountLoader<'info, Pool>,
    /// This market's own registration: the fee decision ([`accepts_volume`]) reads it,
    /// so another exchange's (say, deactivated) registration must not stand in for it.
    #[account(
        mut,
        constraint = registration.load()?.pool == market.insurance_pool
            && registration.load()?.exchange_authority == authority.key()
            @ ExchangeError::WrongRegistration,
    )]
    pub registration: AccountLoader<'info, ExchangeRegistration>,
    /// CHECK: the pool's exposure account; the insurance program checks it belongs to
    /// the pool.
    #[account(mut)]
    pub insurance_exposure: UncheckedAccount<'info>,
    #[account(mut)]
    pub insurance_vault: Box<InterfaceAccount<'info, TokenAccount>>,
    /// The protocol treasury's token account, needed while the protocol takes a fee.
    #[account(mut)]
    pub treasury_token: Option<Box<InterfaceAccount<'info, TokenAccount>>>,
    pub mint: Box<InterfaceAccount<'info, Mint>>,
    pub token_program: Interface<'info, TokenInterface>,
}

pub fn handle_open_position(
    ctx: Context<OpenPosition>,
    size: i64,
    max_insurance_rate_bps: u64,
) -> Result<()> {
    require!(size != 0, ExchangeError::InvalidOrder);
    let now = Clock::get()?.unix_timestamp;
    let a = ctx.accounts;
    let price = a.price_feed.fresh_price(now, a.market.max_price_age)?;
    require!(a.position.size == 0, ExchangeError::PositionOpen);
    let notional = u64::try_from(size.unsigned_abs() as u128 * price as u128)
        .map_err(|_| ExchangeError::MathOverflow)?;

    let market_key = a.market.key();
    let signer: &[&[u8]] = &[
        seeds::AUTHORITY,
        market_key.as_ref(),
        &[a.market.authority_bump],
    ];
    let treasury = a.treasury_token.as_ref().map(|t| t.to_account_info());
    let accepted = accepts_volume(
        &*a.insurance_protocol.load()?,
        &*a.insurance_pool.load()?,
        &*a.registration.load()?,
        now,
    );
    let fee = if !accepted {
        0
    } else {
        insurance_pool_cpi::contribute_volume(
            &VolumeAccounts {
                insurance_program: &a.insurance_program.to_account_info(),
                exchange_authority: &a.authority.to_account_info(),
                protocol: &a.insurance_protocol.to_account_info(),
                pool: &a.insurance_pool.to_account_info(),
                registration: &a.registration.to_account_info(),
                exposure: &a.insurance_exposure.to_account_info(),
                source: &a.collateral_vault.to_account_info(),
                vault: &a.insurance_vault.to_account_info(),
                treasury_token: treasury.as_ref(),
                mint: &a.mint.to_account_info(),
                token_program: &a.token_program.to_account_info(),
            },
            notional,
            max_insurance_rate_bps,
            &[signer],
        )?
    };

    let position = &mut a.position;
    let limit = position.collateral as u128 * a.market.max_leverage as u128;
    require!(notional as u128 <= limit, ExchangeError::LeverageTooHigh);
    position.collateral = position
        .collateral
        .checked_sub(fee)
        .ok_or(ExchangeError::InsufficientCollateral)?;
    // The fee may not eat the margin: what is left must cover maintenance at once.
    let maintenance = notional as u128 * a.market.maintenance_margin_bps as u128 / 10_000;
    require!(
        position.collateral as u128 >= maintenance,
        ExchangeError::InsufficientCollateral
    );
    position.size = size;
    position.entry_price = price;

    let market = &mut a.market;
    market.total_collateral = market
        .total_collateral
        .checked_sub(fee)
        .ok_or(ExchangeError::MathOverflow)?;
    market.volume = market.volume.saturating_add(notional);
    market.insurance_fees = market
        .insurance_fees
        .checked_add(fee)
        .ok_or(ExchangeError::MathOverflow)?;
    emit!(PositionOpened {
        market: market_key,
        owner: position.owner,
        size,
        price,
        notional,
        insurance_fee: fee,
        collateral: position.collateral,
    });
    Ok(())
}
