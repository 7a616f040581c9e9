use crate::prelude::*;
use crate::token::pay_from_pool;

/// After the cooldown and within the withdrawal window, burns the pending shares and
/// pays `min(value at request, value now)` from the vault to `destination` (a token
/// account of the pool's mint chosen by the owner; never a pool's vault or bond
/// escrow). "Value now" is on free capital net of the claims still voting, so an
/// approved or pending claim is borne by the leaver too. Whatever the shares gained
/// during the cooldown (including what a rejected claim frees) stays with the remaining
/// underwriters. Refused if the pool's active exposure would exceed its cap on the free
/// capital left.
#[derive(Accounts)]
pub struct CompleteWithdrawal<'info> {
    pub owner: Signer<'info>,
    #[account(address = PROTOCOL_ADDRESS)]
    pub protocol: Box<Account<'info, Protocol>>,
    #[account(
        mut,
        has_one = mint @ InsuranceError::WrongMint,
        has_one = vault @ InsuranceError::WrongVault,
        has_one = token_program @ InsuranceError::WrongTokenProgram,
    )]
    pub pool: Box<Account<'info, Pool>>,
    #[account(
        mut,
        has_one = owner @ InsuranceError::WrongUnderwriter,
        has_one = pool @ InsuranceError::WrongUnderwriter,
    )]
    pub underwriter: Box<Account<'info, Underwriter>>,
    #[account(has_one = pool @ InsuranceError::WrongExposure)]
    pub exposure: AccountLoader<'info, PoolExposure>,
    #[account(
        mut,
        constraint = destination.mint == pool.mint @ InsuranceError::WrongMint,
    )]
    pub destination: Box<InterfaceAccount<'info, TokenAccount>>,
    #[account(mut)]
    pub vault: Box<InterfaceAccount<'info, TokenAccount>>,
    pub mint: Box<InterfaceAccount<'info, Mint>>,
    pub token_program: Interface<'info, TokenInterface>,
}

impl CompleteWithdrawal<'_> {
    pub fn validate(&self, now: i64) -> Result<()> {
        require!(
            !self.pool.is_paused(self.protocol.paused, pause::WITHDRAW),
            InsuranceError::Paused
        );
        require!(
            self.underwriter.has_pending_withdrawal(),
            InsuranceError::NoPendingWithdrawal
        );
        require!(
            now >= self.underwriter.unlock_at,
            InsuranceError::CooldownNotElapsed
        );
        require!(
            now <= self
                .underwriter
                .unlock_at
                .saturating_add(self.pool.params.withdrawal_window),
            InsuranceError::WithdrawalLapsed
        );
        require!(
            now >= self.underwriter.vote_locked_until,
            InsuranceError::VoteLocked
        );
        // Not into any pool's vault or bond escrow (a pool PDA owns both).
        let owner = self.destination.owner;
        for seed in [VAULT_SEED, BOND_VAULT_SEED] {
            let (escrow, _) = Pubkey::find_program_address(&[seed, owner.as_ref()], &crate::ID);
            require_keys_neq!(
                escrow,
                self.destination.key(),
                InsuranceError::ForbiddenDestination
            );
        }
        Ok(())
    }
}

pub fn handle_complete_withdrawal(ctx: Context<CompleteWithdrawal>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let accounts = ctx.accounts;
    let pool = &mut accounts.pool;
    let underwriter = &mut accounts.underwriter;
    let shares = underwriter.pending_shares;
    pool.refresh(now)?;

    let value_now = pool.value_of(shares)?;
    let paid = underwriter.pending_value.min(value_now);
    // Capital reserved for approved claims stays put.
    require!(
        pool.capital.safe_sub(paid)? >= pool.reserved_for_claims,
        InsuranceError::ReservedForClaims
    );
    let exposure = accounts.exposure.load()?.book.active_at(now);
    require!(
        pool.exposure_within_cap(exposure, pool.free_capital().safe_sub(paid)?),
        InsuranceError::WithdrawalBreachesExposureCap
    );

    pay_from_pool(
        pool,
        &accounts.token_program.to_account_info(),
        &accounts.vault.to_account_info(),
        &accounts.mint.to_account_info(),
        &accounts.destination.to_account_info(),
        paid,
    )?;

    pool.capital = pool.capital.safe_sub(paid)?;
    pool.total_shares = pool.total_shares.safe_sub(shares)?;
    pool.pending_withdrawal_shares = pool.pending_withdrawal_shares.safe_sub(shares)?;
    pool.total_withdrawn = pool.total_withdrawn.safe_add(paid)?;

    let value_at_request = underwriter.pending_value;
    underwriter.shares = underwriter.shares.safe_sub(shares)?;
    underwriter.total_withdrawn = underwriter.total_withdrawn.safe_add(paid)?;
    underwriter.pending_shares = 0;
    underwriter.pending_value = 0;
    underwriter.requested_at = 0;
    underwriter.unlock_at = 0;

    emit!(WithdrawalCompleted {
        pool: pool.key(),
        owner: underwriter.owner,
        shares,
        value_at_request,
        value_at_completion: value_now,
        paid,
        pool_capital: pool.capital,
        pool_shares: pool.total_shares,
    });
    Ok(())
}
