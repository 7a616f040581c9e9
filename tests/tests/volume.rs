//! Volume contributions (`contribute_volume`, `quote_volume`): an exchange routes a
//! risk-priced share of each trade into its market's pool by CPI.
//!
//! End to end through the example exchange, whose `open_position` charges the trader
//! the quoted fee and forwards it in the same instruction; and directly, through a
//! registration whose authority was rewritten to a test keypair (test-only surgery
//! standing in for an exchange PDA signing by CPI), so that every refusal of the
//! program itself is seen, not just the exchange's pre-check.

use insurance_pool_testkit::exchange::{self as x, activate, Bystander, Venue};
use insurance_pool_testkit::*;

const DAY: i64 = 86_400;

/// Market `id` insured by 100 000 of capital with the default volume curve (2 bps,
/// +5 bps per 1 % of loss EWMA over free capital, [1, 50]), registration active.
async fn insured(env: &mut TestEnv, id: u64, mint: Pubkey) -> (Venue, User) {
    let (v, underwriter) = Venue::insured(
        env,
        id,
        mint,
        1_000,
        default_params(),
        x::generous_limits(),
        100_000,
    )
    .await;
    activate(env, &v).await;
    (v, underwriter)
}

/// Asserts the exchange's books: its collateral vault holds exactly what it owes.
async fn assert_books(env: &mut TestEnv, v: &Venue) {
    let market: Market = env.fetch(v.keys.market).await;
    assert_eq!(
        Some(env.balance(v.keys.collateral_vault).await),
        market.liabilities(),
        "collateral vault = total collateral + house"
    );
}

#[tokio::test]
async fn open_position_moves_exactly_the_quoted_fee_into_the_pool() {
    let mut env = TestEnv::new().await;
    let mint = env.create_mint(TOKEN).await;
    let b = Bystander::new(&mut env, 2, mint).await;
    let (v, underwriter) = insured(&mut env, 1, mint).await;
    let pool = v.keys.pool;

    // Long 1 000 at 1 000: notional 1 000 000, quoted at the base 2 bps = 200.
    let quote = env.quote_volume(&pool, 1_000_000).await;
    assert_eq!(
        quote,
        VolumeQuote {
            fee: 200,
            protocol_fee: 0,
            rate_bps: 2,
            loss_index: 0,
            free_capital: 100_000,
        }
    );
    let before = env.pool(&pool).await;
    let vault = env.balance(pool.vault).await;
    let trader = env.user(&pool, 200_000).await;
    let t = trader.pubkey();
    env.ok(
        &[x::deposit_collateral(&t, &v.keys, &trader.token, 200_000)],
        &[&trader.key],
    )
    .await;
    let out = env
        .ok(
            &[x::open_position(&t, &v.keys, 1_000, quote.rate_bps, None)],
            &[&trader.key],
        )
        .await;

    // The pool's vault grew by the fee, held as unearned income; the trader paid it.
    assert_eq!(env.balance(pool.vault).await - vault, quote.fee);
    let after = env.pool(&pool).await;
    assert_eq!(after.unearned_premiums - before.unearned_premiums, 200);
    assert_eq!(
        after.capital, before.capital,
        "earned over time, not at once"
    );
    assert_eq!(
        (
            after.total_volume,
            after.total_volume_fees,
            after.volume_rate_bps
        ),
        (1_000_000, 200, 2)
    );
    let position: Position = env.fetch(v.keys.position(&t)).await;
    assert_eq!(
        (position.collateral, position.size, position.entry_price),
        (199_800, 1_000, 1_000)
    );
    let market: Market = env.fetch(v.keys.market).await;
    assert_eq!(
        (
            market.volume,
            market.insurance_fees,
            market.total_collateral
        ),
        (1_000_000, 200, 199_800)
    );
    let registration = v.registration(&mut env).await;
    assert_eq!(
        (registration.total_volume, registration.total_volume_fees),
        (1_000_000, 200)
    );
    if let Some(event) = out.event::<VolumeContributed>() {
        assert_eq!(
            (event.volume, event.fee, event.rate_bps, event.protocol_fee),
            (1_000_000, 200, 2, 0)
        );
        assert_eq!((event.loss_index, event.free_capital), (0, 100_000));
    }
    assert_books(&mut env, &v).await;
    env.assert_conserved(&pool).await;

    // Earned into capital over the next seven days: the underwriter's stake grows.
    env.warp(8 * DAY).await;
    let now = env.pool_now(&pool).await;
    assert_eq!(now.capital, 100_200);
    let shares = env
        .underwriter(&pool, &underwriter.pubkey())
        .await
        .shares
        .get();
    assert_eq!(
        now.value_of(shares).unwrap(),
        100_199,
        "all of it, less rounding"
    );
    b.assert_untouched(&mut env).await;
}

#[tokio::test]
async fn the_volume_rate_rises_after_shortfalls_and_falls_as_they_age() {
    let mut env = TestEnv::new().await;
    let mint = env.create_mint(TOKEN).await;
    let b = Bystander::new(&mut env, 12, mint).await;
    let (v, _) = insured(&mut env, 11, mint).await;
    let pool = v.keys.pool;
    assert_eq!(env.quote_volume(&pool, 1_000_000).await.rate_bps, 2);

    // A trader with 1 000, long 10 at 1 000, liquidated at 800: a 1 000 shortfall.
    let doomed = v.open(&mut env, 1_000, 10, 2).await;
    let position: Position = env.fetch(v.keys.position(&doomed.pubkey())).await;
    assert_eq!(position.collateral, 998, "2 bps of 10 000");
    v.publish(&mut env, 800).await;
    let payer = env.payer();
    env.ok(&[v.liquidate_ix(&payer, &doomed.pubkey())], &[])
        .await;
    assert_books(&mut env, &v).await;
    let state = env.pool(&pool).await;
    // Shortfall 1 002 (equity 998 - 2 000), covered in full.
    assert_eq!((state.loss_stats.ewma, state.capital), (1_002, 98_998));

    // The loss index is the shortfall (under the per-event limit): 2 + ceil(500 ·
    // 1 002 / 98 998) = 2 + 6 = 8 bps, at once.
    assert_eq!(state.volume_loss, 1_002);
    v.publish(&mut env, 1_000).await;
    let quote = env.quote_volume(&pool, 1_000_000).await;
    assert_eq!(
        (
            quote.loss_index,
            quote.free_capital,
            quote.rate_bps,
            quote.fee
        ),
        (1_002, 98_998, 8, 800)
    );
    // A trader who bounded the rate at 7 bps is refused, and nothing changes.
    let careful = env.user(&pool, 200_000).await;
    let c = careful.pubkey();
    env.ok(
        &[x::deposit_collateral(&c, &v.keys, &careful.token, 200_000)],
        &[&careful.key],
    )
    .await;
    env.refused(
        &[x::open_position(&c, &v.keys, 1_000, 7, None)],
        &[&careful.key],
        code(InsuranceError::VolumeRateAboveMaximum),
    )
    .await;
    let vault = env.balance(pool.vault).await;
    env.ok(
        &[x::open_position(&c, &v.keys, 1_000, 8, None)],
        &[&careful.key],
    )
    .await;
    assert_eq!(env.balance(pool.vault).await - vault, 800);

    // New capital lowers the rate at once: 2 + ceil(500 · 1 002 / 498 998) = 4.
    let whale = env.user(&pool, 400_000).await;
    env.deposit(&whale, &pool, 400_000).await;
    let q = env.quote_volume(&pool, 1_000_000).await;
    assert_eq!((q.free_capital, q.rate_bps), (498_998, 4));
    // The loss ages, 5 % a day: 1 002 · 0.95^10 = 599 after ten days (the fees are
    // earned by then: free capital 499 800), 2 + ceil(0.6) = 3 bps; forgotten within a
    // year.
    env.warp(10 * DAY).await;
    let q = env.quote_volume(&pool, 1_000_000).await;
    assert_eq!(
        (q.loss_index, q.free_capital, q.rate_bps),
        (599, 499_800, 3)
    );
    env.warp(200 * DAY).await;
    let q = env.quote_volume(&pool, 1_000_000).await;
    assert_eq!((q.loss_index, q.rate_bps), (0, 2));
    env.assert_conserved(&pool).await;
    b.assert_untouched(&mut env).await;
}

#[tokio::test]
async fn an_exchange_whose_pool_does_not_accept_volume_trades_without_a_fee() {
    let mut env = TestEnv::new().await;
    let mint = env.create_mint(TOKEN).await;
    // Not yet active: the position opens, nothing reaches the pool.
    let (v, _) = Venue::insured(
        &mut env,
        21,
        mint,
        1_000,
        default_params(),
        x::generous_limits(),
        100_000,
    )
    .await;
    let pool = v.keys.pool;
    let vault = env.balance(pool.vault).await;
    let early = v.open(&mut env, 1_000, 10, 0).await;
    let position: Position = env.fetch(v.keys.position(&early.pubkey())).await;
    assert_eq!(position.collateral, 1_000);
    assert_eq!(env.balance(pool.vault).await, vault);
    // Active but paused for premiums (pool or protocol): no fee either.
    activate(&mut env, &v).await;
    let authority = env.authority.insecure_clone();
    env.ok(
        &[set_pool_pause(&authority.pubkey(), &pool, pause::PREMIUM)],
        &[&authority],
    )
    .await;
    v.open(&mut env, 1_000, 10, 0).await;
    assert_eq!(env.balance(pool.vault).await, vault);
    env.ok(
        &[set_pool_pause(&authority.pubkey(), &pool, 0)],
        &[&authority],
    )
    .await;
    // Deactivated: no fee.
    env.ok(
        &[deactivate_exchange(
            &authority.pubkey(),
            &v.keys.registration(),
        )],
        &[&authority],
    )
    .await;
    v.open(&mut env, 1_000, 10, 0).await;
    assert_eq!(env.balance(pool.vault).await, vault);
    assert_eq!(env.pool(&pool).await.total_volume, 0);
    assert_books(&mut env, &v).await;
}

fn contribute(
    exchange: &User,
    pool: &PoolKeys,
    registration: &Pubkey,
    treasury: Option<Pubkey>,
    volume: u64,
    max_rate: u64,
) -> anchor_lang::solana_program::instruction::Instruction {
    contribute_volume(
        &exchange.pubkey(),
        pool,
        registration,
        &exchange.token,
        treasury,
        volume,
        max_rate,
    )
}

#[tokio::test]
async fn contribute_volume_refusals_change_nothing() {
    let mut env = TestEnv::new().await;
    let mint = env.create_mint(TOKEN).await;
    let b = Bystander::new(&mut env, 32, mint).await;
    let (v, _) = Venue::insured(
        &mut env,
        31,
        mint,
        1_000,
        default_params(),
        x::generous_limits(),
        100_000,
    )
    .await;
    let pool = v.keys.pool;
    let reg = v.keys.registration();
    let exchange = x::keypair_exchange(&mut env, &v, 1_000_000).await;
    let e = &exchange;
    let authority = env.authority.insecure_clone();

    // Not yet active.
    env.refused(
        &[contribute(e, &pool, &reg, None, 10_000, 50)],
        &[&e.key],
        code(InsuranceError::ExchangeNotYetActive),
    )
    .await;
    activate(&mut env, &v).await;
    // Zero volume.
    env.refused(
        &[contribute(e, &pool, &reg, None, 0, 50)],
        &[&e.key],
        code(InsuranceError::ZeroAmount),
    )
    .await;
    // Slippage: the rate is 2 bps.
    env.refused(
        &[contribute(e, &pool, &reg, None, 10_000, 1)],
        &[&e.key],
        code(InsuranceError::VolumeRateAboveMaximum),
    )
    .await;
    // A signer that is not the registered authority.
    let mallory = env.user(&pool, 1_000).await;
    env.refused(
        &[contribute(&mallory, &pool, &reg, None, 10_000, 50)],
        &[&mallory.key],
        code(InsuranceError::WrongExchangeAuthority),
    )
    .await;
    // Paying with someone else's tokens (even a delegate's approval would not do).
    let mut foreign = contribute(e, &pool, &reg, None, 10_000, 50);
    foreign.accounts[5].pubkey = mallory.token;
    env.refused(&[foreign], &[&e.key], code(InsuranceError::WrongTokenOwner))
        .await;
    // A source in another mint.
    let other_mint = env.create_mint(TOKEN).await;
    let wrong_mint = env
        .create_token_account(&other_mint, &e.pubkey(), &TOKEN)
        .await;
    let mut ix = contribute(e, &pool, &reg, None, 10_000, 50);
    ix.accounts[5].pubkey = wrong_mint;
    env.refused(&[ix], &[&e.key], code(InsuranceError::WrongMint))
        .await;
    // Market B's pool, vault or exposure with this registration.
    let other = b.venue.keys.pool;
    env.refused(
        &[contribute(e, &other, &reg, None, 10_000, 50)],
        &[&e.key],
        code(InsuranceError::WrongExchangeRegistration),
    )
    .await;
    let mut ix = contribute(e, &pool, &reg, None, 10_000, 50);
    ix.accounts[6].pubkey = other.vault;
    env.refused(&[ix], &[&e.key], code(InsuranceError::WrongVault))
        .await;
    let mut ix = contribute(e, &pool, &reg, None, 10_000, 50);
    ix.accounts[4].pubkey = other.exposure;
    env.refused(&[ix], &[&e.key], code(InsuranceError::WrongExposure))
        .await;
    // Paused for premiums, at pool then protocol level.
    env.ok(
        &[set_pool_pause(&authority.pubkey(), &pool, pause::PREMIUM)],
        &[&authority],
    )
    .await;
    env.refused(
        &[contribute(e, &pool, &reg, None, 10_000, 50)],
        &[&e.key],
        code(InsuranceError::Paused),
    )
    .await;
    env.ok(
        &[set_pool_pause(&authority.pubkey(), &pool, 0)],
        &[&authority],
    )
    .await;
    env.ok(
        &[set_protocol_pause(&authority.pubkey(), pause::PREMIUM)],
        &[&authority],
    )
    .await;
    env.refused(
        &[contribute(e, &pool, &reg, None, 10_000, 50)],
        &[&e.key],
        code(InsuranceError::Paused),
    )
    .await;
    env.ok(&[set_protocol_pause(&authority.pubkey(), 0)], &[&authority])
        .await;
    // A protocol fee needs the treasury's account, and only that one.
    let treasury = Keypair::new();
    env.ok(
        &[update_protocol(
            &authority.pubkey(),
            UpdateProtocolArgs {
                treasury: Some(treasury.pubkey()),
                protocol_fee_bps: Some(1_000),
                ..Default::default()
            },
        )],
        &[&authority],
    )
    .await;
    env.refused(
        &[contribute(e, &pool, &reg, None, 10_000, 50)],
        &[&e.key],
        code(InsuranceError::MissingTreasuryAccount),
    )
    .await;
    env.refused(
        &[contribute(e, &pool, &reg, Some(mallory.token), 10_000, 50)],
        &[&e.key],
        code(InsuranceError::WrongTreasuryAccount),
    )
    .await;
    let treasury_token = env
        .create_token_account(&mint, &treasury.pubkey(), &TOKEN)
        .await;
    // The happy path: 2 bps of 1 000 000 = 200, 20 of it the protocol's.
    let vault = env.balance(pool.vault).await;
    let out = env
        .ok(
            &[contribute(
                e,
                &pool,
                &reg,
                Some(treasury_token),
                1_000_000,
                2,
            )],
            &[&e.key],
        )
        .await;
    let fee = u64::deserialize(&mut out.return_data.expect("fee").as_slice()).unwrap();
    assert_eq!(fee, 200);
    assert_eq!(env.balance(pool.vault).await - vault, 180);
    assert_eq!(env.balance(treasury_token).await, 20);
    assert_eq!(env.balance(e.token).await, 1_000_000 - 200);
    let state = env.pool(&pool).await;
    assert_eq!(
        (
            state.unearned_premiums,
            state.total_volume_fees,
            state.total_protocol_fees
        ),
        (180, 200, 20)
    );
    env.assert_conserved(&pool).await;
    // Deactivated.
    env.ok(
        &[deactivate_exchange(&authority.pubkey(), &reg)],
        &[&authority],
    )
    .await;
    env.refused(
        &[contribute(e, &pool, &reg, Some(treasury_token), 10_000, 50)],
        &[&e.key],
        code(InsuranceError::ExchangeInactive),
    )
    .await;
    b.assert_untouched(&mut env).await;
}

#[tokio::test]
async fn quote_volume_refuses_zero_and_moves_nothing() {
    let mut env = TestEnv::new().await;
    let mint = env.create_mint(TOKEN).await;
    let (v, _) = insured(&mut env, 41, mint).await;
    env.refused(
        &[quote_volume(&v.keys.pool, 0)],
        &[],
        code(InsuranceError::ZeroAmount),
    )
    .await;
    let watched = [v.keys.pool.pool, v.keys.pool.exposure, v.keys.pool.vault];
    let before = env.snapshot(&watched).await;
    assert_eq!(env.quote_volume(&v.keys.pool, u64::MAX).await.rate_bps, 2);
    assert_eq!(env.snapshot(&watched).await, before);
}
