//! Volume-fee attacks (issue 14): who profits from calling `contribute_volume` (or a
//! trade that pays it) before, after or around something else. Each runs end to end
//! with several actors while time moves, and checks another market is untouched.

use insurance_pool_testkit::exchange::{self as x, activate, Bystander, Venue};
use insurance_pool_testkit::*;

const DAY: i64 = 86_400;

/// Market `id`'s pool with `stakes` deposited by one underwriter each (returned),
/// registration active. Default volume curve: 2 bps with no shortfall history.
async fn venue(env: &mut TestEnv, id: u64, mint: Pubkey, stakes: &[u64]) -> (Venue, Vec<User>) {
    let (v, first) = Venue::insured(
        env,
        id,
        mint,
        1_000,
        default_params(),
        x::generous_limits(),
        stakes[0],
    )
    .await;
    let mut underwriters = vec![first];
    for &stake in &stakes[1..] {
        let u = env.user(&v.keys.pool, stake).await;
        env.deposit(&u, &v.keys.pool, stake).await;
        underwriters.push(u);
    }
    activate(env, &v).await;
    (v, underwriters)
}

async fn pay_volume(env: &mut TestEnv, v: &Venue, exchange: &User, volume: u64) -> u64 {
    let ix = contribute_volume(
        &exchange.pubkey(),
        &v.keys.pool,
        &v.keys.registration(),
        &exchange.token,
        None,
        volume,
        u64::MAX,
    );
    let out = env.ok(&[ix], &[&exchange.key]).await;
    u64::deserialize(&mut out.return_data.expect("fee").as_slice()).unwrap()
}

/// V1: an underwriter leaves the moment a large volume fee arrives, hoping to take its
/// share of it; another deposits one second before it. The fee is earned over seven
/// days: the leaver gets only what was earned during the day its capital was still at
/// risk (its cooldown); the newcomer shares only in what is earned while its capital is
/// at risk (and it is locked in for a term).
#[tokio::test]
async fn v1_volume_income_goes_only_to_capital_at_risk_while_it_is_earned() {
    let mut env = TestEnv::new().await;
    let mint = env.create_mint(TOKEN).await;
    let b = Bystander::new(&mut env, 402, mint).await;
    let (v, u) = venue(&mut env, 401, mint, &[100_000, 100_000]).await;
    let (leaver, stayer) = (&u[0], &u[1]);
    let pool = v.keys.pool;
    let exchange = x::keypair_exchange(&mut env, &v, 10_000_000).await;

    // The newcomer deposits 100 000 one second before a 50 000 000 trade (fee 10 000).
    let newcomer = env.user(&pool, 100_000).await;
    env.deposit(&newcomer, &pool, 100_000).await;
    env.warp(1).await;
    assert_eq!(
        pay_volume(&mut env, &v, &exchange, 50_000_000).await,
        10_000
    );
    // The leaver asks to leave in the same second: a day later it takes its third of
    // that day's part of the fee (about 10 000 / 7 / 3), nothing of the rest.
    env.request_all(&pool, leaver).await;
    env.warp(DAY).await;
    let paid = env.complete(&pool, leaver).await;
    assert!((100_400..=100_500).contains(&paid), "left with {paid}");

    // Seven days on, all of the fee is capital, the rest shared by the two who stayed.
    env.warp(7 * DAY).await;
    let state = env.pool_now(&pool).await;
    assert_eq!(state.capital, 310_000 - paid);
    let stayer_value = state
        .value_of(env.underwriter(&pool, &stayer.pubkey()).await.shares.get())
        .unwrap();
    let newcomer_value = state
        .value_of(
            env.underwriter(&pool, &newcomer.pubkey())
                .await
                .shares
                .get(),
        )
        .unwrap();
    let each = (310_000 - paid) / 2;
    assert!(stayer_value >= each - 1 && newcomer_value <= each);
    assert!(stayer_value + newcomer_value <= 310_000 - paid);
    // The newcomer cannot leave before its deposit lock (one coverage term).
    let shares = env
        .underwriter(&pool, &newcomer.pubkey())
        .await
        .shares
        .get();
    env.refused(
        &[request_withdrawal(&newcomer.pubkey(), &pool, shares)],
        &[&newcomer.key],
        code(InsuranceError::DepositLocked),
    )
    .await;
    env.assert_conserved(&pool).await;
    b.assert_untouched(&mut env).await;
}

/// V2: an exchange splits its volume into dust contributions to round each fee to
/// nothing. Fees round up: a thousand contributions of 10 pay at least as much as one
/// of 10 000 (here 1 000 against 2).
#[tokio::test]
async fn v2_dust_contributions_pay_at_least_the_whole_fee() {
    let mut env = TestEnv::new().await;
    let mint = env.create_mint(TOKEN).await;
    let b = Bystander::new(&mut env, 412, mint).await;
    let (v, _) = venue(&mut env, 411, mint, &[100_000]).await;
    let exchange = x::keypair_exchange(&mut env, &v, 1_000_000).await;
    let whole = pay_volume(&mut env, &v, &exchange, 10_000).await;
    assert_eq!(whole, 2);
    let mut split = 0;
    for _ in 0..50 {
        split += pay_volume(&mut env, &v, &exchange, 10).await;
    }
    assert_eq!(split, 50, "each dust contribution pays at least 1");
    assert!(split >= whole);
    assert_eq!(
        env.pool(&v.keys.pool).await.total_volume_fees,
        whole + split
    );
    env.assert_conserved(&v.keys.pool).await;
    b.assert_untouched(&mut env).await;
}

/// V3 (review R1): a whale holding 90 % of the pool completes its withdrawal, an
/// accomplice trades a dust position while free capital is at its low, and the whale
/// deposits again, hoping the spiked rate stays charged for weeks (a stored rate that
/// only fell 1 bps a day did). The rate is a function of the pool's state at each
/// trade: once the capital is back, so is the rate.
#[tokio::test]
async fn v3_a_momentary_dip_in_free_capital_does_not_pin_the_rate() {
    let mut env = TestEnv::new().await;
    let mint = env.create_mint(TOKEN).await;
    let b = Bystander::new(&mut env, 422, mint).await;
    let (v, u) = venue(&mut env, 421, mint, &[100_000, 900_000]).await;
    let (pool, whale) = (v.keys.pool, &u[1]);
    // A real 10 020 shortfall: 2 + ceil(500 · 10 020 / 989 980) = 8 bps.
    v.shortfall(&mut env, 10_000, 100, 800).await;
    assert_eq!(env.quote_volume(&pool, 1_000_000).await.rate_bps, 8);

    env.request_all(&pool, whale).await;
    env.warp(DAY).await;
    v.publish(&mut env, 1_000).await;
    let fair = env.quote_volume(&pool, 1_000_000).await;
    // The dip: complete, dust trade at the ceiling, deposit back.
    let got = env.complete(&pool, whale).await;
    assert_eq!(env.quote_volume(&pool, 1_000_000).await.rate_bps, 50);
    v.open(&mut env, 1_000, 1, u64::MAX).await;
    env.deposit(whale, &pool, got).await;
    let after = env.quote_volume(&pool, 1_000_000).await;
    assert_eq!(after.rate_bps, fair.rate_bps, "the rate is back at once");
    env.warp(DAY).await;
    assert!(env.quote_volume(&pool, 1_000_000).await.rate_bps <= fair.rate_bps);
    env.assert_conserved(&pool).await;
    b.assert_untouched(&mut env).await;
}

/// V4: a trader on exchange A passes the deactivated registration of another exchange
/// of the same pool, so that the exchange's "does the pool accept volume?" check says
/// no and the position opens without the fee. The exchange binds the registration to
/// its own authority and pool: refused, nothing changes.
#[tokio::test]
async fn v4_a_trader_cannot_dodge_the_fee_with_another_registration() {
    let mut env = TestEnv::new().await;
    let mint = env.create_mint(TOKEN).await;
    let b = Bystander::new(&mut env, 432, mint).await;
    let (v, _) = venue(&mut env, 431, mint, &[100_000]).await;
    let pool = v.keys.pool;
    // A second exchange market registered on the same pool, then deactivated.
    let other = Venue::create(&mut env, 433, mint, x::MARKET, 1_000).await;
    let authority = env.authority.insecure_clone();
    let foreign = other
        .register_on(&mut env, &pool, x::generous_limits())
        .await;
    env.ok(
        &[deactivate_exchange(&authority.pubkey(), &foreign)],
        &[&authority],
    )
    .await;

    let trader = env.user(&pool, 200_000).await;
    let t = trader.pubkey();
    env.ok(
        &[x::deposit_collateral(&t, &v.keys, &trader.token, 200_000)],
        &[&trader.key],
    )
    .await;
    let mut dodge = x::open_position(&t, &v.keys, 1_000, 50, None);
    let index = dodge
        .accounts
        .iter()
        .position(|m| m.pubkey == v.keys.registration())
        .unwrap();
    dodge.accounts[index].pubkey = foreign;
    env.refused(
        &[dodge],
        &[&trader.key],
        code(ExchangeError::WrongRegistration),
    )
    .await;
    // Honestly, it pays 200.
    let vault = env.balance(pool.vault).await;
    env.ok(
        &[x::open_position(&t, &v.keys, 1_000, 50, None)],
        &[&trader.key],
    )
    .await;
    assert_eq!(env.balance(pool.vault).await - vault, 200);
    b.assert_untouched(&mut env).await;
}

/// V5 (review R2): after a large shortfall raised the rate, ten dust positions are
/// liquidated so that ten tiny shortfalls average the large one away (an EWMA per
/// report fell from 10 020 to 1 168). The loss index is a decayed *sum*: small
/// shortfalls add to it, and the rate does not fall.
#[tokio::test]
async fn v5_dust_shortfalls_do_not_dilute_the_loss_index() {
    let mut env = TestEnv::new().await;
    let mint = env.create_mint(TOKEN).await;
    let b = Bystander::new(&mut env, 442, mint).await;
    let (v, _) = venue(&mut env, 441, mint, &[1_000_000]).await;
    let pool = v.keys.pool;
    v.shortfall(&mut env, 10_000, 100, 800).await;
    let payer = env.payer();
    let before = env.quote_volume(&pool, 1_000_000).await;
    assert_eq!((before.loss_index, before.rate_bps), (10_020, 8));
    let mut dust = Vec::new();
    for _ in 0..10 {
        dust.push(v.open(&mut env, 100, 1, u64::MAX).await);
    }
    v.publish(&mut env, 800).await;
    for d in &dust {
        env.ok(&[v.liquidate_ix(&payer, &d.pubkey())], &[]).await;
    }
    v.publish(&mut env, 1_000).await;
    let after = env.quote_volume(&pool, 1_000_000).await;
    // Each paid 1 of fee and left a 101 shortfall: the index grew by 1 010.
    assert_eq!(after.loss_index, 10_020 + 1_010);
    assert!(after.rate_bps >= before.rate_bps);
    env.assert_conserved(&pool).await;
    b.assert_untouched(&mut env).await;
}

/// V6 (review R4): exchange B, registered on A's pool and not yet active (then
/// deactivated), reports fake shortfalls that cost it nothing (it is paid 0): dust to
/// lower A's rate, a huge one to block A's traders at the ceiling. Only a registration
/// that can draw moves the loss index: A's rate does not move.
#[tokio::test]
async fn v6_an_exchange_that_cannot_draw_cannot_move_the_rate() {
    let mut env = TestEnv::new().await;
    let mint = env.create_mint(TOKEN).await;
    let bystander = Bystander::new(&mut env, 452, mint).await;
    let (v, _) = venue(&mut env, 451, mint, &[1_000_000]).await;
    let pool = v.keys.pool;
    v.shortfall(&mut env, 10_000, 100, 800).await;
    let fair = env.quote_volume(&pool, 1_000_000).await;
    assert_eq!(fair.rate_bps, 8);

    // Exchange B: registered (a PDA), then a keypair stands in for it (test surgery).
    let other = Venue::create(&mut env, 453, mint, x::MARKET, 1_000).await;
    let authority = env.authority.insecure_clone();
    let reg_b = other
        .register_on(&mut env, &pool, x::generous_limits())
        .await;
    let b = env.user(&pool, 0).await;
    let (bk, bt) = (b.pubkey(), b.token);
    x::edit_registration(&mut env, reg_b, |r| {
        r.exchange_authority = bk;
        r.destination = bt;
    })
    .await;
    let report = |amount: u64, nonce: u64| cover_shortfall(&bk, &pool, &reg_b, &bt, amount, nonce);
    let mut nonce = 0;
    // Not yet active: dust, then a huge report.
    for _ in 0..12 {
        env.ok(&[report(1, nonce)], &[&b.key]).await;
        nonce += 1;
    }
    env.ok(&[report(u64::MAX / 2, nonce)], &[&b.key]).await;
    nonce += 1;
    assert_eq!(env.quote_volume(&pool, 1_000_000).await, fair);
    // Deactivated: the same.
    env.ok(
        &[deactivate_exchange(&authority.pubkey(), &reg_b)],
        &[&authority],
    )
    .await;
    env.ok(&[report(u64::MAX / 2, nonce)], &[&b.key]).await;
    assert_eq!(env.quote_volume(&pool, 1_000_000).await, fair);
    assert_eq!(env.balance(bt).await, 0, "B was paid nothing");
    // A's trader at the fair rate trades.
    v.open(&mut env, 100_000, 100, u64::MAX).await;
    env.assert_conserved(&pool).await;
    bystander.assert_untouched(&mut env).await;
}

/// V7 (review R3): with a volume rate as large as the initial margin (10 % against 10x
/// leverage), the fee would leave a position with no collateral, liquidatable at once,
/// so any tick would become cover paid by the pool. The collateral left after the fee
/// must cover the maintenance margin.
#[tokio::test]
async fn v7_the_fee_cannot_eat_the_margin() {
    let mut env = TestEnv::new().await;
    let mint = env.create_mint(TOKEN).await;
    let b = Bystander::new(&mut env, 462, mint).await;
    let mut params = default_params();
    params.volume.base_rate = 1_000;
    params.volume.min_rate = 1_000;
    params.volume.max_rate = 1_000;
    let (v, _) = Venue::insured(
        &mut env,
        461,
        mint,
        1_000,
        params,
        x::generous_limits(),
        1_000_000,
    )
    .await;
    activate(&mut env, &v).await;
    let trader = env.user(&v.keys.pool, 1_000).await;
    let t = trader.pubkey();
    env.ok(
        &[x::deposit_collateral(&t, &v.keys, &trader.token, 1_000)],
        &[&trader.key],
    )
    .await;
    // 10x: fee 1 000, nothing left for the 500 maintenance margin.
    env.refused(
        &[x::open_position(&t, &v.keys, 10, u64::MAX, None)],
        &[&trader.key],
        code(ExchangeError::InsufficientCollateral),
    )
    .await;
    // 5x: fee 500, 500 left against a 250 margin.
    env.ok(
        &[x::open_position(&t, &v.keys, 5, u64::MAX, None)],
        &[&trader.key],
    )
    .await;
    let position: Position = env.fetch(v.keys.position(&t)).await;
    assert_eq!(position.collateral, 500);
    b.assert_untouched(&mut env).await;
}
