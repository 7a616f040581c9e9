//! quote_premium and contribute_premium: the curve, smoothing, coverage and its expiry,
//! the protocol fee, and every refusal.

use insurance_pool_testkit::*;

const DAY: i64 = 86_400;
const TERM: i64 = 30 * DAY;

/// A pool with `capital` deposited by an underwriter, and a trader holding `tokens`.
async fn setup(env: &mut TestEnv, capital: u64, tokens: u64) -> (PoolKeys, User, User) {
    let pool = env.create_pool(TOKEN).await;
    let underwriter = env.user(&pool, capital).await;
    env.deposit(&underwriter, &pool, capital).await;
    let trader = env.user(&pool, tokens).await;
    (pool, underwriter, trader)
}

async fn buy(env: &mut TestEnv, pool: &PoolKeys, trader: &User, notional: u64) -> Outcome {
    let ix = contribute_premium(
        &trader.pubkey(),
        pool,
        &trader.token,
        None,
        notional,
        u64::MAX,
    );
    let out = env.ok(&[ix], &[&trader.key]).await;
    env.assert_conserved(pool).await;
    out
}

/// The README's worked example, checked against `quote_premium`'s return data.
#[tokio::test]
async fn readme_example_quote() {
    let mut env = TestEnv::new().await;
    let (pool, _, trader) = setup(&mut env, 100_000, 10_000).await;
    // The stored rate starts at the curve's zero-utilisation rate (50 bps); two days
    // later smoothing lets it move up to 2 x 100 bps.
    env.warp(2 * DAY).await;
    let quote = env.quote(&pool, None, 50_000).await;
    assert_eq!(quote.utilisation_bps, 5_000, "50 000 / 100 000");
    assert_eq!(quote.rate_bps, 250, "50 + 400 x 50 %");
    assert_eq!(quote.rate_bps, 250, "within 50 + 2 x 100");
    assert_eq!(quote.premium, 1_250, "50 000 x 2.5 %");
    assert_eq!(quote.covered_secs, TERM);
    let now = env.now().await;
    assert_eq!(quote.coverage_expiry, now + TERM);

    // Charging exactly the quote passes the slippage guard; one unit less does not.
    let t = trader.pubkey();
    env.refused(
        &[contribute_premium(
            &t,
            &pool,
            &trader.token,
            None,
            50_000,
            1_249,
        )],
        &[&trader.key],
        code(InsuranceError::PremiumAboveMaximum),
    )
    .await;
    let out = env
        .ok(
            &[contribute_premium(
                &t,
                &pool,
                &trader.token,
                None,
                50_000,
                1_250,
            )],
            &[&trader.key],
        )
        .await;
    if let Some(event) = out.event::<PremiumContributed>() {
        assert_eq!(
            (event.premium, event.rate_bps, event.notional),
            (1_250, 250, 50_000)
        );
        assert_eq!((event.protocol_fee, event.pool_exposure), (0, 50_000));
    }
    assert_eq!(env.balance(trader.token).await, 10_000 - 1_250);
    let state = env.pool(&pool).await;
    // The premium is unearned at first: it reaches capital over the term.
    assert_eq!(
        (state.capital, state.unearned_premiums, state.total_premiums),
        (100_000, 1_250, 1_250)
    );
    assert_eq!(state.rate_bps, 250);
    assert_eq!(env.exposure(&pool).await.total, 50_000);
    let member: Member = env.fetch(pool.member(&t)).await;
    assert_eq!(
        (member.covered_amount, member.coverage_expiry),
        (50_000, now + TERM)
    );
    assert_eq!(
        (member.owner, member.pool, member.premiums_paid),
        (t, pool.pool, 1_250)
    );
    env.assert_conserved(&pool).await;
}

#[tokio::test]
async fn quote_moves_nothing() {
    let mut env = TestEnv::new().await;
    let (pool, _, trader) = setup(&mut env, 100_000, 10_000).await;
    buy(&mut env, &pool, &trader, 1_000).await;
    let watched = [
        pool.pool,
        pool.vault,
        pool.member(&trader.pubkey()),
        trader.token,
    ];
    let before = env.snapshot(&watched).await;
    env.warp(DAY).await;
    let new = env.quote(&pool, None, 20_000).await;
    let top_up = env
        .quote(&pool, Some(pool.member(&trader.pubkey())), 20_000)
        .await;
    assert!(
        top_up.premium < new.premium,
        "a top-up pays only for the time left"
    );
    assert_eq!(env.snapshot(&watched).await, before);
    // A quote refuses what a contribution would refuse.
    env.refused(
        &[quote_premium(&pool, None, 0)],
        &[],
        code(InsuranceError::ZeroAmount),
    )
    .await;
    env.refused(
        &[quote_premium(&pool, None, 500_001)],
        &[],
        code(InsuranceError::ExposureCapExceeded),
    )
    .await;
    // Someone else's member account of another pool is refused.
    let other = env.create_pool(TOKEN).await;
    env.refused(
        &[quote_premium(
            &other,
            Some(pool.member(&trader.pubkey())),
            1,
        )],
        &[],
        code(InsuranceError::WrongMember),
    )
    .await;
}

#[tokio::test]
async fn premiums_raise_the_share_price() {
    let mut env = TestEnv::new().await;
    let (pool, underwriter, trader) = setup(&mut env, 100_000, 100_000).await;
    let shares = env
        .underwriter(&pool, &underwriter.pubkey())
        .await
        .shares
        .get();
    let before = env.pool(&pool).await.value_of(shares).unwrap();
    env.warp(DAY).await;
    let out = buy(&mut env, &pool, &trader, 40_000).await;
    let paid = 100_000 - env.balance(trader.token).await;
    assert!(paid > 0);
    if let Some(event) = out.event::<PremiumContributed>() {
        assert_eq!(event.premium, paid);
    }
    // Unearned at first: the share price does not move until the cover runs.
    assert_eq!(env.pool(&pool).await.value_of(shares).unwrap(), before);
    // Over the term (day by day, the last day once it has passed) the premium is
    // earned; the underwriter can take it out.
    env.warp(DEPOSIT_LOCK + DAY).await;
    env.ok(
        &[request_withdrawal(&underwriter.pubkey(), &pool, shares)],
        &[&underwriter.key],
    )
    .await;
    let after = env
        .underwriter(&pool, &underwriter.pubkey())
        .await
        .pending_value;
    assert!(after >= before + paid - 1, "{before} + {paid} -> {after}");
    env.warp(DAY).await;
    env.ok(
        &[complete_withdrawal(
            &underwriter.pubkey(),
            &pool,
            &underwriter.token,
        )],
        &[&underwriter.key],
    )
    .await;
    assert_eq!(env.balance(underwriter.token).await, after);
    env.assert_conserved(&pool).await;
}

#[tokio::test]
async fn coverage_expiry_restores_utilisation() {
    let mut env = TestEnv::new().await;
    let (pool, _, trader) = setup(&mut env, 100_000, 100_000).await;
    buy(&mut env, &pool, &trader, 60_000).await;
    let capital = env.pool(&pool).await.capital; // 100 000 (the premium is unearned)
    let covered = (60_001u64 * 10_000).div_ceil(capital);
    assert_eq!(env.quote(&pool, None, 1).await.utilisation_bps, covered);
    let expiry: Member = env.fetch(pool.member(&trader.pubkey())).await;
    let expiry = expiry.coverage_expiry;

    // Still covered (and counted) until the day of expiry ends; meanwhile the premium
    // has been earned into capital.
    let now = env.now().await;
    env.warp(expiry - now - 1).await;
    let state = env.pool_now(&pool).await;
    let covered = (60_001u64 * 10_000).div_ceil(state.free_capital());
    assert_eq!(env.quote(&pool, None, 1).await.utilisation_bps, covered);
    let end_of_day = (expiry / DAY + 1) * DAY;
    let now = env.now().await;
    env.warp(end_of_day - now).await;
    let quote = env.quote(&pool, None, 1).await;
    assert_eq!(quote.utilisation_bps, 1, "only the quoted unit remains");

    // The next contribution rolls the book: exposure is just the new cover, and the
    // expired member starts a fresh full term.
    let before: Member = env.fetch(pool.member(&trader.pubkey())).await;
    assert!(!before.is_covered(env.now().await));
    buy(&mut env, &pool, &trader, 5_000).await;
    assert_eq!(env.exposure(&pool).await.total, 5_000);
    let member: Member = env.fetch(pool.member(&trader.pubkey())).await;
    assert_eq!(member.covered_amount, 5_000);
    assert_eq!(member.coverage_expiry, env.now().await + TERM);
}

#[tokio::test]
async fn top_up_keeps_the_expiry_and_pays_pro_rata() {
    let mut env = TestEnv::new().await;
    let (pool, _, trader) = setup(&mut env, 1_000_000, 1_000_000).await;
    env.warp(DAY).await;
    buy(&mut env, &pool, &trader, 10_000).await;
    let first: Member = env.fetch(pool.member(&trader.pubkey())).await;
    env.warp(TERM / 2).await;
    let member = Some(pool.member(&trader.pubkey()));
    let quote = env.quote(&pool, member, 10_000).await;
    assert_eq!(quote.covered_secs, TERM / 2);
    assert_eq!(quote.coverage_expiry, first.coverage_expiry);
    let full = env.quote(&pool, None, 10_000).await;
    assert_eq!(
        quote.premium,
        full.premium.div_ceil(2),
        "half the term, half the price"
    );
    let before = env.balance(trader.token).await;
    buy(&mut env, &pool, &trader, 10_000).await;
    assert_eq!(before - env.balance(trader.token).await, quote.premium);
    let member: Member = env.fetch(pool.member(&trader.pubkey())).await;
    assert_eq!(
        (member.covered_amount, member.coverage_expiry),
        (20_000, first.coverage_expiry)
    );
    assert_eq!(env.exposure(&pool).await.total, 20_000);
}

/// The rate has no memory (review 3, finding 4): a burst pays the curve at the
/// utilisation each purchase creates, and new capital lowers the next price at once
/// (a deposit is locked for `min_deposit_lock` and bears the losses of the cover it
/// priced, so lowering the price with it is not free).
#[tokio::test]
async fn the_rate_follows_the_curve_both_ways() {
    let mut env = TestEnv::new().await;
    let (pool, _, trader) = setup(&mut env, 100_000, 1_000_000).await;
    assert_eq!(env.pool(&pool).await.rate_bps, 50);
    let mut rates = Vec::new();
    for _ in 0..4 {
        let quote = env.quote(&pool, None, 100_000).await;
        buy(&mut env, &pool, &trader, 100_000).await;
        assert_eq!(env.pool(&pool).await.rate_bps, quote.rate_bps);
        rates.push(quote.rate_bps);
    }
    // 100 % utilisation: 370 at the kink + 6 000 x 20 %; then the ceiling.
    assert_eq!(rates, [1_570, 2_000, 2_000, 2_000]);
    let whale = env.user(&pool, 20_000_000).await;
    env.deposit(&whale, &pool, 20_000_000).await;
    let quote = env.quote(&pool, None, 1).await;
    // 400 001 on 20 100 000: 200 bps of utilisation, 50 + 8 = 58.
    assert_eq!((quote.utilisation_bps, quote.rate_bps), (200, 58));
    buy(&mut env, &pool, &trader, 1).await;
    assert_eq!(env.pool(&pool).await.rate_bps, 58);
}

#[tokio::test]
async fn protocol_fee_goes_to_the_treasury() {
    let mut env = TestEnv::new().await;
    let (pool, _, trader) = setup(&mut env, 100_000, 100_000).await;
    let authority = env.authority.insecure_clone();
    let treasury = Keypair::new();
    let treasury_token = env
        .create_token_account(&pool.mint, &treasury.pubkey(), &TOKEN)
        .await;

    // Fee without treasury, and fee above the maximum, are refused.
    let fee_only = UpdateProtocolArgs {
        protocol_fee_bps: Some(1_000),
        ..Default::default()
    };
    env.refused(
        &[update_protocol(&authority.pubkey(), fee_only)],
        &[&authority],
        code(InsuranceError::InvalidProtocolFee),
    )
    .await;
    let too_high = UpdateProtocolArgs {
        treasury: Some(treasury.pubkey()),
        protocol_fee_bps: Some(5_001),
        ..Default::default()
    };
    env.refused(
        &[update_protocol(&authority.pubkey(), too_high)],
        &[&authority],
        code(InsuranceError::InvalidProtocolFee),
    )
    .await;
    let fee = UpdateProtocolArgs {
        treasury: Some(treasury.pubkey()),
        protocol_fee_bps: Some(1_000),
        ..Default::default()
    };
    env.ok(&[update_protocol(&authority.pubkey(), fee)], &[&authority])
        .await;

    let t = trader.pubkey();
    let not_treasury = env
        .create_token_account(&pool.mint, &Keypair::new().pubkey(), &TOKEN)
        .await;
    env.warp(2 * DAY).await;
    let quote = env.quote(&pool, None, 50_000).await;
    assert_eq!(quote.premium, 1_250);
    // The fee is due, so the treasury's account is required, and must be the treasury's.
    env.refused(
        &[contribute_premium(
            &t,
            &pool,
            &trader.token,
            None,
            50_000,
            u64::MAX,
        )],
        &[&trader.key],
        code(InsuranceError::MissingTreasuryAccount),
    )
    .await;
    env.refused(
        &[contribute_premium(
            &t,
            &pool,
            &trader.token,
            Some(not_treasury),
            50_000,
            u64::MAX,
        )],
        &[&trader.key],
        code(InsuranceError::WrongTreasuryAccount),
    )
    .await;
    env.ok(
        &[contribute_premium(
            &t,
            &pool,
            &trader.token,
            Some(treasury_token),
            50_000,
            1_250,
        )],
        &[&trader.key],
    )
    .await;
    assert_eq!(env.balance(treasury_token).await, 125, "10 % of 1 250");
    let state = env.pool(&pool).await;
    assert_eq!(
        (
            state.capital + state.unearned_premiums,
            state.total_premiums,
            state.total_protocol_fees
        ),
        (101_125, 1_125, 125)
    );
    assert_eq!(env.balance(trader.token).await, 100_000 - 1_250);
    env.assert_conserved(&pool).await;
}

#[tokio::test]
async fn contribute_refusals_change_nothing() {
    let mut env = TestEnv::new().await;
    let (pool, _, trader) = setup(&mut env, 100_000, 1_000_000).await;
    let other = env.create_pool(TOKEN).await;
    let foreign = env
        .create_token_account(&other.mint, &trader.pubkey(), &TOKEN)
        .await;
    let t = trader.pubkey();
    let s = [&trader.key];
    let ix = |pool: &PoolKeys, token: &Pubkey, notional: u64| {
        contribute_premium(&t, pool, token, None, notional, u64::MAX)
    };

    env.refused(
        &[ix(&pool, &trader.token, 0)],
        &s,
        code(InsuranceError::ZeroAmount),
    )
    .await;
    // Exposure cap: 5 x 100 000.
    env.refused(
        &[ix(&pool, &trader.token, 500_001)],
        &s,
        code(InsuranceError::ExposureCapExceeded),
    )
    .await;
    env.refused(
        &[ix(&pool, &trader.token, u64::MAX)],
        &s,
        code(InsuranceError::ExposureCapExceeded),
    )
    .await;
    env.refused(
        &[ix(&pool, &foreign, 1_000)],
        &s,
        code(InsuranceError::WrongMint),
    )
    .await;
    let stranger = env.user(&pool, 1_000).await;
    env.refused(
        &[ix(&pool, &stranger.token, 1_000)],
        &s,
        code(InsuranceError::WrongTokenOwner),
    )
    .await;
    env.refused(
        &[ix(
            &PoolKeys {
                vault: other.vault,
                ..pool
            },
            &trader.token,
            1_000,
        )],
        &s,
        code(InsuranceError::WrongVault),
    )
    .await;
    env.refused(
        &[ix(
            &PoolKeys {
                mint: other.mint,
                ..pool
            },
            &trader.token,
            1_000,
        )],
        &s,
        code(InsuranceError::WrongMint),
    )
    .await;
    env.refused(
        &[ix(
            &PoolKeys {
                token_program: TOKEN_2022,
                ..pool
            },
            &trader.token,
            1_000,
        )],
        &s,
        code(InsuranceError::WrongTokenProgram),
    )
    .await;
    // A member account of another pool cannot be passed (its address is the PDA).
    let mut wrong_member = ix(&pool, &trader.token, 1_000);
    wrong_member.accounts[3].pubkey = other.member(&t);
    env.refused(&[wrong_member], &s, code(AnchorError::ConstraintSeeds))
        .await;
    // Another member's account of this pool: it exists, so it is bound by its stored
    // owner (not re-derived) and refused by name.
    let buyer = env.user(&pool, 10_000).await;
    let b = buyer.pubkey();
    env.ok(
        &[contribute_premium(
            &b,
            &pool,
            &buyer.token,
            None,
            1_000,
            u64::MAX,
        )],
        &[&buyer.key],
    )
    .await;
    let mut others_member = ix(&pool, &trader.token, 1_000);
    others_member.accounts[3].pubkey = pool.member(&b);
    env.refused(&[others_member], &s, code(InsuranceError::WrongMember))
        .await;

    // Paused at pool level, then protocol level; the quote stays available.
    let guardian = env.guardian.insecure_clone();
    let authority = env.authority.insecure_clone();
    env.ok(
        &[set_pool_pause(&guardian.pubkey(), &pool, pause::PREMIUM)],
        &[&guardian],
    )
    .await;
    env.refused(
        &[ix(&pool, &trader.token, 1_000)],
        &s,
        code(InsuranceError::Paused),
    )
    .await;
    env.quote(&pool, None, 1_000).await;
    env.ok(
        &[set_pool_pause(&authority.pubkey(), &pool, 0)],
        &[&authority],
    )
    .await;
    env.ok(
        &[set_protocol_pause(&guardian.pubkey(), pause::PREMIUM)],
        &[&guardian],
    )
    .await;
    env.refused(
        &[ix(&pool, &trader.token, 1_000)],
        &s,
        code(InsuranceError::Paused),
    )
    .await;
    env.ok(&[set_protocol_pause(&authority.pubkey(), 0)], &[&authority])
        .await;

    // An empty pool sells no cover at all.
    let empty = env.create_pool(TOKEN).await;
    let buyer = env.user(&empty, 1_000).await;
    env.refused(
        &[contribute_premium(
            &buyer.pubkey(),
            &empty,
            &buyer.token,
            None,
            1,
            u64::MAX,
        )],
        &[&buyer.key],
        code(InsuranceError::ExposureCapExceeded),
    )
    .await;
    env.assert_conserved(&pool).await;
    assert!(env.account(pool.member(&t)).await.is_none());
}

#[tokio::test]
async fn token_2022_premiums() {
    let mut env = TestEnv::new().await;
    let pool = env.create_pool(TOKEN_2022).await;
    let underwriter = env.user(&pool, 10_000).await;
    env.deposit(&underwriter, &pool, 10_000).await;
    let trader = env.user(&pool, 1_000).await;
    buy(&mut env, &pool, &trader, 5_000).await;
    // The curve's rate at the 50 % utilisation this cover creates (a rise applies at
    // once): 50 + 400 x 50 % = 250 bps on 5 000 = 125, unearned at first.
    assert_eq!(env.balance(trader.token).await, 875);
    let state = env.pool(&pool).await;
    assert_eq!((state.capital, state.unearned_premiums), (10_000, 125));
}

#[tokio::test]
async fn premiums_into_a_leave_b_untouched() {
    let mut env = TestEnv::new().await;
    let mint = env.create_mint(TOKEN).await;
    let a = env
        .create_pool_for_mint(mint, TOKEN, default_params())
        .await;
    let b = env
        .create_pool_for_mint(mint, TOKEN, default_params())
        .await;
    let ua = env.user(&a, 100_000).await;
    let ub = env.user(&b, 100_000).await;
    env.deposit(&ua, &a, 100_000).await;
    env.deposit(&ub, &b, 100_000).await;
    let trader = env.user(&a, 100_000).await;
    let watched = [
        b.pool,
        b.vault,
        b.underwriter(&ub.pubkey()),
        b.member(&trader.pubkey()),
    ];
    let before = env.snapshot(&watched).await;

    for _ in 0..3 {
        env.warp(DAY).await;
        buy(&mut env, &a, &trader, 30_000).await;
    }
    // Paying into A with B's vault is refused.
    let cross = contribute_premium(
        &trader.pubkey(),
        &PoolKeys {
            vault: b.vault,
            ..a
        },
        &trader.token,
        None,
        1,
        u64::MAX,
    );
    env.refused(&[cross], &[&trader.key], code(InsuranceError::WrongVault))
        .await;

    assert_eq!(env.snapshot(&watched).await, before, "market B changed");
    env.assert_conserved(&a).await;
    env.assert_conserved(&b).await;
}
