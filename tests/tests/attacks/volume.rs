//! Volume-fee attacks (issue 14): who profits from calling `contribute_volume` (or a
//! trade that pays it) before, after or around something else. Each runs end to end
//! with several actors while time moves, and checks another market is untouched.

use insurance_pool_tests::exchange::{self as x, activate, Bystander, Venue};
use insurance_pool_tests::*;

const DAY: i64 = 86_400;

fn limits() -> ExchangeLimits {
    ExchangeLimits {
        per_event_cap: 1_000_000,
        per_epoch_cap: 1_000_000,
        epoch_length: DAY,
        per_event_bps: 10_000,
        per_epoch_bps: 10_000,
    }
}

/// Market `id`'s pool with `stakes` deposited by one underwriter each (returned),
/// registration active. Default volume curve: 2 bps with no shortfall history.
async fn venue(env: &mut TestEnv, id: u64, mint: Pubkey, stakes: &[u64]) -> (Venue, Vec<User>) {
    let (v, first) =
        Venue::insured(env, id, mint, 1_000, default_params(), limits(), stakes[0]).await;
    let mut underwriters = vec![first];
    for &stake in &stakes[1..] {
        let u = env.user(&v.keys.pool, stake).await;
        env.deposit(&u, &v.keys.pool, stake).await;
        underwriters.push(u);
    }
    activate(env, &v).await;
    (v, underwriters)
}

/// A registration of `v`'s pool whose authority is a test keypair (test-only surgery
/// standing in for the exchange PDA signing by CPI), funded with `tokens`.
async fn keypair_exchange(env: &mut TestEnv, v: &Venue, tokens: u64) -> User {
    let exchange = env.user(&v.keys.pool, tokens).await;
    let key = exchange.pubkey();
    x::edit_registration(env, v.keys.registration(), |r| r.exchange_authority = key).await;
    exchange
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

async fn request_all(env: &mut TestEnv, pool: &PoolKeys, who: &User) {
    let shares = env.underwriter(pool, &who.pubkey()).await.shares;
    env.ok(
        &[request_withdrawal(&who.pubkey(), pool, shares)],
        &[&who.key],
    )
    .await;
}

async fn complete(env: &mut TestEnv, pool: &PoolKeys, who: &User) -> u64 {
    let before = env.balance(who.token).await;
    env.ok(
        &[complete_withdrawal(&who.pubkey(), pool, &who.token)],
        &[&who.key],
    )
    .await;
    env.balance(who.token).await - before
}

/// V1: an underwriter leaves the moment a large volume fee arrives, hoping to take its
/// share of it; another deposits one second before it. The fee is earned over seven
/// days: the leaver, no longer at risk, gets none of it; the newcomer shares only in
/// what is earned while its capital is at risk (and it is locked in for a term).
#[tokio::test]
async fn v1_volume_income_goes_only_to_capital_at_risk_while_it_is_earned() {
    let mut env = TestEnv::new().await;
    let mint = env.create_mint(TOKEN).await;
    let b = Bystander::new(&mut env, 402, mint).await;
    let (v, u) = venue(&mut env, 401, mint, &[100_000, 100_000]).await;
    let (leaver, stayer) = (&u[0], &u[1]);
    let pool = v.keys.pool;
    let exchange = keypair_exchange(&mut env, &v, 10_000_000).await;

    // The newcomer deposits 100 000 one second before a 50 000 000 trade (fee 10 000).
    let newcomer = env.user(&pool, 100_000).await;
    env.deposit(&newcomer, &pool, 100_000).await;
    env.warp(1).await;
    assert_eq!(
        pay_volume(&mut env, &v, &exchange, 50_000_000).await,
        10_000
    );
    // The leaver asks to leave in the same second: its exit is valued without the fee.
    request_all(&mut env, &pool, leaver).await;
    env.warp(DAY).await;
    assert_eq!(complete(&mut env, &pool, leaver).await, 100_000);

    // Seven days on, all of the fee is capital, shared by the two who stayed at risk.
    env.warp(7 * DAY).await;
    let state = env.pool_now(&pool).await;
    assert_eq!(state.capital, 210_000);
    let stayer_value = state
        .value_of(env.underwriter(&pool, &stayer.pubkey()).await.shares)
        .unwrap();
    let newcomer_value = state
        .value_of(env.underwriter(&pool, &newcomer.pubkey()).await.shares)
        .unwrap();
    assert!(stayer_value >= 104_999 && newcomer_value <= 105_000);
    assert!(stayer_value + newcomer_value <= 210_000);
    // The newcomer cannot leave before its deposit lock (one coverage term).
    let shares = env.underwriter(&pool, &newcomer.pubkey()).await.shares;
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
    let exchange = keypair_exchange(&mut env, &v, 1_000_000).await;
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

/// V3: after shortfalls raised the rate, an exchange contributes every few hours
/// hoping each call restarts (or speeds up) the smoothing. The rate falls at the
/// configured 1 bps a day however often it is charged, and never below the target.
#[tokio::test]
async fn v3_frequent_contributions_do_not_change_how_fast_the_rate_falls() {
    let mut env = TestEnv::new().await;
    let mint = env.create_mint(TOKEN).await;
    let b = Bystander::new(&mut env, 422, mint).await;
    let (v, _) = venue(&mut env, 421, mint, &[100_000]).await;
    let pool = v.keys.pool;
    // A 1 002 shortfall: the rate jumps to 8 bps (see tests/tests/volume.rs).
    let doomed = env.user(&pool, 1_000).await;
    let d = doomed.pubkey();
    env.ok(
        &[
            x::deposit_collateral(&d, &v.keys, &doomed.token, 1_000),
            x::open_position(&d, &v.keys, 10, 2, None),
        ],
        &[&doomed.key],
    )
    .await;
    v.publish(&mut env, 800).await;
    let payer = env.payer();
    env.ok(&[v.liquidate_ix(&payer, &d)], &[]).await;
    let exchange = keypair_exchange(&mut env, &v, 10_000_000).await;
    pay_volume(&mut env, &v, &exchange, 10_000).await;
    assert_eq!(env.pool(&pool).await.volume_rate_bps, 8);
    // Capital arrives: target 4.
    let whale = env.user(&pool, 400_000).await;
    env.deposit(&whale, &pool, 400_000).await;
    assert_eq!(env.quote_volume(&pool, 10_000).await.target_rate_bps, 4);
    // Contributions every 5 hours for two days: the rate is where one quote at the end
    // would put it, 8 - 2 = 6 bps.
    let start = env.pool(&pool).await.volume_rate_updated_at;
    let mut now = env.now().await;
    while now + 5 * 3_600 <= start + 2 * DAY {
        env.warp(5 * 3_600).await;
        pay_volume(&mut env, &v, &exchange, 10_000).await;
        now = env.now().await;
    }
    x::warp_to(&mut env, start + 2 * DAY).await;
    assert_eq!(env.quote_volume(&pool, 10_000).await.rate_bps, 6);
    // And much later, the target, not below.
    env.warp(30 * DAY).await;
    assert_eq!(env.quote_volume(&pool, 10_000).await.rate_bps, 4);
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
    let payer = env.payer();
    env.ok(
        &[register_exchange(
            &payer,
            &authority.pubkey(),
            &pool,
            other.keys.authority,
            &other.keys.collateral_vault,
            limits(),
        )],
        &[&authority],
    )
    .await;
    let foreign = insurance_pool::pda::exchange(&pool.pool, &other.keys.authority).0;
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
