//! The fresh-context attacker review of the review-3 fixes (issue 31), each probe turned
//! into a regression test: P2 (a free `cancel_claim` let its claimant open exits for
//! itself alone), P3 (request, dust purchase and cancel in one transaction left the
//! remembered premium rate at the ceiling), P4 (a lapsed request kept cover priced on a
//! tenth of the pool). P1 (dust claims keep every exit waiting for as long as they are
//! refiled) is griefing, not a path to capital: its test shows the guardian's `CLAIMS`
//! pause ending it. Finding 4 (exit, dust purchase and deposit back in one transaction
//! pinned the stored rate) is here too: it is P3's route one step to the side.

use insurance_pool_testkit::*;

const DAY: i64 = 86_400;
const HOUR: i64 = 3_600;
const HASH: [u8; 32] = [7; 32];

fn buy_ix(pool: &PoolKeys, who: &User, notional: u64) -> Instruction {
    contribute_premium(&who.pubkey(), pool, &who.token, None, notional, u64::MAX)
}

/// `who`'s next claim of `amount` and its address.
async fn file_ix(
    env: &mut TestEnv,
    pool: &PoolKeys,
    who: &User,
    amount: u64,
) -> (Instruction, Pubkey) {
    let m: Member = env.fetch(pool.member(&who.pubkey())).await;
    let id = m.claim_count;
    (
        file_claim(
            &who.pubkey(),
            pool,
            id,
            &who.token,
            amount,
            HASH,
            "ipfs://x",
        ),
        claim_address(pool, &who.pubkey(), id),
    )
}

use anchor_lang::solana_program::instruction::Instruction;

/// Two underwriters of 10 000 (both asking to leave) and a stayer of 1 000, past the
/// deposit lock; two members with a matured unit of cover each.
async fn two_leavers() -> (TestEnv, PoolKeys, [User; 3], [User; 2]) {
    let mut env = TestEnv::new().await;
    let pool = env.create_pool(TOKEN).await;
    let mut u = Vec::new();
    for amount in [10_000, 10_000, 1_000] {
        let user = env.user(&pool, amount).await;
        env.deposit(&user, &pool, amount).await;
        u.push(user);
    }
    env.warp(DEPOSIT_LOCK).await;
    // The requests come first: a request waits for the cover in force when it is made.
    env.request_all(&pool, &u[0]).await;
    env.request_all(&pool, &u[1]).await;
    let (m1, m2) = (env.user(&pool, 1_000).await, env.user(&pool, 1_000).await);
    env.ok(
        &[buy_ix(&pool, &m1, 1), buy_ix(&pool, &m2, 1)],
        &[&m1.key, &m2.key],
    )
    .await;
    env.warp(DAY).await;
    let [a, b, c]: [User; 3] = u.try_into().ok().expect("three");
    (env, pool, [a, b, c], [m1, m2])
}

/// P2: the attacker (an underwriter with a pending request) keeps a cancellable dust
/// claim voting and, in one transaction, cancels it, completes its own withdrawal and
/// files the next: the others stayed trapped while a loss outside the claims landed on
/// them (10 000 out for the attacker, 4 545 for the victim where both should get about
/// 7 143). A cancelled claim now keeps exits waiting until its voting period ends and
/// `finalize_claim` releases it: the attacker's transaction is refused like everyone's,
/// and when exits open they open for all.
#[tokio::test]
async fn review3_p2_a_cancel_does_not_open_exits_for_its_claimant_alone() {
    let (mut env, pool, [attacker, victim, _stayer], [m1, m2]) = two_leavers().await;
    let (first, claim) = file_ix(&mut env, &pool, &m1, 1).await;
    env.ok(&[first], &[&m1.key]).await;
    env.warp(50 * 60).await;
    let (refile, next) = file_ix(&mut env, &pool, &m2, 1).await;
    let escape = [
        cancel_claim(&m1.pubkey(), &pool, &claim),
        complete_withdrawal(&attacker.pubkey(), &pool, &attacker.token),
        refile,
    ];
    env.refused(
        &escape,
        &[&m1.key, &attacker.key, &m2.key],
        code(InsuranceError::ClaimsVoting),
    )
    .await;
    // Cancelling alone works (bond and cover come back) but exits still wait for it.
    env.ok(&[cancel_claim(&m1.pubkey(), &pool, &claim)], &[&m1.key])
        .await;
    assert_eq!(env.fetch::<Claim>(claim).await.held, 1);
    assert_eq!(env.pool(&pool).await.voting_claims, 1);
    let leave = |u: &User| complete_withdrawal(&u.pubkey(), &pool, &u.token);
    env.refused(
        &[leave(&attacker)],
        &[&attacker.key],
        code(InsuranceError::ClaimsVoting),
    )
    .await;
    // Its period over, anyone releases it; exits open for everyone at once.
    env.refused(
        &[finalize_claim(&pool, &claim, &m1.pubkey())],
        &[],
        code(InsuranceError::VotingNotOver),
    )
    .await;
    let _ = next;
    env.warp(DEFAULT_GOVERNANCE.voting_period).await;
    let out = env
        .ok(&[finalize_claim(&pool, &claim, &m1.pubkey())], &[])
        .await;
    if let Some(e) = out.event::<ClaimReleased>() {
        assert_eq!((e.claim, e.voting_claims), (claim, 0));
    }
    assert_eq!(env.fetch::<Claim>(claim).await.held, 0);
    env.refused(
        &[finalize_claim(&pool, &claim, &m1.pubkey())],
        &[],
        code(InsuranceError::ClaimNotVoting),
    )
    .await;
    let (a, v) = (
        env.complete(&pool, &attacker).await,
        env.complete(&pool, &victim).await,
    );
    assert_eq!(a, v, "both leave with the same");
    env.assert_conserved(&pool).await;
}

/// A pool of 1 000 000: a small underwriter of 100 000 and a whale of 900 000, past
/// the deposit lock.
async fn whale_pool() -> (TestEnv, PoolKeys, User) {
    let mut env = TestEnv::new().await;
    let pool = env.create_pool(TOKEN).await;
    let small = env.user(&pool, 100_000).await;
    env.deposit(&small, &pool, 100_000).await;
    let whale = env.user(&pool, 1_000_000).await;
    env.deposit(&whale, &pool, 900_000).await;
    env.warp(DEPOSIT_LOCK).await;
    (env, pool, whale)
}

/// P3: a whale that never means to leave requested all its shares, bought 1 unit of
/// cover (priced on the 10 % that stays: 2 000 bps) and cancelled, in one transaction:
/// the remembered rate stayed at 2 000 and fell 100 bps a day, so the next day's buyer
/// paid 19 000 where the curve asks 1 700 (the whale +15 570). The rate first ignored
/// pending withdrawals; since finding 4 (below) nothing is remembered at all: the next
/// buyer pays the curve.
#[tokio::test]
async fn review3_p3_request_buy_cancel_does_not_pump_the_rate() {
    let (mut env, pool, whale) = whale_pool().await;
    let early = env.user(&pool, 1_000_000).await;
    env.ok(&[buy_ix(&pool, &early, 200_000)], &[&early.key])
        .await;
    env.warp(HOUR).await;
    let fair = env.quote(&pool, None, 100_000).await;
    assert_eq!(fair.rate_bps, 170);
    let shares = env.underwriter(&pool, &whale.pubkey()).await.shares.get();
    env.ok(
        &[
            request_withdrawal(&whale.pubkey(), &pool, shares),
            buy_ix(&pool, &whale, 1),
            cancel_withdrawal(&whale.pubkey(), &pool),
        ],
        &[&whale.key],
    )
    .await;
    env.warp(DAY).await;
    let q = env.quote(&pool, None, 100_000).await;
    assert_eq!((q.rate_bps, q.premium), (fair.rate_bps, fair.premium));
    env.assert_conserved(&pool).await;
}

/// P4: a request kept past its window stayed in `pending_withdrawal_shares`, so cover
/// stayed priced and capped on the 10 % that "stays" (400 000 quoted at 2 000 bps
/// instead of 210, 600 000 refused) for as long as the whale liked. Once every pending
/// request has lapsed (`Pool::pending_until`), none counts as leaving.
#[tokio::test]
async fn review3_p4_a_lapsed_request_no_longer_prices_cover() {
    let (mut env, pool, whale) = whale_pool().await;
    let before = env.quote(&pool, None, 400_000).await;
    env.request_all(&pool, &whale).await;
    // While the request is live, cover is priced on what stays.
    assert_eq!(env.quote(&pool, None, 400_000).await.rate_bps, 2_000);
    let params = default_params();
    env.warp(params.withdrawal_cooldown + params.withdrawal_window + 1)
        .await;
    env.refused(
        &[complete_withdrawal(&whale.pubkey(), &pool, &whale.token)],
        &[&whale.key],
        code(InsuranceError::WithdrawalLapsed),
    )
    .await;
    let after = env.quote(&pool, None, 400_000).await;
    assert_eq!(
        (after.rate_bps, after.premium),
        (before.rate_bps, before.premium)
    );
    let buyer = env.user(&pool, 10_000_000).await;
    env.ok(&[buy_ix(&pool, &buyer, 600_000)], &[&buyer.key])
        .await;
    env.assert_conserved(&pool).await;
}

/// P1 (griefing): members with a unit of cover each keep dust claims voting back to
/// back (each rejected without votes, its bond returned), so no withdrawal completes and
/// the exit clock stands still (governance waits too) for as long as they refile. No
/// one gains from it; the guardian's `CLAIMS` pause ends it within one voting period.
#[tokio::test]
async fn review3_p1_dust_claims_delay_exits_until_the_guardian_pauses_claims() {
    let (mut env, pool, [leaver, _, _], [m1, m2]) = two_leavers().await;
    let (ix, c1) = file_ix(&mut env, &pool, &m1, 1).await;
    env.ok(&[ix], &[&m1.key]).await;
    let leave = complete_withdrawal(&leaver.pubkey(), &pool, &leaver.token);
    let clock = env.exit_clock(&pool).await;
    env.warp(2 * DAY).await;
    let (ix, c2) = file_ix(&mut env, &pool, &m2, 1).await;
    env.ok(&[ix], &[&m2.key]).await;
    env.refused(
        std::slice::from_ref(&leave),
        &[&leaver.key],
        code(InsuranceError::ClaimsVoting),
    )
    .await;
    assert_eq!(
        env.exit_clock(&pool).await,
        clock,
        "the exit clock stood still"
    );
    // The guardian pauses claims: no new filing; the running votes end and are settled.
    let guardian = env.guardian.insecure_clone();
    env.ok(
        &[set_pool_pause(&guardian.pubkey(), &pool, pause::CLAIMS)],
        &[&guardian],
    )
    .await;
    env.warp(DAY).await;
    env.ok(&[finalize_claim(&pool, &c1, &m1.pubkey())], &[])
        .await;
    let (ix, _) = file_ix(&mut env, &pool, &m1, 1).await;
    env.refused(&[ix], &[&m1.key], code(InsuranceError::Paused))
        .await;
    env.warp(2 * DAY).await;
    env.ok(&[finalize_claim(&pool, &c2, &m2.pubkey())], &[])
        .await;
    let paid = env.complete(&pool, &leaver).await;
    assert!(paid >= 10_000, "left with {paid}");
    env.assert_conserved(&pool).await;
}

/// Finding 4: the stored premium rate was pinned at the ceiling by a round trip in one
/// transaction. A whale completes its exit (the pool is momentarily a tenth of itself),
/// an accomplice buys 1 unit of cover at the momentary ceiling, and the whale deposits
/// back at the same share price: the remembered rate stayed at 2 000 bps and fell only
/// 100 bps a day, so the next day's buyer of 100 000 paid 19 000 where the curve asks
/// 1 700 (the whale, as an underwriter, pocketing most of the difference). The rate no
/// longer remembers: every purchase pays the curve at the utilisation it creates on the
/// capital that stays, so the round trip changes no later price.
#[tokio::test]
async fn review3_f4_exit_buy_deposit_back_does_not_pin_the_rate() {
    let (mut env, pool, whale) = whale_pool().await;
    // The request first (it would wait for cover in force), then cover on what stays.
    env.request_all(&pool, &whale).await;
    let early = env.user(&pool, 1_000_000).await;
    env.ok(&[buy_ix(&pool, &early, 200_000)], &[&early.key])
        .await;
    let params = default_params();
    env.warp(params.withdrawal_cooldown + HOUR).await;
    let accomplice = env.user(&pool, 1_000).await;
    env.ok(
        &[
            complete_withdrawal(&whale.pubkey(), &pool, &whale.token),
            buy_ix(&pool, &accomplice, 1),
            deposit(&whale.pubkey(), &pool, &whale.token, 900_000, 0),
        ],
        &[&whale.key, &accomplice.key],
    )
    .await;
    let momentary = env.pool(&pool).await.rate_bps;
    assert_eq!(
        momentary, 2_000,
        "the accomplice paid the momentary ceiling"
    );
    env.warp(DAY).await;
    let q = env.quote(&pool, None, 100_000).await;
    assert_eq!(q.rate_bps, 170, "the next buyer pays the curve");
    let buyer = env.user(&pool, 1_000_000).await;
    let before = env.balance(buyer.token).await;
    env.ok(&[buy_ix(&pool, &buyer, 100_000)], &[&buyer.key])
        .await;
    assert_eq!(before - env.balance(buyer.token).await, q.premium);
    env.assert_conserved(&pool).await;
}

/// The whale pool, seasoned, plus a helper underwriter of 1 000 (for B).
async fn whale_pool_with_helper() -> (TestEnv, PoolKeys, User, User) {
    let (mut env, pool, whale) = whale_pool().await;
    let helper = env.user(&pool, 1_000).await;
    env.deposit(&helper, &pool, 1_000).await;
    env.warp(DEPOSIT_LOCK).await;
    env.season(&pool).await;
    (env, pool, whale, helper)
}

/// Attacker review of this fixes, B: the whale's request lapsed, but a helper
/// re-made a dust request (and cancelled it) every week, so "some request is live" and
/// every pending share, the whale's lapsed 900 000 included, kept counting as leaving:
/// 400 000 of cover stayed quoted at 2 000 bps (80 000) instead of 210 (8 400), the
/// whale pocketing most of the overcharge. Anyone may now take a lapsed request out of
/// the capital counted as leaving (`expire_withdrawal`: a keeper, or the buyer in the
/// same transaction); before it has lapsed the refusal changes nothing.
#[tokio::test]
async fn review3_b_a_lapsed_request_can_be_expired_by_anyone() {
    let (mut env, pool, whale, helper) = whale_pool_with_helper().await;
    let fair = env.quote(&pool, None, 400_000).await;
    env.request_all(&pool, &whale).await;
    let expire = expire_withdrawal(&whale.pubkey(), &pool);
    // Live: refused, nothing changes.
    let before = env.underwriter(&pool, &whale.pubkey()).await;
    env.refused(
        std::slice::from_ref(&expire),
        &[],
        code(InsuranceError::WithdrawalNotLapsed),
    )
    .await;
    let after = env.underwriter(&pool, &whale.pubkey()).await;
    assert_eq!(
        (after.pending_shares.get(), after.window_closes_at),
        (before.pending_shares.get(), before.window_closes_at)
    );
    // A request made and cancelled at once still moves the pool's latest window.
    for _ in 0..3 {
        env.warp(7 * DAY).await;
        env.ok(
            &[
                request_withdrawal(&helper.pubkey(), &pool, 1),
                cancel_withdrawal(&helper.pubkey(), &pool),
            ],
            &[&helper.key],
        )
        .await;
    }
    env.refused(
        &[complete_withdrawal(&whale.pubkey(), &pool, &whale.token)],
        &[&whale.key],
        code(InsuranceError::WithdrawalLapsed),
    )
    .await;
    // Still dear while the lapsed request stands among a live one...
    assert_eq!(env.quote(&pool, None, 400_000).await.rate_bps, 2_000);
    // ...until anyone expires it: the buyer does, in its own transaction.
    let buyer = env.user(&pool, 1_000_000).await;
    let paid_before = env.balance(buyer.token).await;
    env.ok(&[expire, buy_ix(&pool, &buyer, 400_000)], &[&buyer.key])
        .await;
    assert_eq!(paid_before - env.balance(buyer.token).await, fair.premium);
    // Nothing else changed: the request stays pending (expired) until its owner
    // cancels it; it can be expired once.
    let w = env.underwriter(&pool, &whale.pubkey()).await;
    assert_eq!(
        (w.pending_shares.get(), w.expired),
        (before.pending_shares.get(), 1)
    );
    env.refused(
        &[expire_withdrawal(&whale.pubkey(), &pool)],
        &[],
        code(InsuranceError::WithdrawalExpiredAlready),
    )
    .await;
    env.ok(&[cancel_withdrawal(&whale.pubkey(), &pool)], &[&whale.key])
        .await;
    assert_eq!(env.pool(&pool).await.leaving_shares.get(), 0);
    env.assert_conserved(&pool).await;
}

/// Second attacker review, 1: `expire_withdrawal` re-staked the victim's shares like a
/// cancel, and a re-staked position cannot vote on claims filed before: expiring a
/// voter's lapsed request in the claim's own filing transaction silenced its "no" on
/// all its seasoned shares, and a made-up claim of 50 000 passed (victim −35 000).
/// Expiry now only stops the request counting as leaving: the victim still votes, and
/// the claim is rejected exactly as without the expiry.
#[tokio::test]
async fn review3_expire_cannot_silence_a_voter() {
    let mut env = TestEnv::new().await;
    let pool = env.create_pool(TOKEN).await;
    let victim = env.user(&pool, 70_000).await;
    env.deposit(&victim, &pool, 70_000).await;
    let a = env.user(&pool, 30_000).await;
    env.deposit(&a, &pool, 30_000).await;
    let m = env.user(&pool, 10_000).await;
    env.warp(DEPOSIT_LOCK).await;
    env.season(&pool).await;
    let shares = env.underwriter(&pool, &victim.pubkey()).await.shares.get();
    env.ok(
        &[request_withdrawal(&victim.pubkey(), &pool, shares / 7)],
        &[&victim.key],
    )
    .await;
    env.ok(&[buy_ix(&pool, &m, 50_000)], &[&m.key]).await;
    let p = default_params();
    env.warp(p.withdrawal_cooldown + p.withdrawal_window + HOUR)
        .await;
    let before = env.underwriter(&pool, &victim.pubkey()).await;
    let (file, claim) = file_ix(&mut env, &pool, &m, 50_000).await;
    env.ok(
        &[file, expire_withdrawal(&victim.pubkey(), &pool)],
        &[&m.key],
    )
    .await;
    let after = env.underwriter(&pool, &victim.pubkey()).await;
    assert_eq!(
        (after.last_stake_at, after.shares.get()),
        (before.last_stake_at, before.shares.get()),
        "the position is untouched"
    );
    env.ok(&[cast_vote(&a.pubkey(), &pool, &claim, true)], &[&a.key])
        .await;
    env.ok(
        &[cast_vote(&victim.pubkey(), &pool, &claim, false)],
        &[&victim.key],
    )
    .await;
    env.warp(DEFAULT_GOVERNANCE.voting_period).await;
    env.ok(&[finalize_claim(&pool, &claim, &m.pubkey())], &[])
        .await;
    let c: Claim = env.fetch(claim).await;
    assert_eq!(c.status.get(), ClaimStatus::Rejected);
    env.assert_conserved(&pool).await;
}

/// Attacker review of this fixes, C: a harmless lengthening of the withdrawal
/// window (governance) left the pool's record of when pending requests lapse on the old
/// window, while `complete_withdrawal` checked the new one: past the old close the
/// whale's live request counted as staying, and an accomplice bought 400 000 at 210 bps
/// and the whale left in the same transaction (the passive underwriter carrying it
/// alone at a tenth of the curve). Each request's close is now fixed when it is made,
/// and the pool's record and the completion read the same one: past it the whale's
/// request has lapsed for both, the cover is fairly priced on the capital that stays,
/// and the whale stays with it.
#[tokio::test]
async fn review3_c_a_longer_window_keeps_a_live_request_leaving() {
    let (mut env, pool, whale) = whale_pool().await;
    let authority = env.authority.insecure_clone();
    let longer = PoolParams {
        withdrawal_window: 30 * DAY,
        ..default_params()
    };
    env.ok(
        &[update_pool_params(&authority.pubkey(), &pool, longer)],
        &[&authority],
    )
    .await;
    let effective = env.pool(&pool).await.pending_params_at;
    let clock = env.exit_clock(&pool).await;
    env.warp(effective - clock - 7 * DAY).await;
    env.request_all(&pool, &whale).await;
    // Past the request's close (the old window), within the new one.
    env.warp(8 * DAY + HOUR).await;
    assert_eq!(env.pool_now(&pool).await.params.withdrawal_window, 30 * DAY);
    let accomplice = env.user(&pool, 1_000_000).await;
    env.refused(
        &[
            buy_ix(&pool, &accomplice, 400_000),
            complete_withdrawal(&whale.pubkey(), &pool, &whale.token),
        ],
        &[&accomplice.key, &whale.key],
        code(InsuranceError::WithdrawalLapsed),
    )
    .await;
    let before = env.balance(accomplice.token).await;
    env.ok(&[buy_ix(&pool, &accomplice, 400_000)], &[&accomplice.key])
        .await;
    assert_eq!(
        before - env.balance(accomplice.token).await,
        8_400,
        "the curve on the whole pool, which stays"
    );
    env.assert_conserved(&pool).await;
}

/// Attacker review of this fixes, D: the exit clock subtracted each stop on its
/// own, so a dust claim voting during a guardian's withdrawal pause ran it backwards
/// (three days of overlap rewound it three days) and reopened the window of a whale's
/// lapsed request, after an accomplice had bought cover priced with that capital as
/// staying. The clock now never runs backwards: through the overlap it stands still,
/// and the lapsed request stays lapsed.
#[tokio::test]
async fn review3_d_overlapping_stops_never_rewind_the_exit_clock() {
    let (mut env, pool, whale) = whale_pool().await;
    env.request_all(&pool, &whale).await;
    let filer = env.user(&pool, 10_000).await;
    env.ok(&[buy_ix(&pool, &filer, 1)], &[&filer.key]).await;
    env.warp(9 * DAY).await;
    env.refused(
        &[complete_withdrawal(&whale.pubkey(), &pool, &whale.token)],
        &[&whale.key],
        code(InsuranceError::WithdrawalLapsed),
    )
    .await;
    let c0 = env.exit_clock(&pool).await;
    let guardian = env.guardian.insecure_clone();
    env.ok(
        &[set_pool_pause(&guardian.pubkey(), &pool, pause::WITHDRAW)],
        &[&guardian],
    )
    .await;
    let (file, claim) = file_ix(&mut env, &pool, &filer, 1).await;
    env.ok(&[file], &[&filer.key]).await;
    for _ in 0..3 {
        env.warp(DAY).await;
        assert_eq!(env.exit_clock(&pool).await, c0, "stands still");
    }
    env.ok(&[finalize_claim(&pool, &claim, &filer.pubkey())], &[])
        .await;
    let authority = env.authority.insecure_clone();
    env.ok(
        &[set_pool_pause(&authority.pubkey(), &pool, 0)],
        &[&authority],
    )
    .await;
    assert_eq!(env.exit_clock(&pool).await, c0, "catching up, not rewound");
    env.refused(
        &[complete_withdrawal(&whale.pubkey(), &pool, &whale.token)],
        &[&whale.key],
        code(InsuranceError::WithdrawalLapsed),
    )
    .await;
    env.assert_conserved(&pool).await;
}

/// Attacker review of this fixes, A: capital that has not asked to leave prices
/// cover, and could ask right after (buy + request in one transaction): with the
/// one-day cooldown the whale left a day later and the passive underwriter carried
/// 400 000 of 30-day cover bought at 210 bps on a tenth of the pool (a 40 000 loss then
/// cost it 40 000 where its fair part was 4 000). A request now waits for the cover in
/// force when it was made: the whale is refused until that cover has left the book, and
/// a loss meanwhile falls on it pro rata.
#[tokio::test]
async fn review3_a_a_request_waits_for_the_cover_it_priced() {
    let (mut env, pool, whale) = whale_pool().await;
    let accomplice = env.user(&pool, 1_000_000).await;
    let shares = env.underwriter(&pool, &whale.pubkey()).await.shares.get();
    env.ok(
        &[
            buy_ix(&pool, &accomplice, 400_000),
            request_withdrawal(&whale.pubkey(), &pool, shares),
        ],
        &[&accomplice.key, &whale.key],
    )
    .await;
    let cover: Member = env.fetch(pool.member(&accomplice.pubkey())).await;
    let request = env.underwriter(&pool, &whale.pubkey()).await;
    // The end of the cover's expiry day, when it leaves the exposure book.
    let ends = (cover.coverage_expiry / DAY + 1) * DAY;
    assert_eq!(request.unlock_at, ends);
    // The day the cooldown alone would have let it go, and an hour before the end.
    for at in [env.now().await + DAY + HOUR, ends - HOUR] {
        let now = env.now().await;
        env.warp(at - now).await;
        env.refused(
            &[complete_withdrawal(&whale.pubkey(), &pool, &whale.token)],
            &[&whale.key],
            code(InsuranceError::CooldownNotElapsed),
        )
        .await;
    }
    // Until then its shares are full holders: they bear every loss and earn their part
    // of the premium of the cover they back. Once the cover has left the book:
    env.warp(HOUR).await;
    assert_eq!(env.exposure(&pool).await.active_at(env.now().await), 0);
    let value = env.pool_now(&pool).await.value_of(request.shares.get());
    let paid = env.complete(&pool, &whale).await;
    assert_eq!(paid, value.unwrap());
    assert!(
        paid > request.pending_value,
        "with 90 % of the premium earned"
    );
    env.assert_conserved(&pool).await;
}

/// Third attacker review: a lapsed request nobody had expired came back to life when
/// governance lengthened the window (completion read the window in force), after cover
/// had been priced with that capital counted as staying. The window is now fixed at the
/// request: a longer window changes only requests made after it applies, so the lapsed
/// request stays lapsed (anyone may expire it), and a shorter one cuts no live request.
#[tokio::test]
async fn review3_the_window_is_fixed_at_the_request() {
    let (mut env, pool, whale) = whale_pool().await;
    let p = default_params();
    env.request_all(&pool, &whale).await;
    let authority = env.authority.insecure_clone();
    let longer = PoolParams {
        withdrawal_window: 30 * DAY,
        ..default_params()
    };
    env.ok(
        &[update_pool_params(&authority.pubkey(), &pool, longer)],
        &[&authority],
    )
    .await;
    env.warp(p.withdrawal_cooldown + p.withdrawal_window + HOUR)
        .await;
    // Lapsed, and counted as staying: cover is priced on the whole pool.
    let fair = env.quote(&pool, None, 400_000).await;
    assert_eq!(fair.rate_bps, 210);
    // Past the change's activation: the window in force is 30 days, the request's 7.
    let effective = env.pool(&pool).await.pending_params_at;
    let clock = env.exit_clock(&pool).await;
    env.warp(effective - clock + HOUR).await;
    assert_eq!(env.pool_now(&pool).await.params.withdrawal_window, 30 * DAY);
    env.refused(
        &[complete_withdrawal(&whale.pubkey(), &pool, &whale.token)],
        &[&whale.key],
        code(InsuranceError::WithdrawalLapsed),
    )
    .await;
    env.ok(&[expire_withdrawal(&whale.pubkey(), &pool)], &[])
        .await;
    // A new request gets the new window: 20 days after its cooldown it completes.
    env.ok(&[cancel_withdrawal(&whale.pubkey(), &pool)], &[&whale.key])
        .await;
    env.season(&pool).await;
    env.request_all(&pool, &whale).await;
    env.warp(p.withdrawal_cooldown + 20 * DAY).await;
    assert_eq!(env.complete(&pool, &whale).await, 900_000);
    env.assert_conserved(&pool).await;
}

/// And the other way: a shorter window due later does not cut short a live request
/// made under the longer one (its owner was promised the window in force when it asked).
#[tokio::test]
async fn review3_a_shorter_window_cuts_no_live_request() {
    let (mut env, pool, whale) = whale_pool().await;
    let authority = env.authority.insecure_clone();
    let shorter = PoolParams {
        withdrawal_window: 2 * DAY,
        ..default_params()
    };
    env.ok(
        &[update_pool_params(&authority.pubkey(), &pool, shorter)],
        &[&authority],
    )
    .await;
    let effective = env.pool(&pool).await.pending_params_at;
    let clock = env.exit_clock(&pool).await;
    // Asked a day before the shorter window applies; completes five days after it.
    env.warp(effective - clock - DAY).await;
    env.request_all(&pool, &whale).await;
    env.warp(7 * DAY).await;
    assert_eq!(env.pool_now(&pool).await.params.withdrawal_window, 2 * DAY);
    env.refused(
        &[expire_withdrawal(&whale.pubkey(), &pool)],
        &[],
        code(InsuranceError::WithdrawalNotLapsed),
    )
    .await;
    assert_eq!(env.complete(&pool, &whale).await, 900_000);
    env.assert_conserved(&pool).await;
}

/// `expire_withdrawal`'s refusals (each changes nothing: `refused` compares every
/// account) and market isolation: with no request, `NoPendingWithdrawal`; a position of
/// another pool, `WrongUnderwriter`; and an expiry on one market leaves the other
/// market's pool and position byte for byte as they were.
#[tokio::test]
async fn review3_expire_refusals_and_isolation() {
    let (mut env, pool, whale) = whale_pool().await;
    let other = env.create_pool(TOKEN).await;
    let neighbour = env.user(&other, 50_000).await;
    env.deposit(&neighbour, &other, 50_000).await;
    env.refused(
        &[expire_withdrawal(&whale.pubkey(), &pool)],
        &[],
        code(InsuranceError::NoPendingWithdrawal),
    )
    .await;
    env.request_all(&pool, &whale).await;
    let p = default_params();
    env.warp(p.withdrawal_cooldown + p.withdrawal_window + 1)
        .await;
    // The whale's position presented as the other pool's.
    let mut wrong = expire_withdrawal(&whale.pubkey(), &other);
    wrong.accounts[2].pubkey = pool.underwriter(&whale.pubkey());
    env.refused(&[wrong], &[], code(InsuranceError::WrongUnderwriter))
        .await;
    let watched = [other.pool, other.underwriter(&neighbour.pubkey())];
    let before = env.snapshot(&watched).await;
    env.ok(&[expire_withdrawal(&whale.pubkey(), &pool)], &[])
        .await;
    assert_eq!(env.snapshot(&watched).await, before, "market B untouched");
    env.assert_conserved(&pool).await;
    env.assert_conserved(&other).await;
}

/// A pool of underwriters, each `(tokens, deposit)`, past the deposit lock and seasoned.
async fn seasoned_pool(positions: &[(u64, u64)]) -> (TestEnv, PoolKeys, Vec<User>) {
    let mut env = TestEnv::new().await;
    let pool = env.create_pool(TOKEN).await;
    let mut users = Vec::new();
    for &(tokens, deposit) in positions {
        let user = env.user(&pool, tokens).await;
        env.deposit(&user, &pool, deposit).await;
        users.push(user);
    }
    env.warp(DEPOSIT_LOCK).await;
    env.season(&pool).await;
    (env, pool, users)
}

/// A pool of a small underwriter (100 000, the attacker, who stays) and a whale
/// (900 000, honest, leaving), past the deposit lock and seasoned.
async fn small_and_whale() -> (TestEnv, PoolKeys, User, User) {
    let (env, pool, users) = seasoned_pool(&[(100_010, 100_000), (900_000, 900_000)]).await;
    let [small, whale]: [User; 2] = users.try_into().ok().expect("two");
    (env, pool, small, whale)
}

/// Fourth attacker review, 1: a request waits for the cover in force, but the payout
/// was `min(value at request, value now)`, so a leaver backed that cover for up to a
/// term and earned none of it. With 1 unit of cover bought just before the whale's
/// request (making it wait 31 days instead of 1), a buyer's 80 000 premium on 400 000
/// (priced on the 100 000 that stays) went to the small underwriter alone: +71 999 for
/// it, the whale 72 000 short. Shares under a request are now full holders until they
/// leave: the whale takes its 90 % of the premium, the attacker its 10 %.
#[tokio::test]
async fn review4_a_leaver_earns_the_premium_of_the_cover_it_backs() {
    let (mut env, pool, small, whale) = small_and_whale().await;
    let start = env.balance(small.token).await;
    env.ok(&[buy_ix(&pool, &small, 1)], &[&small.key]).await;
    let dust = start - env.balance(small.token).await;
    env.request_all(&pool, &whale).await;
    let request = env.underwriter(&pool, &whale.pubkey()).await;
    assert!(request.unlock_at - request.requested_at >= 30 * DAY);
    let buyer = env.user(&pool, 1_000_000).await;
    let before = env.balance(buyer.token).await;
    env.ok(&[buy_ix(&pool, &buyer, 400_000)], &[&buyer.key])
        .await;
    let premium = before - env.balance(buyer.token).await;
    assert_eq!(premium, 80_000, "priced on the capital that stays");
    let now = env.now().await;
    env.warp(request.unlock_at - now).await;
    let paid = env.complete(&pool, &whale).await;
    let shares = env.underwriter(&pool, &small.pubkey()).await.shares.get();
    let small_value = env.pool_now(&pool).await.value_of(shares).unwrap();
    let income = premium + dust;
    // Both within rounding of their pro-rata part of the income (the virtual shares
    // own a sliver).
    assert!(
        paid.abs_diff(900_000 + income * 9 / 10) <= 2,
        "whale {paid}"
    );
    // The attacker's net: its 10 % of the income, less the dust it paid.
    let attacker_net = (small_value + env.balance(small.token).await) as i64 - 100_010;
    assert!(
        attacker_net <= (income / 10) as i64 - dust as i64 + 2,
        "attacker net {attacker_net}"
    );
    env.assert_conserved(&pool).await;
}

/// Fourth attacker review, 2: shares under a request could not vote, and the request
/// now waits up to a term; after a 1-unit purchase before the whale's request, the
/// small underwriter was the only voter for a month and approved its accomplice's
/// 500 000 claim (the whale bore 90 % of it: -359 999, the attackers +354 999). Pending
/// shares now vote: the whale rejects it, and nothing is paid.
#[tokio::test]
async fn review4_pending_shares_vote_so_a_stayer_cannot_approve_alone() {
    let (mut env, pool, small, whale) = small_and_whale().await;
    let m = env.user(&pool, 200_000).await;
    env.ok(&[buy_ix(&pool, &m, 1)], &[&m.key]).await;
    env.request_all(&pool, &whale).await;
    let request = env.underwriter(&pool, &whale.pubkey()).await;
    env.ok(&[buy_ix(&pool, &m, 499_999)], &[&m.key]).await;
    env.warp(DAY + HOUR).await;
    let (file, claim) = file_ix(&mut env, &pool, &m, 500_000).await;
    env.ok(&[file], &[&m.key]).await;
    env.ok(
        &[cast_vote(&small.pubkey(), &pool, &claim, true)],
        &[&small.key],
    )
    .await;
    env.ok(
        &[cast_vote(&whale.pubkey(), &pool, &claim, false)],
        &[&whale.key],
    )
    .await;
    env.warp(DEFAULT_GOVERNANCE.voting_period).await;
    env.ok(&[finalize_claim(&pool, &claim, &m.pubkey())], &[])
        .await;
    let c: Claim = env.fetch(claim).await;
    assert_eq!(c.status.get(), ClaimStatus::Rejected);
    env.refused(
        &[pay_claim(&pool, &claim, &m.pubkey(), &m.token)],
        &[],
        code(InsuranceError::ClaimNotApproved),
    )
    .await;
    let now = env.now().await;
    env.warp(request.unlock_at - now).await;
    let paid = env.complete(&pool, &whale).await;
    assert!(paid >= 900_000, "the whale left with {paid}");
    env.assert_conserved(&pool).await;
}

/// Fifth attacker review, 1: an attacker holding a quarter of the pool approved its
/// accomplice's fraudulent 490 000 claim alone (quorum 20 %); the honest whale, leaving
/// and not voting, completed during the hold-up at the price net of the reservation;
/// the guardian vetoed, and the released reservation went to the attacker (+358 458
/// for the team). Withdrawals now wait for the hold-up as deposits do
/// (`HoldupExitsClosed`), and the exit clock stands still through it: after the veto
/// the whale leaves with its whole value and the team is out its premium and bond.
#[tokio::test]
async fn review5_no_exit_during_a_holdup() {
    let (mut env, pool, users) = seasoned_pool(&[(250_000, 250_000), (750_000, 750_000)]).await;
    let [a, w]: [User; 2] = users.try_into().ok().expect("two");
    let m = env.user(&pool, 30_000).await;
    let m_start = env.balance(m.token).await;
    env.ok(&[buy_ix(&pool, &m, 490_000)], &[&m.key]).await;
    env.request_all(&pool, &w).await;
    let request = env.underwriter(&pool, &w.pubkey()).await;
    env.warp(28 * DAY).await;
    let (file, claim) = file_ix(&mut env, &pool, &m, 490_000).await;
    env.ok(&[file], &[&m.key]).await;
    env.ok(&[cast_vote(&a.pubkey(), &pool, &claim, true)], &[&a.key])
        .await;
    env.warp(DEFAULT_GOVERNANCE.voting_period).await;
    let now = env.now().await;
    env.warp((request.unlock_at - now).max(0)).await;
    env.ok(&[finalize_claim(&pool, &claim, &m.pubkey())], &[])
        .await;
    let c: Claim = env.fetch(claim).await;
    assert_eq!(c.status.get(), ClaimStatus::Approved);
    let clock = env.exit_clock(&pool).await;
    env.refused(
        &[complete_withdrawal(&w.pubkey(), &pool, &w.token)],
        &[&w.key],
        code(InsuranceError::HoldupExitsClosed),
    )
    .await;
    let guardian = env.guardian.insecure_clone();
    env.ok(
        &[veto_claim(&guardian.pubkey(), &pool, &claim, &m.pubkey())],
        &[&guardian],
    )
    .await;
    env.ok(&[withdraw_bond(&pool, &claim, &m.token)], &[]).await;
    env.warp(DEFAULT_GOVERNANCE.holdup_period).await;
    assert_eq!(env.exit_clock(&pool).await, clock, "stood still");
    let shares = env.underwriter(&pool, &w.pubkey()).await.shares.get();
    let value = env.pool_now(&pool).await.value_of(shares).unwrap();
    let paid = env.complete(&pool, &w).await;
    assert_eq!(paid, value);
    assert!(paid > 750_000, "the whale left with {paid}");
    let shares = env.underwriter(&pool, &a.pubkey()).await.shares.get();
    let a_value = env.pool_now(&pool).await.value_of(shares).unwrap();
    let team_net = a_value as i64 - 250_000 - (m_start - env.balance(m.token).await) as i64;
    assert!(team_net <= 0, "team net {team_net}");
    env.assert_conserved(&pool).await;
}

/// Fifth attacker review, 5: a voter's own withdrawal lock ran on past a rejected claim
/// while the exit clock ran, so voting "no" six days into a seven-day window lapsed the
/// voter's request (and could be repeated to trap it). A vote now binds only through
/// the pool-wide refusals (claims voting, hold-ups), during which the exit clock stands
/// still: once the claim is rejected the voter leaves.
#[tokio::test]
async fn review5_voting_never_lapses_the_voters_request() {
    let (mut env, pool, _small, whale) = small_and_whale().await;
    env.request_all(&pool, &whale).await;
    let request = env.underwriter(&pool, &whale.pubkey()).await;
    let m = env.user(&pool, 100_000).await;
    env.ok(&[buy_ix(&pool, &m, 10_000)], &[&m.key]).await;
    let now = env.now().await;
    env.warp(request.unlock_at - now + 6 * DAY).await;
    let (file, claim) = file_ix(&mut env, &pool, &m, 10_000).await;
    env.ok(&[file], &[&m.key]).await;
    env.ok(
        &[cast_vote(&whale.pubkey(), &pool, &claim, false)],
        &[&whale.key],
    )
    .await;
    env.warp(DEFAULT_GOVERNANCE.voting_period).await;
    env.ok(&[finalize_claim(&pool, &claim, &m.pubkey())], &[])
        .await;
    let c: Claim = env.fetch(claim).await;
    assert_eq!(c.status.get(), ClaimStatus::Rejected);
    assert!(env.complete(&pool, &whale).await >= 900_000);
    env.assert_conserved(&pool).await;
}

/// Fifth attacker review, 3: with the request's wait capped at the parameters' term, a
/// governance change shortening `coverage_duration` to 2 days let the whale leave 3
/// days after it, from 400 000 of 30-day cover bought an hour before the change and
/// priced on the whole pool: the small underwriter carried it alone (a 40 000 loss
/// then cost it 39 999 where its fair part was 4 000). The wait is the whole cover in
/// force again, and the activation delay counts it instead.
#[tokio::test]
async fn review5_a_shorter_term_does_not_cut_the_wait_for_older_cover() {
    let (mut env, pool, _small, whale) = small_and_whale().await;
    let authority = env.authority.insecure_clone();
    let short = PoolParams {
        coverage_duration: 2 * DAY,
        claim_waiting_period: HOUR,
        ..default_params()
    };
    env.ok(
        &[update_pool_params(&authority.pubkey(), &pool, short)],
        &[&authority],
    )
    .await;
    let effective = env.pool(&pool).await.pending_params_at;
    let clock = env.exit_clock(&pool).await;
    env.warp(effective - clock - HOUR).await;
    let accomplice = env.user(&pool, 1_000_000).await;
    env.ok(&[buy_ix(&pool, &accomplice, 400_000)], &[&accomplice.key])
        .await;
    let cover: Member = env.fetch(pool.member(&accomplice.pubkey())).await;
    env.warp(2 * HOUR).await;
    env.request_all(&pool, &whale).await;
    assert_eq!(env.pool(&pool).await.params.coverage_duration, 2 * DAY);
    let request = env.underwriter(&pool, &whale.pubkey()).await;
    assert!(
        request.unlock_at > cover.coverage_expiry,
        "waits for that cover"
    );
    env.warp(3 * DAY + HOUR).await;
    env.refused(
        &[complete_withdrawal(&whale.pubkey(), &pool, &whale.token)],
        &[&whale.key],
        code(InsuranceError::CooldownNotElapsed),
    )
    .await;
    env.assert_conserved(&pool).await;
}

/// Sixth attacker review: the `CLAIMS` pause refused votes but not `finalize_claim`.
/// An attacker with a quarter of the pool filed two parallel claims of half of free
/// capital each (each within `max_claim_bps`), voted yes, and a pause (the guardian's
/// own, or the authority's) froze the tally: both were approved on the attacker's
/// votes alone and reserved the whole pool (the honest underwriter 750 000 → 13 208).
/// Votes are never paused now, and the claims voting at once are at most
/// `max_claim_bps` of free capital together: the second claim is refused, the honest
/// majority votes through the pause, and the first is rejected.
#[tokio::test]
async fn review6_a_pause_cannot_freeze_a_tally() {
    let (mut env, pool, users) = seasoned_pool(&[(250_000, 250_000), (750_000, 750_000)]).await;
    let [attacker, honest]: [User; 2] = users.try_into().ok().expect("two");
    let (m1, m2) = (
        env.user(&pool, 100_000).await,
        env.user(&pool, 100_000).await,
    );
    env.ok(
        &[buy_ix(&pool, &m1, 500_000), buy_ix(&pool, &m2, 500_000)],
        &[&m1.key, &m2.key],
    )
    .await;
    env.warp(DAY + HOUR).await;
    let (file, claim) = file_ix(&mut env, &pool, &m1, 500_000).await;
    env.ok(&[file], &[&m1.key]).await;
    let (second, _) = file_ix(&mut env, &pool, &m2, 500_000).await;
    env.refused(&[second], &[&m2.key], code(InsuranceError::ClaimTooLarge))
        .await;
    let guardian = env.guardian.insecure_clone();
    env.ok(
        &[
            cast_vote(&attacker.pubkey(), &pool, &claim, true),
            set_pool_pause(&guardian.pubkey(), &pool, pause::CLAIMS),
        ],
        &[&attacker.key, &guardian],
    )
    .await;
    env.ok(
        &[cast_vote(&honest.pubkey(), &pool, &claim, false)],
        &[&honest.key],
    )
    .await;
    env.warp(DEFAULT_GOVERNANCE.voting_period).await;
    env.ok(&[finalize_claim(&pool, &claim, &m1.pubkey())], &[])
        .await;
    let c: Claim = env.fetch(claim).await;
    assert_eq!(c.status.get(), ClaimStatus::Rejected);
    assert_eq!(env.pool(&pool).await.reserved_for_claims, 0);
    env.assert_conserved(&pool).await;
}
