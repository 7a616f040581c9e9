//! The example exchange from the tests' side: addresses, instruction builders, and a
//! market wired to its insurance pool.

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::{system_program, InstructionData, ToAccountMetas};
use example_exchange::state::MarketParams;
use example_exchange::{accounts, instruction, seeds};

use crate::ix::PoolKeys;

/// Addresses of one example-exchange market and its insurance pool.
#[derive(Clone, Copy, Debug)]
pub struct ExchangeKeys {
    pub id: u64,
    pub market: Pubkey,
    /// PDA `["authority", market]`: registered with the pool, signs `cover_shortfall`.
    pub authority: Pubkey,
    pub collateral_vault: Pubkey,
    /// The market's insurance pool (its `market` id is [`Self::market`]).
    pub pool: PoolKeys,
}

impl ExchangeKeys {
    pub fn new(id: u64, mint: Pubkey, token_program: Pubkey) -> Self {
        let pda = |seeds: &[&[u8]]| Pubkey::find_program_address(seeds, &example_exchange::ID).0;
        let market = pda(&[seeds::MARKET, &id.to_le_bytes()]);
        Self {
            id,
            market,
            authority: pda(&[seeds::AUTHORITY, market.as_ref()]),
            collateral_vault: pda(&[seeds::COLLATERAL, market.as_ref()]),
            pool: PoolKeys::new(market, mint, token_program),
        }
    }

    /// The pool's registration of this exchange.
    pub fn registration(&self) -> Pubkey {
        insurance_pool::pda::exchange(&self.pool.pool, &self.authority).0
    }

    pub fn position(&self, owner: &Pubkey) -> Pubkey {
        Pubkey::find_program_address(
            &[seeds::POSITION, self.market.as_ref(), owner.as_ref()],
            &example_exchange::ID,
        )
        .0
    }
}

fn build(accounts: impl ToAccountMetas, data: impl InstructionData) -> Instruction {
    Instruction {
        program_id: example_exchange::ID,
        accounts: accounts.to_account_metas(None),
        data: data.data(),
    }
}

pub fn create_market(admin: &Pubkey, keys: &ExchangeKeys, params: MarketParams) -> Instruction {
    build(
        accounts::CreateMarket {
            admin: *admin,
            market: keys.market,
            authority: keys.authority,
            mint: keys.pool.mint,
            collateral_vault: keys.collateral_vault,
            token_program: keys.pool.token_program,
            system_program: system_program::ID,
        },
        instruction::CreateMarket {
            id: keys.id,
            params,
        },
    )
}

pub fn deposit_collateral(
    owner: &Pubkey,
    keys: &ExchangeKeys,
    owner_token: &Pubkey,
    amount: u64,
) -> Instruction {
    build(
        accounts::DepositCollateral {
            owner: *owner,
            market: keys.market,
            position: keys.position(owner),
            owner_token: *owner_token,
            collateral_vault: keys.collateral_vault,
            mint: keys.pool.mint,
            token_program: keys.pool.token_program,
            system_program: system_program::ID,
        },
        instruction::DepositCollateral { amount },
    )
}

pub fn open_position(owner: &Pubkey, keys: &ExchangeKeys, size: i64, price: u64) -> Instruction {
    build(
        accounts::OpenPosition {
            owner: *owner,
            market: keys.market,
            position: keys.position(owner),
        },
        instruction::OpenPosition { size, price },
    )
}

/// Liquidates `owner`'s position, drawing on `pool` through `registration` (normally
/// the market's own pool and registration; tests pass others to attack).
pub fn liquidate(
    liquidator: &Pubkey,
    keys: &ExchangeKeys,
    owner: &Pubkey,
    pool: &PoolKeys,
    registration: &Pubkey,
    price: u64,
) -> Instruction {
    build(
        accounts::Liquidate {
            liquidator: *liquidator,
            market: keys.market,
            position: keys.position(owner),
            authority: keys.authority,
            collateral_vault: keys.collateral_vault,
            insurance_program: insurance_pool::ID,
            insurance_protocol: insurance_pool::pda::protocol().0,
            insurance_pool: pool.pool,
            registration: *registration,
            insurance_vault: pool.vault,
            mint: pool.mint,
            token_program: pool.token_program,
        },
        instruction::Liquidate { price },
    )
}
