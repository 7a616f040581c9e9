use crate::prelude::*;

/// Claimant: withdraws its claim before anyone voted. The bond is then returnable.
#[derive(Accounts)]
pub struct CancelClaim<'info> {
    pub claimant: Signer<'info>,
    pub pool: Box<Account<'info, Pool>>,
    #[account(
        mut,
        has_one = pool @ InsuranceError::WrongClaim,
        has_one = claimant @ InsuranceError::WrongClaimant,
    )]
    pub claim: Box<Account<'info, Claim>>,
    #[account(
        mut,
        has_one = pool @ InsuranceError::WrongMember,
        constraint = member.owner == claimant.key() @ InsuranceError::WrongClaimant,
    )]
    pub member: Box<Account<'info, Member>>,
}

impl CancelClaim<'_> {
    pub fn validate(&self) -> Result<()> {
        require!(
            self.claim.status == ClaimStatus::Voting,
            InsuranceError::ClaimNotVoting
        );
        require!(self.claim.voters == 0, InsuranceError::ClaimHasVotes);
        Ok(())
    }
}

pub fn handle_cancel_claim(ctx: Context<CancelClaim>) -> Result<()> {
    ctx.accounts.claim.status = ClaimStatus::Cancelled;
    ctx.accounts.member.open_claim = None;
    emit!(ClaimCancelled {
        claim: ctx.accounts.claim.key(),
    });
    Ok(())
}
