use crate::prelude::*;

/// Underwriter: votes on a claim with all its shares, if they all predate the filing
/// (its last deposit is strictly before the claim's filing time). Locks its
/// `complete_withdrawal` until the voting period ends.
#[derive(Accounts)]
pub struct CastVote<'info> {
    #[account(mut)]
    pub voter: Signer<'info>,
    #[account(address = PROTOCOL_ADDRESS)]
    pub protocol: Box<Account<'info, Protocol>>,
    pub pool: Box<Account<'info, Pool>>,
    #[account(mut, has_one = pool @ InsuranceError::WrongClaim)]
    pub claim: Box<Account<'info, Claim>>,
    #[account(
        mut,
        has_one = pool @ InsuranceError::WrongUnderwriter,
        constraint = underwriter.owner == voter.key() @ InsuranceError::WrongUnderwriter,
    )]
    pub underwriter: Box<Account<'info, Underwriter>>,
    #[account(
        init_if_needed,
        payer = voter,
        space = 8 + VoteRecord::INIT_SPACE,
        seeds = [VOTE_SEED, claim.key().as_ref(), voter.key().as_ref()],
        bump,
    )]
    pub vote_record: Box<Account<'info, VoteRecord>>,
    pub system_program: Program<'info, System>,
}

impl CastVote<'_> {
    pub fn validate(&self, now: i64) -> Result<()> {
        require!(
            !self.pool.is_paused(self.protocol.paused, pause::CLAIMS),
            InsuranceError::Paused
        );
        require!(
            self.claim.status == ClaimStatus::Voting,
            InsuranceError::ClaimNotVoting
        );
        require!(
            now < self.claim.voting_ends_at,
            InsuranceError::VotingClosed
        );
        require!(
            self.vote_record.claim == Pubkey::default(),
            InsuranceError::AlreadyVoted
        );
        require!(self.underwriter.shares > 0, InsuranceError::NoVotingWeight);
        require!(
            self.underwriter.last_deposit_at < self.claim.filed_at,
            InsuranceError::VoteWeightTooNew
        );
        Ok(())
    }
}

pub fn handle_cast_vote(ctx: Context<CastVote>, approve: bool) -> Result<()> {
    let a = ctx.accounts;
    let claim = &mut a.claim;
    let weight = a.underwriter.shares;
    if approve {
        claim.yes_weight = claim.yes_weight.safe_add(weight)?;
    } else {
        claim.no_weight = claim.no_weight.safe_add(weight)?;
    }
    claim.voters = claim.voters.safe_add(1)?;
    let underwriter = &mut a.underwriter;
    underwriter.vote_locked_until = underwriter.vote_locked_until.max(claim.voting_ends_at);
    a.vote_record.set_inner(VoteRecord {
        claim: claim.key(),
        voter: a.voter.key(),
        weight,
        approve,
        bump: ctx.bumps.vote_record,
    });
    emit!(VoteCast {
        claim: claim.key(),
        voter: a.voter.key(),
        weight,
        approve,
        yes_weight: claim.yes_weight,
        no_weight: claim.no_weight,
    });
    Ok(())
}
