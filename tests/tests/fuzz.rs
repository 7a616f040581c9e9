//! Stateful fuzzer with a reference model. A seeded random sequence of legal-looking
//! instructions from several actors on two markets, with time moving, is sent to the
//! program; after every step the principles are checked against an independent model:
//!
//! - conservation: each vault holds exactly what the model says flowed in and out
//!   (deposits + premiums + slashed bonds − withdrawals − claim payouts), which must
//!   equal `capital + unearned_premiums`; each bond escrow equals `bonds_held`;
//! - isolation: a step on one market changes no account of the other;
//! - refusals: a failed step fails with a named program error and changes nothing;
//! - no exit escapes a known loss: a completed withdrawal pays at most its value at
//!   request and at most its share of free capital net of voting claims just before;
//! - bounded payouts: a claim pays at most what approval reserved, at most its amount;
//!   a member is never paid more than its matured cover of the term;
//! - capital always covers the reservations of approved claims;
//! - exchange flows (a registered exchange per market, its authority rewritten to a
//!   test keypair so it can call directly): a shortfall payout is at most the amount,
//!   the per-event cap and the capital above the solvency floor; the model keeps its
//!   own loss index (a shortfall from a registration that can draw adds at most its
//!   per-event limit) and checks the pool's after every step; a volume fee is exactly
//!   `ceil(volume · rate / 10 000)` at the rate the model computes from its index and
//!   the free capital before the step.
//!
//! CI runs `FUZZ_OPS` (default 250) steps from a fixed seed (`FUZZ_SEED`, default 1) on
//! each runtime; longer runs: `FUZZ_OPS=1000000 FUZZ_SEED=<n> cargo test -p
//! insurance-pool-tests --release --test fuzz -- --nocapture`.

use std::collections::HashMap;

use insurance_pool_testkit::*;
use solana_transaction_error::TransactionError;

const DAY: i64 = 86_400;
/// Actors per market: the first `UNDERWRITERS` underwrite and vote, the rest are members.
const USERS: usize = 5;
const UNDERWRITERS: usize = 3;

/// xorshift64*: small, deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// What the model expects of one market.
#[derive(Default, Clone, Copy)]
struct Books {
    /// Vault balance implied by the flows seen.
    vault: u64,
    /// The volume rate's loss index as the model tracks it: (index, day of it).
    loss: (u64, i64),
    /// Bond escrow implied by the flows seen.
    bonds: u64,
}

struct Market {
    keys: PoolKeys,
    users: Vec<User>,
    /// The market's exchange (a keypair standing in for its PDA) and registration.
    exchange: User,
    registration: Pubkey,
    books: Books,
    /// Claims filed: (address, claimant index in `users`).
    claims: Vec<(Pubkey, usize)>,
    /// Total paid to each member (by claimant index) in its current term.
    paid_in_term: HashMap<usize, (i64, u64)>,
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::test]
async fn random_sequences_keep_every_invariant() {
    let ops = env_u64("FUZZ_OPS", 250);
    let seed = env_u64("FUZZ_SEED", 1);
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut env = TestEnv::new().await;
    let mut markets = Vec::new();
    // Short windows so that a few hundred steps go through whole lifecycles: one-day
    // covers, one-hour votes and hold-ups, two-day deposit locks.
    let params = PoolParams {
        withdrawal_cooldown: 3_600,
        withdrawal_window: DAY,
        coverage_duration: DAY,
        min_deposit_lock: 2 * DAY,
        claim_waiting_period: 3_600,
        governance: GovernanceParams {
            voting_period: DAY,
            holdup_period: 3_600,
            min_stake_age: DAY,
            ..DEFAULT_GOVERNANCE
        },
        ..default_params()
    };
    for _ in 0..2 {
        let keys = env.create_pool_with_params(TOKEN, params).await;
        let mut users = Vec::new();
        // Users 0..UNDERWRITERS underwrite (and vote), the others buy cover and claim.
        for i in 0..USERS {
            let u = env.user(&keys, 1_000_000).await;
            if i < UNDERWRITERS {
                env.deposit(&u, &keys, 100_000).await;
            }
            users.push(u);
        }
        // A registered exchange: a PDA registers (the program refuses keypairs), then
        // test surgery hands the registration to a keypair that can sign directly.
        let exchange = env.user(&keys, 100_000_000).await;
        let pda = Pubkey::find_program_address(&[b"fuzz", keys.pool.as_ref()], &keys.pool).0;
        let authority = env.authority.insecure_clone();
        let payer = env.payer();
        let limits = ExchangeLimits {
            per_event_cap: 20_000,
            per_epoch_cap: 50_000,
            epoch_length: DAY,
            per_event_bps: 2_000,
            per_epoch_bps: 5_000,
        };
        env.ok(
            &[register_exchange(
                &payer,
                &authority.pubkey(),
                &keys,
                pda,
                &exchange.token,
                limits,
            )],
            &[&authority],
        )
        .await;
        let registration = insurance_pool::pda::exchange(&keys.pool, &pda).0;
        let key = exchange.pubkey();
        insurance_pool_testkit::exchange::edit_registration(&mut env, registration, |r| {
            r.exchange_authority = key
        })
        .await;
        markets.push(Market {
            keys,
            users,
            exchange,
            registration,
            books: Books::default(),
            claims: Vec::new(),
            paid_in_term: HashMap::new(),
        });
    }
    for market in &mut markets {
        market.books.vault = env.balance(market.keys.vault).await;
    }
    // The first stakes season.
    for market in &markets {
        env.season(&market.keys).await;
    }
    let guardian = env.guardian.insecure_clone();
    let mut counts: HashMap<&'static str, (u64, u64)> = HashMap::new();
    let mut reasons: HashMap<String, u64> = HashMap::new();

    for step in 0..ops {
        let m = rng.below(2) as usize;
        let other = 1 - m;
        let other_keys = {
            let o = &markets[other];
            let mut k = vec![
                o.keys.pool,
                o.keys.vault,
                o.keys.bond_vault,
                o.keys.exposure,
                o.registration,
                o.exchange.token,
            ];
            k.extend(o.users.iter().map(|u| o.keys.underwriter(&u.pubkey())));
            k.extend(o.users.iter().map(|u| o.keys.member(&u.pubkey())));
            k
        };
        let other_before = env.snapshot(&other_keys).await;
        let market = &markets[m];
        let keys = market.keys;
        let op = rng.below(15);
        // Underwriting and voting by underwriters; cover and claims by members.
        let ui = match op {
            0..=4 | 8..=10 => rng.below(UNDERWRITERS as u64) as usize,
            _ => UNDERWRITERS + rng.below((USERS - UNDERWRITERS) as u64) as usize,
        };
        let user = market.users[ui].insecure_clone();
        let who = user.pubkey();
        let pool = env.pool_now(&keys).await;
        let (name, ixs, signers): (&'static str, Vec<_>, Vec<&Keypair>) = match op {
            0 => {
                let amount = 1 + rng.below(50_000);
                (
                    "deposit",
                    vec![deposit(&who, &keys, &user.token, amount, 0)],
                    vec![&user.key],
                )
            }
            2 => {
                let shares = match env.account(keys.underwriter(&who)).await {
                    Some(_) => env.underwriter(&keys, &who).await.free_shares(),
                    None => 1,
                };
                let part = (shares / (1 + rng.below(3) as u128)).max(1);
                (
                    "request_withdrawal",
                    vec![request_withdrawal(&who, &keys, part)],
                    vec![&user.key],
                )
            }
            3 => (
                "cancel_withdrawal",
                vec![cancel_withdrawal(&who, &keys)],
                vec![&user.key],
            ),
            4 => (
                "complete_withdrawal",
                vec![complete_withdrawal(&who, &keys, &user.token)],
                vec![&user.key],
            ),
            5 | 6 => {
                let notional = 1 + rng.below(40_000);
                (
                    "contribute_premium",
                    vec![contribute_premium(
                        &who,
                        &keys,
                        &user.token,
                        None,
                        notional,
                        u64::MAX,
                    )],
                    vec![&user.key],
                )
            }
            7 => {
                let index = match env.account(keys.member(&who)).await {
                    Some(_) => env.fetch::<Member>(keys.member(&who)).await.claim_count,
                    None => 0,
                };
                let amount = 1 + rng.below(20_000);
                (
                    "file_claim",
                    vec![file_claim(
                        &who,
                        &keys,
                        index,
                        &user.token,
                        amount,
                        [3; 32],
                        "",
                    )],
                    vec![&user.key],
                )
            }
            8..=10 if !market.claims.is_empty() => {
                // Mostly the newest claim (the one still in play), sometimes any.
                let (claim, claimant) = if rng.below(4) > 0 {
                    *market.claims.last().expect("a claim")
                } else {
                    *rng.pick(&market.claims)
                };
                let c = market.users[claimant].pubkey();
                let token = market.users[claimant].token;
                match rng.below(5) {
                    0 => (
                        "cast_vote",
                        vec![cast_vote(&who, &keys, &claim, rng.below(3) > 0)],
                        vec![&user.key],
                    ),
                    1 => (
                        "finalize_claim",
                        vec![finalize_claim(&keys, &claim, &c)],
                        vec![],
                    ),
                    2 => (
                        "veto_claim",
                        vec![veto_claim(&guardian.pubkey(), &keys, &claim, &c)],
                        vec![&guardian],
                    ),
                    3 => (
                        "pay_claim",
                        vec![pay_claim(&keys, &claim, &c, &token)],
                        vec![],
                    ),
                    _ => (
                        "withdraw_bond",
                        vec![withdraw_bond(&keys, &claim, &token)],
                        vec![],
                    ),
                }
            }
            13 => {
                // Volumes biased to the edges: dust, ordinary, huge.
                let ordinary = 1 + rng.below(10_000_000);
                let volume = *rng.pick(&[0, 1, 9_999, ordinary, u64::MAX / 4]);
                let max_rate = *rng.pick(&[u64::MAX, 2, 1]);
                let e = &market.exchange;
                (
                    "contribute_volume",
                    vec![contribute_volume(
                        &e.pubkey(),
                        &keys,
                        &market.registration,
                        &e.token,
                        None,
                        volume,
                        max_rate,
                    )],
                    vec![&e.key],
                )
            }
            14 => {
                let ordinary = 1 + rng.below(60_000);
                let amount = *rng.pick(&[0, 1, 19_999, 20_000, 20_001, ordinary]);
                let nonce = env
                    .fetch::<ExchangeRegistration>(market.registration)
                    .await
                    .next_nonce;
                // Sometimes a stale nonce (a replay).
                let nonce = if rng.below(6) == 0 {
                    nonce.wrapping_sub(1)
                } else {
                    nonce
                };
                let e = &market.exchange;
                (
                    "cover_shortfall",
                    vec![cover_shortfall(
                        &e.pubkey(),
                        &keys,
                        &market.registration,
                        &e.token,
                        amount,
                        nonce,
                    )],
                    vec![&e.key],
                )
            }
            _ => {
                let secs = *rng.pick(&[60, 3_600, 4 * 3_600, DAY, 2 * DAY]);
                env.warp(secs).await;
                continue;
            }
        };

        // What the model needs from before the step.
        let touched: Vec<Pubkey> = {
            let mut k: Vec<Pubkey> = ixs
                .iter()
                .flat_map(|ix| ix.accounts.iter().map(|a| a.pubkey))
                .filter(|k| *k != env.payer())
                .collect();
            k.sort();
            k.dedup();
            k
        };
        let before = env.snapshot(&touched).await;
        let user_balance = env.balance(user.token).await;
        let exchange_balance = env.balance(markets[m].exchange.token).await;
        // Account order: PayClaim (protocol, pool, claim, ...), WithdrawBond (pool, claim, ...).
        let claim_key = match name {
            "pay_claim" => Some(ixs[0].accounts[2].pubkey),
            "withdraw_bond" => Some(ixs[0].accounts[1].pubkey),
            _ => None,
        };
        let claim_before: Option<Claim> = match claim_key {
            Some(k) => Some(env.fetch(k).await),
            None => None,
        };
        let position = env.account(keys.underwriter(&who)).await.map(|_| ());
        let pending = if position.is_some() {
            Some(env.underwriter(&keys, &who).await)
        } else {
            None
        };

        let result = env.send(&ixs, &signers).await;
        let entry = counts.entry(name).or_default();
        match result {
            Ok(_) => {
                entry.0 += 1;
                let market = &mut markets[m];
                let paid_out = user_balance.saturating_sub(env.balance(user.token).await);
                let received = env.balance(user.token).await.saturating_sub(user_balance);
                let exchange_now = env.balance(market.exchange.token).await;
                match name {
                    "deposit" | "contribute_premium" => market.books.vault += paid_out,
                    "contribute_volume" => {
                        let ix = &ixs[0];
                        let args: (u64, u64) = {
                            let data = &ix.data[8..];
                            (
                                u64::from_le_bytes(data[..8].try_into().expect("volume")),
                                u64::from_le_bytes(data[8..16].try_into().expect("max")),
                            )
                        };
                        let fee = exchange_balance - exchange_now;
                        let after = env.pool(&keys).await;
                        let rate = after.volume_rate_bps;
                        // The model: its own loss index, decayed to today, on the free
                        // capital before the step.
                        let today = insurance_pool::math::day_of(env.now().await);
                        let (index, day) = market.books.loss;
                        let v = pool.params.volume;
                        let index = insurance_pool::math::decayed_loss(
                            index,
                            v.loss_decay_per_day,
                            (today - day).max(0) as u64,
                        );
                        let target = insurance_pool::math::volume_target_rate(
                            &v,
                            index,
                            pool.free_capital(),
                        );
                        assert_eq!(rate, target, "step {step}: volume rate off the model");
                        assert!(rate <= args.1, "step {step}: rate above the caller's bound");
                        assert_eq!(
                            fee as u128,
                            (args.0 as u128 * rate as u128).div_ceil(10_000),
                            "step {step}: volume fee"
                        );
                        market.books.vault += fee;
                    }
                    "cover_shortfall" => {
                        let amount =
                            u64::from_le_bytes(ixs[0].data[8..16].try_into().expect("amount"));
                        let covered = exchange_now - exchange_balance;
                        let floor = pool.reserved_for_claims + pool.params.min_reserve;
                        assert!(
                            covered <= amount
                                && covered <= 20_000
                                && covered <= pool.capital.saturating_sub(floor),
                            "step {step}: shortfall payout {covered} above its caps"
                        );
                        market.books.vault -= covered;
                        // Only a registration that can draw moves the loss index, by at
                        // most its per-event limit.
                        let registration: ExchangeRegistration =
                            env.fetch(market.registration).await;
                        let now = env.now().await;
                        if registration.is_active() && now >= registration.active_from {
                            let per_event = 20_000u64
                                .min((pool.free_capital() as u128 * 2_000 / 10_000) as u64);
                            let today = insurance_pool::math::day_of(now);
                            let (index, day) = market.books.loss;
                            let index = insurance_pool::math::decayed_loss(
                                index,
                                pool.params.volume.loss_decay_per_day,
                                (today - day).max(0) as u64,
                            );
                            market.books.loss = (index + amount.min(per_event), today);
                        }
                    }
                    "complete_withdrawal" => {
                        let u = pending.expect("position");
                        // No exit escapes a known loss.
                        assert!(
                            received <= u.pending_value,
                            "step {step}: paid above value at request"
                        );
                        let fair = pool.value_of(u.pending_shares.get()).expect("value");
                        assert!(
                            received <= fair,
                            "step {step}: paid {received} above exit value {fair}"
                        );
                        market.books.vault -= received;
                    }
                    "file_claim" => {
                        market.books.bonds += paid_out;
                        let index = env.fetch::<Member>(keys.member(&who)).await.claim_count - 1;
                        market.claims.push((claim_address(&keys, &who, index), ui));
                    }
                    "pay_claim" => {
                        let c = claim_before.expect("claim");
                        let claimant_token = ixs[0].accounts[4].pubkey;
                        let claim: Claim = env.fetch(claim_key.expect("claim")).await;
                        assert!(
                            claim.paid <= c.reserved && claim.paid <= c.amount,
                            "step {step}: payout above its reservation"
                        );
                        market.books.vault -= claim.paid;
                        let claimant = market
                            .users
                            .iter()
                            .position(|u| u.token == claimant_token)
                            .expect("claimant");
                        let member: Member = env.fetch(keys.member(&c.claimant)).await;
                        let term = market
                            .paid_in_term
                            .entry(claimant)
                            .or_insert((c.cover_expiry, 0));
                        if term.0 != c.cover_expiry {
                            *term = (c.cover_expiry, 0);
                        }
                        term.1 += claim.paid;
                        if member.coverage_expiry == c.cover_expiry {
                            assert!(
                                term.1 <= member.covered_amount,
                                "step {step}: member paid beyond its cover"
                            );
                        }
                    }
                    "withdraw_bond" => {
                        let c = claim_before.expect("claim");
                        market.books.bonds -= c.bond;
                        let returned = match c.status.get() {
                            ClaimStatus::Paid | ClaimStatus::Cancelled => true,
                            ClaimStatus::Rejected => c.fraud == 0,
                            _ => false,
                        };
                        if !returned {
                            market.books.vault += c.bond;
                        }
                    }
                    _ => {}
                }
            }
            Err((err, logs)) => {
                entry.1 += 1;
                if let TransactionError::InstructionError(_, InstructionError::Custom(c)) = &err {
                    let why = insurance_pool_sdk::errors::decode(*c)
                        .map_or_else(|| format!("Custom({c})"), |d| d.name.to_string());
                    *reasons.entry(format!("{name}: {why}")).or_insert(0u64) += 1;
                }
                // A named error (the program's, Anchor's, or the token program's) and
                // nothing changed.
                assert!(
                    matches!(
                        err,
                        TransactionError::InstructionError(_, InstructionError::Custom(_))
                    ),
                    "step {step} {name}: unnamed failure {err:?}; logs {logs:#?}"
                );
                assert_eq!(
                    env.snapshot(&touched).await,
                    before,
                    "step {step} {name}: a refusal changed state"
                );
            }
        }
        // Invariants after every step.
        for market in &markets {
            let state = env.pool(&market.keys).await;
            let vault = env.balance(market.keys.vault).await;
            assert_eq!(
                vault, market.books.vault,
                "step {step} {name}: vault off the model"
            );
            assert_eq!(
                vault,
                state.capital + state.unearned_premiums,
                "step {step}: conservation"
            );
            let escrow = env.balance(market.keys.bond_vault).await;
            assert_eq!(
                (escrow, state.bonds_held),
                (market.books.bonds, market.books.bonds),
                "step {step}: bond escrow"
            );
            assert!(
                state.capital >= state.reserved_for_claims,
                "step {step}: reservations uncovered"
            );
            let now = env.now().await;
            let decay = state.params.volume.loss_decay_per_day;
            let (index, day) = market.books.loss;
            let today = insurance_pool::math::day_of(now);
            assert_eq!(
                state.volume_loss_at(now),
                insurance_pool::math::decayed_loss(index, decay, (today - day).max(0) as u64),
                "step {step}: loss index off the model"
            );
        }
        assert_eq!(
            env.snapshot(&other_keys).await,
            other_before,
            "step {step} {name}: market B changed"
        );
        env.advance_slot().await;
    }
    let mut rows: Vec<_> = counts.into_iter().collect();
    rows.sort();
    println!("| instruction | succeeded | refused |");
    println!("|---|---:|---:|");
    for (name, (ok, refused)) in rows {
        println!("| `{name}` | {ok} | {refused} |");
    }
    let mut reasons: Vec<_> = reasons.into_iter().collect();
    reasons.sort();
    println!("refusals: {reasons:?}");
}
