//! deposit: share minting, slippage, limits, pauses and every wrong account.

use insurance_pool_testkit::*;

#[tokio::test]
async fn deposits_mint_shares_pro_rata() {
    let mut env = TestEnv::new().await;
    let pool = env.create_pool(TOKEN).await;
    let alice = env.user(&pool, 10_000).await;
    let bob = env.user(&pool, 10_000).await;

    let before = env.now().await;
    let out = env
        .ok(
            &[deposit(
                &alice.pubkey(),
                &pool,
                &alice.token,
                1_000,
                1_000_000_000,
            )],
            &[&alice.key],
        )
        .await;
    if let Some(event) = out.event::<Deposited>() {
        assert_eq!(
            (event.amount, event.shares, event.pool_capital),
            (1_000, 1_000_000_000, 1_000)
        );
    }
    env.assert_conserved(&pool).await;
    let position = env.underwriter(&pool, &alice.pubkey()).await;
    assert_eq!(position.owner, alice.pubkey());
    assert_eq!(position.pool, pool.pool);
    assert_eq!(position.shares.get(), 1_000_000_000);
    assert_eq!(position.total_deposited, 1_000);
    assert!(position.last_deposit_at >= before);
    assert_eq!(
        position.bump,
        insurance_pool::pda::underwriter(&pool.pool, &alice.pubkey()).1
    );

    // Same price for the second depositor; a top-up accumulates on the same position.
    assert_eq!(env.deposit(&bob, &pool, 3_000).await, 3_000_000_000);
    assert_eq!(env.deposit(&alice, &pool, 500).await, 500_000_000);
    let state = env.pool(&pool).await;
    assert_eq!(
        (state.capital, state.total_shares.get()),
        (4_500, 4_500_000_000)
    );
    assert_eq!(state.total_deposited, 4_500);
    assert_eq!(
        env.underwriter(&pool, &alice.pubkey()).await.shares.get(),
        1_500_000_000
    );
    assert_eq!(env.balance(alice.token).await, 8_500);

    // After a loss the price falls and new money buys more shares.
    env.simulate_loss(&pool, 900).await; // capital 3_600
    let shares = env.deposit(&bob, &pool, 1_000).await;
    assert_eq!(shares, 1_000 * (4_500_000_000 + 1_000_000) / 3_601);
}

#[tokio::test]
async fn token_2022_pool_round_trip() {
    let mut env = TestEnv::new().await;
    let pool = env.create_pool(TOKEN_2022).await;
    let alice = env.user(&pool, 2_000).await;
    let shares = env.deposit(&alice, &pool, 2_000).await;
    env.warp(DEPOSIT_LOCK).await; // deposits are locked for one coverage term
    env.ok(
        &[request_withdrawal(&alice.pubkey(), &pool, shares)],
        &[&alice.key],
    )
    .await;
    env.warp(86_400).await;
    env.ok(
        &[complete_withdrawal(&alice.pubkey(), &pool, &alice.token)],
        &[&alice.key],
    )
    .await;
    assert_eq!(env.balance(alice.token).await, 2_000);
    env.assert_conserved(&pool).await;
}

#[tokio::test]
async fn deposit_refusals_change_nothing() {
    let mut env = TestEnv::new().await;
    let params = PoolParams {
        deposit_cap: 10_000,
        min_deposit: 10,
        ..default_params()
    };
    let pool = env.create_pool_with_params(TOKEN, params).await;
    let other = env.create_pool(TOKEN).await;
    let other_2022 = env.create_pool(TOKEN_2022).await;
    let alice = env.user(&pool, 20_000).await;
    let bob = env.user(&pool, 1_000).await;
    let alice_other = env
        .create_token_account(&other.mint, &alice.pubkey(), &TOKEN)
        .await;
    env.mint_to(&other.mint, &TOKEN, &alice_other, 1_000).await;
    env.deposit(&alice, &pool, 1_000).await;
    let a = alice.pubkey();
    let signer = [&alice.key];

    // Zero, below minimum, above cap, slippage.
    env.refused(
        &[deposit(&a, &pool, &alice.token, 0, 0)],
        &signer,
        code(InsuranceError::ZeroAmount),
    )
    .await;
    env.refused(
        &[deposit(&a, &pool, &alice.token, 9, 0)],
        &signer,
        code(InsuranceError::DepositTooSmall),
    )
    .await;
    env.refused(
        &[deposit(&a, &pool, &alice.token, 9_001, 0)],
        &signer,
        code(InsuranceError::DepositCapExceeded),
    )
    .await;
    env.refused(
        &[deposit(&a, &pool, &alice.token, 100, 100_000_001)],
        &signer,
        code(InsuranceError::SlippageExceeded),
    )
    .await;
    // Exactly the minimum shares passes the slippage guard.
    env.ok(
        &[deposit(&a, &pool, &alice.token, 100, 100_000_000)],
        &signer,
    )
    .await;

    // Token account of another mint.
    env.refused(
        &[deposit(&a, &pool, &alice_other, 100, 0)],
        &signer,
        code(InsuranceError::WrongMint),
    )
    .await;
    // Somebody else's token account.
    env.refused(
        &[deposit(&a, &pool, &bob.token, 100, 0)],
        &signer,
        code(InsuranceError::WrongTokenOwner),
    )
    .await;
    // Another pool's vault, mint or token program.
    let wrong_vault = PoolKeys {
        vault: other.vault,
        ..pool
    };
    env.refused(
        &[deposit(&a, &wrong_vault, &alice.token, 100, 0)],
        &signer,
        code(InsuranceError::WrongVault),
    )
    .await;
    let wrong_mint = PoolKeys {
        mint: other.mint,
        ..pool
    };
    env.refused(
        &[deposit(&a, &wrong_mint, &alice.token, 100, 0)],
        &signer,
        code(InsuranceError::WrongMint),
    )
    .await;
    let wrong_program = PoolKeys {
        token_program: TOKEN_2022,
        ..pool
    };
    env.refused(
        &[deposit(&a, &wrong_program, &alice.token, 100, 0)],
        &signer,
        code(InsuranceError::WrongTokenProgram),
    )
    .await;
    // A pool address that is not the PDA of its market.
    let wrong_pool = PoolKeys {
        pool: other_2022.pool,
        ..pool
    };
    env.refused(
        &[deposit(&a, &wrong_pool, &alice.token, 100, 0)],
        &signer,
        code(InsuranceError::WrongMint),
    )
    .await;
    // Position accounts: an existing one is bound by its stored pool and owner (not
    // re-derived), a new one must be the PDA.
    let with_position = |owner: &Pubkey, token: &Pubkey, position: Pubkey| {
        let mut ix = deposit(owner, &pool, token, 100, 0);
        assert_eq!(ix.accounts[3].pubkey, pool.underwriter(owner));
        ix.accounts[3].pubkey = position;
        ix
    };
    let b = bob.pubkey();
    env.refused(
        &[with_position(&b, &bob.token, pool.underwriter(&a))],
        &[&bob.key],
        code(InsuranceError::WrongUnderwriter),
    )
    .await;
    env.ok(&[deposit(&a, &other, &alice_other, 100, 0)], &signer)
        .await;
    env.refused(
        &[with_position(&a, &alice.token, other.underwriter(&a))],
        &signer,
        code(InsuranceError::WrongUnderwriter),
    )
    .await;
    env.refused(
        &[with_position(&b, &bob.token, Pubkey::new_unique())],
        &[&bob.key],
        code(AnchorError::ConstraintSeeds),
    )
    .await;
    // Another account type of this program (the fuzzer's find: the pool's exposure
    // account in the position's slot).
    env.refused(
        &[with_position(&a, &alice.token, pool.exposure)],
        &signer,
        code(AnchorError::AccountDiscriminatorMismatch),
    )
    .await;
    assert!(env.account(pool.underwriter(&b)).await.is_none());

    // More tokens than the wallet holds: the token program refuses (insufficient funds).
    let poor = env.user(&pool, 50).await;
    env.refused(
        &[deposit(&poor.pubkey(), &pool, &poor.token, 51, 0)],
        &[&poor.key],
        1,
    )
    .await;
    assert!(env
        .account(pool.underwriter(&poor.pubkey()))
        .await
        .is_none());

    env.assert_conserved(&pool).await;
    assert_eq!(env.pool(&pool).await.capital, 1_100);
}

#[tokio::test]
async fn deposit_amounts_up_to_u64_max_succeed() {
    let mut env = TestEnv::new().await;
    let params = PoolParams {
        deposit_cap: u64::MAX,
        ..default_params()
    };
    let pool = env.create_pool_with_params(TOKEN, params).await;
    let whale = env.user(&pool, u64::MAX).await;
    // Shares are u128: even u64::MAX base units (u64::MAX x 10^6 shares) are accepted.
    let shares = env.deposit(&whale, &pool, u64::MAX).await;
    assert_eq!(shares, u64::MAX as u128 * 1_000_000);
    // Any further deposit would overflow the pool's (u64) capital: a named error.
    env.refused(
        &[deposit(&whale.pubkey(), &pool, &whale.token, 1, 0)],
        &[&whale.key],
        code(InsuranceError::MathOverflow),
    )
    .await;
    env.assert_conserved(&pool).await;
}

#[tokio::test]
async fn deposit_paused_at_pool_or_protocol_level() {
    let mut env = TestEnv::new().await;
    let pool = env.create_pool(TOKEN).await;
    let alice = env.user(&pool, 1_000).await;
    let guardian = env.guardian.insecure_clone();
    let authority = env.authority.insecure_clone();
    let ix = deposit(&alice.pubkey(), &pool, &alice.token, 100, 0);

    env.ok(
        &[set_pool_pause(&guardian.pubkey(), &pool, pause::DEPOSIT)],
        &[&guardian],
    )
    .await;
    env.refused(
        std::slice::from_ref(&ix),
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
        &[set_protocol_pause(&guardian.pubkey(), pause::DEPOSIT)],
        &[&guardian],
    )
    .await;
    env.refused(
        std::slice::from_ref(&ix),
        &[&alice.key],
        code(InsuranceError::Paused),
    )
    .await;
    // Other bits do not block deposits.
    env.ok(
        &[set_protocol_pause(
            &authority.pubkey(),
            pause::WITHDRAW | pause::CLAIMS,
        )],
        &[&authority],
    )
    .await;
    env.ok(&[ix], &[&alice.key]).await;
    env.assert_conserved(&pool).await;
}
