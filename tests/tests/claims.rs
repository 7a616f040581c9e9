//! Claims judged by the pool's underwriters: filing with a bond, votes, finalisation,
//! the guardian's veto during hold-up, payment, cancellation and bond settlement.

use insurance_pool_testkit::*;

const DAY: i64 = 86_400;
const VOTING: i64 = 3 * DAY;
const HOLDUP: i64 = 2 * DAY;
const HASH: [u8; 32] = [7; 32];
const URI: &str = "ipfs://bafy-evidence";

/// A pool with underwriters alice 3 000, bob 1 000, carol 6 000 (10 000 shares x 10^6
/// in all) and a member covered for 5 000, once the shares are seasoned and the cover
/// has matured.
struct World {
    env: TestEnv,
    pool: PoolKeys,
    alice: User,
    bob: User,
    carol: User,
    member: User,
}

async fn world() -> World {
    let mut env = TestEnv::new().await;
    let pool = env.create_pool(TOKEN).await;
    let mut users = Vec::new();
    for amount in [3_000, 1_000, 6_000] {
        let u = env.user(&pool, amount).await;
        env.deposit(&u, &pool, amount).await;
        users.push(u);
    }
    let member = env.user(&pool, 10_000).await;
    let ix = contribute_premium(
        &member.pubkey(),
        &pool,
        &member.token,
        None,
        5_000,
        u64::MAX,
    );
    env.ok(&[ix], &[&member.key]).await;
    // The cover matures in a day; shares vote once seasoned (the end of the stake
    // period after the deposits').
    env.warp(DAY).await;
    env.season(&pool).await;
    let carol = users.pop().unwrap();
    let bob = users.pop().unwrap();
    let alice = users.pop().unwrap();
    World {
        env,
        pool,
        alice,
        bob,
        carol,
        member,
    }
}

impl World {
    /// Files claim `id` for `amount`; returns its address.
    async fn file(&mut self, id: u64, amount: u64) -> Pubkey {
        let m = self.member.pubkey();
        let ix = file_claim(&m, &self.pool, id, &self.member.token, amount, HASH, URI);
        self.env.ok(&[ix], &[&self.member.key]).await;
        self.env.assert_conserved(&self.pool).await;
        claim_address(&self.pool, &self.member.pubkey(), id)
    }

    async fn vote(&mut self, who: &User, claim: &Pubkey, approve: bool) {
        let ix = cast_vote(&who.pubkey(), &self.pool, claim, approve);
        self.env.ok(&[ix], &[&who.key]).await;
    }

    async fn finalize(&mut self, claim: &Pubkey) -> Claim {
        let ix = finalize_claim(&self.pool, claim, &self.member.pubkey());
        self.env.ok(&[ix], &[]).await;
        self.env.assert_conserved(&self.pool).await;
        self.env.fetch(*claim).await
    }

    async fn settle_bond(&mut self, claim: &Pubkey) -> (u64, u64) {
        let before = (
            self.env.balance(self.member.token).await,
            self.env.pool(&self.pool).await.capital,
        );
        let out = self
            .env
            .ok(&[withdraw_bond(&self.pool, claim, &self.member.token)], &[])
            .await;
        let after = (
            self.env.balance(self.member.token).await,
            self.env.pool(&self.pool).await.capital,
        );
        if let Some(event) = out.event::<BondSettled>() {
            assert_eq!(event.returned, after.0 > before.0);
        }
        self.env.assert_conserved(&self.pool).await;
        (after.0 - before.0, after.1 - before.1)
    }

    /// Waits out the underwriters' deposit lock; the member's first cover has expired
    /// by then, so it buys a new one (5 000) and waits for it to mature.
    async fn after_lock(&mut self) {
        self.env.warp(DEPOSIT_LOCK).await;
        self.renew_cover().await;
    }

    /// The member buys another term of 5 000 and waits for it to mature. A withdrawal
    /// request waits for the cover in force when it is made: tests that exit quickly
    /// request before this.
    async fn renew_cover(&mut self) {
        let m = self.member.pubkey();
        let ix = contribute_premium(&m, &self.pool, &self.member.token, None, 5_000, u64::MAX);
        self.env.ok(&[ix], &[&self.member.key]).await;
        self.env.warp(DAY).await;
    }

    async fn member_account(&mut self) -> Member {
        let key = self.pool.member(&self.member.pubkey());
        self.env.fetch(key).await
    }
}

#[tokio::test]
async fn approved_claim_is_paid_after_hold_up() {
    let mut w = world().await;
    let balance = w.env.balance(w.member.token).await;
    let claim = w.file(0, 2_000).await;
    let state: Claim = w.env.fetch(claim).await;
    assert_eq!(
        (state.id, state.amount, state.bond, state.status.get()),
        (0, 2_000, 50, ClaimStatus::Voting)
    );
    assert_eq!(
        (
            state.eligible_weight.get(),
            state.evidence_hash,
            state.uri.as_str()
        ),
        (10_000_000_000, HASH, URI)
    );
    assert_eq!(state.voting_ends_at, state.filed_at + VOTING);
    assert_eq!(
        w.env.balance(w.member.token).await,
        balance - 50,
        "bond max(50, 1 % of 2 000)"
    );
    assert_eq!(w.env.pool(&w.pool).await.bonds_held, 50);
    assert_eq!(w.member_account().await.open_claim, claim);

    let (alice, carol, bob) = (
        w.alice.insecure_clone(),
        w.carol.insecure_clone(),
        w.bob.insecure_clone(),
    );
    w.vote(&alice, &claim, true).await;
    w.vote(&carol, &claim, true).await;
    // Finalising early and voting twice are refused.
    let finalize = finalize_claim(&w.pool, &claim, &w.member.pubkey());
    w.env
        .refused(
            std::slice::from_ref(&finalize),
            &[],
            code(InsuranceError::VotingNotOver),
        )
        .await;
    w.env
        .refused(
            &[cast_vote(&alice.pubkey(), &w.pool, &claim, false)],
            &[&alice.key],
            code(InsuranceError::AlreadyVoted),
        )
        .await;
    w.env.warp(VOTING).await;
    w.env
        .refused(
            &[cast_vote(&bob.pubkey(), &w.pool, &claim, false)],
            &[&bob.key],
            code(InsuranceError::VotingClosed),
        )
        .await;

    let state = w.finalize(&claim).await;
    assert_eq!(state.status.get(), ClaimStatus::Approved);
    assert_eq!(
        (state.yes_weight.get(), state.no_weight.get(), state.voters),
        (9_000_000_000, 0, 2)
    );
    assert_eq!(w.env.pool(&w.pool).await.reserved_for_claims, 2_000);
    let pay = pay_claim(&w.pool, &claim, &w.member.pubkey(), &w.member.token);
    w.env
        .refused(
            std::slice::from_ref(&pay),
            &[],
            code(InsuranceError::HoldupActive),
        )
        .await;
    w.env.warp(HOLDUP).await;
    let guardian = w.env.guardian.insecure_clone();
    w.env
        .refused(
            &[veto_claim(
                &guardian.pubkey(),
                &w.pool,
                &claim,
                &w.member.pubkey(),
            )],
            &[&guardian],
            code(InsuranceError::HoldupOver),
        )
        .await;

    let funds = {
        let p = w.env.pool(&w.pool).await;
        p.capital + p.unearned_premiums
    };
    let before = w.env.balance(w.member.token).await;
    let out = w.env.ok(std::slice::from_ref(&pay), &[]).await;
    if let Some(event) = out.event::<ClaimPaid>() {
        assert_eq!((event.paid, event.unpaid), (2_000, 0));
    }
    assert_eq!(w.env.balance(w.member.token).await, before + 2_000);
    let pool = w.env.pool(&w.pool).await;
    assert_eq!(
        (
            pool.capital + pool.unearned_premiums,
            pool.reserved_for_claims,
            pool.total_claims_paid
        ),
        (funds - 2_000, 0, 2_000)
    );
    assert!(!w.member_account().await.has_open_claim());
    w.env.assert_conserved(&w.pool).await;
    w.env
        .refused(&[pay], &[], code(InsuranceError::ClaimNotApproved))
        .await;

    assert_eq!(
        w.settle_bond(&claim).await,
        (50, 0),
        "returned after payment"
    );
    w.env
        .refused(
            &[withdraw_bond(&w.pool, &claim, &w.member.token)],
            &[],
            code(InsuranceError::BondAlreadySettled),
        )
        .await;
}

#[tokio::test]
async fn quorum_not_met_rejects_and_returns_the_bond() {
    let mut w = world().await;
    let claim = w.file(0, 1_000).await;
    let bob = w.bob.insecure_clone();
    w.vote(&bob, &claim, true).await; // 10 % turnout < 20 % quorum
    w.env.warp(VOTING).await;
    let state = w.finalize(&claim).await;
    assert_eq!(
        (state.status.get(), (state.fraud != 0)),
        (ClaimStatus::Rejected, false)
    );
    assert!(!w.member_account().await.has_open_claim());
    assert_eq!(w.settle_bond(&claim).await, (50, 0));
}

#[tokio::test]
async fn threshold_not_met_rejects_without_fraud() {
    let mut w = world().await;
    let claim = w.file(0, 1_000).await;
    let (alice, bob) = (w.alice.insecure_clone(), w.bob.insecure_clone());
    w.vote(&alice, &claim, false).await;
    w.vote(&bob, &claim, true).await; // 25 % yes < 60 %; 75 % no < 80 %
    w.env.warp(VOTING).await;
    let state = w.finalize(&claim).await;
    assert_eq!(
        (state.status.get(), (state.fraud != 0)),
        (ClaimStatus::Rejected, false)
    );
    assert_eq!(w.settle_bond(&claim).await, (50, 0));
}

#[tokio::test]
async fn fraudulent_claim_loses_its_bond_to_the_pool() {
    let mut w = world().await;
    let claim = w.file(0, 4_000).await; // bond max(50, 40) = 50
    let (carol, bob) = (w.carol.insecure_clone(), w.bob.insecure_clone());
    w.vote(&carol, &claim, false).await;
    w.vote(&bob, &claim, true).await; // 6/7 = 85.7 % no >= 80 %
    w.env.warp(VOTING).await;
    let state = w.finalize(&claim).await;
    assert_eq!(
        (state.status.get(), (state.fraud != 0)),
        (ClaimStatus::Rejected, true)
    );
    assert_eq!(w.settle_bond(&claim).await, (0, 50), "slashed into capital");
    assert_eq!(w.env.pool(&w.pool).await.bonds_held, 0);
}

#[tokio::test]
async fn guardian_veto_during_hold_up_slashes_the_bond() {
    let mut w = world().await;
    let claim = w.file(0, 2_000).await;
    let carol = w.carol.insecure_clone();
    w.vote(&carol, &claim, true).await;
    w.env.warp(VOTING).await;
    assert_eq!(w.finalize(&claim).await.status, ClaimStatus::Approved);
    let guardian = w.env.guardian.insecure_clone();
    let authority = w.env.authority.insecure_clone();
    let m = w.member.pubkey();
    w.env
        .refused(
            &[veto_claim(&authority.pubkey(), &w.pool, &claim, &m)],
            &[&authority],
            code(InsuranceError::NotGuardian),
        )
        .await;
    let out = w
        .env
        .ok(
            &[veto_claim(&guardian.pubkey(), &w.pool, &claim, &m)],
            &[&guardian],
        )
        .await;
    if let Some(event) = out.event::<ClaimVetoed>() {
        assert_eq!(event.claim, claim);
    }
    let state: Claim = w.env.fetch(claim).await;
    assert_eq!(state.status.get(), ClaimStatus::Vetoed);
    assert_eq!(w.env.pool(&w.pool).await.reserved_for_claims, 0);
    w.env.warp(HOLDUP).await;
    w.env
        .refused(
            &[pay_claim(&w.pool, &claim, &m, &w.member.token)],
            &[],
            code(InsuranceError::ClaimNotApproved),
        )
        .await;
    assert_eq!(w.settle_bond(&claim).await, (0, 50));
    // The member may claim again.
    assert!(!w.member_account().await.has_open_claim());
    w.file(1, 100).await;
}

#[tokio::test]
async fn partial_payment_records_the_unpaid_rest() {
    let mut w = world().await;
    let claim = w.file(0, 5_000).await;
    let carol = w.carol.insecure_clone();
    w.vote(&carol, &claim, true).await;
    // While it votes, other losses (shortfall payouts, simulated) leave 3 000.
    let capital = w.env.pool(&w.pool).await.capital;
    w.env.simulate_loss(&w.pool, capital - 3_000).await;
    w.env.warp(VOTING).await;
    // Approval reserves at most the free capital (3 000 plus whatever premium has
    // been earned since): that is what will be paid; the rest is recorded as unpaid.
    let approved = w.finalize(&claim).await;
    assert!(approved.reserved >= 3_000 && approved.reserved < 5_000);
    assert_eq!(w.env.pool(&w.pool).await.free_capital(), 0);
    w.env.warp(HOLDUP).await;
    let m = w.member.pubkey();
    w.env
        .ok(&[pay_claim(&w.pool, &claim, &m, &w.member.token)], &[])
        .await;
    let state: Claim = w.env.fetch(claim).await;
    assert_eq!(
        (state.status.get(), state.paid, state.unpaid),
        (
            ClaimStatus::Paid,
            approved.reserved,
            5_000 - approved.reserved
        )
    );
    let pool = w.env.pool(&w.pool).await;
    assert_eq!(
        (pool.reserved_for_claims, pool.free_capital()),
        (0, pool.capital)
    );
    w.env.assert_conserved(&w.pool).await;
}

#[tokio::test]
async fn voting_weight_rules() {
    let mut w = world().await;
    let claim = w.file(0, 1_000).await;
    // A depositor after the filing (same second included) cannot vote.
    let dave = w.env.user(&w.pool, 500).await;
    w.env.deposit(&dave, &w.pool, 500).await;
    w.env
        .refused(
            &[cast_vote(&dave.pubkey(), &w.pool, &claim, true)],
            &[&dave.key],
            code(InsuranceError::VoteWeightTooNew),
        )
        .await;
    // Neither can alice after topping up.
    let alice = w.alice.insecure_clone();
    w.env.mint_to(&w.pool.mint, &TOKEN, &alice.token, 10).await;
    w.env.deposit(&alice, &w.pool, 10).await;
    w.env
        .refused(
            &[cast_vote(&alice.pubkey(), &w.pool, &claim, true)],
            &[&alice.key],
            code(InsuranceError::VoteWeightTooNew),
        )
        .await;
    // A member who never underwrote has no position at all.
    let m = w.member.insecure_clone();
    w.env
        .refused(
            &[cast_vote(&m.pubkey(), &w.pool, &claim, true)],
            &[&m.key],
            // The zero-copy loader refuses the empty account by owner.
            code(AnchorError::AccountOwnedByWrongProgram),
        )
        .await;
    // Someone else's position cannot be used.
    let mut steal = cast_vote(&m.pubkey(), &w.pool, &claim, true);
    steal.accounts[4].pubkey = w.pool.underwriter(&w.carol.pubkey());
    w.env
        .refused(&[steal], &[&m.key], code(InsuranceError::WrongUnderwriter))
        .await;
    // A claim of another pool cannot be voted through this pool.
    let other = w.env.create_pool(TOKEN).await;
    let bob = w.bob.insecure_clone();
    let mut cross = cast_vote(&bob.pubkey(), &other, &claim, true);
    cross.accounts[4].pubkey = w.pool.underwriter(&bob.pubkey());
    w.env
        .refused(&[cross], &[&bob.key], code(InsuranceError::WrongClaim))
        .await;
    // A claims pause stops filings and payouts, never votes: a pause right after an
    // attacker's votes would freeze the tally (issue 31's sixth attacker review).
    let guardian = w.env.guardian.insecure_clone();
    w.env
        .ok(
            &[set_pool_pause(&guardian.pubkey(), &w.pool, pause::CLAIMS)],
            &[&guardian],
        )
        .await;
    w.env
        .ok(
            &[cast_vote(&bob.pubkey(), &w.pool, &claim, true)],
            &[&bob.key],
        )
        .await;
}

/// What the CLI, the client and the app tell a depositor is the program's rule: a
/// position votes with all its shares on claims filed from `Underwriter::votes_from`
/// (what the pool view promised before the deposit, `seasoned_from`), and not on one
/// filed a second earlier. Deposits at the first second of a stake period (the longest
/// wait: two periods), in its middle and at its last second (just over one period).
#[tokio::test]
async fn a_position_votes_from_the_time_it_is_told() {
    let mut w = world().await;
    let age = DEFAULT_GOVERNANCE.min_stake_age;
    let member = w.member.insecure_clone();
    for (n, into_period) in [0, age / 2, age - 1].into_iter().enumerate() {
        let now = w.env.now().await;
        let period_start = (insurance_pool::math::stake_period(now, age) + 1) * age;
        w.env.warp_to(period_start + into_period).await;
        let promised = insurance_pool::math::seasoned_from(w.env.now().await, age);
        let voter = w.env.user(&w.pool, 1_000).await;
        let shares = w.env.deposit(&voter, &w.pool, 1_000).await;
        let position = w.env.underwriter(&w.pool, &voter.pubkey()).await;
        let from = position.votes_from(age).expect("free shares");
        assert_eq!(from, promised, "deposit {into_period}s into its period");
        let waited = from - (period_start + into_period);
        assert!(waited > age && waited <= 2 * age, "{waited}");
        // The cover of the world's member has long expired: buy more for each round.
        let ix = contribute_premium(
            &member.pubkey(),
            &w.pool,
            &member.token,
            None,
            100,
            u64::MAX,
        );
        w.env
            .mint_to(&w.pool.mint, &TOKEN, &member.token, 100)
            .await;
        w.env.ok(&[ix], &[&member.key]).await;
        // One second early: filed, but none of the new shares vote on it.
        w.env.warp_to(from - 1).await;
        let id = 2 * n as u64;
        let early = w.file(id, 10).await;
        w.env
            .refused(
                &[cast_vote(&voter.pubkey(), &w.pool, &early, true)],
                &[&voter.key],
                code(InsuranceError::NoVotingWeight),
            )
            .await;
        let ix = cancel_claim(&member.pubkey(), &w.pool, &early);
        w.env.ok(&[ix], &[&member.key]).await;
        // On time: all of them.
        w.env.warp_to(from).await;
        let on_time = w.file(id + 1, 10).await;
        w.vote(&voter, &on_time, true).await;
        let claim: Claim = w.env.fetch(on_time).await;
        assert_eq!(claim.yes_weight.get(), shares);
        let ix = cancel_claim(&member.pubkey(), &w.pool, &on_time);
        w.env
            .refused(&[ix], &[&member.key], code(InsuranceError::ClaimHasVotes))
            .await;
        w.env.warp(VOTING).await;
        w.finalize(&on_time).await;
    }
}

#[tokio::test]
async fn voters_cannot_withdraw_until_the_vote_ends() {
    let mut w = world().await;
    w.env.warp(DEPOSIT_LOCK).await;
    let alice = w.alice.insecure_clone();
    // Half under request (no vote), half votes.
    let shares = w
        .env
        .underwriter(&w.pool, &alice.pubkey())
        .await
        .shares
        .get()
        / 2;
    w.env
        .ok(
            &[request_withdrawal(&alice.pubkey(), &w.pool, shares)],
            &[&alice.key],
        )
        .await;
    w.renew_cover().await; // cooldown over
    let claim = w.file(0, 1_000).await;
    w.vote(&alice, &claim, false).await;
    w.env.warp(DAY).await; // vote still running
    let complete = complete_withdrawal(&alice.pubkey(), &w.pool, &alice.token);
    w.env
        .refused(
            std::slice::from_ref(&complete),
            &[&alice.key],
            code(InsuranceError::ClaimsVoting),
        )
        .await;
    // Held while the claim votes (and, were it approved, through its hold-up).
    w.env.warp(VOTING - DAY).await;
    w.env
        .refused(
            std::slice::from_ref(&complete),
            &[&alice.key],
            code(InsuranceError::ClaimsVoting),
        )
        .await;
    w.env.warp(HOLDUP).await;
    let pending = w
        .env
        .underwriter(&w.pool, &alice.pubkey())
        .await
        .pending_value;
    assert!(
        pending >= 1_500,
        "half her deposit plus her share of the premium"
    );
    // Nobody finalised the claim: it is still voting, so nothing completes yet (her
    // window waits on the exit clock, which stands still meanwhile).
    w.env
        .refused(
            std::slice::from_ref(&complete),
            &[&alice.key],
            code(InsuranceError::ClaimsVoting),
        )
        .await;
    let claim_state = w.finalize(&claim).await;
    assert_eq!(claim_state.status.get(), ClaimStatus::Rejected);
    let value = w.env.pool_now(&w.pool).await.value_of(shares).unwrap();
    w.env.ok(&[complete], &[&alice.key]).await;
    let paid = w.env.balance(alice.token).await;
    // Her pending shares earned their part of the premium meanwhile; the rejected
    // claim took nothing from her.
    assert_eq!(paid, value);
    assert!(paid >= pending, "the rejected claim took nothing from her");
    w.env.assert_conserved(&w.pool).await;
}

#[tokio::test]
async fn approved_claims_reserve_capital_against_withdrawals() {
    let mut w = world().await;
    w.after_lock().await;
    let carol = w.carol.insecure_clone();
    let shares = w
        .env
        .underwriter(&w.pool, &carol.pubkey())
        .await
        .shares
        .get();
    let claim = w.file(0, 5_000).await;
    w.vote(&carol, &claim, true).await;
    w.env.warp(VOTING).await;
    w.finalize(&claim).await;
    // Capital ~10 000, 5 000 reserved: carol's 60 % is worth 60 % of the free 5 000.
    w.env
        .ok(
            &[request_withdrawal(&carol.pubkey(), &w.pool, shares)],
            &[&carol.key],
        )
        .await;
    let pending = w
        .env
        .underwriter(&w.pool, &carol.pubkey())
        .await
        .pending_value;
    let pool = w.env.pool(&w.pool).await;
    assert!(pending <= pool.free_capital() * 6 / 10 + 1, "{pending}");
    // The request waits for the member's cover (past the hold-up).
    let unlock = w.env.underwriter(&w.pool, &carol.pubkey()).await.unlock_at;
    let now = w.env.now().await;
    assert!(unlock - now >= HOLDUP);
    w.env.warp(unlock - now).await;
    w.env
        .ok(
            &[complete_withdrawal(&carol.pubkey(), &w.pool, &carol.token)],
            &[&carol.key],
        )
        .await;
    // The reservation is intact: the claim is still payable in full.
    let pool = w.env.pool(&w.pool).await;
    assert!(pool.capital >= 5_000 && pool.reserved_for_claims == 5_000);
    let m = w.member.pubkey();
    w.env
        .ok(&[pay_claim(&w.pool, &claim, &m, &w.member.token)], &[])
        .await;
    let paid: Claim = w.env.fetch(claim).await;
    assert_eq!((paid.paid, paid.unpaid), (5_000, 0));
    w.env.assert_conserved(&w.pool).await;
}

#[tokio::test]
async fn filing_refusals() {
    let mut w = world().await;
    let m = w.member.pubkey();
    let s = [&w.member.key.insecure_clone()];
    let file = |id: u64, amount: u64, uri: &str| {
        file_claim(&m, &w.pool, id, &w.member.token, amount, HASH, uri)
    };
    let (above, zero, long) = (
        file(0, 5_001, URI),
        file(0, 0, URI),
        file(0, 1, &"x".repeat(201)),
    );
    w.env
        .refused(&[above], &s, code(InsuranceError::ClaimAboveCoverage))
        .await;
    w.env
        .refused(&[zero], &s, code(InsuranceError::ZeroAmount))
        .await;
    w.env
        .refused(&[long], &s, code(InsuranceError::UriTooLong))
        .await;
    // One open claim per member.
    w.file(0, 1_000).await;
    let second = file_claim(&m, &w.pool, 1, &w.member.token, 1_000, HASH, URI);
    w.env
        .refused(
            std::slice::from_ref(&second),
            &s,
            code(InsuranceError::ClaimAlreadyOpen),
        )
        .await;
    // Someone without cover has no member account.
    let stranger = w.env.user(&w.pool, 1_000).await;
    w.env
        .refused(
            &[file_claim(
                &stranger.pubkey(),
                &w.pool,
                1,
                &stranger.token,
                100,
                HASH,
                URI,
            )],
            &[&stranger.key],
            code(AnchorError::AccountOwnedByWrongProgram),
        )
        .await;
    // Cancelled (no votes yet), the member may file again; after expiry it may not.
    let first = claim_address(&w.pool, &w.member.pubkey(), 0);
    let bob = w.bob.insecure_clone();
    // Bob may not cancel it, even naming the member's account.
    let mut foreign = cancel_claim(&bob.pubkey(), &w.pool, &first);
    foreign.accounts[3].pubkey = w.pool.member(&m);
    w.env
        .refused(&[foreign], &[&bob.key], code(InsuranceError::WrongClaimant))
        .await;
    w.env.ok(&[cancel_claim(&m, &w.pool, &first)], &s).await;
    assert_eq!(
        w.settle_bond(&first).await,
        (50, 0),
        "returned after cancellation"
    );
    w.env.warp(31 * DAY).await;
    w.env
        .refused(&[second], &s, code(InsuranceError::NotCovered))
        .await;
}

#[tokio::test]
async fn cancel_and_bond_refusals() {
    let mut w = world().await;
    let claim = w.file(0, 1_000).await;
    w.env
        .refused(
            &[withdraw_bond(&w.pool, &claim, &w.member.token)],
            &[],
            code(InsuranceError::ClaimStillOpen),
        )
        .await;
    let bob = w.bob.insecure_clone();
    w.vote(&bob, &claim, true).await;
    let m = w.member.insecure_clone();
    w.env
        .refused(
            &[cancel_claim(&m.pubkey(), &w.pool, &claim)],
            &[&m.key],
            code(InsuranceError::ClaimHasVotes),
        )
        .await;
    // The bond goes only to the claimant's own token account.
    w.env.warp(VOTING).await;
    w.finalize(&claim).await;
    w.env
        .refused(
            &[withdraw_bond(&w.pool, &claim, &bob.token)],
            &[],
            code(InsuranceError::WrongClaimant),
        )
        .await;
    // Paused claims stop filing and paying (not bond settlement).
    let guardian = w.env.guardian.insecure_clone();
    w.env
        .ok(
            &[set_protocol_pause(&guardian.pubkey(), pause::CLAIMS)],
            &[&guardian],
        )
        .await;
    w.env
        .refused(
            &[file_claim(&m.pubkey(), &w.pool, 1, &m.token, 10, HASH, URI)],
            &[&m.key],
            code(InsuranceError::Paused),
        )
        .await;
    assert_eq!(w.settle_bond(&claim).await, (50, 0));
}

#[tokio::test]
async fn a_claim_in_a_leaves_b_untouched() {
    let mut w = world().await;
    let b = w
        .env
        .create_pool_for_mint(w.pool.mint, TOKEN, default_params())
        .await;
    let ub = w.env.user(&b, 1_000).await;
    w.env.deposit(&ub, &b, 1_000).await;
    let watched = [b.pool, b.vault, b.bond_vault, b.underwriter(&ub.pubkey())];
    let before = w.env.snapshot(&watched).await;

    let claim = w.file(0, 2_000).await;
    let carol = w.carol.insecure_clone();
    w.vote(&carol, &claim, true).await;
    w.env.warp(VOTING).await;
    w.finalize(&claim).await;
    w.env.warp(HOLDUP).await;
    // Paying A's claim out of B's vault is refused.
    let m = w.member.pubkey();
    let mut cross = pay_claim(&w.pool, &claim, &m, &w.member.token);
    cross.accounts[5].pubkey = b.vault;
    w.env
        .refused(&[cross], &[], code(InsuranceError::WrongVault))
        .await;
    w.env
        .ok(&[pay_claim(&w.pool, &claim, &m, &w.member.token)], &[])
        .await;
    w.settle_bond(&claim).await;
    assert_eq!(w.env.snapshot(&watched).await, before, "market B changed");
    w.env.assert_conserved(&b).await;
}

#[tokio::test]
async fn out_of_order_lifecycle_steps_are_refused() {
    let mut w = world().await;
    w.env.warp(DEPOSIT_LOCK).await;
    // An underwriter who left before the filing has no weight.
    let bob = w.bob.insecure_clone();
    let shares = w.env.underwriter(&w.pool, &bob.pubkey()).await.shares.get();
    w.env
        .ok(
            &[request_withdrawal(&bob.pubkey(), &w.pool, shares)],
            &[&bob.key],
        )
        .await;
    w.renew_cover().await;
    w.env
        .ok(
            &[complete_withdrawal(&bob.pubkey(), &w.pool, &bob.token)],
            &[&bob.key],
        )
        .await;
    w.env.warp(1).await;
    let claim = w.file(0, 1_000).await;
    w.env
        .refused(
            &[cast_vote(&bob.pubkey(), &w.pool, &claim, true)],
            &[&bob.key],
            code(InsuranceError::NoVotingWeight),
        )
        .await;
    let m = w.member.pubkey();
    let guardian = w.env.guardian.insecure_clone();
    // Nothing but voting, cancelling or finalising applies to a claim under vote.
    w.env
        .refused(
            &[veto_claim(&guardian.pubkey(), &w.pool, &claim, &m)],
            &[&guardian],
            code(InsuranceError::ClaimNotApproved),
        )
        .await;
    w.env
        .refused(
            &[pay_claim(&w.pool, &claim, &m, &w.member.token)],
            &[],
            code(InsuranceError::ClaimNotApproved),
        )
        .await;
    // Rejected (no votes): it cannot be finalised again, voted on, vetoed or paid.
    w.env.warp(VOTING).await;
    assert_eq!(w.finalize(&claim).await.status, ClaimStatus::Rejected);
    let alice = w.alice.insecure_clone();
    w.env
        .refused(
            &[finalize_claim(&w.pool, &claim, &m)],
            &[],
            code(InsuranceError::ClaimNotVoting),
        )
        .await;
    w.env
        .refused(
            &[cast_vote(&alice.pubkey(), &w.pool, &claim, true)],
            &[&alice.key],
            code(InsuranceError::ClaimNotVoting),
        )
        .await;
    w.env
        .refused(
            &[veto_claim(&guardian.pubkey(), &w.pool, &claim, &m)],
            &[&guardian],
            code(InsuranceError::ClaimNotApproved),
        )
        .await;
    w.env
        .refused(
            &[cancel_claim(&m, &w.pool, &claim)],
            &[&w.member.key.insecure_clone()],
            code(InsuranceError::ClaimNotVoting),
        )
        .await;
    // Finalising with another member's account is refused.
    let claim2 = w.file(1, 500).await;
    w.env.warp(VOTING).await;
    let mut wrong = finalize_claim(&w.pool, &claim2, &m);
    wrong.accounts[2].pubkey = w.pool.member(&alice.pubkey());
    w.env
        .refused(
            &[wrong],
            &[],
            // No claim there: the zero-copy loader refuses the empty account by owner.
            code(AnchorError::AccountOwnedByWrongProgram),
        )
        .await;
    w.env.assert_conserved(&w.pool).await;
}
