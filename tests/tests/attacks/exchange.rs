//! Exchange-side attacks (issue 13: H3, I1, N7, M8), end to end through the example
//! exchange: each runs the attack with several actors while time moves, and asserts it
//! is refused with its named error and changes nothing, or that the attacker gains
//! nothing and the honest underwriters keep their share. Every test also checks that
//! another market's pool, registration and vault are untouched.

use insurance_pool_testkit::exchange::{self as x, activate, Bystander, Venue, MARKET};
use insurance_pool_testkit::*;

const DAY: i64 = 86_400;
const HOUR: i64 = 3_600;

fn limits(per_event_cap: u64, per_epoch_cap: u64) -> ExchangeLimits {
    ExchangeLimits {
        per_event_cap,
        per_epoch_cap,
        epoch_length: DAY,
        per_event_bps: 10_000,
        per_epoch_bps: 10_000,
    }
}

/// The oracle publishes `price` and `trader` is liquidated on its market's own pool;
/// returns (covered, uncovered) as the market recorded them, checking that the pool
/// paid exactly `covered` into the exchange's vault.
async fn liquidate(env: &mut TestEnv, v: &Venue, trader: &User, price: u64) -> (u64, u64) {
    v.publish(env, price).await;
    let market: Market = env.fetch(v.keys.market).await;
    let vault = env.balance(v.keys.collateral_vault).await;
    let capital = env.pool(&v.keys.pool).await.capital;
    let nonce = v.registration(env).await.next_nonce;
    let payer = env.payer();
    env.ok(&[v.liquidate_ix(&payer, &trader.pubkey())], &[])
        .await;
    let after: Market = env.fetch(v.keys.market).await;
    let covered = after.insured_loss - market.insured_loss;
    let uncovered = after.socialized_loss - market.socialized_loss;
    assert_eq!(covered + uncovered, after.bad_debt - market.bad_debt);
    assert_eq!(env.balance(v.keys.collateral_vault).await - vault, covered);
    assert_eq!(capital - env.pool(&v.keys.pool).await.capital, covered);
    assert_eq!(v.registration(env).await.next_nonce, nonce + 1);
    let position: Position = env.fetch(v.keys.position(&trader.pubkey())).await;
    assert_eq!(position.size, 0);
    env.assert_conserved(&v.keys.pool).await;
    (covered, uncovered)
}

/// Mallory, the oracle of market `a`, opens long 4 at 1 000 with 400 and prices the
/// market at 1: equity 400 - 3 996 = -3 596, liquidated on `a`'s pool.
async fn drain(env: &mut TestEnv, a: &Venue, mallory: &User) -> (u64, u64) {
    a.publish(env, 1_000).await;
    let t = mallory.pubkey();
    env.ok(
        &[
            x::deposit_collateral(&t, &a.keys, &mallory.token, 400),
            x::open_position(&t, &a.keys, 4, u64::MAX, None),
        ],
        &[&mallory.key],
    )
    .await;
    liquidate(env, a, mallory, 1).await
}

/// H3: a rogue protocol authority registers its own key as an exchange and drains the
/// vault with direct `cover_shortfall` calls. A keypair is refused; a PDA it controls
/// (a market whose oracle it is) cannot draw before `active_from`, and by then an
/// underwriter who saw the registration has left in full.
#[tokio::test]
async fn h3_authority_registers_own_key_and_drains_vault() {
    let mut env = TestEnv::new().await;
    let mint = env.create_mint(TOKEN).await;
    let b = Bystander::new(&mut env, 301, mint).await;
    // Market A, whose oracle key (`a.oracle`) the attacker holds; its pool; an honest
    // underwriter.
    let a = Venue::create(&mut env, 300, mint, MARKET, 1_000).await;
    let pool = env
        .create_pool_at(a.keys.market, mint, TOKEN, x::fee_free(default_params()))
        .await;
    let honest = env.user(&pool, 10_000).await;
    env.deposit(&honest, &pool, 10_000).await;
    // A month later (the honest deposit's lock is over) the attack starts.
    env.warp(30 * DAY).await;
    let authority = env.authority.insecure_clone();
    let payer = env.payer();
    let mallory = env.user(&pool, 1_200).await;

    // 1. Its own keypair as exchange authority, paid into its own account: refused.
    env.refused(
        &[register_exchange(
            &payer,
            &authority.pubkey(),
            &pool,
            mallory.pubkey(),
            &mallory.token,
            limits(1_000_000, 1_000_000),
        )],
        &[&authority],
        code(InsuranceError::ExchangeAuthorityNotPda),
    )
    .await;
    let keypair_registration = insurance_pool::pda::exchange(&pool.pool, &mallory.pubkey()).0;
    assert!(env.account(keypair_registration).await.is_none());
    // 2. The market's PDA registers (the only route): draws wait for `active_from`.
    let registered_at = env.now().await;
    a.register(&mut env, limits(1_000_000, 1_000_000)).await;
    let registration = a.registration(&mut env).await;
    assert_eq!(
        registration.active_from,
        registered_at + default_params().exit_horizon()
    );
    // Her keypair cannot sign for the PDA's registration either.
    env.refused(
        &[cover_shortfall(
            &mallory.pubkey(),
            &pool,
            &a.keys.registration(),
            &mallory.token,
            10_000,
            0,
        )],
        &[&mallory.key],
        code(InsuranceError::WrongExchangeAuthority),
    )
    .await;

    // 3. The honest underwriter sees the registration the same day and asks to leave.
    env.request_all(&pool, &honest).await;

    // 4. Mallory manufactures bad debt at once with her oracle: the pool pays nothing.
    assert_eq!(drain(&mut env, &a, &mallory).await, (0, 3_596));
    assert_eq!(env.pool(&pool).await.capital, 10_000);

    // 5. After the one-day cooldown, well before `active_from`, it leaves in full.
    env.warp(DAY).await;
    assert!(env.now().await < registration.active_from);
    assert_eq!(env.complete(&pool, &honest).await, 10_000);
    assert_eq!(drain(&mut env, &a, &mallory).await, (0, 3_596));

    // 6. From `active_from` on the draw right exists, but there is nothing left to take.
    x::warp_to(&mut env, registration.active_from).await;
    assert_eq!(drain(&mut env, &a, &mallory).await, (0, 3_596));
    let state = env.pool(&pool).await;
    assert_eq!((state.capital, env.balance(pool.vault).await), (0, 0));
    assert_eq!(state.loss_stats.total_covered, 0);
    // Mallory put 1 200 in and got nothing out; the honest underwriter kept everything.
    assert_eq!(env.balance(mallory.token).await, 0);
    assert_eq!(env.balance(honest.token).await, 10_000);
    assert_eq!(env.balance(a.keys.collateral_vault).await, 1_200);
    b.assert_untouched(&mut env).await;
}

/// H3: governance raises an exchange's caps to drain faster. The increase waits for the
/// activation delay (the old caps bind meanwhile); once applied, the caps in bps of
/// free capital still bound each draw and each epoch. A decrease applies at once.
#[tokio::test]
async fn h3_cap_increase_waits_and_draws_are_bounded_by_free_capital() {
    let mut env = TestEnv::new().await;
    let mint = env.create_mint(TOKEN).await;
    let b = Bystander::new(&mut env, 311, mint).await;
    let (a, _underwriter) = Venue::insured(
        &mut env,
        310,
        mint,
        1_000,
        x::fee_free(default_params()),
        limits(500, 1_000),
        10_000,
    )
    .await;
    activate(&mut env, &a).await;
    // Five traders long 10 at 1 000 with 1 000 each: at 500 each owes 4 000.
    let mut traders = Vec::new();
    for _ in 0..5 {
        traders.push(a.trader(&mut env, 1_000, 10).await);
    }
    let authority = env.authority.insecure_clone();
    let raised = ExchangeLimits {
        per_event_cap: 1_000_000,
        per_epoch_cap: 1_000_000,
        epoch_length: DAY,
        per_event_bps: 2_000,
        per_epoch_bps: 5_000,
    };
    let update = |l: ExchangeLimits| {
        update_exchange(
            &authority.pubkey(),
            &a.keys.pool,
            &a.keys.registration(),
            &a.keys.collateral_vault,
            l,
        )
    };
    env.ok(&[update(raised)], &[&authority]).await;
    let registration = a.registration(&mut env).await;
    let pending_at = env.now().await + default_params().exit_horizon();
    assert_eq!(
        (registration.limits, registration.pending_limits),
        (limits(500, 1_000), raised)
    );
    assert_eq!(registration.pending_at, pending_at);

    // Meanwhile the old caps bind.
    assert_eq!(
        liquidate(&mut env, &a, &traders[0], 500).await,
        (500, 3_500)
    );
    env.warp(HOUR).await;
    assert_eq!(
        liquidate(&mut env, &a, &traders[1], 500).await,
        (500, 3_500)
    );
    assert_eq!(env.pool(&a.keys.pool).await.capital, 9_000);

    // Once applied: 20 % of free capital per draw, 50 % per epoch, whatever the
    // absolute caps say.
    x::warp_to(&mut env, pending_at).await;
    assert_eq!(
        liquidate(&mut env, &a, &traders[2], 500).await,
        (1_800, 2_200),
        "20 % of 9 000"
    );
    assert_eq!(a.registration(&mut env).await.limits, raised);
    assert_eq!(
        liquidate(&mut env, &a, &traders[3], 500).await,
        (1_440, 2_560),
        "20 % of 7 200"
    );
    // Epoch room: 50 % of 5 760 = 2 880, minus the 3 240 already paid: none.
    assert_eq!(liquidate(&mut env, &a, &traders[4], 500).await, (0, 4_000));
    assert_eq!(env.pool(&a.keys.pool).await.capital, 5_760);

    // A decrease applies at once (and drops nothing it should not: it is the new
    // current limit).
    let lowered = ExchangeLimits {
        per_event_cap: 100,
        per_epoch_cap: 200,
        ..raised
    };
    env.ok(&[update(lowered)], &[&authority]).await;
    let registration = a.registration(&mut env).await;
    assert_eq!((registration.limits, registration.pending_at), (lowered, 0));
    env.warp(DAY).await;
    a.publish(&mut env, 1_000).await;
    let late = a.trader(&mut env, 1_000, 10).await;
    assert_eq!(liquidate(&mut env, &a, &late, 500).await, (100, 3_900));
    b.assert_untouched(&mut env).await;
}

/// H3: governance schedules parameters that trap underwriters (a 90-day cooldown) and
/// open the solvency floor (no minimum reserve). They are stored as pending; the
/// current ones apply until `effective_at`, long enough for an underwriter to leave
/// under the current rules.
#[tokio::test]
async fn h3_pool_params_change_is_delayed() {
    let mut env = TestEnv::new().await;
    let mint = env.create_mint(TOKEN).await;
    let b = Bystander::new(&mut env, 321, mint).await;
    let current = PoolParams {
        min_reserve: 8_000,
        ..x::fee_free(default_params())
    };
    let (a, leaver) = Venue::insured(
        &mut env,
        320,
        mint,
        1_000,
        current,
        limits(2_000, 2_000),
        5_000,
    )
    .await;
    let pool = a.keys.pool;
    let stayer = env.user(&pool, 5_000).await;
    env.deposit(&stayer, &pool, 5_000).await;
    activate(&mut env, &a).await;
    let mut traders = Vec::new();
    for _ in 0..3 {
        traders.push(a.trader(&mut env, 1_000, 10).await);
    }

    let hostile = PoolParams {
        min_reserve: 0,
        withdrawal_cooldown: 90 * DAY,
        ..current
    };
    // Only the authority may schedule parameters.
    let mallory = Keypair::new();
    env.refused(
        &[update_pool_params(&mallory.pubkey(), &pool, hostile)],
        &[&mallory],
        code(InsuranceError::Unauthorized),
    )
    .await;
    let authority = env.authority.insecure_clone();
    let out = env
        .ok(
            &[update_pool_params(&authority.pubkey(), &pool, hostile)],
            &[&authority],
        )
        .await;
    // The delay is the longer exit horizon: 30-day lock + 90-day cooldown + 1 day.
    let effective_at = env.now().await + hostile.exit_horizon();
    assert_eq!(hostile.exit_horizon(), 121 * DAY);
    if let Some(event) = out.event::<PoolParamsUpdated>() {
        assert_eq!(event.effective_at, effective_at);
    }
    let state = env.pool(&pool).await;
    assert_eq!(
        (state.params, state.pending_params, state.pending_params_at),
        (current, hostile, effective_at)
    );

    // The current floor still binds: 2 000 of 10 000 above the 8 000 reserve.
    assert_eq!(
        liquidate(&mut env, &a, &traders[0], 500).await,
        (2_000, 2_000)
    );
    // The leaver exits under the current one-day cooldown with its fair half.
    let expected = env
        .pool(&pool)
        .await
        .value_of(env.underwriter(&pool, &leaver.pubkey()).await.shares.get())
        .unwrap();
    assert_eq!(expected, 4_000);
    env.request_all(&pool, &leaver).await;
    assert_eq!(
        env.underwriter(&pool, &leaver.pubkey()).await.unlock_at,
        env.now().await + DAY
    );
    env.warp(DAY).await;
    assert_eq!(env.complete(&pool, &leaver).await, expected);
    // Still before `effective_at`: capital 4 000 is under the 8 000 floor, nothing paid.
    assert_eq!(liquidate(&mut env, &a, &traders[1], 500).await, (0, 4_000));
    assert_eq!(env.pool(&pool).await.params, current);

    // From `effective_at` the new parameters apply (for the underwriter who stayed).
    x::warp_to(&mut env, effective_at).await;
    assert_eq!(
        liquidate(&mut env, &a, &traders[2], 500).await,
        (2_000, 2_000)
    );
    let state = env.pool(&pool).await;
    assert_eq!((state.params, state.pending_params_at), (hostile, 0));
    assert_eq!(state.capital, 2_000);
    b.assert_untouched(&mut env).await;
}

/// I1: changing the epoch length mid-epoch must not reset the epoch's paid amount (a
/// fresh epoch cap at once). The current epoch keeps its length and what it paid; the
/// new length applies from the next epoch; a shorter one waits for the delay.
#[tokio::test]
async fn i1_new_epoch_length_applies_from_next_epoch() {
    let mut env = TestEnv::new().await;
    let mint = env.create_mint(TOKEN).await;
    let b = Bystander::new(&mut env, 331, mint).await;
    let (a, _underwriter) = Venue::insured(
        &mut env,
        330,
        mint,
        1_000,
        x::fee_free(default_params()),
        limits(600, 1_000),
        20_000,
    )
    .await;
    // `active_from` (62 one-day epochs after registration) starts an epoch.
    activate(&mut env, &a).await;
    let epoch0 = env.now().await;
    assert_eq!(
        (epoch0 - a.registration(&mut env).await.epoch_start) % DAY,
        0
    );
    let mut t = Vec::new();
    for _ in 0..9 {
        t.push(a.trader(&mut env, 1_000, 10).await);
    }
    let authority = env.authority.insecure_clone();
    let update = |l: ExchangeLimits| {
        update_exchange(
            &authority.pubkey(),
            &a.keys.pool,
            &a.keys.registration(),
            &a.keys.collateral_vault,
            l,
        )
    };

    // The epoch's cap is used up.
    assert_eq!(liquidate(&mut env, &a, &t[0], 800).await, (600, 400));
    assert_eq!(liquidate(&mut env, &a, &t[1], 800).await, (400, 600));
    // A two-day epoch (grants nothing new: applies at once), mid-epoch.
    let two_days = ExchangeLimits {
        epoch_length: 2 * DAY,
        ..limits(600, 1_000)
    };
    env.ok(&[update(two_days)], &[&authority]).await;
    let registration = a.registration(&mut env).await;
    assert_eq!(registration.limits, two_days);
    assert_eq!(
        (registration.epoch_start, registration.epoch_length),
        (epoch0, DAY)
    );
    // Same epoch: still full.
    env.warp(12 * HOUR).await;
    assert_eq!(liquidate(&mut env, &a, &t[2], 800).await, (0, 1_000));
    // The old epoch ends on schedule; the next one lasts two days.
    x::warp_to(&mut env, epoch0 + DAY).await;
    assert_eq!(liquidate(&mut env, &a, &t[3], 800).await, (600, 400));
    assert_eq!(liquidate(&mut env, &a, &t[4], 800).await, (400, 600));
    let registration = a.registration(&mut env).await;
    assert_eq!(
        (registration.epoch_start, registration.epoch_length),
        (epoch0 + DAY, 2 * DAY)
    );
    // One day on (an old boundary) is still inside the two-day epoch.
    x::warp_to(&mut env, epoch0 + 2 * DAY).await;
    assert_eq!(liquidate(&mut env, &a, &t[5], 800).await, (0, 1_000));
    x::warp_to(&mut env, epoch0 + 3 * DAY).await;
    assert_eq!(liquidate(&mut env, &a, &t[6], 800).await, (600, 400));

    // A one-hour epoch would refill the cap every hour: it waits for the delay.
    let one_hour = ExchangeLimits {
        epoch_length: HOUR,
        ..limits(600, 1_000)
    };
    env.ok(&[update(one_hour)], &[&authority]).await;
    let registration = a.registration(&mut env).await;
    assert_eq!(registration.limits, two_days);
    assert_eq!(
        registration.pending_at,
        env.now().await + default_params().exit_horizon()
    );
    env.warp(2 * HOUR).await;
    assert_eq!(liquidate(&mut env, &a, &t[7], 800).await, (400, 600));
    env.warp(2 * HOUR).await;
    assert_eq!(liquidate(&mut env, &a, &t[8], 800).await, (0, 1_000));

    // Over four days the pool paid at most one epoch cap per epoch that began.
    assert_eq!(env.pool(&a.keys.pool).await.capital, 20_000 - 3_000);
    b.assert_untouched(&mut env).await;
}

/// N7: when the pool pays nothing (not yet active, paused at pool or protocol level,
/// deactivated), an aborting `cover_shortfall` would block liquidations and let bad
/// debt grow. The liquidation goes through: the position is closed, the report and the
/// nonce recorded, the pool untouched, and the exchange socialises the whole shortfall.
/// N3: the actuary's loss history counted any `Program data:` line with the event's
/// discriminator, from any program and for any pool. Real liquidations on two markets
/// and a copy of pool A's event replayed in the exchange's own frame (what any program
/// can log): pool A's history holds exactly its one real report, which reconciles with
/// its on-chain `loss_stats`; with the report dropped (a truncated log) it is refused.
#[tokio::test]
async fn n3_forged_and_foreign_events_do_not_enter_the_loss_history() {
    use actuary::history::{reconcile_shortfalls, shortfalls_from_logs};
    if selected_runtime() != Runtime::Sbf {
        // A natively run program's events do not reach program-test's logs.
        eprintln!("skipped: event logs exist on the SBF runtime only");
        return;
    }
    let mut env = TestEnv::new().await;
    let mint = env.create_mint(TOKEN).await;
    let mut venues = Vec::new();
    for id in [360, 361] {
        let (v, _underwriter) = Venue::insured(
            &mut env,
            id,
            mint,
            1_000,
            default_params(),
            limits(10_000, 10_000),
            10_000,
        )
        .await;
        activate(&mut env, &v).await;
        venues.push(v);
    }
    let payer = env.payer();
    let mut logs = Vec::new();
    for v in &venues {
        v.publish(&mut env, 1_000).await;
        let trader = v.trader(&mut env, 1_000, 10).await;
        v.publish(&mut env, 800).await;
        let out = env
            .ok(&[v.liquidate_ix(&payer, &trader.pubkey())], &[])
            .await;
        logs.push(out.logs);
    }
    let pool_a = venues[0].keys.pool;
    // The event line of pool A's report, replayed after the insurance program returned
    // (inside the exchange's frame).
    let ours = format!("Program {} success", insurance_pool::ID);
    let event = logs[0]
        .iter()
        .find(|l| l.starts_with("Program data: "))
        .expect("the report's event")
        .clone();
    let mut forged = logs[0].clone();
    let at = forged
        .iter()
        .position(|l| *l == ours)
        .expect("our frame ends")
        + 1;
    forged.insert(at, event.clone());
    let all: Vec<String> = forged.iter().chain(&logs[1]).cloned().collect();
    let history = shortfalls_from_logs(7, &pool_a.pool, &all);
    let stats = env.pool(&pool_a).await.loss_stats;
    assert_eq!(history.len(), 1, "one real report, not {history:?}");
    assert_eq!((stats.count, history[0].amount), (1, stats.total_reported));
    assert_eq!(reconcile_shortfalls(&history, &stats, 0), Ok(()));
    // A history missing the report does not pass for the pool's.
    let dropped: Vec<String> = logs[0].iter().filter(|l| **l != event).cloned().collect();
    let missing = shortfalls_from_logs(7, &pool_a.pool, &dropped);
    assert!(reconcile_shortfalls(&missing, &stats, 1).is_err());
}

#[tokio::test]
async fn n7_paused_or_inactive_shortfall_returns_uncovered_instead_of_aborting() {
    let mut env = TestEnv::new().await;
    let mint = env.create_mint(TOKEN).await;
    let b = Bystander::new(&mut env, 341, mint).await;
    let (a, _underwriter) = Venue::insured(
        &mut env,
        340,
        mint,
        1_000,
        default_params(),
        limits(10_000, 10_000),
        10_000,
    )
    .await;
    let pool = a.keys.pool;
    let mut t = Vec::new();
    for _ in 0..5 {
        t.push(a.trader(&mut env, 1_000, 10).await);
    }
    let guardian = env.guardian.insecure_clone();
    let authority = env.authority.insecure_clone();
    let pool_before = env.snapshot(&[pool.vault]).await;

    // Not yet active.
    assert!(env.now().await < a.registration(&mut env).await.active_from);
    assert_eq!(liquidate(&mut env, &a, &t[0], 800).await, (0, 1_000));
    activate(&mut env, &a).await;
    // Paused for this pool, then for every pool.
    env.ok(
        &[set_pool_pause(&guardian.pubkey(), &pool, pause::SHORTFALL)],
        &[&guardian],
    )
    .await;
    assert_eq!(liquidate(&mut env, &a, &t[1], 800).await, (0, 1_000));
    env.ok(
        &[set_pool_pause(&authority.pubkey(), &pool, 0)],
        &[&authority],
    )
    .await;
    env.ok(
        &[set_protocol_pause(&guardian.pubkey(), pause::SHORTFALL)],
        &[&guardian],
    )
    .await;
    assert_eq!(liquidate(&mut env, &a, &t[2], 800).await, (0, 1_000));
    env.ok(&[set_protocol_pause(&authority.pubkey(), 0)], &[&authority])
        .await;
    // Deactivated.
    env.ok(
        &[deactivate_exchange(
            &authority.pubkey(),
            &a.keys.registration(),
        )],
        &[&authority],
    )
    .await;
    assert_eq!(liquidate(&mut env, &a, &t[3], 800).await, (0, 1_000));

    // The pool paid nothing and recorded every report.
    assert_eq!(env.snapshot(&[pool.vault]).await, pool_before);
    let state = env.pool(&pool).await;
    assert_eq!(state.capital, 10_000);
    assert_eq!(
        (
            state.loss_stats.count,
            state.loss_stats.total_reported,
            state.loss_stats.total_covered
        ),
        (4, 4_000, 0)
    );
    let registration = a.registration(&mut env).await;
    assert_eq!(
        (registration.next_nonce, registration.total_reported),
        (4, 4_000)
    );
    // The exchange socialised all of it and liquidated every position on time.
    let market: Market = env.fetch(a.keys.market).await;
    assert_eq!(
        (
            market.liquidations,
            market.bad_debt,
            market.insured_loss,
            market.socialized_loss
        ),
        (4, 4_000, 0, 4_000)
    );
    // The one still-open position is liquidated too; nothing is left pending.
    assert_eq!(liquidate(&mut env, &a, &t[4], 800).await, (0, 1_000));
    b.assert_untouched(&mut env).await;
}

/// M8: with a caller-chosen liquidation price, 400 of collateral drained 20 000 of pool
/// capital in four calls. Now the price comes from the market's oracle account only:
/// the attacker cannot name a price, write the oracle, substitute a feed, or use a
/// stale one; the pool pays only the genuine shortfall at the oracle's price.
#[tokio::test]
async fn m8_caller_cannot_choose_the_liquidation_price() {
    let mut env = TestEnv::new().await;
    let mint = env.create_mint(TOKEN).await;
    let b = Bystander::new(&mut env, 351, mint).await;
    let (a, underwriter) = Venue::insured(
        &mut env,
        350,
        mint,
        1_000,
        x::fee_free(default_params()),
        limits(1_000_000, 1_000_000),
        20_000,
    )
    .await;
    activate(&mut env, &a).await;
    let pool = a.keys.pool;
    let payer = env.payer();

    // Four attacker accounts, 100 collateral each, long 1 at the oracle's 1 000 (10x).
    let mut accounts = Vec::new();
    for _ in 0..4 {
        accounts.push(a.trader(&mut env, 100, 1).await);
    }
    let mallory = accounts[0].insecure_clone();
    let watched = [pool.pool, pool.vault, a.keys.price_feed, a.keys.market];
    let before = env.snapshot(&watched).await;

    // 1. At the oracle's price the positions are healthy: nothing to liquidate.
    for acct in &accounts {
        env.refused(
            &[a.liquidate_ix(&mallory.pubkey(), &acct.pubkey())],
            &[&mallory.key],
            code(ExchangeError::NotLiquidatable),
        )
        .await;
    }
    // 2. She cannot write the market's price.
    let now = env.now().await;
    env.refused(
        &[x::set_price(&mallory.pubkey(), &a.keys, 1, now)],
        &[&mallory.key],
        code(ExchangeError::WrongOracleAuthority),
    )
    .await;
    // 3. Her own market, whose oracle she is, prices at 1: its feed is not market A's...
    // (It has no insurance pool, so nothing trades on it at all.)
    let m = Venue::create(&mut env, 352, mint, MARKET, 1_000).await;
    let evil = env.user(&m.keys.pool, 100).await;
    env.ok(
        &[x::deposit_collateral(
            &evil.pubkey(),
            &m.keys,
            &evil.token,
            100,
        )],
        &[&evil.key],
    )
    .await;
    env.refused(
        &[x::open_position(&evil.pubkey(), &m.keys, 1, u64::MAX, None)],
        &[&evil.key],
        // The missing pool is refused by its owner (the zero-copy pool's loader checks
        // the owner first; a Borsh account said AccountNotInitialized).
        code(AnchorError::AccountOwnedByWrongProgram),
    )
    .await;
    m.publish(&mut env, 1).await;
    env.refused(
        &[x::liquidate_with_feed(
            &payer,
            &a.keys,
            &mallory.pubkey(),
            &pool,
            &a.keys.registration(),
            &m.keys.price_feed,
        )],
        &[],
        code(ExchangeError::WrongPriceFeed),
    )
    .await;
    // ... and her market's bad debt cannot reach market A's pool, nor a pool of its own.
    env.refused(
        &[x::liquidate(
            &payer,
            &m.keys,
            &evil.pubkey(),
            &pool,
            &a.keys.registration(),
        )],
        &[],
        code(ExchangeError::WrongInsurancePool),
    )
    .await;
    env.refused(
        &[m.liquidate_ix(&payer, &evil.pubkey())],
        &[],
        code(AnchorError::AccountOwnedByWrongProgram),
    )
    .await;
    assert_eq!(env.snapshot(&watched).await, before, "market A changed");

    // 4. A genuine drop to 800, then a minute's silence: the stale price is refused
    // for liquidations and openings alike.
    a.publish(&mut env, 800).await;
    let published = env.now().await;
    env.warp(MARKET.max_price_age + 1).await;
    let latecomer = env.user(&pool, 1_000).await;
    env.ok(
        &[x::deposit_collateral(
            &latecomer.pubkey(),
            &a.keys,
            &latecomer.token,
            1_000,
        )],
        &[&latecomer.key],
    )
    .await;
    let stale = env.snapshot(&watched).await;
    env.refused(
        &[a.liquidate_ix(&payer, &mallory.pubkey())],
        &[],
        code(ExchangeError::StalePrice),
    )
    .await;
    env.refused(
        &[x::open_position(
            &latecomer.pubkey(),
            &a.keys,
            1,
            u64::MAX,
            None,
        )],
        &[&latecomer.key],
        code(ExchangeError::StalePrice),
    )
    .await;
    // The oracle itself cannot publish from the future, go back in time, or say 0.
    let now = env.now().await;
    let oracle = a.oracle.insecure_clone();
    for (price, at) in [(800, now + 1), (1, published - 1), (0, now)] {
        env.refused(
            &[x::set_price(&oracle.pubkey(), &a.keys, price, at)],
            &[&oracle],
            code(ExchangeError::InvalidPrice),
        )
        .await;
    }
    assert_eq!(env.snapshot(&watched).await, stale);

    // 5. At a fresh 800 each position owes 100 - 200 = -100: the pool pays exactly the
    // genuine shortfall, 400 in all (not 20 000), what the attacker lost.
    for acct in &accounts {
        assert_eq!(liquidate(&mut env, &a, acct, 800).await, (100, 0));
    }
    let state = env.pool(&pool).await;
    assert_eq!(state.capital, 20_000 - 400);
    let attacker_out: u64 = {
        let mut sum = 0;
        for acct in &accounts {
            sum += env.balance(acct.token).await;
        }
        sum
    };
    assert_eq!(attacker_out, 0, "the attacker got nothing back of its 400");
    // The honest underwriter still holds every share, worth capital minus the losses.
    let shares = env
        .underwriter(&pool, &underwriter.pubkey())
        .await
        .shares
        .get();
    assert_eq!(shares, state.total_shares.get());
    assert_eq!(state.value_of(shares).unwrap(), 19_600);
    b.assert_untouched(&mut env).await;
}

/// Review finding: the authority registers a draw right and pauses withdrawals, so no
/// underwriter can leave while the activation delay runs out. The delay is counted on
/// the pool's exit clock, which stops while withdrawals are paused: the draw right
/// never comes due during the pause, and after it the underwriters get the whole
/// delay to leave.
#[tokio::test]
async fn review_authority_pauses_withdrawals_then_waits_out_the_delay() {
    let mut env = TestEnv::new().await;
    let mint = env.create_mint(TOKEN).await;
    let b = Bystander::new(&mut env, 321, mint).await;
    let a = Venue::create(&mut env, 320, mint, MARKET, 1_000).await;
    let pool = env
        .create_pool_at(a.keys.market, mint, TOKEN, default_params())
        .await;
    let honest = env.user(&pool, 10_000).await;
    env.deposit(&honest, &pool, 10_000).await;
    env.warp(30 * DAY).await;
    let authority = env.authority.insecure_clone();
    let mallory = env.user(&pool, 1_200).await;
    // One block: register the market's PDA (mallory is its oracle), pause withdrawals.
    a.register(&mut env, limits(1_000_000, 1_000_000)).await;
    env.ok(
        &[set_pool_pause(&authority.pubkey(), &pool, pause::WITHDRAW)],
        &[&authority],
    )
    .await;
    let shares = env.underwriter(&pool, &honest.pubkey()).await.shares.get();
    env.refused(
        &[request_withdrawal(&honest.pubkey(), &pool, shares)],
        &[&honest.key],
        code(InsuranceError::Paused),
    )
    .await;
    // Long past the registration's activation in wall time: still nothing is paid.
    env.warp(40 * DAY).await;
    assert_eq!(drain(&mut env, &a, &mallory).await, (0, 3_596));
    assert_eq!(env.pool(&pool).await.capital, 10_000);
    // Withdrawals reopen: the exit clock runs again and the honest underwriter leaves.
    env.ok(
        &[set_pool_pause(&authority.pubkey(), &pool, 0)],
        &[&authority],
    )
    .await;
    env.request_all(&pool, &honest).await;
    env.warp(DAY).await;
    assert_eq!(env.complete(&pool, &honest).await, 10_000);
    assert_eq!(drain(&mut env, &a, &mallory).await, (0, 3_596));
    b.assert_untouched(&mut env).await;
}

/// Review 3, finding 2 (the H3 threat model): voting claims froze every exit through the
/// activation delay. A rogue authority registers a venue whose oracle it holds; the
/// honest underwriter asks to leave at once; accomplices with fresh matured cover keep
/// overlapping claims voting (each rejected with nobody voting, its bond returned) for
/// 70 days, longer than the 62-day delay. Exits cannot complete while claims vote, so
/// the exit clock, which the registration's activation and the withdrawal window are
/// on, stands still meanwhile: the registration is still not active when the claims
/// stop, the honest underwriter's request has not lapsed, it leaves in full, and the
/// venue finds nothing to draw.
#[tokio::test]
async fn review3_voting_claims_cannot_run_out_the_activation_delay() {
    let mut env = TestEnv::new().await;
    let mint = env.create_mint(TOKEN).await;
    let b = Bystander::new(&mut env, 321, mint).await;
    let a = Venue::create(&mut env, 320, mint, MARKET, 1_000).await;
    let pool = env
        .create_pool_at(a.keys.market, mint, TOKEN, x::fee_free(default_params()))
        .await;
    // Two underwriters: one leaves as soon as it sees the registration, one stays (new
    // cover is priced and capped on the capital that stays, so the accomplices need it).
    let honest = env.user(&pool, 10_000).await;
    env.deposit(&honest, &pool, 10_000).await;
    let stayer = env.user(&pool, 10_000).await;
    env.deposit(&stayer, &pool, 10_000).await;
    env.warp(30 * DAY).await;
    env.season(&pool).await;
    let mallory = env.user(&pool, 1_200).await;
    a.register(&mut env, limits(1_000_000, 1_000_000)).await;
    let registration = a.registration(&mut env).await;
    env.request_all(&pool, &honest).await;
    let leave = complete_withdrawal(&honest.pubkey(), &pool, &honest.token);

    // Accomplices: each buys 100 of cover, files a claim of 100 a day later, two days
    // after the previous one (whose 3-day vote is still running), and its claim is
    // finalised (rejected: no votes) once its vote is over.
    let buy =
        |who: &User| contribute_premium(&who.pubkey(), &pool, &who.token, None, 100, u64::MAX);
    let mut next = env.user(&pool, 1_000).await;
    env.ok(&[buy(&next)], &[&next.key]).await;
    env.warp(DAY).await;
    let started = env.now().await;
    let mut voting: Vec<(Pubkey, User)> = Vec::new();
    while env.now().await < started + 70 * DAY {
        let id = 0;
        let claim = file_claim(&next.pubkey(), &pool, id, &next.token, 100, [5; 32], "");
        env.ok(&[claim], &[&next.key]).await;
        voting.push((claim_address(&pool, &next.pubkey(), id), next));
        next = env.user(&pool, 1_000).await;
        env.ok(&[buy(&next)], &[&next.key]).await;
        env.warp(2 * DAY).await;
        let now = env.now().await;
        let mut still = Vec::new();
        for (claim, member) in voting.drain(..) {
            let c: Claim = env.fetch(claim).await;
            if now >= c.voting_ends_at {
                env.ok(&[finalize_claim(&pool, &claim, &member.pubkey())], &[])
                    .await;
                let c: Claim = env.fetch(claim).await;
                assert_eq!(c.status.get(), ClaimStatus::Rejected);
            } else {
                still.push((claim, member));
            }
        }
        voting = still;
        assert!(
            env.pool(&pool).await.voting_claims > 0,
            "a claim always votes"
        );
        // The honest exit is refused all along (by name, nothing changed).
        env.refused(
            std::slice::from_ref(&leave),
            &[&honest.key],
            code(InsuranceError::ClaimsVoting),
        )
        .await;
    }
    // 70 days of wall time later the exit clock has barely moved: no draw right yet.
    let clock = env.exit_clock(&pool).await;
    assert!(env.now().await >= registration.active_from + 8 * DAY);
    assert!(
        clock < registration.active_from,
        "{clock} >= {}",
        registration.active_from
    );
    assert_eq!(drain(&mut env, &a, &mallory).await, (0, 3_596));
    // The accomplices stop; the last votes end and are finalised.
    env.warp(3 * DAY).await;
    for (claim, member) in voting {
        env.ok(&[finalize_claim(&pool, &claim, &member.pubkey())], &[])
            .await;
    }
    assert_eq!(env.pool(&pool).await.voting_claims, 0);
    // The request did not lapse: the honest underwriter leaves with everything it had
    // (its deposit and its share of the accomplices' premiums, earned or not yet).
    assert!(env.exit_clock(&pool).await < registration.active_from);
    let shares = env.underwriter(&pool, &honest.pubkey()).await.shares.get();
    let value = env.pool_now(&pool).await.value_of(shares).unwrap();
    let paid = env.complete(&pool, &honest).await;
    assert!(paid >= 10_000 && paid == value, "left with {paid}");
    // When the draw right finally applies, the leaver's capital is out of reach (the
    // stayer, who chose to stay through the delay, bears the venue's draws).
    env.warp_exit_clock_to(&pool, registration.active_from)
        .await;
    let capital = env.pool(&pool).await.capital;
    let (covered, _) = drain(&mut env, &a, &mallory).await;
    assert!(covered > 0 && covered <= capital);
    assert_eq!(env.balance(honest.token).await, paid);
    b.assert_untouched(&mut env).await;
}

/// Fourth attacker review of issue 31: a request waited for the cover actually in the
/// book, while the exit horizon (the registration's delay) counted the parameters'
/// longest wait. The authority shortened `coverage_duration` and the lock (a change
/// that looks pro-underwriter, announced 62 days ahead); an hour before it applied,
/// 30-day cover was bought under the old terms; then the authority registered its own
/// venue (a 9-day horizon on the new terms), and the honest underwriter, asking to
/// leave at once, waited 30 days: the venue drew 3 596 from it. Capping the wait at the
/// new term instead let a whale leave cover it priced (the fifth review). Now the
/// activation delay also counts the cover in force (`Pool::activation_delay`): the
/// honest underwriter waits for that cover and leaves in full before the draw right.
#[tokio::test]
async fn review4_a_request_never_waits_beyond_the_exit_horizon() {
    let mut env = TestEnv::new().await;
    let mint = env.create_mint(TOKEN).await;
    let a = Venue::create(&mut env, 400, mint, MARKET, 1_000).await;
    let pool = env
        .create_pool_at(a.keys.market, mint, TOKEN, x::fee_free(default_params()))
        .await;
    let honest = env.user(&pool, 10_000).await;
    env.deposit(&honest, &pool, 10_000).await;
    env.warp(30 * DAY).await;
    let authority = env.authority.insecure_clone();
    let mallory = env.user(&pool, 1_200).await;
    let keeper = env.user(&pool, 100).await;
    let short = x::fee_free(PoolParams {
        coverage_duration: DAY,
        min_deposit_lock: 6 * DAY,
        claim_waiting_period: HOUR,
        withdrawal_cooldown: HOUR,
        ..default_params()
    });
    assert_eq!(short.exit_horizon(), 9 * DAY);
    env.ok(
        &[update_pool_params(&authority.pubkey(), &pool, short)],
        &[&authority],
    )
    .await;
    let effective = env.pool(&pool).await.pending_params_at;
    let clock = env.exit_clock(&pool).await;
    env.warp(effective - clock - HOUR).await;
    let buy = |who: &User| contribute_premium(&who.pubkey(), &pool, &who.token, None, 1, u64::MAX);
    env.ok(&[buy(&mallory)], &[&mallory.key]).await;
    env.warp(2 * HOUR).await;
    env.ok(&[buy(&keeper)], &[&keeper.key]).await;
    assert_eq!(env.pool(&pool).await.params.coverage_duration, DAY);
    a.register_on(&mut env, &pool, limits(1_000_000, 1_000_000))
        .await;
    let registration = a.registration(&mut env).await;
    let clock = env.exit_clock(&pool).await;
    assert!(
        registration.active_from > clock + 30 * DAY,
        "past the 30-day cover, not the new 9-day horizon"
    );
    env.request_all(&pool, &honest).await;
    let u = env.underwriter(&pool, &honest.pubkey()).await;
    assert!(
        u.unlock_at - u.requested_at > 29 * DAY,
        "waits for that cover"
    );
    let now = env.now().await;
    env.warp(u.unlock_at - now).await;
    let paid = env.complete(&pool, &honest).await;
    assert!(paid >= 10_000, "left with {paid}");
    assert!(env.exit_clock(&pool).await < registration.active_from);
    env.assert_conserved(&pool).await;
}
