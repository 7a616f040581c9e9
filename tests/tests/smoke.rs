use insurance_pool_tests::*;
use solana_signer::Signer;

#[tokio::test]
async fn smoke() {
    let mut env = TestEnv::new().await;
    let pool = env.create_pool(TOKEN).await;
    let alice = env.user(&pool, 1_000).await;
    let shares = env.deposit(&alice, &pool, 1_000).await;
    assert_eq!(shares, 1_000_000_000);
    let out = env
        .ok(
            &[request_withdrawal(&alice.pubkey(), &pool, shares)],
            &[&alice.key],
        )
        .await;
    println!("{:#?}", out.logs);
    env.refused(
        &[complete_withdrawal(&alice.pubkey(), &pool, &alice.token)],
        &[&alice.key],
        code(insurance_pool::errors::InsuranceError::CooldownNotElapsed),
    )
    .await;
    env.warp(86_400).await;
    env.ok(
        &[complete_withdrawal(&alice.pubkey(), &pool, &alice.token)],
        &[&alice.key],
    )
    .await;
    assert_eq!(env.balance(alice.token).await, 1_000);
    env.assert_conserved(&pool).await;
}
