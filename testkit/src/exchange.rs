//! The example exchange in tests: the SDK's builders (re-exported, so
//! `use insurance_pool_testkit::exchange as x` gives both) and helpers that run its
//! steps on a [`TestEnv`]: a market wired to its pool and registration, its oracle,
//! traders, and test-only state surgery on a registration.

use anchor_lang::prelude::Pubkey;
use anchor_lang::{AccountDeserialize, AccountSerialize};
use solana_account::AccountSharedData;
use solana_keypair::Keypair;
use solana_signer::Signer;

pub use crate::exchange_ix::*;
use example_exchange::state::MarketParams;
use insurance_pool::state::{ExchangeLimits, ExchangeRegistration, PoolParams};
use insurance_pool_sdk::ix;

use crate::env::{TestEnv, User, TOKEN};

/// 5 % maintenance margin, up to 10x leverage, prices at most a minute old.
pub const MARKET: MarketParams = MarketParams {
    maintenance_margin_bps: 500,
    max_leverage: 10,
    max_price_age: 60,
};

/// `params` with a zero volume rate: the exchange's trades pay no insurance fee, for
/// tests whose subject is something else and whose amounts are exact.
pub fn fee_free(params: PoolParams) -> PoolParams {
    PoolParams {
        volume: insurance_pool::math::VolumeCurve {
            base_rate: 0,
            loss_slope: 0,
            min_rate: 0,
            max_rate: 0,
            loss_decay_per_day: 500,
        },
        ..params
    }
}

/// One exchange market with the key of its oracle authority.
pub struct Venue {
    pub keys: ExchangeKeys,
    pub oracle: Keypair,
}

impl Venue {
    /// Creates market `id` on `mint` (SPL Token) with a new oracle key and `params`, and
    /// publishes `price` at the current time. No pool yet.
    pub async fn create(
        env: &mut TestEnv,
        id: u64,
        mint: Pubkey,
        params: MarketParams,
        price: u64,
    ) -> Venue {
        let keys = ExchangeKeys::new(id, mint, TOKEN);
        let oracle = Keypair::new();
        let payer = env.payer();
        env.ok(
            &[create_market(&payer, &keys, params, oracle.pubkey())],
            &[],
        )
        .await;
        let venue = Venue { keys, oracle };
        venue.publish(env, price).await;
        venue
    }

    /// [`Self::create`], then the market's insurance pool with `pool_params`, its
    /// registration of the market's authority PDA with `limits`, and `capital` deposited
    /// by a new underwriter (returned). Draws are paid only from the registration's
    /// `active_from`.
    #[allow(clippy::too_many_arguments)]
    pub async fn insured(
        env: &mut TestEnv,
        id: u64,
        mint: Pubkey,
        price: u64,
        pool_params: PoolParams,
        limits: ExchangeLimits,
        capital: u64,
    ) -> (Venue, User) {
        let venue = Venue::create(env, id, mint, MARKET, price).await;
        let pool = env
            .create_pool_at(venue.keys.market, mint, TOKEN, pool_params)
            .await;
        assert_eq!(pool, venue.keys.pool);
        venue.register(env, limits).await;
        let underwriter = env.user(&pool, capital).await;
        env.deposit(&underwriter, &pool, capital).await;
        (venue, underwriter)
    }

    /// Governance registers the market's authority PDA with its collateral vault as
    /// destination.
    pub async fn register(&self, env: &mut TestEnv, limits: ExchangeLimits) {
        self.register_on(env, &self.keys.pool, limits).await;
    }

    /// Governance registers this market's authority PDA on `pool` (its own or another
    /// market's) with its collateral vault as destination; returns the registration.
    pub async fn register_on(
        &self,
        env: &mut TestEnv,
        pool: &ix::PoolKeys,
        limits: ExchangeLimits,
    ) -> Pubkey {
        let authority = env.authority.insecure_clone();
        let payer = env.payer();
        let ix = ix::register_exchange(
            &payer,
            &authority.pubkey(),
            pool,
            self.keys.authority,
            &self.keys.collateral_vault,
            limits,
        );
        env.ok(&[ix], &[&authority]).await;
        insurance_pool::pda::exchange(&pool.pool, &self.keys.authority).0
    }

    /// The oracle publishes `price` observed now.
    pub async fn publish(&self, env: &mut TestEnv, price: u64) {
        let now = env.now().await;
        let ix = set_price(&self.oracle.pubkey(), &self.keys, price, now);
        env.ok(&[ix], &[&self.oracle]).await;
    }

    /// A trader who deposited `collateral` and opened `size` at the current price.
    pub async fn trader(&self, env: &mut TestEnv, collateral: u64, size: i64) -> User {
        let trader = env.user(&self.keys.pool, collateral).await;
        let t = trader.pubkey();
        env.ok(
            &[
                deposit_collateral(&t, &self.keys, &trader.token, collateral),
                open_position(&t, &self.keys, size, u64::MAX, None),
            ],
            &[&trader.key],
        )
        .await;
        trader
    }

    /// A new trader deposits `collateral` and opens `size` at the current price,
    /// accepting a volume rate up to `max_rate`.
    pub async fn open(&self, env: &mut TestEnv, collateral: u64, size: i64, max_rate: u64) -> User {
        let trader = env.user(&self.keys.pool, collateral).await;
        let t = trader.pubkey();
        env.ok(
            &[
                deposit_collateral(&t, &self.keys, &trader.token, collateral),
                open_position(&t, &self.keys, size, max_rate, None),
            ],
            &[&trader.key],
        )
        .await;
        trader
    }

    /// A shortfall on this market: a trader opens `size` with `collateral` at the
    /// current price (1 000), the oracle moves to `price`, the trader is liquidated,
    /// and the oracle returns to 1 000.
    pub async fn shortfall(&self, env: &mut TestEnv, collateral: u64, size: i64, price: u64) {
        let doomed = self.open(env, collateral, size, u64::MAX).await;
        self.publish(env, price).await;
        let payer = env.payer();
        env.ok(&[self.liquidate_ix(&payer, &doomed.pubkey())], &[])
            .await;
        self.publish(env, 1_000).await;
    }

    /// `liquidate` of `owner` on this market's own pool and registration.
    pub fn liquidate_ix(
        &self,
        liquidator: &Pubkey,
        owner: &Pubkey,
    ) -> anchor_lang::solana_program::instruction::Instruction {
        liquidate(
            liquidator,
            &self.keys,
            owner,
            &self.keys.pool,
            &self.keys.registration(),
        )
    }

    pub async fn registration(&self, env: &mut TestEnv) -> ExchangeRegistration {
        env.fetch(self.keys.registration()).await
    }
}

/// Caps no test reaches: 1 000 000 per event and per one-day epoch, 100 % of free
/// capital.
pub fn generous_limits() -> ExchangeLimits {
    limits(1_000_000, 1_000_000, 86_400)
}

/// Absolute caps per event and per epoch of `epoch_length` seconds, with no cap
/// relative to free capital (both bps caps at 100 %).
pub fn limits(per_event_cap: u64, per_epoch_cap: u64, epoch_length: i64) -> ExchangeLimits {
    ExchangeLimits {
        per_event_cap,
        per_epoch_cap,
        epoch_length,
        per_event_bps: 10_000,
        per_epoch_bps: 10_000,
    }
}

/// Test-only surgery: hands `v`'s registration to a new keypair funded with `tokens`
/// (returned), standing in for the exchange's PDA signing by CPI, so that a test can
/// call `contribute_volume` and `cover_shortfall` directly.
pub async fn keypair_exchange(env: &mut TestEnv, v: &Venue, tokens: u64) -> User {
    let exchange = env.user(&v.keys.pool, tokens).await;
    let key = exchange.pubkey();
    edit_registration(env, v.keys.registration(), |r| r.exchange_authority = key).await;
    exchange
}

/// Market B of an isolation test: its own market, pool (7 000 deposited, default
/// parameters) and registration, snapshotted so a test can assert nothing of it changed.
pub struct Bystander {
    pub venue: Venue,
    watched: Vec<Pubkey>,
    before: Vec<Option<solana_account::Account>>,
}

impl Bystander {
    /// Market `id` on `mint`, insured and snapshotted.
    pub async fn new(env: &mut TestEnv, id: u64, mint: Pubkey) -> Bystander {
        let limits = limits(10_000, 10_000, 86_400);
        let (venue, underwriter) = Venue::insured(
            env,
            id,
            mint,
            1_000,
            crate::params::default_params(),
            limits,
            7_000,
        )
        .await;
        let k = &venue.keys;
        let watched = vec![
            k.pool.pool,
            k.pool.vault,
            k.pool.bond_vault,
            k.pool.exposure,
            k.pool.underwriter(&underwriter.pubkey()),
            k.registration(),
            k.collateral_vault,
            k.market,
        ];
        let before = env.snapshot(&watched).await;
        Bystander {
            venue,
            watched,
            before,
        }
    }

    /// Asserts that none of market B's accounts changed and its pool is conserved.
    pub async fn assert_untouched(&self, env: &mut TestEnv) {
        assert_eq!(
            env.snapshot(&self.watched).await,
            self.before,
            "market B changed"
        );
        env.assert_conserved(&self.venue.keys.pool).await;
    }
}

/// Moves until the pool's exit clock reaches `v`'s registration's `active_from` and
/// publishes 1 000 there.
pub async fn activate(env: &mut TestEnv, v: &Venue) {
    let active_from = v.registration(env).await.active_from;
    env.warp_exit_clock_to(&v.keys.pool, active_from).await;
    v.publish(env, 1_000).await;
}

/// Test-only state surgery: rewrites the registration at `key` with `edit` (e.g. to
/// move its `next_nonce` as if an earlier deployment had drawn on it).
pub async fn edit_registration(
    env: &mut TestEnv,
    key: Pubkey,
    edit: impl FnOnce(&mut ExchangeRegistration),
) {
    edit_zero_copy(env, key, edit).await
}

/// Test-only state surgery: rewrites the zero-copy account `T` at `key` with `edit`.
pub async fn edit_zero_copy<T>(env: &mut TestEnv, key: Pubkey, edit: impl FnOnce(&mut T))
where
    T: AccountDeserialize + bytemuck::Pod + anchor_lang::Discriminator,
{
    let mut account = env.account(key).await.expect("account exists");
    let mut state = T::try_deserialize(&mut account.data.as_slice()).expect("account decodes");
    edit(&mut state);
    let data = insurance_pool_sdk::encode_zero_copy(&state);
    account.data[..data.len()].copy_from_slice(&data);
    env.ctx.set_account(&key, &AccountSharedData::from(account));
}

/// Test-only state surgery: rewrites the Anchor (Borsh) account `T` at `key` with `edit`.
pub async fn edit_account<T: AccountDeserialize + AccountSerialize>(
    env: &mut TestEnv,
    key: Pubkey,
    edit: impl FnOnce(&mut T),
) {
    let mut account = env.account(key).await.expect("account exists");
    let mut state = T::try_deserialize(&mut account.data.as_slice()).expect("account decodes");
    edit(&mut state);
    let mut data = Vec::with_capacity(account.data.len());
    state.try_serialize(&mut data).expect("serialize account");
    account.data[..data.len()].copy_from_slice(&data);
    env.ctx.set_account(&key, &AccountSharedData::from(account));
}

/// Moves the clock to `at` (unix time; never backwards).
pub async fn warp_to(env: &mut TestEnv, at: i64) {
    env.warp_to(at).await;
}
