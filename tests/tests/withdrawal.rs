//! request_withdrawal, cancel_withdrawal and complete_withdrawal: cooldown, the
//! min(value at request, value at completion) rule, and every refusal.

use insurance_pool_testkit::*;

const DAY: i64 = 86_400;

#[tokio::test]
async fn request_then_complete_after_cooldown() {
    let mut env = TestEnv::new().await;
    let pool = env.create_pool(TOKEN).await;
    let alice = env.user(&pool, 1_000).await;
    let shares = env.deposit(&alice, &pool, 1_000).await;
    let a = alice.pubkey();

    env.warp(DEPOSIT_LOCK).await; // deposits are locked for one coverage term
    let now = env.now().await;
    let out = env
        .ok(&[request_withdrawal(&a, &pool, shares / 4)], &[&alice.key])
        .await;
    if let Some(event) = out.event::<WithdrawalRequested>() {
        assert_eq!((event.shares, event.value_at_request), (shares / 4, 250));
    }
    let position = env.underwriter(&pool, &a).await;
    assert_eq!(
        (position.pending_shares.get(), position.pending_value),
        (shares / 4, 250)
    );
    assert_eq!(position.unlock_at, position.requested_at + DAY);
    assert!(position.requested_at >= now);
    assert_eq!(
        env.pool(&pool).await.pending_withdrawal_shares.get(),
        shares / 4
    );
    // Requested shares stay in the pool until completion.
    assert_eq!(env.pool(&pool).await.total_shares.get(), shares);
    env.assert_conserved(&pool).await;

    // One second early is refused; at the unlock time it pays.
    let wait = position.unlock_at - env.now().await;
    env.warp(wait - 1).await;
    let complete = complete_withdrawal(&a, &pool, &alice.token);
    env.refused(
        std::slice::from_ref(&complete),
        &[&alice.key],
        code(InsuranceError::CooldownNotElapsed),
    )
    .await;
    env.warp(1).await;
    let out = env.ok(&[complete], &[&alice.key]).await;
    if let Some(event) = out.event::<WithdrawalCompleted>() {
        assert_eq!((event.paid, event.value_at_completion), (250, 250));
    }
    assert_eq!(env.balance(alice.token).await, 250);
    let state = env.pool(&pool).await;
    assert_eq!(
        (
            state.capital,
            state.total_shares.get(),
            state.pending_withdrawal_shares.get()
        ),
        (750, shares * 3 / 4, 0)
    );
    assert_eq!(state.total_withdrawn, 250);
    let position = env.underwriter(&pool, &a).await;
    assert_eq!(
        (
            position.shares.get(),
            position.pending_shares.get(),
            position.total_withdrawn
        ),
        (shares * 3 / 4, 0, 250)
    );
    env.assert_conserved(&pool).await;
}

#[tokio::test]
async fn shares_under_request_keep_bearing_losses() {
    let mut env = TestEnv::new().await;
    let pool = env.create_pool(TOKEN).await;
    let alice = env.user(&pool, 1_000).await;
    let bob = env.user(&pool, 1_000).await;
    let sa = env.deposit(&alice, &pool, 1_000).await;
    env.deposit(&bob, &pool, 1_000).await;
    env.warp(DEPOSIT_LOCK).await; // deposits are locked for one coverage term

    env.ok(
        &[request_withdrawal(&alice.pubkey(), &pool, sa)],
        &[&alice.key],
    )
    .await;
    // A loss becomes known during the cooldown: alice cannot escape her half.
    env.simulate_loss(&pool, 500).await;
    env.warp(DAY).await;
    env.ok(
        &[complete_withdrawal(&alice.pubkey(), &pool, &alice.token)],
        &[&alice.key],
    )
    .await;
    let paid = env.balance(alice.token).await;
    // floor(10^9 * (1_500 + 1) / (2 * 10^9 + 10^6)) = 750: half of what is left.
    assert_eq!(paid, 750);
    assert_eq!(env.pool(&pool).await.capital, 1_500 - paid);
    env.assert_conserved(&pool).await;
}

/// Shares under a request are full holders until they leave: a gain during the
/// cooldown is theirs too (pro rata), as a loss would be.
#[tokio::test]
async fn gains_during_the_cooldown_are_shared_by_the_leaver() {
    let mut env = TestEnv::new().await;
    let pool = env.create_pool(TOKEN).await;
    let alice = env.user(&pool, 1_000).await;
    let bob = env.user(&pool, 1_000).await;
    let sa = env.deposit(&alice, &pool, 1_000).await;
    let sb = env.deposit(&bob, &pool, 1_000).await;
    env.warp(DEPOSIT_LOCK).await; // deposits are locked for one coverage term

    env.ok(
        &[request_withdrawal(&alice.pubkey(), &pool, sa)],
        &[&alice.key],
    )
    .await;
    env.simulate_gain(&pool, 1_000).await;
    env.warp(DAY).await;
    env.ok(
        &[complete_withdrawal(&alice.pubkey(), &pool, &alice.token)],
        &[&alice.key],
    )
    .await;
    assert_eq!(
        env.balance(alice.token).await,
        1_499,
        "half of the 3_000 (the virtual shares own a sliver)"
    );
    let state = env.pool(&pool).await;
    assert_eq!((state.capital, state.total_shares.get()), (1_501, sb));
    assert_eq!(state.value_of(sb).unwrap(), 1_500);
    env.assert_conserved(&pool).await;
}

#[tokio::test]
async fn cancel_restores_free_shares() {
    let mut env = TestEnv::new().await;
    let pool = env.create_pool(TOKEN).await;
    let alice = env.user(&pool, 1_000).await;
    let shares = env.deposit(&alice, &pool, 1_000).await;
    let a = alice.pubkey();
    env.warp(DEPOSIT_LOCK).await; // deposits are locked for one coverage term

    env.ok(&[request_withdrawal(&a, &pool, shares)], &[&alice.key])
        .await;
    let out = env.ok(&[cancel_withdrawal(&a, &pool)], &[&alice.key]).await;
    if let Some(event) = out.event::<WithdrawalCancelled>() {
        assert_eq!(event.shares, shares);
    }
    let position = env.underwriter(&pool, &a).await;
    assert_eq!(
        (
            position.shares.get(),
            position.pending_shares.get(),
            position.unlock_at
        ),
        (shares, 0, 0)
    );
    assert_eq!(env.pool(&pool).await.pending_withdrawal_shares.get(), 0);
    env.refused(
        &[cancel_withdrawal(&a, &pool)],
        &[&alice.key],
        code(InsuranceError::NoPendingWithdrawal),
    )
    .await;
    env.refused(
        &[complete_withdrawal(&a, &pool, &alice.token)],
        &[&alice.key],
        code(InsuranceError::NoPendingWithdrawal),
    )
    .await;

    // Cancelled shares are staked anew: young, so no new request until they season
    // (the end of the stake period after the cancel's).
    env.refused(
        &[request_withdrawal(&a, &pool, shares)],
        &[&alice.key],
        code(InsuranceError::DepositLocked),
    )
    .await;
    env.season(&pool).await;

    // Cancelling is allowed while withdrawals are paused (it moves no tokens).
    let guardian = env.guardian.insecure_clone();
    env.ok(&[request_withdrawal(&a, &pool, shares)], &[&alice.key])
        .await;
    env.ok(
        &[set_protocol_pause(&guardian.pubkey(), pause::ALL)],
        &[&guardian],
    )
    .await;
    env.ok(&[cancel_withdrawal(&a, &pool)], &[&alice.key]).await;
    env.assert_conserved(&pool).await;
}

#[tokio::test]
async fn request_withdrawal_refusals() {
    let mut env = TestEnv::new().await;
    let pool = env.create_pool(TOKEN).await;
    let other = env.create_pool(TOKEN).await;
    let alice = env.user(&pool, 1_000).await;
    let bob = env.user(&pool, 1_000).await;
    let shares = env.deposit(&alice, &pool, 1_000).await;
    env.deposit(&bob, &pool, 1_000).await;
    let a = alice.pubkey();
    env.warp(DEPOSIT_LOCK).await; // deposits are locked for one coverage term

    env.refused(
        &[request_withdrawal(&a, &pool, 0)],
        &[&alice.key],
        code(InsuranceError::ZeroAmount),
    )
    .await;
    env.refused(
        &[request_withdrawal(&a, &pool, shares + 1)],
        &[&alice.key],
        code(InsuranceError::InsufficientShares),
    )
    .await;
    env.refused(
        &[request_withdrawal(&a, &pool, u128::MAX)],
        &[&alice.key],
        code(InsuranceError::InsufficientShares),
    )
    .await;
    // No position in the other pool.
    env.refused(
        &[request_withdrawal(&a, &other, 1)],
        &[&alice.key],
        // The zero-copy loader refuses the empty account by owner.
        code(AnchorError::AccountOwnedByWrongProgram),
    )
    .await;
    // Bob cannot act on alice's position (`has_one = owner`)...
    let mut steal = request_withdrawal(&bob.pubkey(), &pool, 1);
    steal.accounts[3].pubkey = pool.underwriter(&a);
    env.refused(
        &[steal],
        &[&bob.key],
        code(InsuranceError::WrongUnderwriter),
    )
    .await;

    // ...nor use his position in another market against this pool (`has_one = pool`).
    let bob_other = env.user(&other, 100).await;
    env.deposit(&bob_other, &other, 100).await;
    let mut cross = request_withdrawal(&bob_other.pubkey(), &pool, 1);
    cross.accounts[3].pubkey = other.underwriter(&bob_other.pubkey());
    env.refused(
        &[cross],
        &[&bob_other.key],
        code(InsuranceError::WrongUnderwriter),
    )
    .await;

    env.ok(&[request_withdrawal(&a, &pool, shares / 2)], &[&alice.key])
        .await;
    env.refused(
        &[request_withdrawal(&a, &pool, 1)],
        &[&alice.key],
        code(InsuranceError::WithdrawalAlreadyPending),
    )
    .await;
    env.ok(&[cancel_withdrawal(&a, &pool)], &[&alice.key]).await;

    // Paused at pool level, then at protocol level.
    let guardian = env.guardian.insecure_clone();
    let authority = env.authority.insecure_clone();
    env.ok(
        &[set_pool_pause(&guardian.pubkey(), &pool, pause::WITHDRAW)],
        &[&guardian],
    )
    .await;
    env.refused(
        &[request_withdrawal(&a, &pool, 1)],
        &[&alice.key],
        code(InsuranceError::Paused),
    )
    .await;
    env.ok(
        &[set_pool_pause(&authority.pubkey(), &pool, 0)],
        &[&authority],
    )
    .await;
    env.ok(
        &[set_protocol_pause(&guardian.pubkey(), pause::WITHDRAW)],
        &[&guardian],
    )
    .await;
    env.refused(
        &[request_withdrawal(&a, &pool, 1)],
        &[&alice.key],
        code(InsuranceError::Paused),
    )
    .await;
    env.assert_conserved(&pool).await;
}

#[tokio::test]
async fn complete_withdrawal_refusals() {
    let mut env = TestEnv::new().await;
    let pool = env.create_pool(TOKEN).await;
    let other = env.create_pool(TOKEN).await;
    let alice = env.user(&pool, 1_000).await;
    let shares = env.deposit(&alice, &pool, 1_000).await;
    let a = alice.pubkey();
    let foreign = env.create_token_account(&other.mint, &a, &TOKEN).await;
    env.warp(DEPOSIT_LOCK).await; // deposits are locked for one coverage term
    env.ok(&[request_withdrawal(&a, &pool, shares)], &[&alice.key])
        .await;
    env.warp(DAY).await;

    // Destination of another mint; another pool's vault, mint or token program.
    env.refused(
        &[complete_withdrawal(&a, &pool, &foreign)],
        &[&alice.key],
        code(InsuranceError::WrongMint),
    )
    .await;
    let wrong_vault = PoolKeys {
        vault: other.vault,
        ..pool
    };
    env.refused(
        &[complete_withdrawal(&a, &wrong_vault, &alice.token)],
        &[&alice.key],
        code(InsuranceError::WrongVault),
    )
    .await;
    let wrong_mint = PoolKeys {
        mint: other.mint,
        ..pool
    };
    env.refused(
        &[complete_withdrawal(&a, &wrong_mint, &alice.token)],
        &[&alice.key],
        code(InsuranceError::WrongMint),
    )
    .await;
    let wrong_program = PoolKeys {
        token_program: TOKEN_2022,
        ..pool
    };
    env.refused(
        &[complete_withdrawal(&a, &wrong_program, &alice.token)],
        &[&alice.key],
        code(InsuranceError::WrongTokenProgram),
    )
    .await;
    // Someone else signing for alice's position.
    let mallory = env.user(&pool, 0).await;
    let mut steal = complete_withdrawal(&mallory.pubkey(), &pool, &mallory.token);
    steal.accounts[3].pubkey = pool.underwriter(&a);
    env.refused(
        &[steal],
        &[&mallory.key],
        code(InsuranceError::WrongUnderwriter),
    )
    .await;

    // Paused.
    let guardian = env.guardian.insecure_clone();
    let authority = env.authority.insecure_clone();
    env.ok(
        &[set_pool_pause(&guardian.pubkey(), &pool, pause::WITHDRAW)],
        &[&guardian],
    )
    .await;
    env.refused(
        &[complete_withdrawal(&a, &pool, &alice.token)],
        &[&alice.key],
        code(InsuranceError::Paused),
    )
    .await;
    env.ok(
        &[set_pool_pause(&authority.pubkey(), &pool, 0)],
        &[&authority],
    )
    .await;

    // Finally it goes through, to any token account of the right mint.
    let custody = env
        .create_token_account(&pool.mint, &Keypair::new().pubkey(), &TOKEN)
        .await;
    env.ok(&[complete_withdrawal(&a, &pool, &custody)], &[&alice.key])
        .await;
    assert_eq!(env.balance(custody).await, 1_000);
    env.assert_conserved(&pool).await;
}

#[tokio::test]
async fn cooldown_is_fixed_at_request_time() {
    let mut env = TestEnv::new().await;
    let pool = env.create_pool(TOKEN).await;
    let alice = env.user(&pool, 1_000).await;
    let shares = env.deposit(&alice, &pool, 1_000).await;
    env.warp(DEPOSIT_LOCK).await; // deposits are locked for one coverage term
    env.ok(
        &[request_withdrawal(&alice.pubkey(), &pool, shares)],
        &[&alice.key],
    )
    .await;
    let authority = env.authority.insecure_clone();
    let longer = PoolParams {
        withdrawal_cooldown: 30 * DAY,
        ..default_params()
    };
    env.ok(
        &[update_pool_params(&authority.pubkey(), &pool, longer)],
        &[&authority],
    )
    .await;
    env.warp(DAY).await;
    env.ok(
        &[complete_withdrawal(&alice.pubkey(), &pool, &alice.token)],
        &[&alice.key],
    )
    .await;
    assert_eq!(env.balance(alice.token).await, 1_000);
    env.assert_conserved(&pool).await;
}
