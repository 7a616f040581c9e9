use crate::prelude::*;
use crate::token::pay_from_pool;

/// After the cooldown, burns the pending shares and pays
/// `min(value at request, value now)` from the vault to `destination` (any token account
/// of the pool's mint, chosen by the owner). Whatever the shares gained during the
/// cooldown stays with the remaining underwriters; whatever they lost is borne.
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
            now >= self.underwriter.vote_locked_until,
            InsuranceError::VoteLocked
        );
        Ok(())
    }
}

pub fn handle_complete_withdrawal(ctx: Context<CompleteWithdrawal>) -> Result<()> {
    let accounts = ctx.accounts;
    let pool = &mut accounts.pool;
    let underwriter = &mut accounts.underwriter;
    let shares = underwriter.pending_shares;

    let value_now = pool.value_of(shares)?;
    let paid = underwriter.pending_value.min(value_now);
    // Capital reserved for approved claims stays put.
    require!(
        pool.capital.safe_sub(paid)? >= pool.reserved_for_claims,
        InsuranceError::ReservedForClaims
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
