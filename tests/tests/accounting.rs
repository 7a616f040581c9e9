//! Whole-pool accounting: the first-depositor inflation attack, pro-rata losses across
//! underwriters, and isolation between markets.

use insurance_pool_testkit::*;

const DAY: i64 = 86_400;

/// Withdraws all of `user`'s shares after the cooldown; returns what was paid.
/// `surplus`: tokens donated to the vault outside the program.
async fn exit_with_surplus(env: &mut TestEnv, pool: &PoolKeys, user: &User, surplus: u64) -> u64 {
    let before = env.balance(user.token).await;
    let shares = env.underwriter(pool, &user.pubkey()).await.shares.get();
    env.warp(DEPOSIT_LOCK).await; // deposits are locked for one coverage term
    env.ok(
        &[request_withdrawal(&user.pubkey(), pool, shares)],
        &[&user.key],
    )
    .await;
    env.assert_conserved_with_surplus(pool, surplus).await;
    env.warp(DAY).await;
    env.ok(
        &[complete_withdrawal(&user.pubkey(), pool, &user.token)],
        &[&user.key],
    )
    .await;
    env.assert_conserved_with_surplus(pool, surplus).await;
    env.balance(user.token).await - before
}

async fn exit(env: &mut TestEnv, pool: &PoolKeys, user: &User) -> u64 {
    exit_with_surplus(env, pool, user, 0).await
}

#[tokio::test]
async fn donation_inflation_attack_fails() {
    let mut env = TestEnv::new().await;
    let pool = env.create_pool(TOKEN).await;
    let attacker = env.user(&pool, 1_000_001).await;
    let victim = env.user(&pool, 10_000).await;

    // Attacker takes the first share, then donates straight to the vault.
    env.deposit(&attacker, &pool, 1).await;
    env.transfer_tokens(
        &attacker.key,
        &pool,
        &attacker.token,
        &pool.vault,
        1_000_000,
    )
    .await;
    env.assert_conserved_with_surplus(&pool, 1_000_000).await;

    // The donation is not capital: the victim gets the undisturbed price.
    let shares = env
        .deposit_with_surplus(&victim, &pool, 10_000, 1_000_000)
        .await;
    assert_eq!(shares, 10_000_000_000);
    let state = env.pool(&pool).await;
    assert_eq!(state.value_of(shares).unwrap(), 10_000, "victim whole");

    assert_eq!(
        exit_with_surplus(&mut env, &pool, &victim, 1_000_000).await,
        10_000
    );
    assert!(exit_with_surplus(&mut env, &pool, &attacker, 1_000_000).await <= 1);
    env.assert_conserved_with_surplus(&pool, 1_000_000).await;
}

#[tokio::test]
async fn inflation_through_capital_gains_costs_the_attacker() {
    let mut env = TestEnv::new().await;
    let pool = env.create_pool(TOKEN).await;
    let attacker = env.user(&pool, 1).await;
    let victim = env.user(&pool, 10_000).await;

    // Attacker holds the only real share when capital jumps by 10^6 (e.g. a premium
    // the attacker paid itself): the virtual shares absorb half of it.
    env.deposit(&attacker, &pool, 1).await;
    env.simulate_gain(&pool, 1_000_000).await;
    let shares = env.deposit(&victim, &pool, 10_000).await;
    assert!(shares > 0);
    let state = env.pool(&pool).await;
    let victim_value = state.value_of(shares).unwrap();
    assert!(
        victim_value >= 10_000 - 1,
        "victim loses at most rounding: {victim_value}"
    );
    let attacker_value = state
        .value_of(
            env.underwriter(&pool, &attacker.pubkey())
                .await
                .shares
                .get(),
        )
        .unwrap();
    assert!(
        attacker_value < 1_000_001 / 2 + 2,
        "attacker lost about half: {attacker_value}"
    );
    env.assert_conserved(&pool).await;
}

#[tokio::test]
async fn losses_are_shared_pro_rata() {
    let mut env = TestEnv::new().await;
    let pool = env.create_pool(TOKEN).await;
    let mut users = Vec::new();
    for amount in [1_000u64, 2_000, 3_000] {
        let user = env.user(&pool, amount).await;
        env.deposit(&user, &pool, amount).await;
        users.push((user, amount));
    }
    env.simulate_loss(&pool, 1_200).await; // 20 % of 6_000

    let state = env.pool(&pool).await;
    for (user, amount) in &users {
        let shares = env.underwriter(&pool, &user.pubkey()).await.shares.get();
        let value = state.value_of(shares).unwrap();
        let fair = amount * 4 / 5;
        assert!(value <= fair && fair - value <= 1, "{value} vs fair {fair}");
    }
    let mut paid = 0;
    for (user, amount) in &users {
        let got = exit(&mut env, &pool, user).await;
        assert!(got <= amount * 4 / 5 && amount * 4 / 5 - got <= 1);
        paid += got;
        env.assert_conserved(&pool).await;
    }
    // Rounding dust stays in the pool, never more than one unit per exit.
    let state = env.pool(&pool).await;
    assert_eq!(state.capital, 4_800 - paid);
    assert!(state.capital <= 3);
    assert_eq!(state.total_shares.get(), 0);
}

#[tokio::test]
async fn market_b_is_untouched_by_everything_done_to_market_a() {
    let mut env = TestEnv::new().await;
    // Two markets on the SAME mint: only the vault separates them.
    let mint = env.create_mint(TOKEN).await;
    let a = env
        .create_pool_for_mint(mint, TOKEN, default_params())
        .await;
    let b = env
        .create_pool_for_mint(mint, TOKEN, default_params())
        .await;
    let alice = env.user(&a, 10_000).await;
    let bob = env.user(&b, 10_000).await;
    env.deposit(&bob, &b, 4_000).await;
    let sb = env.underwriter(&b, &bob.pubkey()).await.shares.get();
    env.warp(DEPOSIT_LOCK).await; // deposits are locked for one coverage term
    env.ok(
        &[request_withdrawal(&bob.pubkey(), &b, sb / 2)],
        &[&bob.key],
    )
    .await;

    let watched = [b.pool, b.vault, b.underwriter(&bob.pubkey()), bob.token];
    let before = env.snapshot(&watched).await;

    // Everything on A: deposits, a loss, a gain, withdrawals, params, pauses.
    let authority = env.authority.insecure_clone();
    let guardian = env.guardian.insecure_clone();
    let sa = env.deposit(&alice, &a, 5_000).await;
    env.simulate_loss(&a, 1_000).await;
    env.simulate_gain(&a, 300).await;
    env.warp(DEPOSIT_LOCK).await;
    env.ok(
        &[request_withdrawal(&alice.pubkey(), &a, sa / 2)],
        &[&alice.key],
    )
    .await;
    env.ok(&[cancel_withdrawal(&alice.pubkey(), &a)], &[&alice.key])
        .await;
    env.season(&a).await; // cancelled shares re-season
    env.ok(
        &[request_withdrawal(&alice.pubkey(), &a, sa / 2)],
        &[&alice.key],
    )
    .await;
    env.warp(DAY).await;
    env.ok(
        &[complete_withdrawal(&alice.pubkey(), &a, &alice.token)],
        &[&alice.key],
    )
    .await;
    let params = PoolParams {
        withdrawal_cooldown: 2 * DAY,
        ..default_params()
    };
    env.ok(
        &[update_pool_params(&authority.pubkey(), &a, params)],
        &[&authority],
    )
    .await;
    env.ok(
        &[set_pool_pause(&guardian.pubkey(), &a, pause::ALL)],
        &[&guardian],
    )
    .await;
    env.ok(&[set_pool_pause(&authority.pubkey(), &a, 0)], &[&authority])
        .await;

    // Cross-market attempts through A's instructions are refused.
    let a_with_b_vault = PoolKeys {
        vault: b.vault,
        ..a
    };
    env.refused(
        &[deposit(
            &alice.pubkey(),
            &a_with_b_vault,
            &alice.token,
            100,
            0,
        )],
        &[&alice.key],
        code(InsuranceError::WrongVault),
    )
    .await;
    env.season(&a).await;
    env.ok(
        &[request_withdrawal(&alice.pubkey(), &a, 1_000)],
        &[&alice.key],
    )
    .await;
    env.warp(DAY).await;
    env.refused(
        &[complete_withdrawal(
            &alice.pubkey(),
            &a_with_b_vault,
            &alice.token,
        )],
        &[&alice.key],
        code(InsuranceError::WrongVault),
    )
    .await;
    env.assert_conserved(&a).await;

    let after = env.snapshot(&watched).await;
    for ((key, x), y) in watched.iter().zip(&before).zip(&after) {
        assert_eq!(x, y, "market B account {key} changed");
    }
    env.assert_conserved(&b).await;
}
