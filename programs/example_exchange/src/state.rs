use anchor_lang::prelude::*;

/// One perpetuals market, PDA `["market", id]`.
#[account]
#[derive(InitSpace, Debug)]
pub struct Market {
    pub admin: Pubkey,
    pub id: u64,
    pub mint: Pubkey,
    pub collateral_vault: Pubkey,
    /// The insurance pool of this market: the insurance program's `["pool", market]`.
    pub insurance_pool: Pubkey,
    /// Equity below `notional · maintenance_margin_bps / 10 000` is liquidatable.
    pub maintenance_margin_bps: u64,
    /// Largest `notional / collateral` at opening.
    pub max_leverage: u64,
    pub total_collateral: u64,
    pub liquidations: u64,
    /// Losses beyond collateral reported to the insurance pool.
    pub bad_debt: u64,
    /// Part of `bad_debt` the pool covered.
    pub insured_loss: u64,
    /// Part of `bad_debt` the pool did not cover: socialised across the market's
    /// traders (a real venue would apply it by auto-deleveraging or a loss index).
    pub socialized_loss: u64,
    pub bump: u8,
    pub authority_bump: u8,
}

/// Parameters of a market.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct MarketParams {
    pub maintenance_margin_bps: u64,
    pub max_leverage: u64,
}

/// A trader's position, PDA `["position", market, owner]`.
#[account]
#[derive(InitSpace, Debug)]
pub struct Position {
    pub market: Pubkey,
    pub owner: Pubkey,
    pub collateral: u64,
    /// Base units; positive long, negative short; 0 when closed.
    pub size: i64,
    pub entry_price: u64,
    pub bump: u8,
}

/// A liquidation, with what the insurance pool covered.
#[event]
pub struct Liquidated {
    pub market: Pubkey,
    pub owner: Pubkey,
    pub price: u64,
    /// Collateral + PnL at `price` (negative: bad debt).
    pub equity: i128,
    pub shortfall: u64,
    pub covered: u64,
    pub uncovered: u64,
}
