use anchor_lang::prelude::*;

use crate::errors::ExchangeError;

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
    /// Sum of every position's `collateral`.
    pub total_collateral: u64,
    pub liquidations: u64,
    /// Losses beyond collateral reported to the insurance pool.
    pub bad_debt: u64,
    /// Part of `bad_debt` the pool covered.
    pub insured_loss: u64,
    /// Part of `bad_debt` the pool did not cover: borne by the house (below), i.e.
    /// socialised across the liquidity providers it stands for (a venue without a
    /// house would apply it by auto-deleveraging or a loss index).
    pub socialized_loss: u64,
    pub bump: u8,
    pub authority_bump: u8,
    /// The only key that may write this market's [`PriceFeed`] (`set_price`); fixed at
    /// `create_market`.
    pub oracle_authority: Pubkey,
    /// This market's price account, PDA `["price", market]`: every price the market
    /// uses (opening, liquidation) comes from it, never from the caller.
    pub price_feed: Pubkey,
    /// Oldest price (seconds since its publish time) the market accepts.
    pub max_price_age: i64,
    /// The house: the counterparty of every position (standing for the venue's
    /// liquidity providers). It receives what traders lose, pays what they win (up to
    /// its balance), receives the pool's covered amounts and bears what stays
    /// uncovered. Books: the collateral vault holds exactly
    /// `total_collateral + house_balance`.
    pub house_balance: u64,
    /// Profit a liquidation could not pay because the house had less (statistics).
    pub unpaid_profit: u64,
    /// Lifetime notional opened, and the insurance fees forwarded to the pool for it.
    pub volume: u64,
    pub insurance_fees: u64,
}

impl Market {
    /// What the market owes, which its collateral vault must hold.
    pub fn liabilities(&self) -> Option<u64> {
        self.total_collateral.checked_add(self.house_balance)
    }
}

/// Parameters of a market.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct MarketParams {
    pub maintenance_margin_bps: u64,
    pub max_leverage: u64,
    /// Staleness limit of the oracle price, seconds (`[1, MAX_PRICE_AGE]`): opening
    /// and liquidating are refused with `StalePrice` when the price is older.
    pub max_price_age: i64,
}

/// Longest staleness limit a market may set (1 hour).
pub const MAX_PRICE_AGE: i64 = 3_600;

/// A market's price, PDA `["price", market]`, written only by the market's oracle
/// authority through `set_price`.
///
/// This account stands in for a real oracle to keep the example self-contained: a
/// trusted key pushes `price` and the time it was observed. A real venue reads its
/// oracle's own account instead and applies the same two checks, freshness and
/// precision, before using a price:
///
/// - **Pyth** (pull oracle, `pyth-solana-receiver-sdk`): take an
///   `Account<'info, PriceUpdateV2>` (Anchor checks that the Pyth receiver owns it),
///   call `price_update.get_price_no_older_than(&Clock::get()?, max_price_age,
///   &feed_id)` with the market's configured `feed_id` (it refuses a wrong feed and a
///   price older than `max_price_age` by its `publish_time`), require
///   `price_update.verification_level == VerificationLevel::Full`, refuse
///   `price <= 0`, refuse a wide confidence interval (e.g.
///   `conf · 10 000 > price · max_conf_bps`), and scale by `exponent`.
/// - **Switchboard On-Demand**: `PullFeedAccountData::parse(feed_account.data.borrow())`
///   after checking the feed account's address is the market's configured feed, then
///   `feed.get_value(&clock, max_stale_slots, min_samples, true)` (staleness is in
///   slots there), and refuse a result whose spread (`std_dev` or `range` of the
///   current result) is too wide relative to the value.
///
/// Either way the feed's address is fixed in the market at creation, as
/// [`Market::price_feed`] is here, so a caller cannot substitute a feed it controls.
#[account]
#[derive(InitSpace, Debug)]
pub struct PriceFeed {
    pub market: Pubkey,
    /// Price of one base unit of size, in collateral units (0: never published).
    pub price: u64,
    /// Unix time the price was observed (never in the future, never moves back).
    pub publish_time: i64,
    pub bump: u8,
}

impl PriceFeed {
    /// The price, if it was published at most `max_age` seconds before `now`;
    /// otherwise `StalePrice` (a feed never written is stale).
    pub fn fresh_price(&self, now: i64, max_age: i64) -> Result<u64> {
        require!(
            self.price > 0 && now.saturating_sub(self.publish_time) <= max_age,
            ExchangeError::StalePrice
        );
        Ok(self.price)
    }
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
    /// The oracle price used, and when it was published.
    pub price: u64,
    pub publish_time: i64,
    /// Collateral + PnL at `price` (negative: bad debt).
    pub equity: i128,
    pub shortfall: u64,
    pub covered: u64,
    pub uncovered: u64,
    /// What the house received (+) or paid (−) in the liquidation.
    pub house_delta: i128,
}

/// A position was opened, paying the pool's insurance fee on its notional.
#[event]
pub struct PositionOpened {
    pub market: Pubkey,
    pub owner: Pubkey,
    pub size: i64,
    pub price: u64,
    pub notional: u64,
    /// Fee forwarded to the insurance pool (debited from the collateral).
    pub insurance_fee: u64,
    pub collateral: u64,
}

/// A new oracle price.
#[event]
pub struct PriceSet {
    pub market: Pubkey,
    pub price: u64,
    pub publish_time: i64,
}
