//! The write commands as instructions: [`plan`] builds what a command sends (reading the
//! accounts it needs from a [`Chain`]), so the same plan is sent and signed by the
//! keypair, printed as a governance proposal (`--output proposal`), or run by the tests
//! on the embedded runtime.

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use insurance_pool_sdk::ix::{self, PoolKeys};
use insurance_pool_sdk::state::{ExchangeLimits, ExchangeRegistration, Member, PremiumQuote};
use insurance_pool_sdk::{pda, UpdateProtocolArgs};

use insurance_pool_sdk::units::format_amount;

use crate::{associated_token, fetch, find_claim, pool_keys, Amount, Chain, CliResult, Command};

/// Decimals of a mint (SPL Token and Token-2022 keep them at byte 44 of the mint).
pub fn mint_decimals(chain: &dyn Chain, mint: &Pubkey) -> CliResult<u8> {
    const DECIMALS_OFFSET: usize = 44;
    const MINT_LEN: usize = 82;
    let data = chain.account_data(mint)?;
    match data.get(DECIMALS_OFFSET) {
        Some(decimals) if data.len() >= MINT_LEN => Ok(*decimals),
        _ => Err(format!("{mint} is not a token mint")),
    }
}

/// What a write command sends: its instructions, and the market whose pool it changes
/// (printed after a send).
#[derive(Debug)]
pub struct Plan {
    pub instructions: Vec<Instruction>,
    pub market: Option<Pubkey>,
}

/// A 32-byte hash from 64 hex digits.
pub fn hex32(s: &str) -> CliResult<[u8; 32]> {
    let s = s.strip_prefix("0x").unwrap_or(s);
    if s.len() != 64 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err("evidence hash must be 32 bytes of hex (64 digits)".into());
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).map_err(|e| e.to_string())?;
    }
    Ok(out)
}

/// The instructions `command` sends when `me` signs. `quote` prices a cover (the CLI
/// simulates `quote_premium`; tests pass the program's own quote).
pub fn plan(
    chain: &dyn Chain,
    me: Pubkey,
    command: Command,
    quote: &dyn Fn(&PoolKeys, u64) -> CliResult<PremiumQuote>,
) -> CliResult<Plan> {
    let token_of = |keys: &PoolKeys, given: Option<Pubkey>, owner: &Pubkey| {
        given.unwrap_or_else(|| associated_token(owner, &keys.mint, &keys.token_program))
    };
    let (instructions, market) = match command {
        Command::Init {
            authority,
            guardian,
        } => (
            vec![ix::initialize_protocol(&me, &me, authority, guardian)],
            None,
        ),
        Command::CreatePool {
            market,
            mint,
            token_program,
            params,
        } => {
            let keys = PoolKeys::new(market, mint, token_program);
            let params = params.resolve(None, mint_decimals(chain, &mint)?)?;
            (vec![ix::create_pool(&me, &me, &keys, params)], Some(market))
        }
        Command::UpdateParams { market, params } => {
            let (keys, pool) = pool_keys(chain, &market)?;
            // A new update replaces a pending one: start from it.
            let base = if pool.pending_params_at != 0 {
                pool.pending_params
            } else {
                pool.params
            };
            let params = params.resolve(Some(base), pool.mint_decimals)?;
            (
                vec![ix::update_pool_params(&me, &keys, params)],
                Some(market),
            )
        }
        Command::Pause {
            flags,
            market: None,
        } => (vec![ix::set_protocol_pause(&me, flags)], None),
        Command::Pause {
            flags,
            market: Some(market),
        } => {
            let (keys, _) = pool_keys(chain, &market)?;
            (vec![ix::set_pool_pause(&me, &keys, flags)], Some(market))
        }
        Command::Deposit {
            market,
            amount,
            min_shares,
            token_account,
        } => {
            let (keys, pool) = pool_keys(chain, &market)?;
            (
                vec![ix::deposit(
                    &me,
                    &keys,
                    &token_of(&keys, token_account, &me),
                    amount.base_units(pool.mint_decimals)?,
                    min_shares,
                )],
                Some(market),
            )
        }
        Command::RequestWithdrawal { market, shares } => {
            let (keys, _) = pool_keys(chain, &market)?;
            (
                vec![ix::request_withdrawal(&me, &keys, shares)],
                Some(market),
            )
        }
        Command::CancelWithdrawal(m) => {
            let (keys, _) = pool_keys(chain, &m.market)?;
            (vec![ix::cancel_withdrawal(&me, &keys)], Some(m.market))
        }
        Command::CompleteWithdrawal {
            market,
            token_account,
        } => {
            let (keys, _) = pool_keys(chain, &market)?;
            (
                vec![ix::complete_withdrawal(
                    &me,
                    &keys,
                    &token_of(&keys, token_account, &me),
                )],
                Some(market),
            )
        }
        Command::Contribute {
            market,
            notional,
            max_premium,
            token_account,
            treasury_token,
        } => {
            let (keys, pool) = pool_keys(chain, &market)?;
            let decimals = pool.mint_decimals;
            let token = token_of(&keys, token_account, &me);
            let notional = notional.base_units(decimals)?;
            // Quote-then-buy: the quote's expiry bounds the cover (a cover about to
            // expire is not silently turned into a short top-up).
            let q = quote(&keys, notional)?;
            println!(
                "quote: premium {} at {} bps, cover until {}",
                format_amount(q.premium, decimals),
                q.rate_bps,
                q.coverage_expiry
            );
            let max_premium = match max_premium {
                Some(m) => m.base_units(decimals)?,
                None => q.premium,
            };
            (
                vec![ix::contribute_premium_until(
                    &me,
                    &keys,
                    &token,
                    treasury_token,
                    notional,
                    max_premium,
                    q.coverage_expiry,
                )],
                Some(market),
            )
        }
        Command::RegisterExchange {
            market,
            exchange_authority,
            destination,
            per_event_cap,
            per_epoch_cap,
            epoch_length,
            per_event_bps,
            per_epoch_bps,
        } => {
            let (keys, pool) = pool_keys(chain, &market)?;
            let limits = ExchangeLimits {
                per_event_cap: per_event_cap.base_units(pool.mint_decimals)?,
                per_epoch_cap: per_epoch_cap.base_units(pool.mint_decimals)?,
                epoch_length,
                per_event_bps,
                per_epoch_bps,
            };
            (
                vec![ix::register_exchange(
                    &me,
                    &me,
                    &keys,
                    exchange_authority,
                    &destination,
                    limits,
                )],
                Some(market),
            )
        }
        Command::FileClaim {
            market,
            amount,
            evidence_hash,
            uri,
            token_account,
        } => {
            let (keys, pool) = pool_keys(chain, &market)?;
            let token = token_of(&keys, token_account, &me);
            let hash = hex32(&evidence_hash)?;
            let amount = amount.base_units(pool.mint_decimals)?;
            // The claim's address uses the member's own claim counter.
            let member: Member = fetch(chain, &keys.member(&me))?;
            (
                vec![ix::file_claim(
                    &me,
                    &keys,
                    member.claim_count,
                    &token,
                    amount,
                    hash,
                    &uri,
                )],
                Some(market),
            )
        }
        Command::CancelClaim { market, claim_id } => {
            let (keys, _) = pool_keys(chain, &market)?;
            let (claim, _) = find_claim(chain, &keys.pool, claim_id)?;
            (vec![ix::cancel_claim(&me, &keys, &claim)], Some(market))
        }
        Command::Vote {
            market,
            claim_id,
            approve,
            ..
        } => {
            let (keys, _) = pool_keys(chain, &market)?;
            let (claim, _) = find_claim(chain, &keys.pool, claim_id)?;
            (
                vec![ix::cast_vote(&me, &keys, &claim, approve)],
                Some(market),
            )
        }
        Command::Finalize { market, claim_id } => {
            let (keys, _) = pool_keys(chain, &market)?;
            let (claim, c) = find_claim(chain, &keys.pool, claim_id)?;
            (
                vec![ix::finalize_claim(&keys, &claim, &c.claimant)],
                Some(market),
            )
        }
        Command::Veto { market, claim_id } => {
            let (keys, _) = pool_keys(chain, &market)?;
            let (claim, c) = find_claim(chain, &keys.pool, claim_id)?;
            (
                vec![ix::veto_claim(&me, &keys, &claim, &c.claimant)],
                Some(market),
            )
        }
        Command::Pay { market, claim_id } => {
            let (keys, _) = pool_keys(chain, &market)?;
            let (claim, c) = find_claim(chain, &keys.pool, claim_id)?;
            let token = associated_token(&c.claimant, &keys.mint, &keys.token_program);
            (
                vec![ix::pay_claim(&keys, &claim, &c.claimant, &token)],
                Some(market),
            )
        }
        Command::WithdrawBond { market, claim_id } => {
            let (keys, _) = pool_keys(chain, &market)?;
            let (claim, c) = find_claim(chain, &keys.pool, claim_id)?;
            let token = associated_token(&c.claimant, &keys.mint, &keys.token_program);
            (vec![ix::withdraw_bond(&keys, &claim, &token)], Some(market))
        }
        Command::UpdateProtocol {
            guardian,
            pending_authority,
            treasury,
            protocol_fee_bps,
        } => (
            vec![ix::update_protocol(
                &me,
                UpdateProtocolArgs {
                    guardian,
                    pending_authority,
                    treasury,
                    protocol_fee_bps,
                },
            )],
            None,
        ),
        Command::AcceptAuthority => (vec![ix::accept_authority(&me)], None),
        Command::UpdateExchange {
            market,
            exchange_authority,
            destination,
            per_event_cap,
            per_epoch_cap,
            epoch_length,
            per_event_bps,
            per_epoch_bps,
        } => {
            let (keys, pool) = pool_keys(chain, &market)?;
            let units = |a: Option<Amount>| a.map(|a| a.base_units(pool.mint_decimals)).transpose();
            let (per_event_cap, per_epoch_cap) = (units(per_event_cap)?, units(per_epoch_cap)?);
            let registration = pda::exchange(&keys.pool, &exchange_authority).0;
            let r: ExchangeRegistration = fetch(chain, &registration)?;
            // A new update replaces a pending one: start from it.
            let (mut limits, current) = if r.pending_at != 0 {
                (r.pending_limits, r.pending_destination)
            } else {
                (r.limits, r.destination)
            };
            limits.per_event_cap = per_event_cap.unwrap_or(limits.per_event_cap);
            limits.per_epoch_cap = per_epoch_cap.unwrap_or(limits.per_epoch_cap);
            limits.epoch_length = epoch_length.unwrap_or(limits.epoch_length);
            limits.per_event_bps = per_event_bps.unwrap_or(limits.per_event_bps);
            limits.per_epoch_bps = per_epoch_bps.unwrap_or(limits.per_epoch_bps);
            let destination = destination.unwrap_or(current);
            (
                vec![ix::update_exchange(
                    &me,
                    &keys,
                    &registration,
                    &destination,
                    limits,
                )],
                Some(market),
            )
        }
        Command::DeactivateExchange {
            market,
            exchange_authority,
        } => {
            let (keys, _) = pool_keys(chain, &market)?;
            let registration = pda::exchange(&keys.pool, &exchange_authority).0;
            (
                vec![ix::deactivate_exchange(&me, &registration)],
                Some(market),
            )
        }
        Command::CoverShortfall {
            market,
            amount,
            nonce,
        } => {
            let (keys, pool) = pool_keys(chain, &market)?;
            let registration = pda::exchange(&keys.pool, &me).0;
            let r: ExchangeRegistration = fetch(chain, &registration)?;
            (
                vec![ix::cover_shortfall(
                    &me,
                    &keys,
                    &registration,
                    &r.destination,
                    amount.base_units(pool.mint_decimals)?,
                    nonce.unwrap_or(r.next_nonce),
                )],
                Some(market),
            )
        }
        Command::ContributeVolume {
            market,
            volume,
            max_rate_bps,
            source,
            treasury_token,
        } => {
            let (keys, pool) = pool_keys(chain, &market)?;
            let registration = pda::exchange(&keys.pool, &me).0;
            (
                vec![ix::contribute_volume(
                    &me,
                    &keys,
                    &registration,
                    &token_of(&keys, source, &me),
                    treasury_token,
                    volume.base_units(pool.mint_decimals)?,
                    max_rate_bps,
                )],
                Some(market),
            )
        }
        other => return Err(format!("not a write command: {other:?}")),
    };
    Ok(Plan {
        instructions,
        market,
    })
}
