//! create_pool (SPL Token and Token-2022, the mint extension policy) and
//! update_pool_params.

use anchor_spl::token_2022::spl_token_2022;
use insurance_pool_testkit::*;
use spl_token_2022::extension::ExtensionType;

#[tokio::test]
async fn create_pool_for_spl_token_and_token_2022() {
    let mut env = TestEnv::new().await;
    for (index, program) in [TOKEN, TOKEN_2022].into_iter().enumerate() {
        let mint = env.create_mint(program).await;
        let keys = PoolKeys::new(Keypair::new().pubkey(), mint, program);
        let authority = env.authority.insecure_clone();
        let payer = env.payer();
        let out = env
            .ok(
                &[create_pool(
                    &payer,
                    &authority.pubkey(),
                    &keys,
                    default_params(),
                )],
                &[&authority],
            )
            .await;
        if let Some(event) = out.event::<PoolCreated>() {
            assert_eq!(
                (event.pool, event.market, event.vault),
                (keys.pool, keys.market, keys.vault)
            );
        }
        let pool = env.pool(&keys).await;
        assert_eq!(pool.market, keys.market);
        assert_eq!(pool.mint, mint);
        assert_eq!(pool.vault, keys.vault);
        assert_eq!(pool.token_program, program);
        assert_eq!(pool.mint_decimals, DECIMALS);
        assert_eq!(pool.index, index as u64);
        assert_eq!(
            (pool.capital, pool.total_shares.get(), pool.paused),
            (0, 0, 0)
        );
        assert_eq!(pool.params, default_params());
        assert_eq!(pool.bump, insurance_pool::pda::pool(&keys.market).1);
        // The vault is a token account of the mint whose authority is the pool PDA.
        let vault = env.account(keys.vault).await.expect("vault");
        assert_eq!(vault.owner, program);
        assert_eq!(&vault.data[0..32], mint.as_ref());
        assert_eq!(&vault.data[32..64], keys.pool.as_ref());
        env.assert_conserved(&keys).await;
    }
    let protocol: Protocol = env.fetch(insurance_pool::pda::protocol().0).await;
    assert_eq!(protocol.pool_count, 2);
}

#[tokio::test]
async fn create_pool_refusals() {
    let mut env = TestEnv::new().await;
    let authority = env.authority.insecure_clone();
    let payer = env.payer();
    let mint = env.create_mint(TOKEN).await;
    let keys = PoolKeys::new(Keypair::new().pubkey(), mint, TOKEN);

    // Wrong signer.
    let stranger = Keypair::new();
    env.refused(
        &[create_pool(
            &payer,
            &stranger.pubkey(),
            &keys,
            default_params(),
        )],
        &[&stranger],
        code(InsuranceError::Unauthorized),
    )
    .await;
    // Default market.
    let zero = PoolKeys::new(Pubkey::default(), mint, TOKEN);
    env.refused(
        &[create_pool(
            &payer,
            &authority.pubkey(),
            &zero,
            default_params(),
        )],
        &[&authority],
        code(InsuranceError::InvalidAddress),
    )
    .await;
    // Token program that does not own the mint: Anchor creates the vault (an `init`
    // account) before it checks `mint::token_program`, so the token program itself
    // refuses first; either way nothing is created.
    let wrong_program = PoolKeys {
        token_program: TOKEN_2022,
        ..keys
    };
    env.refused_with(
        &[create_pool(
            &payer,
            &authority.pubkey(),
            &wrong_program,
            default_params(),
        )],
        &[&authority],
        InstructionError::IncorrectProgramId,
    )
    .await;
    // Each parameter out of range, with its own error.
    let bad = [
        (
            PoolParams {
                withdrawal_cooldown: 3_599,
                ..default_params()
            },
            InsuranceError::InvalidCooldown,
        ),
        (
            PoolParams {
                withdrawal_cooldown: 90 * 86_400 + 1,
                ..default_params()
            },
            InsuranceError::InvalidCooldown,
        ),
        (
            PoolParams {
                withdrawal_cooldown: -1,
                ..default_params()
            },
            InsuranceError::InvalidCooldown,
        ),
        (
            PoolParams {
                deposit_cap: 0,
                min_deposit: 0,
                ..default_params()
            },
            InsuranceError::InvalidDepositCap,
        ),
        (
            PoolParams {
                min_deposit: 0,
                ..default_params()
            },
            InsuranceError::InvalidMinDeposit,
        ),
        (
            PoolParams {
                deposit_cap: 10,
                min_deposit: 11,
                ..default_params()
            },
            InsuranceError::InvalidMinDeposit,
        ),
    ];
    let curve = |c: Curve| PoolParams {
        curve: c,
        ..default_params()
    };
    let premium_bad = [
        (
            curve(Curve {
                min_rate: 0,
                base_rate: 0,
                ..DEFAULT_CURVE
            }),
            InsuranceError::InvalidRateBounds,
        ),
        (
            curve(Curve {
                min_rate: 300,
                max_rate: 200,
                ..DEFAULT_CURVE
            }),
            InsuranceError::InvalidRateBounds,
        ),
        (
            curve(Curve {
                max_rate: 10_001,
                ..DEFAULT_CURVE
            }),
            InsuranceError::InvalidRateBounds,
        ),
        (
            curve(Curve {
                base_rate: 49,
                ..DEFAULT_CURVE
            }),
            InsuranceError::InvalidBaseRate,
        ),
        (
            curve(Curve {
                base_rate: 2_001,
                ..DEFAULT_CURVE
            }),
            InsuranceError::InvalidBaseRate,
        ),
        (
            curve(Curve {
                kink: 0,
                ..DEFAULT_CURVE
            }),
            InsuranceError::InvalidKink,
        ),
        (
            curve(Curve {
                kink: 10_001,
                ..DEFAULT_CURVE
            }),
            InsuranceError::InvalidKink,
        ),
        (
            curve(Curve {
                slope1: 100_001,
                ..DEFAULT_CURVE
            }),
            InsuranceError::InvalidSlope,
        ),
        (
            curve(Curve {
                slope2: u64::MAX,
                ..DEFAULT_CURVE
            }),
            InsuranceError::InvalidSlope,
        ),
        (
            PoolParams {
                coverage_duration: 86_399,
                ..default_params()
            },
            InsuranceError::InvalidCoverageDuration,
        ),
        (
            PoolParams {
                coverage_duration: 60 * 86_400 + 1,
                ..default_params()
            },
            InsuranceError::InvalidCoverageDuration,
        ),
        (
            PoolParams {
                max_exposure_bps: 0,
                ..default_params()
            },
            InsuranceError::InvalidExposureCap,
        ),
        (
            PoolParams {
                max_exposure_bps: 100_001,
                ..default_params()
            },
            InsuranceError::InvalidExposureCap,
        ),
    ];
    for (params, error) in bad.into_iter().chain(premium_bad) {
        env.refused(
            &[create_pool(&payer, &authority.pubkey(), &keys, params)],
            &[&authority],
            code(error),
        )
        .await;
    }
    // One pool per market: a second create for the same market fails (PDA in use).
    env.ok(
        &[create_pool(
            &payer,
            &authority.pubkey(),
            &keys,
            default_params(),
        )],
        &[&authority],
    )
    .await;
    let other_mint = env.create_mint(TOKEN).await;
    let again = PoolKeys::new(keys.market, other_mint, TOKEN);
    env.refused(
        &[create_pool(
            &payer,
            &authority.pubkey(),
            &again,
            default_params(),
        )],
        &[&authority],
        0,
    )
    .await;
    let protocol: Protocol = env.fetch(insurance_pool::pda::protocol().0).await;
    assert_eq!(protocol.pool_count, 1);
}

#[tokio::test]
async fn token_2022_extension_policy() {
    let mut env = TestEnv::new().await;
    let authority = env.authority.insecure_clone();
    let payer = env.payer();

    // Transfer fees would make the vault receive less than the accounted amount.
    let fee_mint = env
        .create_mint_with(TOKEN_2022, &[ExtensionType::TransferFeeConfig], |mint| {
            vec![spl_token_2022::extension::transfer_fee::instruction::initialize_transfer_fee_config(
                &TOKEN_2022, mint, None, None, 50, 1_000,
            )
            .expect("fee config")]
        })
        .await;
    // A permanent delegate could move the vault's tokens.
    let delegate = Keypair::new().pubkey();
    let delegate_mint = env
        .create_mint_with(TOKEN_2022, &[ExtensionType::PermanentDelegate], |mint| {
            vec![spl_token_2022::instruction::initialize_permanent_delegate(
                &TOKEN_2022,
                mint,
                &delegate,
            )
            .expect("delegate")]
        })
        .await;
    for mint in [fee_mint, delegate_mint] {
        let keys = PoolKeys::new(Keypair::new().pubkey(), mint, TOKEN_2022);
        env.refused(
            &[create_pool(
                &payer,
                &authority.pubkey(),
                &keys,
                default_params(),
            )],
            &[&authority],
            code(InsuranceError::UnsupportedMintExtension),
        )
        .await;
    }

    // Metadata pointers change nothing about amounts: accepted, and the pool works.
    let meta_mint = env
        .create_mint_with(TOKEN_2022, &[ExtensionType::MetadataPointer], |mint| {
            vec![
                spl_token_2022::extension::metadata_pointer::instruction::initialize(
                    &TOKEN_2022,
                    mint,
                    None,
                    Some(*mint),
                )
                .expect("metadata pointer"),
            ]
        })
        .await;
    let keys = PoolKeys::new(Keypair::new().pubkey(), meta_mint, TOKEN_2022);
    env.ok(
        &[create_pool(
            &payer,
            &authority.pubkey(),
            &keys,
            default_params(),
        )],
        &[&authority],
    )
    .await;
    let alice = env.user(&keys, 500).await;
    env.deposit(&alice, &keys, 500).await;
    env.assert_conserved(&keys).await;
}

#[tokio::test]
async fn update_pool_params_happy_and_refusals() {
    let mut env = TestEnv::new().await;
    let pool = env.create_pool(TOKEN).await;
    let authority = env.authority.insecure_clone();
    let guardian = env.guardian.insecure_clone();
    let new = PoolParams {
        withdrawal_cooldown: 40 * 86_400,
        deposit_cap: 5_000,
        min_deposit: 10,
        coverage_duration: 10 * 86_400,
        ..default_params()
    };
    let out = env
        .ok(
            &[update_pool_params(&authority.pubkey(), &pool, new)],
            &[&authority],
        )
        .await;
    // Delayed: stored as pending for the longer exit horizon of the two parameter sets
    // (30-day lock + 40-day cooldown + 1 day, beyond the current 30 + 31 + 1); the
    // current parameters apply until then.
    let effective_at = env.now().await + 71 * 86_400;
    if let Some(event) = out.event::<PoolParamsUpdated>() {
        assert_eq!((event.previous, event.params), (default_params(), new));
        assert_eq!(event.effective_at, effective_at);
    }
    let mut state = env.pool(&pool).await;
    assert_eq!(state.params, default_params());
    assert_eq!(
        (state.pending_params, state.pending_params_at),
        (new, effective_at)
    );
    state.refresh(effective_at - 1); // no pause: exit clock = wall time
    assert_eq!(state.params, default_params());
    state.refresh(effective_at);
    assert_eq!((state.params, state.pending_params_at), (new, 0));

    env.refused(
        &[update_pool_params(
            &guardian.pubkey(),
            &pool,
            default_params(),
        )],
        &[&guardian],
        code(InsuranceError::Unauthorized),
    )
    .await;
    for (params, error) in [
        (
            PoolParams {
                withdrawal_window: 60,
                ..new
            },
            InsuranceError::InvalidWithdrawalWindow,
        ),
        (
            PoolParams {
                min_deposit_lock: new.coverage_duration - 1,
                ..new
            },
            InsuranceError::InvalidDepositLock,
        ),
        (
            PoolParams {
                claim_waiting_period: new.coverage_duration,
                ..new
            },
            InsuranceError::InvalidClaimWaitingPeriod,
        ),
        (
            PoolParams {
                governance: GovernanceParams {
                    min_stake_age: 4 * 86_400,
                    ..new.governance
                },
                ..new
            },
            InsuranceError::StakeAgeImmutable,
        ),
        (
            PoolParams {
                governance: GovernanceParams {
                    max_claim_bps: 0,
                    ..new.governance
                },
                ..new
            },
            InsuranceError::InvalidMaxClaim,
        ),
        (
            PoolParams {
                withdrawal_cooldown: 0,
                ..new
            },
            InsuranceError::InvalidCooldown,
        ),
        (
            PoolParams {
                deposit_cap: 0,
                ..new
            },
            InsuranceError::InvalidDepositCap,
        ),
        (
            PoolParams {
                min_deposit: 0,
                ..new
            },
            InsuranceError::InvalidMinDeposit,
        ),
        (
            PoolParams {
                min_deposit: 5_001,
                ..new
            },
            InsuranceError::InvalidMinDeposit,
        ),
    ] {
        env.refused(
            &[update_pool_params(&authority.pubkey(), &pool, params)],
            &[&authority],
            code(error),
        )
        .await;
    }
    let state = env.pool(&pool).await;
    assert_eq!(
        (state.params, state.pending_params),
        (default_params(), new)
    );
}
