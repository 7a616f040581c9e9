use crate::prelude::*;

/// Underwriter: votes on a claim with its shares that were seasoned (staked at least
/// `min_stake_age` earlier) and not pending withdrawal at the filing. A position that
/// staked at or after the filing, or that belongs to the claimant, cannot vote. Locks
/// its `complete_withdrawal` until the claim's hold-up ends (the claim is settled by
/// then: rejected, vetoed, or approved and netted out of every exit).
#[derive(Accounts)]
pub struct CastVote<'info> {
    #[account(mut)]
    pub voter: Signer<'info>,
    #[account(address = PROTOCOL_ADDRESS)]
    pub protocol: AccountLoader<'info, Protocol>,
    pub pool: AccountLoader<'info, Pool>,
    #[account(mut, has_one = pool @ InsuranceError::WrongClaim)]
    pub claim: AccountLoader<'info, Claim>,
    #[account(
        mut,
        has_one = pool @ InsuranceError::WrongUnderwriter,
        constraint = underwriter.load()?.owner == voter.key() @ InsuranceError::WrongUnderwriter,
    )]
    pub underwriter: AccountLoader<'info, Underwriter>,
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
        let claim = self.claim.load()?;
        // Votes are never paused: a `CLAIMS` pause right after an attacker's votes froze
        // the tally, and the claims were approved on those votes alone (issue 31's
        // sixth attacker review). A vote moves no money.
        require!(
            claim.status == ClaimStatus::Voting,
            InsuranceError::ClaimNotVoting
        );
        require!(now < claim.voting_ends_at, InsuranceError::VotingClosed);
        require!(
            self.vote_record.claim == Pubkey::default(),
            InsuranceError::AlreadyVoted
        );
        require_keys_neq!(
            self.voter.key(),
            claim.claimant,
            InsuranceError::ClaimantCannotVote
        );
        let u = self.underwriter.load()?;
        require!(
            u.last_deposit_at < claim.filed_at && u.last_stake_at < claim.filed_at,
            InsuranceError::VoteWeightTooNew
        );
        require!(self.weight()? > 0, InsuranceError::NoVotingWeight);
        Ok(())
    }

    /// The weight this position casts: shares seasoned at the filing and not pending.
    pub fn weight(&self) -> Result<Shares> {
        let period = self.pool.load()?.stake_period(self.claim.load()?.filed_at);
        Ok(self.underwriter.load()?.vote_weight(period))
    }
}

pub fn handle_cast_vote(ctx: Context<CastVote>, approve: bool) -> Result<()> {
    let weight = ctx.accounts.weight()?;
    let a = ctx.accounts;
    let claim_key = a.claim.key();
    let mut claim = a.claim.load_mut()?;
    if approve {
        let yes = claim.yes_weight.get().safe_add(weight)?;
        claim.yes_weight.set(yes);
    } else {
        let no = claim.no_weight.get().safe_add(weight)?;
        claim.no_weight.set(no);
    }
    claim.voters = claim.voters.safe_add(1)?;
    let mut underwriter = a.underwriter.load_mut()?;
    let settled_by = claim
        .voting_ends_at
        .safe_add(a.pool.load()?.params.governance.holdup_period)?;
    underwriter.vote_locked_until = underwriter.vote_locked_until.max(settled_by);
    a.vote_record.set_inner(VoteRecord {
        claim: claim_key,
        voter: a.voter.key(),
        weight,
        approve,
        bump: ctx.bumps.vote_record,
    });
    emit!(VoteCast {
        pool: a.pool.key(),
        claim: claim_key,
        voter: a.voter.key(),
        weight,
        approve,
        yes_weight: claim.yes_weight.get(),
        no_weight: claim.no_weight.get(),
    });
    Ok(())
}
