//! A small perpetuals exchange, written to show how a venue integrates the segregated
//! insurance pool. Each [`state::Market`] is one market of the insurance protocol (its
//! address is the pool's `market` id). Traders deposit collateral and open a leveraged
//! position at a given price; anyone may `liquidate` an under-margined position at a
//! given price. When the collateral does not cover the loss, the exchange asks the
//! market's pool to cover the shortfall by CPI (signed by its authority PDA), and
//! socialises whatever stays uncovered in its own market state.
//!
//! Prices come from the caller to keep the example small; a real venue reads an oracle.

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
    pub const MARKET: &[u8] = b"market";
    /// `["authority", market]`: owns the collateral vault and signs insurance CPIs.
    pub const AUTHORITY: &[u8] = b"authority";
    /// `["collateral", market]`: the market's collateral token account.
    pub const COLLATERAL: &[u8] = b"collateral";
    /// `["position", market, owner]`.
    pub const POSITION: &[u8] = b"position";
}

#[program]
pub mod example_exchange {
    use super::*;

    /// Creates market `id` with its collateral vault.
    pub fn create_market(ctx: Context<CreateMarket>, id: u64, params: MarketParams) -> Result<()> {
        handle_create_market(ctx, id, params)
    }

    /// Trader: add collateral.
    pub fn deposit_collateral(ctx: Context<DepositCollateral>, amount: u64) -> Result<()> {
        handle_deposit_collateral(ctx, amount)
    }

    /// Trader: open a position of `size` (positive long, negative short) at `price`.
    pub fn open_position(ctx: Context<OpenPosition>, size: i64, price: u64) -> Result<()> {
        handle_open_position(ctx, size, price)
    }

    /// Anyone: liquidate an under-margined position at `price`.
    pub fn liquidate(ctx: Context<Liquidate>, price: u64) -> Result<()> {
        handle_liquidate(ctx, price)
    }
}
