use crate::math::bps_of_floor;
use crate::prelude::*;
use crate::token::{check_treasury, collect};

/// Buys cover of `notional`: charges the quote (refusing above `max_premium`, and a
/// cover ending before `min_expiry`), puts the premium net of the protocol fee into the
/// pool's unearned-premium reserve (released into capital over the term), sends the fee
/// to the treasury, records the cover in the pool's exposure and the caller's
/// [`Member`] (maturing after the claim waiting period), and stores the charged rate
/// and its anchor time for smoothing.
#[derive(Accounts)]
pub struct ContributePremium<'info> {
    #[account(mut)]
    pub owner: Signer<'info>,
    #[account(address = PROTOCOL_ADDRESS)]
    pub protocol: AccountLoader<'info, Protocol>,
    #[account(
        mut,
        has_one = mint @ InsuranceError::WrongMint,
        has_one = vault @ InsuranceError::WrongVault,
        has_one = token_program @ InsuranceError::WrongTokenProgram,
    )]
    pub pool: AccountLoader<'info, Pool>,
    /// The caller's [`Member`] at its PDA, created on first use (`open_or_load`: an
    /// existing one is bound by its stored `pool` and `owner`, without re-deriving the
    /// address). The IDL build declares the seeds so clients derive it.
    #[cfg_attr(
        feature = "idl-build",
        account(mut, seeds = [MEMBER_SEED, pool.key().as_ref(), owner.key().as_ref()], bump)
    )]
    #[cfg_attr(not(feature = "idl-build"), account(mut))]
    /// CHECK: loaded or created by `open_or_load` (owner, discriminator, size / PDA).
    pub member: UncheckedAccount<'info>,
    #[account(mut, has_one = pool @ InsuranceError::WrongExposure)]
    pub exposure: AccountLoader<'info, PoolExposure>,
    /// The owner's token account the premium is paid from.
    #[account(
        mut,
        constraint = token_account(&owner_token)?.mint == pool.load()?.mint @ InsuranceError::WrongMint,
        constraint = token_account(&owner_token)?.owner == owner.key() @ InsuranceError::WrongTokenOwner,
    )]
    /// CHECK: a token account, read by `token_account` in the constraints (its mint and
    /// owner); the token program validates it again on the transfer.
    pub owner_token: UncheckedAccount<'info>,
    #[account(mut)]
    /// CHECK: the pool's own escrow, bound by its `has_one`; the token program validates
    /// it on the transfer (no need to unpack it here).
    pub vault: UncheckedAccount<'info>,
    /// The treasury's token account for this mint; required while the protocol fee is
    /// not zero (checked in `validate`).
    #[account(mut)]
    /// CHECK: read by `check_treasury` (through `token_account`): the protocol treasury's
    /// account for the pool's mint.
    pub treasury_token: Option<UncheckedAccount<'info>>,
    /// CHECK: the pool's mint, bound by its `has_one`; `transfer_checked` checks it against
    /// both token accounts and the pool's stored decimals.
    pub mint: UncheckedAccount<'info>,
    pub token_program: Interface<'info, TokenInterface>,
    pub system_program: Program<'info, System>,
}

impl ContributePremium<'_> {
    pub fn validate(&self, notional: u64) -> Result<()> {
        let pool = self.pool.load()?;
        require!(
            !pool.is_paused(self.protocol.load()?.paused, pause::PREMIUM),
            InsuranceError::Paused
        );
        require!(notional > 0, InsuranceError::ZeroAmount);
        check_treasury(
            &*self.protocol.load()?,
            &pool.mint,
            self.treasury_token.as_deref(),
        )?;
        Ok(())
    }
}

pub fn handle_contribute_premium(
    ctx: Context<ContributePremium>,
    notional: u64,
    max_premium: u64,
    min_expiry: i64,
) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let accounts = ctx.accounts;
    let pool_key = accounts.pool.key();
    let mut pool = accounts.pool.load_mut()?;
    let clock = pool.refresh_at(&*accounts.protocol.load()?, now);
    let owner_key = accounts.owner.key();
    let (mut member, created) = open_or_load::<Member>(
        &accounts.member,
        &[MEMBER_SEED, pool_key.as_ref(), owner_key.as_ref()],
        &accounts.owner,
        &accounts.system_program,
    )?;
    if let Some(bump) = created {
        member.pool = pool_key;
        member.owner = owner_key;
        member.bump = bump;
    }
    require_keys_eq!(member.pool, pool_key, InsuranceError::WrongMember);
    require_keys_eq!(member.owner, owner_key, InsuranceError::WrongMember);

    let mut exposure = accounts.exposure.load_mut()?;
    exposure.book.roll(now);
    pool.earn(&mut exposure.earnings, now)?;
    let quote = pool.quote(&exposure.book, Some(&member), notional, clock, now)?;
    require!(
        quote.premium <= max_premium,
        InsuranceError::PremiumAboveMaximum
    );
    require!(
        quote.coverage_expiry >= min_expiry,
        InsuranceError::CoverageEndsTooSoon
    );
    let fee = bps_of_floor(
        quote.premium,
        accounts.protocol.load()?.protocol_fee_bps as u64,
    )?;
    let to_pool = quote.premium.safe_sub(fee)?;

    collect(
        &accounts.token_program.to_account_info(),
        &accounts.owner_token.to_account_info(),
        &accounts.mint.to_account_info(),
        &accounts.vault.to_account_info(),
        accounts
            .treasury_token
            .as_ref()
            .map(|t| t.to_account_info()),
        &accounts.owner.to_account_info(),
        to_pool,
        fee,
        pool.mint_decimals,
    )?;

    pool.unearned_premiums = pool.unearned_premiums.safe_add(to_pool)?;
    pool.total_premiums = pool.total_premiums.safe_add(to_pool)?;
    pool.total_protocol_fees = pool.total_protocol_fees.safe_add(fee)?;
    exposure.book.add(quote.coverage_expiry, notional)?;
    pool.cover_ends_at = pool.cover_ends_at.max(quote.coverage_expiry);
    exposure.earnings.add(now, quote.coverage_expiry, to_pool)?;
    // Statistics only: no later price depends on them (see `Pool::quote`).
    pool.rate_bps = quote.rate_bps;
    pool.rate_updated_at = now;

    if member.is_covered(now) {
        member.mature(now);
        member.maturing_amount = member.maturing_amount.safe_add(notional)?;
    } else {
        // A new term: nothing matured, nothing claimed yet.
        member.matured_amount = 0;
        member.maturing_amount = notional;
        member.claimed_amount = 0;
    }
    member.matures_at = now.safe_add(pool.params.claim_waiting_period)?;
    member.covered_amount = member.active_cover(now).safe_add(notional)?;
    member.coverage_expiry = quote.coverage_expiry;
    member.premiums_paid = member.premiums_paid.safe_add(quote.premium)?;

    emit!(PremiumContributed {
        pool: pool_key,
        owner: member.owner,
        notional,
        rate_bps: quote.rate_bps,
        utilisation_bps: quote.utilisation_bps,
        premium: quote.premium,
        protocol_fee: fee,
        covered_amount: member.covered_amount,
        coverage_expiry: member.coverage_expiry,
        pool_exposure: exposure.book.total,
        pool_capital: pool.capital,
    });
    Ok(())
}
