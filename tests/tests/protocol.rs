//! initialize_protocol, update_protocol / accept_authority, and the pause switches.

use insurance_pool_testkit::*;

#[tokio::test]
async fn initialize_protocol_stores_roles() {
    let mut env = TestEnv::new().await;
    let protocol: Protocol = env.fetch(insurance_pool::pda::protocol().0).await;
    assert_eq!(protocol.authority, env.authority.pubkey());
    assert_eq!(protocol.guardian, env.guardian.pubkey());
    assert_eq!(protocol.pending_authority, Pubkey::default());
    assert_eq!((protocol.paused, protocol.pool_count), (0, 0));
    assert_eq!(protocol.bump, insurance_pool::pda::protocol().1);
}

#[tokio::test]
async fn initialize_protocol_refusals() {
    let mut env = TestEnv::uninitialized().await;
    let payer = env.payer();
    let someone = Keypair::new().pubkey();
    env.refused(
        &[initialize_protocol(
            &payer,
            &payer,
            Pubkey::default(),
            someone,
        )],
        &[],
        code(InsuranceError::InvalidAddress),
    )
    .await;
    env.refused(
        &[initialize_protocol(
            &payer,
            &payer,
            someone,
            Pubkey::default(),
        )],
        &[],
        code(InsuranceError::InvalidAddress),
    )
    .await;
    let out = env
        .ok(
            &[initialize_protocol(&payer, &payer, someone, someone)],
            &[],
        )
        .await;
    if let Some(event) = out.event::<ProtocolInitialized>() {
        assert_eq!((event.authority, event.guardian), (someone, someone));
    }
    // One-shot: the PDA exists now (system program: account already in use).
    env.refused(
        &[initialize_protocol(&payer, &payer, someone, someone)],
        &[],
        0,
    )
    .await;
}

#[tokio::test]
async fn guardian_change_and_two_step_authority_transfer() {
    let mut env = TestEnv::new().await;
    let authority = env.authority.insecure_clone();
    let new_guardian = Keypair::new();
    let next = Keypair::new();

    let args = UpdateProtocolArgs {
        guardian: Some(new_guardian.pubkey()),
        pending_authority: Some(next.pubkey()),
        ..Default::default()
    };
    let out = env
        .ok(&[update_protocol(&authority.pubkey(), args)], &[&authority])
        .await;
    if let Some(event) = out.event::<ProtocolUpdated>() {
        assert_eq!(event.pending_authority, next.pubkey());
    }
    let protocol: Protocol = env.fetch(insurance_pool::pda::protocol().0).await;
    assert_eq!(protocol.guardian, new_guardian.pubkey());
    assert_eq!(
        protocol.authority,
        authority.pubkey(),
        "proposal alone moves nothing"
    );
    assert_eq!(protocol.pending_authority, next.pubkey());

    // Only the proposed key may accept.
    let intruder = Keypair::new();
    env.refused(
        &[accept_authority(&intruder.pubkey())],
        &[&intruder],
        code(InsuranceError::NotPendingAuthority),
    )
    .await;
    env.ok(&[accept_authority(&next.pubkey())], &[&next]).await;
    let protocol: Protocol = env.fetch(insurance_pool::pda::protocol().0).await;
    assert_eq!(protocol.authority, next.pubkey());
    assert_eq!(protocol.pending_authority, Pubkey::default());

    // The old authority lost its powers; nothing is pending any more.
    env.refused(
        &[update_protocol(
            &authority.pubkey(),
            UpdateProtocolArgs::default(),
        )],
        &[&authority],
        code(InsuranceError::Unauthorized),
    )
    .await;
    env.refused(
        &[accept_authority(&next.pubkey())],
        &[&next],
        code(InsuranceError::NoPendingAuthority),
    )
    .await;
}

#[tokio::test]
async fn update_protocol_refusals() {
    let mut env = TestEnv::new().await;
    let authority = env.authority.insecure_clone();
    let guardian = env.guardian.insecure_clone();
    let args = UpdateProtocolArgs {
        guardian: Some(Keypair::new().pubkey()),
        pending_authority: None,
        ..Default::default()
    };
    // Wrong signer: the guardian is not the authority.
    env.refused(
        &[update_protocol(&guardian.pubkey(), args)],
        &[&guardian],
        code(InsuranceError::Unauthorized),
    )
    .await;
    let zero_guardian = UpdateProtocolArgs {
        guardian: Some(Pubkey::default()),
        pending_authority: None,
        ..Default::default()
    };
    env.refused(
        &[update_protocol(&authority.pubkey(), zero_guardian)],
        &[&authority],
        code(InsuranceError::InvalidAddress),
    )
    .await;
    // A proposal can be withdrawn with the default key.
    let propose = UpdateProtocolArgs {
        guardian: None,
        pending_authority: Some(guardian.pubkey()),
        ..Default::default()
    };
    env.ok(
        &[update_protocol(&authority.pubkey(), propose)],
        &[&authority],
    )
    .await;
    let withdraw = UpdateProtocolArgs {
        guardian: None,
        pending_authority: Some(Pubkey::default()),
        ..Default::default()
    };
    env.ok(
        &[update_protocol(&authority.pubkey(), withdraw)],
        &[&authority],
    )
    .await;
    env.refused(
        &[accept_authority(&guardian.pubkey())],
        &[&guardian],
        code(InsuranceError::NoPendingAuthority),
    )
    .await;
}

#[tokio::test]
async fn protocol_pause_rules() {
    let mut env = TestEnv::new().await;
    let authority = env.authority.insecure_clone();
    let guardian = env.guardian.insecure_clone();
    let stranger = Keypair::new();
    let protocol_key = insurance_pool::pda::protocol().0;

    // Guardian may pause...
    let out = env
        .ok(
            &[set_protocol_pause(&guardian.pubkey(), pause::DEPOSIT)],
            &[&guardian],
        )
        .await;
    if let Some(event) = out.event::<PauseFlagsSet>() {
        assert_eq!(
            (event.pool, event.previous, event.flags),
            (None, 0, pause::DEPOSIT)
        );
    }
    env.ok(
        &[set_protocol_pause(
            &guardian.pubkey(),
            pause::DEPOSIT | pause::WITHDRAW,
        )],
        &[&guardian],
    )
    .await;
    // ...but never unpause, not even one bit.
    env.refused(
        &[set_protocol_pause(&guardian.pubkey(), pause::DEPOSIT)],
        &[&guardian],
        code(InsuranceError::GuardianCannotUnpause),
    )
    .await;
    env.refused(
        &[set_protocol_pause(&stranger.pubkey(), pause::ALL)],
        &[&stranger],
        code(InsuranceError::NotAuthorityOrGuardian),
    )
    .await;
    env.refused(
        &[set_protocol_pause(&authority.pubkey(), 1 << 7)],
        &[&authority],
        code(InsuranceError::InvalidPauseFlags),
    )
    .await;
    // The authority may clear.
    env.ok(&[set_protocol_pause(&authority.pubkey(), 0)], &[&authority])
        .await;
    let protocol: Protocol = env.fetch(protocol_key).await;
    assert_eq!(protocol.paused, 0);
}

#[tokio::test]
async fn pool_pause_rules() {
    let mut env = TestEnv::new().await;
    let pool = env.create_pool(TOKEN).await;
    let authority = env.authority.insecure_clone();
    let guardian = env.guardian.insecure_clone();
    let stranger = Keypair::new();

    let out = env
        .ok(
            &[set_pool_pause(&guardian.pubkey(), &pool, pause::ALL)],
            &[&guardian],
        )
        .await;
    if let Some(event) = out.event::<PauseFlagsSet>() {
        assert_eq!(event.pool, Some(pool.pool));
    }
    assert_eq!(env.pool(&pool).await.paused, pause::ALL);
    env.refused(
        &[set_pool_pause(&guardian.pubkey(), &pool, 0)],
        &[&guardian],
        code(InsuranceError::GuardianCannotUnpause),
    )
    .await;
    env.refused(
        &[set_pool_pause(&stranger.pubkey(), &pool, pause::ALL)],
        &[&stranger],
        code(InsuranceError::NotAuthorityOrGuardian),
    )
    .await;
    env.refused(
        &[set_pool_pause(&authority.pubkey(), &pool, 0b1110_0000)],
        &[&authority],
        code(InsuranceError::InvalidPauseFlags),
    )
    .await;
    env.ok(
        &[set_pool_pause(&authority.pubkey(), &pool, pause::CLAIMS)],
        &[&authority],
    )
    .await;
    assert_eq!(env.pool(&pool).await.paused, pause::CLAIMS);
}
