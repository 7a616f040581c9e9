//! Exchange integration, end to end through the example exchange: registrations, and
//! liquidations whose shortfall the market's pool covers by CPI within its limits.

use insurance_pool_tests::exchange as x;
use insurance_pool_tests::*;

const HOUR: i64 = 3_600;

/// Limits used unless a test says otherwise: generous caps, one-day epochs.
fn limits(per_event_cap: u64, per_epoch_cap: u64) -> ExchangeLimits {
    ExchangeLimits {
        per_event_cap,
        per_epoch_cap,
        epoch_length: 24 * HOUR,
        per_event_bps: 10_000,
        per_epoch_bps: 10_000,
    }
}

/// 5 % maintenance margin, up to 10x leverage.
const MARKET: MarketParams = MarketParams {
    maintenance_margin_bps: 500,
    max_leverage: 10,
};

struct Venue {
    keys: ExchangeKeys,
}

/// Exchange market `id` on `mint`, its insurance pool (`capital` deposited, minimum
/// reserve `min_reserve`), and the exchange registered with `limits`.
async fn venue(
    env: &mut TestEnv,
    id: u64,
    mint: Pubkey,
    capital: u64,
    min_reserve: u64,
    limits: ExchangeLimits,
) -> Venue {
    let keys = ExchangeKeys::new(id, mint, TOKEN);
    let payer = env.payer();
    env.ok(&[x::create_market(&payer, &keys, MARKET)], &[])
        .await;
    let params = PoolParams {
        min_reserve,
        ..default_params()
    };
    let pool = env.create_pool_at(keys.market, mint, TOKEN, params).await;
    assert_eq!(pool, keys.pool);
    let authority = env.authority.insecure_clone();
    let ix = register_exchange(
        &payer,
        &authority.pubkey(),
        &pool,
        keys.authority,
        &keys.collateral_vault,
        limits,
    );
    let out = env.ok(&[ix], &[&authority]).await;
    if let Some(event) = out.event::<ExchangeRegistered>() {
        assert_eq!(
            (event.exchange_authority, event.destination),
            (keys.authority, keys.collateral_vault)
        );
    }
    let underwriter = env.user(&pool, capital).await;
    env.deposit(&underwriter, &pool, capital).await;
    Venue { keys }
}

/// A trader with 1 000 collateral, long 10 at 1 000 (10x). At price 800 its equity is
/// 1 000 + 10 x (800 - 1 000) = -1 000: a shortfall of 1 000.
async fn doomed_trader(env: &mut TestEnv, v: &Venue) -> User {
    let trader = env.user(&v.keys.pool, 1_000).await;
    env.ok(
        &[x::deposit_collateral(
            &trader.pubkey(),
            &v.keys,
            &trader.token,
            1_000,
        )],
        &[&trader.key],
    )
    .await;
    env.ok(
        &[x::open_position(&trader.pubkey(), &v.keys, 10, 1_000)],
        &[&trader.key],
    )
    .await;
    trader
}

/// Liquidates at 800 and returns (covered, uncovered) as the exchange recorded them,
/// checking the pool paid exactly `covered` into the exchange's vault.
async fn liquidate(env: &mut TestEnv, v: &Venue, trader: &User) -> (u64, u64) {
    let before_market: Market = env.fetch(v.keys.market).await;
    let before_vault = env.balance(v.keys.collateral_vault).await;
    let before_capital = env.pool(&v.keys.pool).await.capital;
    let payer = env.payer();
    let ix = x::liquidate(
        &payer,
        &v.keys,
        &trader.pubkey(),
        &v.keys.pool,
        &v.keys.registration(),
        800,
    );
    let out = env.ok(&[ix], &[]).await;
    let market: Market = env.fetch(v.keys.market).await;
    let covered = market.insured_loss - before_market.insured_loss;
    let uncovered = market.socialized_loss - before_market.socialized_loss;
    assert_eq!(
        covered + uncovered,
        1_000,
        "the whole shortfall is accounted for"
    );
    assert_eq!(market.bad_debt - before_market.bad_debt, 1_000);
    assert_eq!(
        env.balance(v.keys.collateral_vault).await - before_vault,
        covered
    );
    assert_eq!(
        before_capital - env.pool(&v.keys.pool).await.capital,
        covered
    );
    if let Some(event) = out.event::<ShortfallCovered>() {
        assert_eq!(
            (event.amount, event.covered, event.uncovered),
            (1_000, covered, uncovered)
        );
    }
    let position: Position = env.fetch(v.keys.position(&trader.pubkey())).await;
    assert_eq!((position.size, position.collateral), (0, 0));
    env.assert_conserved(&v.keys.pool).await;
    (covered, uncovered)
}

#[tokio::test]
async fn full_cover_and_loss_statistics() {
    let mut env = TestEnv::new().await;
    let mint = env.create_mint(TOKEN).await;
    let v = venue(&mut env, 1, mint, 5_000, 0, limits(10_000, 10_000)).await;
    let underwriter_value = env
        .pool(&v.keys.pool)
        .await
        .value_of(5_000_000_000)
        .unwrap();
    let trader = doomed_trader(&mut env, &v).await;
    assert_eq!(liquidate(&mut env, &v, &trader).await, (1_000, 0));

    let pool = env.pool(&v.keys.pool).await;
    assert_eq!(pool.capital, 4_000);
    assert_eq!(
        pool.loss_stats,
        LossStats {
            count: 1,
            total_reported: 1_000,
            total_covered: 1_000,
            largest: 1_000,
            ewma: 1_000
        }
    );
    // Underwriters bear it pro-rata: the only one lost a fifth.
    assert_eq!(underwriter_value, 5_000);
    assert_eq!(pool.value_of(5_000_000_000).unwrap(), 4_000);
    let registration: ExchangeRegistration = env.fetch(v.keys.registration()).await;
    assert_eq!(
        (registration.next_nonce, registration.epoch_paid),
        (1, 1_000)
    );
    assert_eq!(
        (registration.total_reported, registration.total_covered),
        (1_000, 1_000)
    );

    // A second, smaller-than-average loss moves the EWMA a fifth of the way.
    let second = env.user(&v.keys.pool, 1_000).await;
    env.ok(
        &[x::deposit_collateral(
            &second.pubkey(),
            &v.keys,
            &second.token,
            1_000,
        )],
        &[&second.key],
    )
    .await;
    env.ok(
        &[x::open_position(&second.pubkey(), &v.keys, 5, 1_000)],
        &[&second.key],
    )
    .await;
    // Long 5 at 1 000, liquidated at 700: equity 1 000 - 1 500 = -500.
    let payer = env.payer();
    env.ok(
        &[x::liquidate(
            &payer,
            &v.keys,
            &second.pubkey(),
            &v.keys.pool,
            &v.keys.registration(),
            700,
        )],
        &[],
    )
    .await;
    let stats = env.pool(&v.keys.pool).await.loss_stats;
    assert_eq!(
        (stats.count, stats.total_reported, stats.largest, stats.ewma),
        (2, 1_500, 1_000, 900)
    );
    env.assert_conserved(&v.keys.pool).await;
}

#[tokio::test]
async fn per_event_cap_binds() {
    let mut env = TestEnv::new().await;
    let mint = env.create_mint(TOKEN).await;
    let v = venue(&mut env, 2, mint, 5_000, 0, limits(600, 10_000)).await;
    let trader = doomed_trader(&mut env, &v).await;
    assert_eq!(liquidate(&mut env, &v, &trader).await, (600, 400));
}

#[tokio::test]
async fn epoch_cap_binds_then_rollover_restores_room() {
    let mut env = TestEnv::new().await;
    let mint = env.create_mint(TOKEN).await;
    let v = venue(&mut env, 3, mint, 5_000, 0, limits(600, 1_000)).await;
    let (t1, t2, t3) = (
        doomed_trader(&mut env, &v).await,
        doomed_trader(&mut env, &v).await,
        doomed_trader(&mut env, &v).await,
    );
    assert_eq!(
        liquidate(&mut env, &v, &t1).await,
        (600, 400),
        "per-event cap"
    );
    assert_eq!(
        liquidate(&mut env, &v, &t2).await,
        (400, 600),
        "1 000 - 600 left in the epoch"
    );
    env.warp(24 * HOUR).await;
    assert_eq!(
        liquidate(&mut env, &v, &t3).await,
        (600, 400),
        "new epoch, room restored"
    );
    let registration: ExchangeRegistration = env.fetch(v.keys.registration()).await;
    assert_eq!((registration.epoch_paid, registration.next_nonce), (600, 3));
}

#[tokio::test]
async fn solvency_floor_binds() {
    let mut env = TestEnv::new().await;
    let mint = env.create_mint(TOKEN).await;
    // 5 000 of capital, 4 700 of it a minimum reserve: 300 available.
    let v = venue(&mut env, 4, mint, 5_000, 4_700, limits(10_000, 10_000)).await;
    let (t1, t2) = (
        doomed_trader(&mut env, &v).await,
        doomed_trader(&mut env, &v).await,
    );
    assert_eq!(liquidate(&mut env, &v, &t1).await, (300, 700));
    // At the floor nothing more is paid, but the loss is still recorded.
    assert_eq!(liquidate(&mut env, &v, &t2).await, (0, 1_000));
    let pool = env.pool(&v.keys.pool).await;
    assert_eq!(pool.capital, 4_700);
    assert_eq!(
        (
            pool.loss_stats.count,
            pool.loss_stats.total_reported,
            pool.loss_stats.total_covered
        ),
        (2, 2_000, 300)
    );
}

#[tokio::test]
async fn deactivated_unregistered_and_paused_exchanges_are_refused() {
    let mut env = TestEnv::new().await;
    let mint = env.create_mint(TOKEN).await;
    let v = venue(&mut env, 5, mint, 5_000, 0, limits(10_000, 10_000)).await;
    let trader = doomed_trader(&mut env, &v).await;
    let authority = env.authority.insecure_clone();
    let guardian = env.guardian.insecure_clone();
    let payer = env.payer();
    let liq = |pool: &PoolKeys, registration: &Pubkey| {
        x::liquidate(&payer, &v.keys, &trader.pubkey(), pool, registration, 800)
    };

    // Deactivated.
    let out = env
        .ok(
            &[deactivate_exchange(
                &authority.pubkey(),
                &v.keys.registration(),
            )],
            &[&authority],
        )
        .await;
    if let Some(event) = out.event::<ExchangeDeactivated>() {
        assert_eq!(event.registration, v.keys.registration());
    }
    env.refused(
        &[liq(&v.keys.pool, &v.keys.registration())],
        &[],
        code(InsuranceError::ExchangeInactive),
    )
    .await;
    // Reactivated by update_exchange, then paused (pool level, then protocol level).
    env.ok(
        &[update_exchange(
            &authority.pubkey(),
            &v.keys.pool,
            &v.keys.registration(),
            &v.keys.collateral_vault,
            limits(10_000, 10_000),
        )],
        &[&authority],
    )
    .await;
    env.ok(
        &[set_pool_pause(
            &guardian.pubkey(),
            &v.keys.pool,
            pause::SHORTFALL,
        )],
        &[&guardian],
    )
    .await;
    env.refused(
        &[liq(&v.keys.pool, &v.keys.registration())],
        &[],
        code(InsuranceError::Paused),
    )
    .await;
    env.ok(
        &[set_pool_pause(&authority.pubkey(), &v.keys.pool, 0)],
        &[&authority],
    )
    .await;
    env.ok(
        &[set_protocol_pause(&guardian.pubkey(), pause::SHORTFALL)],
        &[&guardian],
    )
    .await;
    env.refused(
        &[liq(&v.keys.pool, &v.keys.registration())],
        &[],
        code(InsuranceError::Paused),
    )
    .await;
    env.ok(&[set_protocol_pause(&authority.pubkey(), 0)], &[&authority])
        .await;

    // An exchange market whose pool never registered it.
    let other = ExchangeKeys::new(6, mint, TOKEN);
    env.ok(&[x::create_market(&payer, &other, MARKET)], &[])
        .await;
    env.create_pool_at(other.market, mint, TOKEN, default_params())
        .await;
    let stranger = doomed_trader(&mut env, &Venue { keys: other }).await;
    env.refused(
        &[x::liquidate(
            &payer,
            &other,
            &stranger.pubkey(),
            &other.pool,
            &other.registration(),
            800,
        )],
        &[],
        code(AnchorError::AccountNotInitialized),
    )
    .await;
    // ... nor may it borrow market 5's registration: the pool checks who signs.
    env.refused(
        &[x::liquidate(
            &payer,
            &other,
            &stranger.pubkey(),
            &other.pool,
            &v.keys.registration(),
            800,
        )],
        &[],
        code(InsuranceError::WrongExchangeRegistration),
    )
    .await;

    // After all that, the liquidation goes through.
    assert_eq!(liquidate(&mut env, &v, &trader).await, (1_000, 0));
}

#[tokio::test]
async fn direct_calls_nonces_and_keypair_signers() {
    let mut env = TestEnv::new().await;
    let mint = env.create_mint(TOKEN).await;
    let v = venue(&mut env, 7, mint, 5_000, 0, limits(10_000, 10_000)).await;
    let pool = v.keys.pool;
    let destination = v.keys.collateral_vault;

    // A plain keypair cannot use the exchange's registration: only its PDA can sign.
    let mallory = Keypair::new();
    env.refused(
        &[cover_shortfall(
            &mallory.pubkey(),
            &pool,
            &v.keys.registration(),
            &destination,
            100,
            0,
        )],
        &[&mallory],
        code(InsuranceError::WrongExchangeAuthority),
    )
    .await;

    // A keeper registered with a keypair authority (e.g. an off-chain liquidation bot)
    // shows the nonce rules directly.
    let keeper = Keypair::new();
    let sink = env
        .create_token_account(&mint, &keeper.pubkey(), &TOKEN)
        .await;
    let authority = env.authority.insecure_clone();
    let payer = env.payer();
    env.ok(
        &[register_exchange(
            &payer,
            &authority.pubkey(),
            &pool,
            keeper.pubkey(),
            &sink,
            limits(10_000, 10_000),
        )],
        &[&authority],
    )
    .await;
    let registration = insurance_pool::pda::exchange(&pool.pool, &keeper.pubkey()).0;
    let k = keeper.pubkey();
    env.refused(
        &[cover_shortfall(&k, &pool, &registration, &sink, 100, 1)],
        &[&keeper],
        code(InsuranceError::InvalidNonce),
    )
    .await;
    let out = env
        .ok(
            &[cover_shortfall(&k, &pool, &registration, &sink, 100, 0)],
            &[&keeper],
        )
        .await;
    let result =
        ShortfallCover::deserialize(&mut out.return_data.expect("return data").as_slice()).unwrap();
    assert_eq!(
        result,
        ShortfallCover {
            covered: 100,
            uncovered: 0
        }
    );
    assert_eq!(env.balance(sink).await, 100);
    // Replaying nonce 0 is refused; nonce 1 is next.
    env.refused(
        &[cover_shortfall(&k, &pool, &registration, &sink, 100, 0)],
        &[&keeper],
        code(InsuranceError::InvalidNonce),
    )
    .await;
    env.refused(
        &[cover_shortfall(&k, &pool, &registration, &sink, 0, 1)],
        &[&keeper],
        code(InsuranceError::ZeroAmount),
    )
    .await;
    // Payouts go to the registered destination only.
    env.refused(
        &[cover_shortfall(
            &k,
            &pool,
            &registration,
            &destination,
            100,
            1,
        )],
        &[&keeper],
        code(InsuranceError::WrongDestination),
    )
    .await;
    env.assert_conserved(&pool).await;
}

#[tokio::test]
async fn an_exchange_of_market_a_cannot_draw_from_market_b() {
    let mut env = TestEnv::new().await;
    let mint = env.create_mint(TOKEN).await;
    let a = venue(&mut env, 8, mint, 5_000, 0, limits(10_000, 10_000)).await;
    let b = venue(&mut env, 9, mint, 5_000, 0, limits(10_000, 10_000)).await;
    let trader = doomed_trader(&mut env, &a).await;
    let watched = [
        b.keys.pool.pool,
        b.keys.pool.vault,
        b.keys.registration(),
        b.keys.collateral_vault,
    ];
    let before = env.snapshot(&watched).await;
    let payer = env.payer();

    // Through the exchange: market A's liquidation pointed at B's pool and registration.
    env.refused(
        &[x::liquidate(
            &payer,
            &a.keys,
            &trader.pubkey(),
            &b.keys.pool,
            &b.keys.registration(),
            800,
        )],
        &[],
        code(ExchangeError::WrongInsurancePool),
    )
    .await;
    // Directly: a keeper registered on A only, aiming at B's pool with A's registration.
    let keeper = Keypair::new();
    let sink = env
        .create_token_account(&mint, &keeper.pubkey(), &TOKEN)
        .await;
    let authority = env.authority.insecure_clone();
    env.ok(
        &[register_exchange(
            &payer,
            &authority.pubkey(),
            &a.keys.pool,
            keeper.pubkey(),
            &sink,
            limits(10_000, 10_000),
        )],
        &[&authority],
    )
    .await;
    let on_a = insurance_pool::pda::exchange(&a.keys.pool.pool, &keeper.pubkey()).0;
    env.refused(
        &[cover_shortfall(
            &keeper.pubkey(),
            &b.keys.pool,
            &on_a,
            &sink,
            100,
            0,
        )],
        &[&keeper],
        code(InsuranceError::WrongExchangeRegistration),
    )
    .await;
    // A's pool with B's vault.
    let a_with_b_vault = PoolKeys {
        vault: b.keys.pool.vault,
        ..a.keys.pool
    };
    env.refused(
        &[cover_shortfall(
            &keeper.pubkey(),
            &a_with_b_vault,
            &on_a,
            &sink,
            100,
            0,
        )],
        &[&keeper],
        code(InsuranceError::WrongVault),
    )
    .await;

    // Market A's real liquidation draws on A only.
    assert_eq!(liquidate(&mut env, &a, &trader).await, (1_000, 0));
    assert_eq!(env.snapshot(&watched).await, before, "market B changed");
    env.assert_conserved(&b.keys.pool).await;
}

#[tokio::test]
async fn registration_admin_refusals() {
    let mut env = TestEnv::new().await;
    let mint = env.create_mint(TOKEN).await;
    let v = venue(&mut env, 10, mint, 5_000, 0, limits(10_000, 10_000)).await;
    let authority = env.authority.insecure_clone();
    let guardian = env.guardian.insecure_clone();
    let payer = env.payer();
    let pool = v.keys.pool;
    let dest = v.keys.collateral_vault;
    let new_authority = Keypair::new().pubkey();

    let register = |signer: &Pubkey, who: Pubkey, dest: &Pubkey, l: ExchangeLimits| {
        register_exchange(&payer, signer, &pool, who, dest, l)
    };
    env.refused(
        &[register(
            &guardian.pubkey(),
            new_authority,
            &dest,
            limits(1, 1),
        )],
        &[&guardian],
        code(InsuranceError::Unauthorized),
    )
    .await;
    env.refused(
        &[register(
            &authority.pubkey(),
            Pubkey::default(),
            &dest,
            limits(1, 1),
        )],
        &[&authority],
        code(InsuranceError::InvalidAddress),
    )
    .await;
    for (l, error) in [
        (limits(0, 10), InsuranceError::InvalidExchangeCaps),
        (limits(11, 10), InsuranceError::InvalidExchangeCaps),
        (
            ExchangeLimits {
                epoch_length: HOUR - 1,
                ..limits(1, 1)
            },
            InsuranceError::InvalidEpochLength,
        ),
        (
            ExchangeLimits {
                epoch_length: 366 * 24 * HOUR,
                ..limits(1, 1)
            },
            InsuranceError::InvalidEpochLength,
        ),
    ] {
        env.refused(
            &[register(&authority.pubkey(), new_authority, &dest, l)],
            &[&authority],
            code(error),
        )
        .await;
    }
    // A destination of another mint.
    let other_mint = env.create_mint(TOKEN).await;
    let foreign = env.create_token_account(&other_mint, &payer, &TOKEN).await;
    env.refused(
        &[register(
            &authority.pubkey(),
            new_authority,
            &foreign,
            limits(1, 1),
        )],
        &[&authority],
        code(InsuranceError::WrongMint),
    )
    .await;
    // Registering twice is impossible (the PDA exists).
    env.refused(
        &[register(
            &authority.pubkey(),
            v.keys.authority,
            &dest,
            limits(1, 1),
        )],
        &[&authority],
        0,
    )
    .await;

    // update / deactivate: authority only, limits checked, registration bound to pool.
    let reg = v.keys.registration();
    env.refused(
        &[update_exchange(
            &guardian.pubkey(),
            &pool,
            &reg,
            &dest,
            limits(1, 1),
        )],
        &[&guardian],
        code(InsuranceError::Unauthorized),
    )
    .await;
    env.refused(
        &[update_exchange(
            &authority.pubkey(),
            &pool,
            &reg,
            &dest,
            limits(2, 1),
        )],
        &[&authority],
        code(InsuranceError::InvalidExchangeCaps),
    )
    .await;
    let other_pool = env.create_pool(TOKEN).await;
    env.refused(
        &[update_exchange(
            &authority.pubkey(),
            &other_pool,
            &reg,
            &dest,
            limits(1, 1),
        )],
        &[&authority],
        code(InsuranceError::WrongExchangeRegistration),
    )
    .await;
    env.refused(
        &[deactivate_exchange(&guardian.pubkey(), &reg)],
        &[&guardian],
        code(InsuranceError::Unauthorized),
    )
    .await;
    let out = env
        .ok(
            &[update_exchange(
                &authority.pubkey(),
                &pool,
                &reg,
                &dest,
                limits(500, 700),
            )],
            &[&authority],
        )
        .await;
    if let Some(event) = out.event::<ExchangeUpdated>() {
        assert_eq!(
            (event.previous, event.limits),
            (limits(10_000, 10_000), limits(500, 700))
        );
    }
    let registration: ExchangeRegistration = env.fetch(reg).await;
    assert_eq!(registration.limits, limits(500, 700));
}

#[tokio::test]
async fn the_exchange_refuses_healthy_and_overleveraged_positions() {
    let mut env = TestEnv::new().await;
    let mint = env.create_mint(TOKEN).await;
    let v = venue(&mut env, 11, mint, 5_000, 0, limits(10_000, 10_000)).await;
    let trader = env.user(&v.keys.pool, 1_000).await;
    let t = trader.pubkey();
    env.ok(
        &[x::deposit_collateral(&t, &v.keys, &trader.token, 1_000)],
        &[&trader.key],
    )
    .await;
    env.refused(
        &[x::open_position(&t, &v.keys, 11, 1_000)],
        &[&trader.key],
        code(ExchangeError::LeverageTooHigh),
    )
    .await;
    env.ok(&[x::open_position(&t, &v.keys, -10, 1_000)], &[&trader.key])
        .await;
    let payer = env.payer();
    // A short gains when the price falls: nothing to liquidate.
    env.refused(
        &[x::liquidate(
            &payer,
            &v.keys,
            &t,
            &v.keys.pool,
            &v.keys.registration(),
            800,
        )],
        &[],
        code(ExchangeError::NotLiquidatable),
    )
    .await;
    // Short 10 from 1 000, price 1 150: equity 1 000 - 1 500 = -500.
    env.ok(
        &[x::liquidate(
            &payer,
            &v.keys,
            &t,
            &v.keys.pool,
            &v.keys.registration(),
            1_150,
        )],
        &[],
    )
    .await;
    let market: Market = env.fetch(v.keys.market).await;
    assert_eq!(
        (market.bad_debt, market.insured_loss, market.socialized_loss),
        (500, 500, 0)
    );
    env.refused(
        &[x::liquidate(
            &payer,
            &v.keys,
            &t,
            &v.keys.pool,
            &v.keys.registration(),
            1_150,
        )],
        &[],
        code(ExchangeError::NoOpenPosition),
    )
    .await;
    env.assert_conserved(&v.keys.pool).await;
}
