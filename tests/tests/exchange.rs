//! Exchange integration, end to end through the example exchange: registrations, and
//! liquidations at the market's oracle price whose shortfall the market's pool covers
//! by CPI within its limits, from the registration's activation on.

use insurance_pool_testkit::exchange::{self as x, Venue, MARKET};
use insurance_pool_testkit::*;

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

/// Exchange market `id` on `mint` (oracle price 1 000), its insurance pool (`capital`
/// deposited, minimum reserve `min_reserve`), and the exchange registered with
/// `limits`; the clock is then moved to the registration's `active_from`, when its
/// draws start to be paid, and the price published again.
async fn venue(
    env: &mut TestEnv,
    id: u64,
    mint: Pubkey,
    capital: u64,
    min_reserve: u64,
    limits: ExchangeLimits,
) -> Venue {
    // No volume fee: these tests' amounts are exact (tests/tests/volume.rs has the fee).
    let params = PoolParams {
        min_reserve,
        ..x::fee_free(default_params())
    };
    let (v, _) = Venue::insured(env, id, mint, 1_000, params, limits, capital).await;
    let registration = v.registration(env).await;
    assert_eq!(
        (registration.exchange_authority, registration.destination),
        (v.keys.authority, v.keys.collateral_vault)
    );
    // 30-day deposit lock + a request waiting for 30-day cover and its expiry day +
    // 1-day margin.
    assert_eq!(params.exit_horizon(), 62 * 24 * HOUR);
    assert_eq!(
        registration.active_from,
        registration.epoch_start + params.exit_horizon()
    );
    x::warp_to(env, registration.active_from).await;
    v.publish(env, 1_000).await;
    v
}

/// A trader with 1 000 collateral, long 10 at the oracle's 1 000 (10x). At price 800
/// its equity is 1 000 + 10 x (800 - 1 000) = -1 000: a shortfall of 1 000.
async fn doomed_trader(env: &mut TestEnv, v: &Venue) -> User {
    v.trader(env, 1_000, 10).await
}

/// The oracle publishes 800, the trader is liquidated; returns (covered, uncovered) as
/// the exchange recorded them, checking the pool paid exactly `covered` into the
/// exchange's vault.
async fn liquidate(env: &mut TestEnv, v: &Venue, trader: &User) -> (u64, u64) {
    liquidate_at(env, v, trader, 800, 1_000).await
}

/// [`liquidate`] at oracle price `price`, for a position whose shortfall is `shortfall`.
async fn liquidate_at(
    env: &mut TestEnv,
    v: &Venue,
    trader: &User,
    price: u64,
    shortfall: u64,
) -> (u64, u64) {
    v.publish(env, price).await;
    let before_market: Market = env.fetch(v.keys.market).await;
    let before_vault = env.balance(v.keys.collateral_vault).await;
    let before_capital = env.pool(&v.keys.pool).await.capital;
    let before_nonce = v.registration(env).await.next_nonce;
    let payer = env.payer();
    let out = env
        .ok(&[v.liquidate_ix(&payer, &trader.pubkey())], &[])
        .await;
    let market: Market = env.fetch(v.keys.market).await;
    let covered = market.insured_loss - before_market.insured_loss;
    let uncovered = market.socialized_loss - before_market.socialized_loss;
    assert_eq!(
        covered + uncovered,
        shortfall,
        "the whole shortfall is accounted for"
    );
    assert_eq!(market.bad_debt - before_market.bad_debt, shortfall);
    assert_eq!(
        env.balance(v.keys.collateral_vault).await - before_vault,
        covered
    );
    assert_eq!(
        before_capital - env.pool(&v.keys.pool).await.capital,
        covered
    );
    assert_eq!(v.registration(env).await.next_nonce, before_nonce + 1);
    if let Some(event) = out.event::<ShortfallCovered>() {
        assert_eq!(
            (event.nonce, event.amount, event.covered, event.uncovered),
            (before_nonce, shortfall, covered, uncovered)
        );
    }
    let position: Position = env.fetch(v.keys.position(&trader.pubkey())).await;
    assert_eq!((position.size, position.collateral), (0, 0));
    // The house received the collateral and the cover, and bore the rest.
    let collateral = before_market.total_collateral - market.total_collateral;
    assert_eq!(
        market.house_balance - before_market.house_balance,
        collateral + covered
    );
    assert_eq!(
        Some(env.balance(v.keys.collateral_vault).await),
        market.liabilities(),
        "the exchange's vault holds what it owes"
    );
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
    v.publish(&mut env, 1_000).await;
    let second = v.trader(&mut env, 1_000, 5).await;
    // Long 5 at 1 000, liquidated at 700: equity 1 000 - 1 500 = -500.
    assert_eq!(
        liquidate_at(&mut env, &v, &second, 700, 500).await,
        (500, 0)
    );
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

/// A deactivated or paused registration pays nothing but does not abort the
/// liquidation: the pool records the report, advances the nonce and returns
/// `uncovered = amount`, which the exchange socialises. Reactivation waits for the
/// activation delay. A market without a registration of its own is refused.
#[tokio::test]
async fn deactivated_and_paused_exchanges_pay_nothing_unregistered_ones_are_refused() {
    let mut env = TestEnv::new().await;
    let mint = env.create_mint(TOKEN).await;
    let v = venue(&mut env, 5, mint, 5_000, 0, limits(10_000, 10_000)).await;
    let mut traders = Vec::new();
    for _ in 0..6 {
        traders.push(doomed_trader(&mut env, &v).await);
    }
    let authority = env.authority.insecure_clone();
    let guardian = env.guardian.insecure_clone();

    // Deactivated: the liquidation goes through, all of it socialised.
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
    assert_eq!(liquidate(&mut env, &v, &traders[0]).await, (0, 1_000));
    // Reactivated by update_exchange: pending for the activation delay, still paying 0.
    let out = env
        .ok(
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
    let registration = v.registration(&mut env).await;
    let delay = default_params().exit_horizon();
    assert!(!registration.is_active());
    assert_eq!(registration.pending_at, env.now().await + delay);
    if let Some(event) = out.event::<ExchangeUpdated>() {
        assert_eq!(event.effective_at, registration.pending_at);
    }
    assert_eq!(liquidate(&mut env, &v, &traders[1]).await, (0, 1_000));
    x::warp_to(&mut env, registration.pending_at).await;
    assert_eq!(liquidate(&mut env, &v, &traders[2]).await, (1_000, 0));
    assert!(v.registration(&mut env).await.is_active());

    // Paused at pool level, then protocol level: nothing paid, nothing aborted.
    env.ok(
        &[set_pool_pause(
            &guardian.pubkey(),
            &v.keys.pool,
            pause::SHORTFALL,
        )],
        &[&guardian],
    )
    .await;
    assert_eq!(liquidate(&mut env, &v, &traders[3]).await, (0, 1_000));
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
    assert_eq!(liquidate(&mut env, &v, &traders[4]).await, (0, 1_000));
    env.ok(&[set_protocol_pause(&authority.pubkey(), 0)], &[&authority])
        .await;
    // Every report was recorded, paid or not.
    let registration = v.registration(&mut env).await;
    assert_eq!(
        (
            registration.next_nonce,
            registration.total_reported,
            registration.total_covered
        ),
        (5, 5_000, 1_000)
    );
    let market: Market = env.fetch(v.keys.market).await;
    assert_eq!(
        (
            market.liquidations,
            market.insured_loss,
            market.socialized_loss
        ),
        (5, 1_000, 4_000)
    );

    // An exchange market whose pool never registered it cannot even trade: opening a
    // position pays the volume fee through the registration, which does not exist.
    let other = Venue::create(&mut env, 6, mint, MARKET, 1_000).await;
    env.create_pool_at(other.keys.market, mint, TOKEN, default_params())
        .await;
    let stranger = env.user(&other.keys.pool, 1_000).await;
    let s = stranger.pubkey();
    env.ok(
        &[x::deposit_collateral(
            &s,
            &other.keys,
            &stranger.token,
            1_000,
        )],
        &[&stranger.key],
    )
    .await;
    env.refused(
        &[x::open_position(&s, &other.keys, 10, u64::MAX, None)],
        &[&stranger.key],
        // No registration: the zero-copy loader refuses the empty account by owner.
        code(AnchorError::AccountOwnedByWrongProgram),
    )
    .await;
    // ... nor may it borrow market 5's registration: the exchange binds the
    // registration to its own pool and authority.
    let mut borrowed = x::open_position(&s, &other.keys, 10, u64::MAX, None);
    let index = borrowed
        .accounts
        .iter()
        .position(|m| m.pubkey == other.keys.registration())
        .unwrap();
    borrowed.accounts[index].pubkey = v.keys.registration();
    env.refused(
        &[borrowed],
        &[&stranger.key],
        code(ExchangeError::WrongRegistration),
    )
    .await;

    // After all that, the liquidation goes through.
    assert_eq!(liquidate(&mut env, &v, &traders[5]).await, (1_000, 0));
}

/// Only a PDA may be registered; the exchange's PDA signs its CPIs, carries the nonce
/// it reads from the registration in the same transaction, and is paid only into the
/// registered destination (a new one applies after the activation delay).
#[tokio::test]
async fn pda_authorities_only_nonces_and_destinations() {
    let mut env = TestEnv::new().await;
    let mint = env.create_mint(TOKEN).await;
    let v = venue(&mut env, 7, mint, 5_000, 0, limits(10_000, 10_000)).await;
    let pool = v.keys.pool;
    let destination = v.keys.collateral_vault;
    let (t1, t2, t3) = (
        doomed_trader(&mut env, &v).await,
        doomed_trader(&mut env, &v).await,
        doomed_trader(&mut env, &v).await,
    );

    // A plain keypair cannot use the exchange's registration: only its PDA can sign.
    let mallory = Keypair::new();
    for nonce in [0, 1] {
        env.refused(
            &[cover_shortfall(
                &mallory.pubkey(),
                &pool,
                &v.keys.registration(),
                &destination,
                100,
                nonce,
            )],
            &[&mallory],
            code(InsuranceError::WrongExchangeAuthority),
        )
        .await;
    }

    // Nor can a keypair be registered (e.g. an off-chain liquidation bot): only a PDA,
    // whose program alone can sign for it.
    let keeper = Keypair::new();
    let sink = env
        .create_token_account(&mint, &keeper.pubkey(), &TOKEN)
        .await;
    let authority = env.authority.insecure_clone();
    let payer = env.payer();
    env.refused(
        &[register_exchange(
            &payer,
            &authority.pubkey(),
            &pool,
            keeper.pubkey(),
            &sink,
            limits(10_000, 10_000),
        )],
        &[&authority],
        code(InsuranceError::ExchangeAuthorityNotPda),
    )
    .await;
    let keeper_registration = insurance_pool::pda::exchange(&pool.pool, &keeper.pubkey()).0;
    assert!(env.account(keeper_registration).await.is_none());

    // The exchange reads the nonce in the same transaction: with the registration's
    // nonce moved (test surgery, as if an earlier deployment had drawn 41 times) its
    // liquidation carries 41 and the pool expects 42 next.
    x::edit_registration(&mut env, v.keys.registration(), |r| r.next_nonce = 41).await;
    assert_eq!(liquidate(&mut env, &v, &t1).await, (1_000, 0));
    assert_eq!(v.registration(&mut env).await.next_nonce, 42);
    // Replaying the liquidation is refused (the position is closed) and changes nothing.
    env.refused(
        &[v.liquidate_ix(&payer, &t1.pubkey())],
        &[],
        code(ExchangeError::NoOpenPosition),
    )
    .await;
    // A nonce at the end of its range: the pool refuses to wrap it, nothing changes.
    x::edit_registration(&mut env, v.keys.registration(), |r| r.next_nonce = u64::MAX).await;
    env.refused(
        &[v.liquidate_ix(&payer, &t2.pubkey())],
        &[],
        code(InsuranceError::MathOverflow),
    )
    .await;
    x::edit_registration(&mut env, v.keys.registration(), |r| r.next_nonce = 42).await;

    // Payouts go to the registered destination only. A new destination waits for the
    // activation delay; until then the old one is paid.
    env.ok(
        &[update_exchange(
            &authority.pubkey(),
            &pool,
            &v.keys.registration(),
            &sink,
            limits(10_000, 10_000),
        )],
        &[&authority],
    )
    .await;
    let pending_at = v.registration(&mut env).await.pending_at;
    assert_eq!(
        pending_at,
        env.now().await + default_params().exit_horizon()
    );
    assert_eq!(liquidate(&mut env, &v, &t2).await, (1_000, 0));
    x::warp_to(&mut env, pending_at).await;
    v.publish(&mut env, 800).await;
    // Now the exchange's own vault is no longer the destination. Its liquidation still
    // goes through (issue 31, finding 5: a stale destination must not abort every
    // liquidation with bad debt): the pool pays nothing, anywhere, and reports the
    // whole shortfall uncovered for the exchange to socialise.
    let capital = env.pool(&pool).await.capital;
    let reported = v.registration(&mut env).await.total_reported;
    let (covered, uncovered) = liquidate(&mut env, &v, &t3).await;
    assert_eq!((covered, uncovered), (0, 1_000));
    let registration = v.registration(&mut env).await;
    assert_eq!(registration.next_nonce, 44);
    assert_eq!(registration.total_reported, reported + 1_000);
    assert_eq!(env.balance(sink).await, 0);
    assert_eq!(env.pool(&pool).await.capital, capital);
    env.assert_conserved(&pool).await;
}

#[tokio::test]
async fn an_exchange_of_market_a_cannot_draw_from_market_b() {
    let mut env = TestEnv::new().await;
    let mint = env.create_mint(TOKEN).await;
    let a = venue(&mut env, 8, mint, 5_000, 0, limits(10_000, 10_000)).await;
    let b = venue(&mut env, 9, mint, 5_000, 0, limits(10_000, 10_000)).await;
    // B's activation took 62 days: A's oracle publishes again.
    a.publish(&mut env, 1_000).await;
    let trader = doomed_trader(&mut env, &a).await;
    a.publish(&mut env, 800).await;
    let watched = [
        b.keys.pool.pool,
        b.keys.pool.vault,
        b.keys.registration(),
        b.keys.collateral_vault,
    ];
    let before = env.snapshot(&watched).await;
    let payer = env.payer();
    let t = trader.pubkey();

    // Market A's liquidation pointed at B's pool and registration.
    env.refused(
        &[x::liquidate(
            &payer,
            &a.keys,
            &t,
            &b.keys.pool,
            &b.keys.registration(),
        )],
        &[],
        code(ExchangeError::WrongInsurancePool),
    )
    .await;
    // A's pool with B's registration: the pool checks the registration is its own.
    env.refused(
        &[x::liquidate(
            &payer,
            &a.keys,
            &t,
            &a.keys.pool,
            &b.keys.registration(),
        )],
        &[],
        code(InsuranceError::WrongExchangeRegistration),
    )
    .await;
    // A's pool with B's vault.
    let a_with_b_vault = PoolKeys {
        vault: b.keys.pool.vault,
        ..a.keys.pool
    };
    env.refused(
        &[x::liquidate(
            &payer,
            &a.keys,
            &t,
            &a_with_b_vault,
            &a.keys.registration(),
        )],
        &[],
        code(InsuranceError::WrongVault),
    )
    .await;
    // A's liquidation priced by B's oracle.
    env.refused(
        &[x::liquidate_with_feed(
            &payer,
            &a.keys,
            &t,
            &a.keys.pool,
            &a.keys.registration(),
            &b.keys.price_feed,
        )],
        &[],
        code(ExchangeError::WrongPriceFeed),
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
    // Another market's authority PDA (off the curve, as every exchange authority must be).
    let new_authority = ExchangeKeys::new(99, mint, TOKEN).authority;

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
    env.refused(
        &[register(
            &authority.pubkey(),
            Keypair::new().pubkey(),
            &dest,
            limits(1, 1),
        )],
        &[&authority],
        code(InsuranceError::ExchangeAuthorityNotPda),
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
        (
            ExchangeLimits {
                per_event_bps: 0,
                ..limits(1, 1)
            },
            InsuranceError::InvalidExchangeBps,
        ),
        (
            ExchangeLimits {
                per_event_bps: 600,
                per_epoch_bps: 500,
                ..limits(1, 1)
            },
            InsuranceError::InvalidExchangeBps,
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
    // A pure decrease applies at once...
    let registration: ExchangeRegistration = env.fetch(reg).await;
    assert_eq!(registration.limits, limits(500, 700));
    assert_eq!(registration.pending_at, 0);
    // ... an increase waits for the activation delay.
    env.ok(
        &[update_exchange(
            &authority.pubkey(),
            &pool,
            &reg,
            &dest,
            limits(800, 900),
        )],
        &[&authority],
    )
    .await;
    let registration: ExchangeRegistration = env.fetch(reg).await;
    assert_eq!(registration.limits, limits(500, 700));
    assert_eq!(
        (registration.pending_limits, registration.pending_at),
        (
            limits(800, 900),
            env.now().await + default_params().exit_horizon()
        )
    );
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
        &[x::open_position(&t, &v.keys, 11, u64::MAX, None)],
        &[&trader.key],
        code(ExchangeError::LeverageTooHigh),
    )
    .await;
    env.refused(
        &[x::open_position(&t, &v.keys, 0, u64::MAX, None)],
        &[&trader.key],
        code(ExchangeError::InvalidOrder),
    )
    .await;
    env.ok(
        &[x::open_position(&t, &v.keys, -10, u64::MAX, None)],
        &[&trader.key],
    )
    .await;
    let position: Position = env.fetch(v.keys.position(&t)).await;
    assert_eq!((position.size, position.entry_price), (-10, 1_000));
    let payer = env.payer();
    // A short gains when the price falls: nothing to liquidate.
    v.publish(&mut env, 800).await;
    env.refused(
        &[v.liquidate_ix(&payer, &t)],
        &[],
        code(ExchangeError::NotLiquidatable),
    )
    .await;
    // Short 10 from 1 000, price 1 150: equity 1 000 - 1 500 = -500.
    assert_eq!(
        liquidate_at(&mut env, &v, &trader, 1_150, 500).await,
        (500, 0)
    );
    let market: Market = env.fetch(v.keys.market).await;
    assert_eq!(
        (market.bad_debt, market.insured_loss, market.socialized_loss),
        (500, 500, 0)
    );
    env.refused(
        &[v.liquidate_ix(&payer, &t)],
        &[],
        code(ExchangeError::NoOpenPosition),
    )
    .await;
    env.assert_conserved(&v.keys.pool).await;
}

/// The market, its collateral vault's balance and `traders`' positions.
async fn books_of(
    env: &mut TestEnv,
    keys: &ExchangeKeys,
    traders: &[Pubkey],
) -> (Market, u64, Vec<Position>) {
    let market: Market = env.fetch(keys.market).await;
    let vault = env.balance(keys.collateral_vault).await;
    let mut positions = Vec::new();
    for t in traders {
        positions.push(env.fetch::<Position>(keys.position(t)).await);
    }
    (market, vault, positions)
}

/// The exchange's own books: the house (every position's counterparty) receives what
/// traders lose, pays what a liquidated trader still wins (up to its balance; the rest
/// is recorded as unpaid), receives what the pool covers and bears what it does not.
/// After every step the collateral vault holds exactly `total_collateral + house`, and
/// `total_collateral` is the sum of the positions' collateral.
#[tokio::test]
async fn the_exchange_vault_always_equals_what_it_owes() {
    let mut env = TestEnv::new().await;
    let mint = env.create_mint(TOKEN).await;
    let v = Venue::create(&mut env, 21, mint, MARKET, 1_000).await;
    env.create_pool_at(v.keys.market, mint, TOKEN, default_params())
        .await;
    v.register(&mut env, limits(300, 10_000)).await;
    let underwriter = env.user(&v.keys.pool, 10_000).await;
    env.deposit(&underwriter, &v.keys.pool, 10_000).await;
    x::activate(&mut env, &v).await;
    let payer = env.payer();

    let books = |market: &Market, vault: u64, positions: &[Position]| {
        assert_eq!(Some(vault), market.liabilities(), "vault = owed");
        assert_eq!(
            market.total_collateral,
            positions.iter().map(|p| p.collateral).sum::<u64>(),
            "total collateral = sum of positions"
        );
    };
    // Four traders at 1 000 (each pays 2 bps of its notional to the pool):
    // loser long 10 with 1 000, winner long 10 with 1 000, big long 20 with 2 000,
    // bust short 10 with 1 000.
    let loser = v.trader(&mut env, 1_000, 10).await;
    let winner = v.trader(&mut env, 1_000, 10).await;
    let big = v.trader(&mut env, 2_000, 20).await;
    let bust = v.trader(&mut env, 1_000, -10).await;
    let all: Vec<Pubkey> = [&loser, &winner, &big, &bust]
        .iter()
        .map(|u| u.pubkey())
        .collect();
    let (m, vault, p) = books_of(&mut env, &v.keys, &all).await;
    books(&m, vault, &p);
    assert_eq!(
        (m.total_collateral, m.house_balance, m.insurance_fees),
        (4_990, 0, 10)
    );
    // A position in profit is never liquidatable under the margin it opened with (its
    // collateral after the fee covers maintenance). Test surgery raises the market's
    // maintenance margin to 50 % so that the house's profit path runs; it moves no
    // money, so the books hold as before.
    x::edit_account::<Market>(&mut env, v.keys.market, |m| {
        m.maintenance_margin_bps = 5_000
    })
    .await;

    // 900: the loser (equity 998 - 1 000 < 0... a 2 shortfall) goes; its 998 and the
    // pool's 2 go to the house.
    v.publish(&mut env, 900).await;
    env.ok(&[v.liquidate_ix(&payer, &loser.pubkey())], &[])
        .await;
    let (m, vault, p) = books_of(&mut env, &v.keys, &all).await;
    books(&m, vault, &p);
    assert_eq!((m.house_balance, m.insured_loss), (1_000, 2));

    // 1 050: the winner (equity 998 + 500, maintenance 5 250) is liquidated in profit:
    // the house pays it 500.
    v.publish(&mut env, 1_050).await;
    env.ok(&[v.liquidate_ix(&payer, &winner.pubkey())], &[])
        .await;
    let (m, vault, p) = books_of(&mut env, &v.keys, &all).await;
    books(&m, vault, &p);
    assert_eq!((m.house_balance, p[1].collateral), (500, 1_498));
    // The big long wins 1 000 but the house holds 500: it pays 500, 500 is unpaid.
    env.ok(&[v.liquidate_ix(&payer, &big.pubkey())], &[]).await;
    let (m, vault, p) = books_of(&mut env, &v.keys, &all).await;
    books(&m, vault, &p);
    assert_eq!(
        (m.house_balance, m.unpaid_profit, p[2].collateral),
        (0, 500, 1_996 + 500)
    );

    // 1 200: the short owes 2 000 on 998: a 1 002 shortfall, the pool covers its
    // per-event cap of 300, the house bears the other 702.
    v.publish(&mut env, 1_200).await;
    env.ok(&[v.liquidate_ix(&payer, &bust.pubkey())], &[]).await;
    let (m, vault, p) = books_of(&mut env, &v.keys, &all).await;
    books(&m, vault, &p);
    assert_eq!(
        (m.house_balance, m.insured_loss, m.socialized_loss),
        (998 + 300, 302, 702)
    );
    assert_eq!(m.total_collateral, 1_498 + 2_496);
    env.assert_conserved(&v.keys.pool).await;
}
