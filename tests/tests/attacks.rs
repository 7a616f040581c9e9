//! Attack tests (issue 13): each runs an attack end to end — several instructions,
//! several actors, time moving — and asserts that it is refused with its named error
//! (changing nothing), or that the attacker's net gain is <= 0 and the honest parties
//! keep their fair share. They run on the native build and on the SBF binary.
//! Exchange-side attacks (H3, I1, N7, M8) live in `attacks/exchange.rs`, volume-fee
//! attacks (issue 14: V1-V7) in `attacks/volume.rs`.

use anchor_spl::token_2022::spl_token_2022;
use insurance_pool_testkit::*;
use spl_token_2022::extension::ExtensionType;

#[path = "attacks/exchange.rs"]
mod exchange;
#[path = "attacks/review3.rs"]
mod review3;
#[path = "attacks/volume.rs"]
mod volume;

const DAY: i64 = 86_400;
const VOTING: i64 = 3 * DAY;
const HOLDUP: i64 = 2 * DAY;
const HASH: [u8; 32] = [9; 32];

/// A pool with honest underwriters (one per amount), seasoned; plus a second market's
/// pool with its own underwriter, watched for isolation.
struct Arena {
    env: TestEnv,
    pool: PoolKeys,
    honest: Vec<User>,
    /// Market B's accounts watched for isolation.
    watched: Vec<Pubkey>,
}

async fn arena(amounts: &[u64]) -> Arena {
    let mut env = TestEnv::new().await;
    let pool = env.create_pool(TOKEN).await;
    let other = env.create_pool(TOKEN).await;
    let mut honest = Vec::new();
    for &amount in amounts {
        let u = env.user(&pool, amount).await;
        env.deposit(&u, &pool, amount).await;
        honest.push(u);
    }
    let bystander = env.user(&other, 7_000).await;
    env.deposit(&bystander, &other, 7_000).await;
    let watched = vec![
        other.pool,
        other.vault,
        other.bond_vault,
        other.underwriter(&bystander.pubkey()),
    ];
    Arena {
        env,
        pool,
        honest,
        watched,
    }
}

impl Arena {
    async fn other_snapshot(&mut self) -> Vec<Option<solana_account::Account>> {
        let keys = self.watched.clone();
        self.env.snapshot(&keys).await
    }

    async fn buy(&mut self, who: &User, notional: u64) {
        let ix = contribute_premium(
            &who.pubkey(),
            &self.pool,
            &who.token,
            None,
            notional,
            u64::MAX,
        );
        self.env.ok(&[ix], &[&who.key]).await;
    }

    async fn member_claims(&mut self, who: &Pubkey) -> u64 {
        let m: Member = self.env.fetch(self.pool.member(who)).await;
        m.claim_count
    }

    async fn file(&mut self, who: &User, amount: u64) -> Pubkey {
        let id = self.member_claims(&who.pubkey()).await;
        let ix = file_claim(
            &who.pubkey(),
            &self.pool,
            id,
            &who.token,
            amount,
            HASH,
            "ipfs://x",
        );
        self.env.ok(&[ix], &[&who.key]).await;
        claim_address(&self.pool, &who.pubkey(), id)
    }

    async fn vote(&mut self, who: &User, claim: &Pubkey, approve: bool) {
        let ix = cast_vote(&who.pubkey(), &self.pool, claim, approve);
        self.env.ok(&[ix], &[&who.key]).await;
    }

    async fn finalize(&mut self, claim: &Pubkey, claimant: &User) {
        let ix = finalize_claim(&self.pool, claim, &claimant.pubkey());
        self.env.ok(&[ix], &[]).await;
    }

    async fn pay(&mut self, claim: &Pubkey, claimant: &User) {
        let ix = pay_claim(&self.pool, claim, &claimant.pubkey(), &claimant.token);
        self.env.ok(&[ix], &[]).await;
    }

    /// `member` files a claim of `amount`, `voter` approves it, the vote is counted:
    /// the claim is Approved and in its hold-up.
    async fn approved(&mut self, voter: &User, member: &User, amount: u64) -> Pubkey {
        let claim = self.file(member, amount).await;
        self.vote(voter, &claim, true).await;
        self.env.warp(VOTING).await;
        self.finalize(&claim, member).await;
        claim
    }

    /// Waits until every share staked so far votes on a claim filed then.
    async fn season(&mut self) {
        let pool = self.pool;
        self.env.season(&pool).await;
    }

    async fn request_all(&mut self, who: &User) {
        let pool = self.pool;
        self.env.request_all(&pool, who).await
    }

    async fn complete(&mut self, who: &User) -> u64 {
        let pool = self.pool;
        self.env.complete(&pool, who).await
    }

    /// A seasoned member covered for `notional` with matured cover.
    async fn covered_member(&mut self, notional: u64, tokens: u64) -> User {
        let m = self.env.user(&self.pool, tokens).await;
        self.buy(&m, notional).await;
        self.env.warp(DAY).await;
        m
    }
}

/// H1: during the hold-up of an approved claim, underwriters whose cooldown ended tried
/// to exit at the pre-loss price, and a depositor paid for a loss that predates it.
#[tokio::test]
async fn h1_exit_at_pre_loss_price_during_holdup() {
    let mut a = arena(&[3_000, 1_000, 6_000]).await;
    let member = a.covered_member(5_000, 1_000).await;
    a.season().await;
    a.env.warp(DEPOSIT_LOCK).await;
    let _ = member;
    let (alice, bob, carol) = (
        a.honest[0].insecure_clone(),
        a.honest[1].insecure_clone(),
        a.honest[2].insecure_clone(),
    );
    // Alice and bob start their exits before the cover and the claim (a request waits
    // for the cover in force when it is made); their cooldown ends in hold-up.
    a.request_all(&alice).await;
    a.request_all(&bob).await;
    let member2 = a.covered_member(5_000, 1_000).await; // cover for the claim
    let claim = a.approved(&carol, &member2, 5_000).await;
    let before_other = a.other_snapshot().await;
    // A newcomer cannot deposit during the hold-up (a veto would hand it the released
    // reservation); it may once the hold-up is over and the claim is a settled loss.
    let dave = a.env.user(&a.pool, 10_000).await;
    a.env
        .refused(
            &[deposit(&dave.pubkey(), &a.pool, &dave.token, 10_000, 0)],
            &[&dave.key],
            code(InsuranceError::HoldupDepositsClosed),
        )
        .await;
    // Nor may a leaver complete at the discounted price: a veto would hand the
    // released reservation to those who stayed (issue 31's fifth attacker review). The
    // exit clock stands still through the hold-up, so no window lapses meanwhile.
    let clock = a.env.exit_clock(&a.pool).await;
    for who in [&alice, &bob] {
        a.env
            .refused(
                &[complete_withdrawal(&who.pubkey(), &a.pool, &who.token)],
                &[&who.key],
                code(InsuranceError::HoldupExitsClosed),
            )
            .await;
    }
    a.env.warp(HOLDUP).await;
    assert_eq!(a.env.exit_clock(&a.pool).await, clock, "stood still");
    let paid_alice = a.complete(&alice).await;
    let paid_bob = a.complete(&bob).await;
    // Each leaver bears its pro-rata part of the approved 5 000: at most its share of
    // the free capital (about half of what it deposited).
    assert!(
        paid_alice <= 3_000 * 51 / 100 + 50,
        "alice left with {paid_alice}"
    );
    assert!(
        paid_bob <= 1_000 * 51 / 100 + 20,
        "bob left with {paid_bob}"
    );
    // The newcomer's shares are worth what it paid: the loss predates it.
    let dave_shares = a.env.deposit(&dave, &a.pool, 10_000).await;
    let pool = a.env.pool(&a.pool).await;
    let dave_value = pool.value_of(dave_shares).unwrap();
    assert!(dave_value >= 9_999, "dave's 10 000 is worth {dave_value}");
    a.env
        .ok(
            &[pay_claim(
                &a.pool,
                &claim,
                &member2.pubkey(),
                &member2.token,
            )],
            &[],
        )
        .await;
    let pool = a.env.pool(&a.pool).await;
    assert!(pool.value_of(dave_shares).unwrap() >= 9_999);
    a.env.assert_conserved(&a.pool).await;
    assert_eq!(a.other_snapshot().await, before_other, "market B untouched");
}

/// L4: an approval never reserves more than free capital. Claims voting at once are at
/// most `max_claim_bps` (50 %) of free capital together, so only a loss between filing
/// and approval gets there: 4 000 and 1 000 filed against ~10 000, then 8 000 lost; the
/// first approval reserves what is still free, the second the rest (if anything); each
/// is paid exactly what it reserved, the rest recorded as unpaid, and the pool never
/// promises more than it has.
#[tokio::test]
async fn l4_approvals_beyond_free_capital_reserve_only_what_is_free() {
    let mut a = arena(&[10_000]).await;
    let carol = a.honest[0].insecure_clone();
    let mut members = Vec::new();
    for _ in 0..2 {
        members.push(a.covered_member(5_000, 5_000).await);
    }
    a.season().await;
    let before_other = a.other_snapshot().await;
    let amounts = [4_000, 1_000];
    let mut claims = Vec::new();
    for (m, amount) in members.iter().zip(amounts) {
        claims.push(a.file(m, amount).await);
    }
    // A third claim would take the claims voting past half of free capital.
    let third = a.covered_member(5_000, 5_000).await;
    let id = a.member_claims(&third.pubkey()).await;
    let over = file_claim(
        &third.pubkey(),
        &a.pool,
        id,
        &third.token,
        1_000,
        HASH,
        "ipfs://x",
    );
    a.env
        .refused(&[over], &[&third.key], code(InsuranceError::ClaimTooLarge))
        .await;
    for c in &claims {
        a.vote(&carol, c, true).await;
    }
    let pool = a.pool;
    a.env.simulate_loss(&pool, 8_000).await;
    a.env.warp(VOTING).await;
    let mut reserved = Vec::new();
    for (c, m) in claims.iter().zip(&members) {
        let free_before = a.env.pool(&a.pool).await.free_capital();
        a.finalize(c, m).await;
        let claim: Claim = a.env.fetch(*c).await;
        assert_eq!(claim.status.get(), ClaimStatus::Approved);
        assert_eq!(
            claim.reserved,
            claim.amount.min(free_before),
            "reserves what is free"
        );
        let pool = a.env.pool(&a.pool).await;
        assert!(
            pool.reserved_for_claims <= pool.capital,
            "never more than it has"
        );
        reserved.push(claim.reserved);
    }
    assert!(
        reserved[0] < 4_000,
        "the first found only {} free",
        reserved[0]
    );
    a.env.warp(HOLDUP).await;
    for (((c, m), r), amount) in claims.iter().zip(&members).zip(&reserved).zip(amounts) {
        let balance = a.env.balance(m.token).await;
        a.pay(c, m).await;
        let claim: Claim = a.env.fetch(*c).await;
        assert_eq!((claim.paid, claim.unpaid), (*r, amount - r));
        assert_eq!(a.env.balance(m.token).await - balance, *r);
    }
    let pool = a.env.pool(&a.pool).await;
    assert_eq!(pool.reserved_for_claims, 0);
    a.env.assert_conserved(&a.pool).await;
    assert_eq!(a.other_snapshot().await, before_other, "market B untouched");
}

/// H2: deposit 20 000 one second before filing your own 9 000 claim, request the
/// withdrawal, vote yes with full weight, complete when voting ends.
#[tokio::test]
async fn h2_vote_capture_by_a_fresh_deposit() {
    let mut a = arena(&[10_000]).await;
    let honest = a.honest[0].insecure_clone();
    let attacker = a.covered_member(9_000, 40_000).await;
    a.season().await;
    let before_other = a.other_snapshot().await;
    a.env.deposit(&attacker, &a.pool, 20_000).await;
    a.env.warp(1).await;
    // The claim may not exceed 50 % of free capital at filing: 9 000 of 30 000 passes.
    let claim = a.file(&attacker, 9_000).await;
    let state: Claim = a.env.fetch(claim).await;
    let honest_shares = a
        .env
        .underwriter(&a.pool, &honest.pubkey())
        .await
        .shares
        .get();
    assert_eq!(
        state.eligible_weight.get(),
        honest_shares,
        "only seasoned shares count"
    );
    // The attacker cannot vote: it is the claimant, and its shares are young.
    a.env
        .refused(
            &[cast_vote(&attacker.pubkey(), &a.pool, &claim, true)],
            &[&attacker.key],
            code(InsuranceError::ClaimantCannotVote),
        )
        .await;
    // Nor can it start its exit (deposit lock).
    let shares = a
        .env
        .underwriter(&a.pool, &attacker.pubkey())
        .await
        .shares
        .get();
    a.env
        .refused(
            &[request_withdrawal(&attacker.pubkey(), &a.pool, shares)],
            &[&attacker.key],
            code(InsuranceError::DepositLocked),
        )
        .await;
    // The honest underwriter votes no: rejected as fraud (quorum reached), bond slashed.
    a.vote(&honest, &claim, false).await;
    a.env.warp(VOTING).await;
    a.finalize(&claim, &attacker).await;
    let state: Claim = a.env.fetch(claim).await;
    assert_eq!(
        (state.status.get(), (state.fraud != 0)),
        (ClaimStatus::Rejected, true)
    );
    a.env
        .ok(&[withdraw_bond(&a.pool, &claim, &attacker.token)], &[])
        .await;
    // A single claim above max_claim_bps of free capital is refused outright.
    let greedy = a.covered_member(40_000, 100_000).await;
    let id = a.member_claims(&greedy.pubkey()).await;
    a.env
        .refused(
            &[file_claim(
                &greedy.pubkey(),
                &a.pool,
                id,
                &greedy.token,
                16_000,
                HASH,
                "",
            )],
            &[&greedy.key],
            code(InsuranceError::ClaimTooLarge),
        )
        .await;
    a.env.assert_conserved(&a.pool).await;
    assert_eq!(a.other_snapshot().await, before_other, "market B untouched");
}

/// H2 (pending shares), revisited by the fourth attacker review of issue 31: shares
/// under a withdrawal request could not vote, and a request now waits for the cover in
/// force (up to a term), so a 1-unit purchase before a whale's request left a small
/// stayer the only voter for a month, free to approve its accomplice's claim that the
/// whale then bore. Pending shares now vote and count (they bear the claim while they
/// are in the pool), and a vote binds them: no completion while the claim votes, nor
/// during its hold-up if it is approved.
#[tokio::test]
async fn h2_pending_shares_vote_and_are_bound_by_their_vote() {
    let mut a = arena(&[5_000, 5_000]).await;
    let (alice, bob) = (a.honest[0].insecure_clone(), a.honest[1].insecure_clone());
    a.env.warp(DEPOSIT_LOCK).await;
    a.request_all(&alice).await;
    let member = a.covered_member(2_000, 1_000).await;
    let claim = a.file(&member, 2_000).await;
    let state: Claim = a.env.fetch(claim).await;
    let shares = |u: Underwriter| u.shares.get();
    let alice_shares = shares(a.env.underwriter(&a.pool, &alice.pubkey()).await);
    let bob_shares = shares(a.env.underwriter(&a.pool, &bob.pubkey()).await);
    assert_eq!(
        state.eligible_weight.get(),
        alice_shares + bob_shares,
        "alice's pending shares count"
    );
    a.vote(&alice, &claim, false).await;
    a.vote(&bob, &claim, true).await;
    let leave = complete_withdrawal(&alice.pubkey(), &a.pool, &alice.token);
    a.env
        .refused(
            std::slice::from_ref(&leave),
            &[&alice.key],
            code(InsuranceError::ClaimsVoting),
        )
        .await;
    a.env.warp(VOTING).await;
    a.finalize(&claim, &member).await;
    let c: Claim = a.env.fetch(claim).await;
    assert_eq!(
        c.status.get(),
        ClaimStatus::Rejected,
        "a tie does not approve"
    );
    // Rejected: nothing to bear, no hold-up; she leaves at once.
    a.env.ok(&[leave], &[&alice.key]).await;
    a.env.assert_conserved(&a.pool).await;
}

/// M1: the bond of an approved claim came back before the guardian could veto.
#[tokio::test]
async fn m1_bond_withdrawn_before_veto() {
    let mut a = arena(&[10_000]).await;
    let honest = a.honest[0].insecure_clone();
    let member = a.covered_member(4_000, 1_000).await;
    a.season().await;
    let claim = a.approved(&honest, &member, 4_000).await;
    a.env
        .refused(
            &[withdraw_bond(&a.pool, &claim, &member.token)],
            &[],
            code(InsuranceError::ClaimStillOpen),
        )
        .await;
    let guardian = a.env.guardian.insecure_clone();
    a.env
        .ok(
            &[veto_claim(
                &guardian.pubkey(),
                &a.pool,
                &claim,
                &member.pubkey(),
            )],
            &[&guardian],
        )
        .await;
    let capital = a.env.pool(&a.pool).await.capital;
    let balance = a.env.balance(member.token).await;
    a.env
        .ok(&[withdraw_bond(&a.pool, &claim, &member.token)], &[])
        .await;
    assert_eq!(
        a.env.balance(member.token).await,
        balance,
        "slashed, not returned"
    );
    assert_eq!(a.env.pool(&a.pool).await.capital, capital + 50);
    a.env.assert_conserved(&a.pool).await;
}

/// M2: a 5 000 cover was paid 10 000 by filing twice.
#[tokio::test]
async fn m2_cover_paid_twice() {
    let mut a = arena(&[20_000]).await;
    let honest = a.honest[0].insecure_clone();
    let member = a.covered_member(5_000, 1_000).await;
    a.season().await;
    for round in 0..2 {
        let id = a.member_claims(&member.pubkey()).await;
        if round == 1 {
            a.env
                .refused(
                    &[file_claim(
                        &member.pubkey(),
                        &a.pool,
                        id,
                        &member.token,
                        5_000,
                        HASH,
                        "",
                    )],
                    &[&member.key],
                    code(InsuranceError::ClaimAboveCoverage),
                )
                .await;
            break;
        }
        let claim = a.file(&member, 5_000).await;
        a.vote(&honest, &claim, true).await;
        a.env.warp(VOTING + HOLDUP).await;
        a.finalize(&claim, &member).await;
        a.env.warp(HOLDUP).await;
        a.pay(&claim, &member).await;
    }
    let m: Member = a.env.fetch(a.pool.member(&member.pubkey())).await;
    assert_eq!(m.claimed_amount, 5_000, "the cover is used up");
}

/// M2 (give-back): a rejected claim gives its cover back to the term.
#[tokio::test]
async fn m2_rejected_claim_gives_its_cover_back() {
    let mut a = arena(&[20_000]).await;
    let member = a.covered_member(5_000, 1_000).await;
    a.season().await;
    let claim = a.file(&member, 5_000).await;
    a.env.warp(VOTING).await;
    a.finalize(&claim, &member).await;
    let m: Member = a.env.fetch(a.pool.member(&member.pubkey())).await;
    assert_eq!(m.claimed_amount, 0);
    a.file(&member, 5_000).await;
}

/// M3: a top-up one second before expiry made 40 000 claimable in the same transaction.
#[tokio::test]
async fn m3_top_up_just_before_expiry() {
    let mut a = arena(&[100_000]).await;
    let member = a.env.user(&a.pool, 100_000).await;
    a.buy(&member, 1).await;
    let expiry = a
        .env
        .fetch::<Member>(a.pool.member(&member.pubkey()))
        .await
        .coverage_expiry;
    let now = a.env.now().await;
    a.env.warp(expiry - now - 1).await;
    a.env
        .refused(
            &[contribute_premium(
                &member.pubkey(),
                &a.pool,
                &member.token,
                None,
                40_000,
                u64::MAX,
            )],
            &[&member.key],
            code(InsuranceError::CoverCannotMature),
        )
        .await;
    // A fresh purchase is not claimable before its waiting period either.
    let fresh = a.env.user(&a.pool, 100_000).await;
    a.buy(&fresh, 10_000).await;
    a.env
        .refused(
            &[file_claim(
                &fresh.pubkey(),
                &a.pool,
                0,
                &fresh.token,
                10_000,
                HASH,
                "",
            )],
            &[&fresh.key],
            code(InsuranceError::ClaimAboveCoverage),
        )
        .await;
    a.env.warp(DAY).await;
    a.file(&fresh, 10_000).await;
}

/// M4: a dust purchase before a 400 000 cover dodged the curve (~51 bps instead of
/// 2 000). (Its second half, dust every 800 s freezing the smoothed rate, went with the
/// smoothing: review 3, finding 4.)
#[tokio::test]
async fn m4_dust_purchase_dodges_the_curve() {
    let mut a = arena(&[100_000]).await;
    let buyer = a.env.user(&a.pool, 1_000_000).await;
    let quote = a.env.quote(&a.pool, None, 400_000).await;
    assert_eq!(quote.rate_bps, 2_000);
    let before = a.env.balance(buyer.token).await;
    let dust = contribute_premium(&buyer.pubkey(), &a.pool, &buyer.token, None, 1, u64::MAX);
    let big = contribute_premium(
        &buyer.pubkey(),
        &a.pool,
        &buyer.token,
        None,
        400_000,
        u64::MAX,
    );
    a.env.ok(&[dust, big], &[&buyer.key]).await;
    let paid = before - a.env.balance(buyer.token).await;
    assert!(
        paid >= 80_000,
        "paid {paid}: at least the curve's 2 000 bps"
    );
    assert_eq!(a.env.pool(&a.pool).await.rate_bps, 2_000);
}

/// M6: one vote from a 1-unit stake marked an honest claim as fraud.
#[tokio::test]
async fn m6_dust_no_vote_marks_fraud() {
    let mut a = arena(&[10_000, 1]).await;
    let dust = a.honest[1].insecure_clone();
    let member = a.covered_member(2_000, 1_000).await;
    a.season().await;
    let claim = a.file(&member, 2_000).await;
    a.vote(&dust, &claim, false).await;
    a.env.warp(VOTING).await;
    a.finalize(&claim, &member).await;
    let state: Claim = a.env.fetch(claim).await;
    assert_eq!(
        (state.status.get(), (state.fraud != 0)),
        (ClaimStatus::Rejected, false)
    );
    let balance = a.env.balance(member.token).await;
    a.env
        .ok(&[withdraw_bond(&a.pool, &claim, &member.token)], &[])
        .await;
    assert_eq!(a.env.balance(member.token).await, balance + state.bond);
}

/// M7: a request made 60 days earlier was completed in full in the block of a claim's
/// approval.
#[tokio::test]
async fn m7_stale_request_never_lapses() {
    let mut a = arena(&[10_000]).await;
    let honest = a.honest[0].insecure_clone();
    a.env.warp(DEPOSIT_LOCK).await;
    a.request_all(&honest).await;
    a.env.warp(60 * DAY).await;
    a.env
        .refused(
            &[complete_withdrawal(
                &honest.pubkey(),
                &a.pool,
                &honest.token,
            )],
            &[&honest.key],
            code(InsuranceError::WithdrawalLapsed),
        )
        .await;
}

/// N1: after the term was shortened (60 -> 1 day), a top-up of a 60-day cover paid for
/// one day.
#[tokio::test]
async fn n1_top_up_after_term_shortened() {
    let mut env = TestEnv::new().await;
    let params = PoolParams {
        coverage_duration: 60 * DAY,
        min_deposit_lock: 60 * DAY,
        ..default_params()
    };
    let pool = env.create_pool_with_params(TOKEN, params).await;
    let u = env.user(&pool, 1_000_000).await;
    env.deposit(&u, &pool, 1_000_000).await;
    let m = env.user(&pool, 1_000_000).await;
    env.ok(
        &[contribute_premium(
            &m.pubkey(),
            &pool,
            &m.token,
            None,
            1,
            u64::MAX,
        )],
        &[&m.key],
    )
    .await;
    let authority = env.authority.insecure_clone();
    let short = PoolParams {
        coverage_duration: DAY,
        claim_waiting_period: 3_600,
        ..params
    };
    env.ok(
        &[update_pool_params(&authority.pubkey(), &pool, short)],
        &[&authority],
    )
    .await;
    // The change waits its delay (the old 60-day cover is still running until then).
    env.warp(2 * DAY).await;
    let quote = env
        .quote(&pool, Some(pool.member(&m.pubkey())), 100_000)
        .await;
    let expiry = env
        .fetch::<Member>(pool.member(&m.pubkey()))
        .await
        .coverage_expiry;
    assert_eq!(
        quote.covered_secs,
        expiry - env.now().await,
        "all the time left"
    );
    assert!(quote.premium >= 100_000 * quote.rate_bps / 10_000 * 57 / 60);
}

/// N2 (a): a just-in-time underwriter deposited right before a large cover and left
/// after one day with most of its premium.
#[tokio::test]
async fn n2_just_in_time_underwriter() {
    let mut a = arena(&[100_000]).await;
    let jit = a.env.user(&a.pool, 100_000).await;
    let shares = a.env.deposit(&jit, &a.pool, 100_000).await;
    let buyer = a.env.user(&a.pool, 1_000_000).await;
    a.buy(&buyer, 500_000).await;
    a.env.warp(DAY + 1).await;
    a.env
        .refused(
            &[request_withdrawal(&jit.pubkey(), &a.pool, shares)],
            &[&jit.key],
            code(InsuranceError::DepositLocked),
        )
        .await;
    // The premium is unearned: a day in, at most a day's share reached capital.
    let pool = a.env.pool(&a.pool).await;
    assert!(pool.unearned_premiums > 0);
}

/// N2 (b): a buyer deposited 9x the pool in the purchase's transaction to deflate the
/// utilisation, then exited after a day.
#[tokio::test]
async fn n2_buyer_deflates_utilisation_with_its_own_deposit() {
    let mut a = arena(&[100_000]).await;
    let buyer = a.env.user(&a.pool, 2_000_000).await;
    let deposit = deposit(&buyer.pubkey(), &a.pool, &buyer.token, 900_000, 0);
    let buy = contribute_premium(
        &buyer.pubkey(),
        &a.pool,
        &buyer.token,
        None,
        500_000,
        u64::MAX,
    );
    a.env.ok(&[deposit, buy], &[&buyer.key]).await;
    a.env.warp(DAY).await;
    let shares = a
        .env
        .underwriter(&a.pool, &buyer.pubkey())
        .await
        .shares
        .get();
    // Its capital must stay for the whole term of the cover it made cheap.
    a.env
        .refused(
            &[request_withdrawal(&buyer.pubkey(), &a.pool, shares)],
            &[&buyer.key],
            code(InsuranceError::DepositLocked),
        )
        .await;
}

/// N4: the quote-then-contribute flow for a member about to expire silently became a
/// 60-second top-up.
#[tokio::test]
async fn n4_quote_then_buy_becomes_a_short_top_up() {
    let mut a = arena(&[100_000]).await;
    let m = a.env.user(&a.pool, 100_000).await;
    a.buy(&m, 100).await;
    let expiry = a
        .env
        .fetch::<Member>(a.pool.member(&m.pubkey()))
        .await
        .coverage_expiry;
    let now = a.env.now().await;
    a.env.warp(expiry - now - 2 * DAY).await;
    // Two days before expiry the member quotes a new cover (as if it had none) and
    // wants its full term; the purchase would only be a two-day top-up.
    let quote = a.env.quote(&a.pool, None, 1_000).await;
    let ix = contribute_premium_until(
        &m.pubkey(),
        &a.pool,
        &m.token,
        None,
        1_000,
        u64::MAX,
        quote.coverage_expiry,
    );
    a.env
        .refused(&[ix], &[&m.key], code(InsuranceError::CoverageEndsTooSoon))
        .await;
}

/// N5: a griefer filed and cancelled ahead of the victim so the victim's precomputed
/// claim address was taken.
#[tokio::test]
async fn n5_griefer_takes_the_next_claim_address() {
    let mut a = arena(&[100_000]).await;
    let griefer = a.covered_member(1, 1_000).await;
    let victim = a.covered_member(5_000, 1_000).await;
    let victim_ix = file_claim(&victim.pubkey(), &a.pool, 0, &victim.token, 5_000, HASH, "");
    let claim = a.file(&griefer, 1).await;
    a.env
        .ok(
            &[cancel_claim(&griefer.pubkey(), &a.pool, &claim)],
            &[&griefer.key],
        )
        .await;
    a.env.ok(&[victim_ix], &[&victim.key]).await;
    // And a cancel only within its window, not as a dodge of the first "no" votes.
    let late = a.file(&griefer, 1).await;
    a.env.warp(CANCEL_WINDOW).await;
    a.env
        .refused(
            &[cancel_claim(&griefer.pubkey(), &a.pool, &late)],
            &[&griefer.key],
            code(InsuranceError::CancelWindowOver),
        )
        .await;
}

const CANCEL_WINDOW: i64 = insurance_pool::constants::CLAIM_CANCEL_WINDOW;

/// N6: while a claim votes, a non-voter exited in full before approval. Now nothing
/// completes while a claim votes (review 3, finding 1); once it is approved, the leaver
/// bears its half.
#[tokio::test]
async fn n6_non_voter_exits_while_claim_votes() {
    let mut a = arena(&[5_000, 5_000]).await;
    let (alice, bob) = (a.honest[0].insecure_clone(), a.honest[1].insecure_clone());
    a.env.warp(DEPOSIT_LOCK).await;
    a.request_all(&alice).await;
    let member = a.covered_member(4_000, 1_000).await;
    let claim = a.file(&member, 4_000).await;
    a.env.warp(DAY).await;
    let leave = complete_withdrawal(&alice.pubkey(), &a.pool, &alice.token);
    a.env
        .refused(
            std::slice::from_ref(&leave),
            &[&alice.key],
            code(InsuranceError::ClaimsVoting),
        )
        .await;
    a.vote(&bob, &claim, true).await;
    a.env.warp(VOTING).await;
    a.finalize(&claim, &member).await;
    // Her window stood still while the claim voted and through its hold-up: she may
    // still complete after it, and bears half of the approved 4 000.
    a.env
        .refused(
            &[leave],
            &[&alice.key],
            code(InsuranceError::HoldupExitsClosed),
        )
        .await;
    a.env.warp(HOLDUP).await;
    let paid = a.complete(&alice).await;
    assert!((2_990..=3_050).contains(&paid), "alice left with {paid}");
    a.env.assert_conserved(&a.pool).await;
}

/// L1: a mint with a close authority could be closed and re-created with a permanent
/// delegate.
#[tokio::test]
async fn l1_mint_close_authority_is_refused() {
    let mut env = TestEnv::new().await;
    let payer = env.payer();
    let mint = env
        .create_mint_with(TOKEN_2022, &[ExtensionType::MintCloseAuthority], |mint| {
            vec![
                spl_token_2022::instruction::initialize_mint_close_authority(
                    &TOKEN_2022,
                    mint,
                    Some(&payer),
                )
                .expect("close authority"),
            ]
        })
        .await;
    let keys = PoolKeys::new(Keypair::new().pubkey(), mint, TOKEN_2022);
    let authority = env.authority.insecure_clone();
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

/// L2: the pool records whether its mint can freeze the vault.
#[tokio::test]
async fn l2_freeze_authority_is_recorded() {
    let mut env = TestEnv::new().await;
    let pool = env.create_pool(TOKEN).await;
    assert_eq!(env.pool(&pool).await.mint_has_freeze_authority, 0);
}

/// L3: a withdrawal that would leave exposure above the cap on free capital. Cover is
/// capped on the capital that stays and a request waits for the cover in force when it
/// was made, so only a loss after the purchase gets there: 100 000 of cover on the
/// stayer's 20 000 (the 5x cap), a loss of 1 000, and the leaver is refused.
#[tokio::test]
async fn l3_withdrawal_leaves_exposure_above_cap() {
    let mut a = arena(&[100_000, 20_000]).await;
    let honest = a.honest[0].insecure_clone();
    a.env.warp(DEPOSIT_LOCK).await;
    a.request_all(&honest).await;
    let buyer = a.env.user(&a.pool, 1_000_000).await;
    a.buy(&buyer, 100_000).await;
    let pool = a.pool;
    a.env.simulate_loss(&pool, 1_000).await;
    a.env.warp(DAY).await;
    a.env
        .refused(
            &[complete_withdrawal(
                &honest.pubkey(),
                &a.pool,
                &honest.token,
            )],
            &[&honest.key],
            code(InsuranceError::WithdrawalBreachesExposureCap),
        )
        .await;
}

/// L5: anyone could initialise the protocol after deployment with its own authority.
#[tokio::test]
async fn l5_initialize_front_run() {
    let mut env = TestEnv::uninitialized().await;
    let mallory = Keypair::new();
    let payer = env.payer();
    env.refused(
        &[initialize_protocol(
            &payer,
            &mallory.pubkey(),
            mallory.pubkey(),
            mallory.pubkey(),
        )],
        &[&mallory],
        code(InsuranceError::NotUpgradeAuthority),
    )
    .await;
    env.ok(
        &[initialize_protocol(
            &payer,
            &payer,
            mallory.pubkey(),
            mallory.pubkey(),
        )],
        &[],
    )
    .await;
}

/// I2: a withdrawal paid into another pool's vault would break both pools' books.
#[tokio::test]
async fn i2_withdrawal_into_a_pool_vault() {
    let mut env = TestEnv::new().await;
    let mint = env.create_mint(TOKEN).await;
    let a = env
        .create_pool_for_mint(mint, TOKEN, default_params())
        .await;
    let b = env
        .create_pool_for_mint(mint, TOKEN, default_params())
        .await;
    let u = env.user(&a, 1_000).await;
    let shares = env.deposit(&u, &a, 1_000).await;
    env.warp(DEPOSIT_LOCK).await;
    env.ok(&[request_withdrawal(&u.pubkey(), &a, shares)], &[&u.key])
        .await;
    env.warp(DAY).await;
    for target in [b.vault, b.bond_vault, a.bond_vault] {
        env.refused(
            &[complete_withdrawal(&u.pubkey(), &a, &target)],
            &[&u.key],
            code(InsuranceError::ForbiddenDestination),
        )
        .await;
    }
}

/// M5: `deposit(2·10^13)` into an empty pool overflowed (shares were u64 at 10^6 per
/// unit), and a pool wiped down to 1 unit could not take 100 tokens.
#[tokio::test]
async fn m5_share_supply_overflow() {
    let mut env = TestEnv::new().await;
    let params = PoolParams {
        deposit_cap: u64::MAX,
        ..default_params()
    };
    let pool = env.create_pool_with_params(TOKEN, params).await;
    let big = env.user(&pool, 20_000_000_000_000).await;
    let shares = env.deposit(&big, &pool, 20_000_000_000_000).await;
    assert_eq!(shares, 20_000_000_000_000u128 * 1_000_000);
    // A 99.9999...% loss leaves 1 unit; a 100-token deposit (at 10^6 units) still mints.
    env.simulate_loss(&pool, 20_000_000_000_000 - 1).await;
    let late = env.user(&pool, 100_000_000).await;
    let minted = env.deposit(&late, &pool, 100_000_000).await;
    let state = env.pool(&pool).await;
    assert!(state.value_of(minted).unwrap() <= 100_000_000);
    assert!(state.value_of(minted).unwrap() >= 99_999_999);
    env.assert_conserved(&pool).await;
}

/// Also: claim payouts and bond returns go only to the claimant's associated token
/// account (not to another account it owns, which may be delegated to someone else).
#[tokio::test]
async fn claim_payout_only_to_the_claimants_associated_account() {
    let mut a = arena(&[10_000]).await;
    let honest = a.honest[0].insecure_clone();
    let member = a.covered_member(4_000, 1_000).await;
    a.season().await;
    let claim = a.approved(&honest, &member, 4_000).await;
    a.env.warp(HOLDUP).await;
    let side = a
        .env
        .create_token_account(&a.pool.mint, &member.pubkey(), &TOKEN)
        .await;
    let m = member.pubkey();
    a.env
        .refused(
            &[pay_claim(&a.pool, &claim, &m, &side)],
            &[],
            code(InsuranceError::NotAssociatedTokenAccount),
        )
        .await;
    a.env
        .ok(&[pay_claim(&a.pool, &claim, &m, &member.token)], &[])
        .await;
    a.env
        .refused(
            &[withdraw_bond(&a.pool, &claim, &side)],
            &[],
            code(InsuranceError::NotAssociatedTokenAccount),
        )
        .await;
    a.env
        .ok(&[withdraw_bond(&a.pool, &claim, &member.token)], &[])
        .await;
    a.env.assert_conserved(&a.pool).await;
}

/// Review finding: pending parameters (say, a 1-bps quorum) cannot come due while
/// withdrawals are paused (pool or protocol): their delay runs on the exit clock.
#[tokio::test]
async fn review_pause_cannot_run_out_a_params_delay() {
    let mut a = arena(&[10_000]).await;
    let authority = a.env.authority.insecure_clone();
    let weak = PoolParams {
        governance: GovernanceParams {
            quorum_bps: 1,
            ..DEFAULT_GOVERNANCE
        },
        ..default_params()
    };
    a.env
        .ok(
            &[update_pool_params(&authority.pubkey(), &a.pool, weak)],
            &[&authority],
        )
        .await;
    a.env
        .ok(
            &[set_protocol_pause(&authority.pubkey(), pause::WITHDRAW)],
            &[&authority],
        )
        .await;
    a.env.warp(60 * DAY).await;
    let honest = a.honest[0].insecure_clone();
    let mint = a.pool.mint;
    a.env.mint_to(&mint, &TOKEN, &honest.token, 10).await;
    a.env.deposit(&honest, &a.pool, 1).await; // any refresh: still the old params
    let pool = a.env.pool(&a.pool).await;
    assert_eq!(pool.params, default_params());
    assert_eq!(pool.pending_params, weak);
    a.env
        .ok(&[set_protocol_pause(&authority.pubkey(), 0)], &[&authority])
        .await;
    a.env.warp(ACTIVATION_DELAY - DAY).await;
    a.env.deposit(&honest, &a.pool, 1).await;
    assert_eq!(a.env.pool(&a.pool).await.params, default_params());
    a.env.warp(2 * DAY).await;
    a.env.deposit(&honest, &a.pool, 1).await;
    assert_eq!(a.env.pool(&a.pool).await.params, weak);
}

/// Review finding: a claim filed and cancelled around someone's exit (a free option:
/// the bond comes back) lowered the exit's payout for the other underwriters' benefit.
/// Requests are valued on free capital (voting claims do not lower them), and a
/// completion during a vote is refused (`ClaimsVoting`, nothing changes); a cancelled
/// claim keeps exits waiting until its voting period ends and it is released, then the
/// leaver completes in full (its window waited on the exit clock).
#[tokio::test]
async fn review_claim_sandwich_around_an_exit() {
    let mut a = arena(&[4_000, 3_000, 3_000]).await;
    let (victim, attacker) = (a.honest[0].insecure_clone(), a.honest[1].insecure_clone());
    let _ = attacker;
    a.env.warp(DEPOSIT_LOCK).await;
    let puppet = a.covered_member(5_000, 1_000).await;
    // Sandwich the request: file, request, cancel.
    let claim = a.file(&puppet, 5_000).await;
    let first = claim;
    a.request_all(&victim).await;
    a.env
        .ok(
            &[cancel_claim(&puppet.pubkey(), &a.pool, &claim)],
            &[&puppet.key],
        )
        .await;
    let pending = a
        .env
        .underwriter(&a.pool, &victim.pubkey())
        .await
        .pending_value;
    assert!(
        pending >= 3_999,
        "request valued on free capital: {pending}"
    );
    // The cancelled claim is released once its voting period is over.
    a.env.warp(VOTING).await;
    a.env
        .ok(&[finalize_claim(&a.pool, &first, &puppet.pubkey())], &[])
        .await;
    // Sandwich the completion: file, complete, cancel. The request waits for the cover
    // in force when it was made (to the end of its expiry day); the puppet buys new
    // cover once the old one has expired, and it matures a day later.
    let cover: Member = a.env.fetch(a.pool.member(&puppet.pubkey())).await;
    let now = a.env.now().await;
    a.env.warp(cover.coverage_expiry + 1 - now).await;
    let mint = a.pool.mint;
    a.env.mint_to(&mint, &TOKEN, &puppet.token, 1_000).await;
    a.buy(&puppet, 5_000).await;
    a.env.warp(DAY).await;
    let claim = a.file(&puppet, 5_000).await;
    let leave = complete_withdrawal(&victim.pubkey(), &a.pool, &victim.token);
    a.env
        .refused(&[leave], &[&victim.key], code(InsuranceError::ClaimsVoting))
        .await;
    a.env
        .ok(
            &[cancel_claim(&puppet.pubkey(), &a.pool, &claim)],
            &[&puppet.key],
        )
        .await;
    a.env.warp(VOTING).await;
    a.env
        .ok(&[finalize_claim(&a.pool, &claim, &puppet.pubkey())], &[])
        .await;
    let paid = a.complete(&victim).await;
    assert!(paid >= 3_999, "the victim got {paid} of 4 000");
    assert_eq!(
        a.env
            .underwriter(&a.pool, &victim.pubkey())
            .await
            .shares
            .get(),
        0
    );
    a.env.assert_conserved(&a.pool).await;
}

/// Review finding: a deposit right before the guardian's veto bought shares at the
/// hold-up discount and captured the released reservation. Deposits wait for the end
/// of the hold-up.
#[tokio::test]
async fn review_deposit_just_before_a_veto() {
    let mut a = arena(&[10_000]).await;
    let honest = a.honest[0].insecure_clone();
    let member = a.covered_member(5_000, 1_000).await;
    a.season().await;
    let claim = a.approved(&honest, &member, 5_000).await;
    let whale = a.env.user(&a.pool, 1_000_000).await;
    let guardian = a.env.guardian.insecure_clone();
    let buy = deposit(&whale.pubkey(), &a.pool, &whale.token, 1_000_000, 0);
    let veto = veto_claim(&guardian.pubkey(), &a.pool, &claim, &member.pubkey());
    a.env
        .refused(
            &[buy, veto],
            &[&whale.key, &guardian],
            code(InsuranceError::HoldupDepositsClosed),
        )
        .await;
}

/// Review finding: an exchange's destination could be a pool's vault or bond escrow,
/// breaking that pool's books.
#[tokio::test]
async fn review_exchange_destination_is_a_pool_vault() {
    let mut a = arena(&[10_000]).await;
    let authority = a.env.authority.insecure_clone();
    let payer = a.env.payer();
    let pda = Pubkey::find_program_address(&[b"venue"], &example_exchange::ID).0;
    let mint = a.pool.mint;
    let twin = a
        .env
        .create_pool_for_mint(mint, TOKEN, default_params())
        .await;
    for target in [twin.vault, twin.bond_vault, a.pool.vault, a.pool.bond_vault] {
        let limits = ExchangeLimits {
            per_event_cap: 1_000,
            per_epoch_cap: 1_000,
            epoch_length: DAY,
            per_event_bps: 10_000,
            per_epoch_bps: 10_000,
        };
        a.env
            .refused(
                &[register_exchange(
                    &payer,
                    &authority.pubkey(),
                    &a.pool,
                    pda,
                    &target,
                    limits,
                )],
                &[&authority],
                code(InsuranceError::ForbiddenDestination),
            )
            .await;
    }
}

/// Review finding: unearned premium decayed geometrically with each refresh (a third
/// still unearned after the cover ended, so leavers forfeited what they had earned and
/// later depositors collected it). Each premium is now earned day by day over its own
/// cover, however often the pool is refreshed.
#[tokio::test]
async fn review_premium_is_earned_over_its_own_term() {
    let mut a = arena(&[100_000]).await;
    let honest = a.honest[0].insecure_clone();
    let mint = a.pool.mint;
    a.env.mint_to(&mint, &TOKEN, &honest.token, 100).await;
    let buyer = a.env.user(&a.pool, 100_000).await;
    a.buy(&buyer, 50_000).await;
    let premium = a.env.pool(&a.pool).await.unearned_premiums;
    assert!(premium > 0);
    // Someone refreshes the pool every day (1-unit deposits).
    for _ in 0..31 {
        a.env.warp(DAY).await;
        a.env.deposit(&honest, &a.pool, 1).await;
    }
    let pool = a.env.pool(&a.pool).await;
    assert_eq!(
        pool.unearned_premiums, 0,
        "all earned once the cover is over"
    );
    assert_eq!(pool.capital, 100_000 + 31 + premium);
}

/// Issue 16 (`open_or_load` replaced `init_if_needed`): a griefer sends lamports to a
/// victim's future position addresses so that a plain `create_account` would fail
/// ("already in use"), and tries to plant someone else's position in the victim's
/// first deposit. The first deposit and the first cover still open the victim's own
/// accounts at their PDAs (funding only the rest of the rent), and foreign positions
/// are refused by name.
#[tokio::test]
async fn review_prefunded_position_addresses_do_not_block_the_first_deposit() {
    let mut env = TestEnv::new().await;
    let pool = env.create_pool(TOKEN).await;
    let griefer = env.user(&pool, 10_000).await;
    let victim = env.user(&pool, 10_000).await;
    let v = victim.pubkey();
    env.deposit(&griefer, &pool, 1_000).await;
    // The least a system account may hold: rent exemption for no data.
    let gift_lamports = anchor_lang::prelude::Rent::default().minimum_balance(0);
    for address in [pool.underwriter(&v), pool.member(&v)] {
        let gift = solana_system_interface::instruction::transfer(
            &griefer.pubkey(),
            &address,
            gift_lamports,
        );
        env.ok(&[gift], &[&griefer.key]).await;
    }

    // The griefer's own position, passed in the victim's deposit: refused.
    let mut planted = ix::deposit(&v, &pool, &victim.token, 500, 0);
    planted.accounts[3].pubkey = pool.underwriter(&griefer.pubkey());
    env.refused(
        &[planted],
        &[&victim.key],
        code(InsuranceError::WrongUnderwriter),
    )
    .await;

    let shares = env.deposit(&victim, &pool, 500).await;
    let position = env.underwriter(&pool, &v).await;
    assert_eq!((position.owner, position.pool), (v, pool.pool));
    assert_eq!(position.shares.get(), shares);
    env.ok(
        &[ix::contribute_premium(
            &v,
            &pool,
            &victim.token,
            None,
            1_000,
            u64::MAX,
        )],
        &[&victim.key],
    )
    .await;
    let member: insurance_pool::state::Member = env.fetch(pool.member(&v)).await;
    assert_eq!((member.owner, member.pool), (v, pool.pool));
    assert!(member.covered_amount > 0);
    env.assert_conserved(&pool).await;
}

/// Review 3, finding 3: capital that asked to leave priced and backed new cover. A
/// seasoned whale holding 900 000 of a 1 000 000 pool requests its exit; once it may
/// complete, it buys 400 000 of cover and completes in the same transaction. Priced on
/// the whole pool the cover cost 8 400 (210 bps at 40 % utilisation); the curve on the
/// 100 000 that stays asks 80 000 (its 2 000 bps ceiling at 400 %). Quotes and the
/// exposure cap now use the capital that stays: free capital less the value of the
/// shares pending withdrawal. A sniper quoting while the request is pending sees the
/// same price.
#[tokio::test]
async fn review3_pending_capital_does_not_price_new_cover() {
    use insurance_pool::math::{curve_rate, premium_for, utilisation_bps};
    let mut a = arena(&[100_000]).await;
    let pool = a.pool;
    let whale = a.env.user(&pool, 1_000_000).await;
    a.env.deposit(&whale, &pool, 900_000).await;
    a.env.warp(DEPOSIT_LOCK).await;
    a.request_all(&whale).await;
    a.env.warp(DAY).await;
    let before_other = a.other_snapshot().await;
    let term = default_params().coverage_duration;
    // The fair price of 400 000 of cover: the curve at the utilisation it creates on the
    // capital that stays.
    let fair_rate = curve_rate(&DEFAULT_CURVE, utilisation_bps(400_000, 100_000));
    let fair = premium_for(400_000, fair_rate, term, term).unwrap();
    assert_eq!((fair_rate, fair), (2_000, 80_000));
    // A sniper's quote while the request is pending.
    let q = a.env.quote(&pool, None, 400_000).await;
    assert_eq!(
        (q.utilisation_bps, q.rate_bps, q.premium),
        (40_000, 2_000, fair)
    );
    // The whale: buy and leave in one transaction.
    let before = a.env.balance(whale.token).await;
    let buy = contribute_premium(
        &whale.pubkey(),
        &pool,
        &whale.token,
        None,
        400_000,
        u64::MAX,
    );
    let leave = complete_withdrawal(&whale.pubkey(), &pool, &whale.token);
    a.env.ok(&[buy, leave], &[&whale.key]).await;
    let cover: Member = a.env.fetch(pool.member(&whale.pubkey())).await;
    assert_eq!(cover.premiums_paid, fair, "the whale paid the fair price");
    assert_eq!(a.env.balance(whale.token).await - before + fair, 900_000);
    // The honest underwriter keeps its 100 000 and the whole premium (unearned yet).
    let p = a.env.pool(&pool).await;
    assert_eq!((p.capital, p.unearned_premiums), (100_000, fair));
    a.env.assert_conserved(&pool).await;
    assert_eq!(a.other_snapshot().await, before_other, "market B untouched");
}

/// Review 3, finding 1: a leaver escaped a voting claim by completing again and again.
/// A completion during a vote paid the value net of the voting claims and kept only
/// "its part" of them pending, in shares that bear a pro-rata slice of an approved claim
/// (far less than that part), and could be repeated in the same block: 30 completions
/// took 4 839 where the fair share after the claim is about 2 500. Now nothing completes
/// while a claim votes (`ClaimsVoting`, nothing changes), however often it is tried, in
/// one transaction or many; the leaver's window waits on the exit clock, and once the
/// claim is approved the leaver and the vote-locked stayer end with the same value.
#[tokio::test]
async fn review3_repeated_completions_during_a_vote_escape_nothing() {
    let mut a = arena(&[5_000, 5_000]).await;
    let (leaver, stayer) = (a.honest[0].insecure_clone(), a.honest[1].insecure_clone());
    a.env.warp(DEPOSIT_LOCK).await;
    a.request_all(&leaver).await;
    let member = a.covered_member(5_000, 1_000).await;
    let claim = a.file(&member, 5_000).await;
    a.vote(&stayer, &claim, true).await;
    a.env.warp(DAY).await; // the leaver's cooldown is over; the claim still votes
    let before_other = a.other_snapshot().await;
    let leave = complete_withdrawal(&leaver.pubkey(), &a.pool, &leaver.token);
    // Thirty completions in one transaction, then thirty transactions in one slot.
    let thirty = vec![leave.clone(); 30];
    a.env
        .refused(&thirty, &[&leaver.key], code(InsuranceError::ClaimsVoting))
        .await;
    for _ in 0..30 {
        a.env
            .refused(
                std::slice::from_ref(&leave),
                &[&leaver.key],
                code(InsuranceError::ClaimsVoting),
            )
            .await;
        a.env.advance_slot().await;
    }
    assert_eq!(a.env.balance(leaver.token).await, 0);
    // The claim is approved and paid; the window stood still: the leaver completes then.
    a.env.warp(VOTING).await;
    a.finalize(&claim, &member).await;
    a.env.warp(HOLDUP).await;
    a.pay(&claim, &member).await;
    let paid = a.complete(&leaver).await;
    let pool = a.env.pool(&a.pool).await;
    let stayer_shares = a.env.underwriter(&a.pool, &stayer.pubkey()).await.shares;
    let stays = pool.value_of(stayer_shares.get()).unwrap();
    // Both bore half of the 5 000 (and shared the premium): equal to rounding.
    assert!(paid.abs_diff(stays) <= 2, "leaver {paid}, stayer {stays}");
    assert!((2_500..2_700).contains(&paid), "leaver {paid}");
    a.env.assert_conserved(&a.pool).await;
    assert_eq!(a.other_snapshot().await, before_other, "market B untouched");
}
