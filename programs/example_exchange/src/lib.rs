//! A small perpetuals exchange, written to show how a venue integrates the segregated
//! insurance pool. Each [`state::Market`] is one market of the insurance protocol (its
//! address is the pool's `market` id). Traders deposit collateral and open a leveraged
//! position at the market's oracle price; anyone may `liquidate` an under-margined
//! position at the oracle price. When the collateral does not cover the loss, the
//! exchange asks the market's pool to cover the shortfall by CPI (signed by its
//! authority PDA), and socialises whatever stays uncovered in its own market state
//! (including all of it when the pool pays nothing: shortfall cover paused, the
//! registration inactive or not yet active).
//!
//! # Prices
//!
//! No instruction takes a price from its caller: a caller-chosen liquidation price
//! would let anyone manufacture bad debt and drain the pool. Each market has a price
//! account ([`state::PriceFeed`], PDA `["price", market]`) written only by the oracle
//! authority fixed at `create_market` (`set_price`: price and publish time), and
//! refuses a price older than its `max_price_age` with `StalePrice`.
//!
//! The trusted key stands in for an oracle to keep the example self-contained. A real
//! venue drops `set_price` and reads its oracle's account in `open_position` and
//! `liquidate` instead, with the same checks, as [`state::PriceFeed`] details: for
//! Pyth, a `PriceUpdateV2` account of the market's configured feed id read with
//! `get_price_no_older_than(clock, max_price_age, feed_id)` (publish time), full
//! verification, a positive price and a bounded `conf / price` (confidence); for
//! Switchboard On-Demand, the market's configured `PullFeedAccountData` read with
//! `get_value(clock, max_stale_slots, min_samples, true)` and a bounded `std_dev` or
//! `range`. In both cases the feed address is fixed in the market, never passed free.

#![allow(unexpected_cfgs)]

use anchor_lang::prelude::*;

pub mod errors;
pub mod instructions;
pub mod state;

use instructions::*;

declare_id!("3ZYtpeDgC32Q2VSkqVpoET3MhVG8ezqX3jNzbPaCKYBe");

/// Seeds of the exchange's accounts.
pub mod seeds {
    /// `["market", id (u64 LE)]`.
    #[anchor_lang::constant]
    pub const MARKET: &[u8] = b"market";
    /// `["authority", market]`: owns the collateral vault and signs insurance CPIs.
    #[anchor_lang::constant]
    pub const AUTHORITY: &[u8] = b"authority";
    /// `["collateral", market]`: the market's collateral token account.
    #[anchor_lang::constant]
    pub const COLLATERAL: &[u8] = b"collateral";
    /// `["position", market, owner]`.
    #[anchor_lang::constant]
    pub const POSITION: &[u8] = b"position";
    /// `["price", market]`: the market's oracle price account.
    #[anchor_lang::constant]
    pub const PRICE: &[u8] = b"price";
}

#[program]
pub mod example_exchange {
    use super::*;

    /// Creates market `id` with its collateral vault and its price account, which only
    /// `oracle_authority` may write.
    pub fn create_market(
        ctx: Context<CreateMarket>,
        id: u64,
        params: MarketParams,
        oracle_authority: Pubkey,
    ) -> Result<()> {
        handle_create_market(ctx, id, params, oracle_authority)
    }

    /// Oracle authority: publish the market's `price`, observed at `publish_time`.
    pub fn set_price(ctx: Context<SetPrice>, price: u64, publish_time: i64) -> Result<()> {
        handle_set_price(ctx, price, publish_time)
    }

    /// Trader: add collateral.
    pub fn deposit_collateral(ctx: Context<DepositCollateral>, amount: u64) -> Result<()> {
        handle_deposit_collateral(ctx, amount)
    }

    /// Trader: open a position of `size` (positive long, negative short) at the
    /// oracle price, paying the insurance pool's volume fee on the notional (at most
    /// `max_insurance_rate_bps`) from its collateral.
    pub fn open_position(
        ctx: Context<OpenPosition>,
        size: i64,
        max_insurance_rate_bps: u64,
    ) -> Result<()> {
        handle_open_position(ctx, size, max_insurance_rate_bps)
    }

    /// Anyone: liquidate an under-margined position at the oracle price.
    pub fn liquidate(ctx: Context<Liquidate>) -> Result<()> {
        handle_liquidate(ctx)
    }
}
