//! The example exchange from the tests' side: addresses, instruction builders, and a
//! market wired to its insurance pool.

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::{system_program, InstructionData, ToAccountMetas};
use example_exchange::state::MarketParams;
use example_exchange::{accounts, instruction, seeds};

use insurance_pool_sdk::ix::PoolKeys;

/// Addresses of one example-exchange market and its insurance pool.
#[derive(Clone, Copy, Debug)]
pub struct ExchangeKeys {
    pub id: u64,
    pub market: Pubkey,
    /// PDA `["authority", market]`: registered with the pool, signs `cover_shortfall`.
    pub authority: Pubkey,
    pub collateral_vault: Pubkey,
    /// PDA `["price", market]`: the market's oracle price account.
    pub price_feed: Pubkey,
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
            price_feed: pda(&[seeds::PRICE, market.as_ref()]),
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

/// Creates the market with its price account; only `oracle_authority` may then
/// [`set_price`].
pub fn create_market(
    admin: &Pubkey,
    keys: &ExchangeKeys,
    params: MarketParams,
    oracle_authority: Pubkey,
) -> Instruction {
    build(
        accounts::CreateMarket {
            admin: *admin,
            market: keys.market,
            authority: keys.authority,
            price_feed: keys.price_feed,
            mint: keys.pool.mint,
            collateral_vault: keys.collateral_vault,
            token_program: keys.pool.token_program,
            system_program: system_program::ID,
        },
        instruction::CreateMarket {
            id: keys.id,
            params,
            oracle_authority,
        },
    )
}

/// The oracle authority publishes the market's `price`, observed at `publish_time`.
pub fn set_price(
    oracle_authority: &Pubkey,
    keys: &ExchangeKeys,
    price: u64,
    publish_time: i64,
) -> Instruction {
    build(
        accounts::SetPrice {
            oracle_authority: *oracle_authority,
            market: keys.market,
            price_feed: keys.price_feed,
        },
        instruction::SetPrice {
            price,
            publish_time,
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

/// Opens a position of `size` at the market's oracle price, paying the insurance pool's
/// volume fee (at most `max_insurance_rate_bps`) from the trader's collateral.
/// `treasury_token`: the protocol treasury's account, needed while a protocol fee is set.
pub fn open_position(
    owner: &Pubkey,
    keys: &ExchangeKeys,
    size: i64,
    max_insurance_rate_bps: u64,
    treasury_token: Option<Pubkey>,
) -> Instruction {
    build(
        accounts::OpenPosition {
            owner: *owner,
            market: keys.market,
            position: keys.position(owner),
            price_feed: keys.price_feed,
            authority: keys.authority,
            collateral_vault: keys.collateral_vault,
            insurance_program: insurance_pool::ID,
            insurance_protocol: insurance_pool::pda::protocol().0,
            insurance_pool: keys.pool.pool,
            registration: keys.registration(),
            insurance_exposure: keys.pool.exposure,
            insurance_vault: keys.pool.vault,
            treasury_token,
            mint: keys.pool.mint,
            token_program: keys.pool.token_program,
        },
        instruction::OpenPosition {
            size,
            max_insurance_rate_bps,
        },
    )
}

/// Liquidates `owner`'s position at the market's oracle price, drawing on `pool`
/// through `registration` (normally the market's own pool and registration; tests
/// pass others to attack).
pub fn liquidate(
    liquidator: &Pubkey,
    keys: &ExchangeKeys,
    owner: &Pubkey,
    pool: &PoolKeys,
    registration: &Pubkey,
) -> Instruction {
    liquidate_with_feed(
        liquidator,
        keys,
        owner,
        pool,
        registration,
        &keys.price_feed,
    )
}

/// [`liquidate`] with any price account (tests pass another market's to attack).
pub fn liquidate_with_feed(
    liquidator: &Pubkey,
    keys: &ExchangeKeys,
    owner: &Pubkey,
    pool: &PoolKeys,
    registration: &Pubkey,
    price_feed: &Pubkey,
) -> Instruction {
    build(
        accounts::Liquidate {
            liquidator: *liquidator,
            market: keys.market,
            position: keys.position(owner),
            price_feed: *price_feed,
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
        instruction::Liquidate {},
    )
}
