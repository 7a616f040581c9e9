//! A narrated walk through the protocol on an in-process bank (solana-program-test):
//! two markets with separate pools, underwriters on both, a loss on market A during a
//! withdrawal's cooldown, and the final conservation and isolation checks.
//!
//! Run: `cargo run -p insurance-pool-tests --example demo`

use insurance_pool_tests::*;

async fn table(env: &mut TestEnv, title: &str, pools: &[(&str, &PoolKeys)]) {
    println!("\n{title}");
    println!(
        "  {:<8} {:>10} {:>16} {:>14} {:>10} {:>8}",
        "market", "capital", "shares", "pending", "vault", "paused"
    );
    for (name, keys) in pools {
        let pool = env.pool(keys).await;
        let vault = env.balance(keys.vault).await;
        println!(
            "  {:<8} {:>10} {:>16} {:>14} {:>10} {:>8}",
            name,
            pool.capital,
            pool.total_shares,
            pool.pending_withdrawal_shares,
            vault,
            pool.paused
        );
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut env = TestEnv::new().await;
    println!(
        "runtime: {:?} (POOL_TEST_RUNTIME selects native or sbf)",
        env.runtime
    );

    let a = env.create_pool(TOKEN).await;
    let b = env.create_pool(TOKEN_2022).await;
    println!("market A pool {} (SPL Token)", a.pool);
    println!("market B pool {} (Token-2022)", b.pool);

    let alice = env.user(&a, 6_000).await;
    let bob = env.user(&a, 4_000).await;
    let carol = env.user(&b, 5_000).await;
    env.deposit(&alice, &a, 6_000).await;
    env.deposit(&bob, &a, 4_000).await;
    env.deposit(&carol, &b, 5_000).await;
    table(
        &mut env,
        "1. underwriters deposit (A: alice 6000, bob 4000; B: carol 5000)",
        &[("A", &a), ("B", &b)],
    )
    .await;
    let b_before = env.snapshot(&[b.pool, b.vault]).await;

    let bob_shares = env.underwriter(&a, &bob.pubkey()).await.shares;
    env.ok(
        &[request_withdrawal(&bob.pubkey(), &a, bob_shares)],
        &[&bob.key],
    )
    .await;
    let requested = env.underwriter(&a, &bob.pubkey()).await.pending_value;
    table(
        &mut env,
        &format!("2. bob requests all his shares on A (worth {requested})"),
        &[("A", &a), ("B", &b)],
    )
    .await;

    env.simulate_loss(&a, 2_500).await;
    table(
        &mut env,
        "3. market A suffers a 2500 loss during bob's cooldown",
        &[("A", &a), ("B", &b)],
    )
    .await;

    env.warp(86_400).await;
    env.ok(
        &[complete_withdrawal(&bob.pubkey(), &a, &bob.token)],
        &[&bob.key],
    )
    .await;
    let paid = env.balance(bob.token).await;
    table(
        &mut env,
        &format!("4. after the cooldown bob receives {paid} = min({requested}, value now): he bore his 40 % of the loss"),
        &[("A", &a), ("B", &b)],
    )
    .await;

    env.assert_conserved(&a).await;
    env.assert_conserved(&b).await;
    assert_eq!(env.snapshot(&[b.pool, b.vault]).await, b_before);
    println!(
        "\nchecks: vault == accounted capital for A and B; market B byte-identical throughout. OK"
    );
}
