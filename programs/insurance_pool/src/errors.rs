//! Every refusal of the program, each with a message. Codes start at Anchor's 6000.

use anchor_lang::prelude::*;

/// Errors returned by the insurance pool program.
#[error_code]
pub enum InsuranceError {
    #[msg("Arithmetic overflow or division by zero")]
    MathOverflow,
    #[msg("Signer is not the protocol authority")]
    Unauthorized,
    #[msg("Signer is neither the protocol authority nor the guardian")]
    NotAuthorityOrGuardian,
    #[msg("Only the protocol authority may clear pause flags")]
    GuardianCannotUnpause,
    #[msg("Pause flags contain undefined bits")]
    InvalidPauseFlags,
    #[msg("Address must not be the default (all-zero) public key")]
    InvalidAddress,
    #[msg("No authority transfer is pending")]
    NoPendingAuthority,
    #[msg("Signer is not the pending authority")]
    NotPendingAuthority,
    #[msg("Withdrawal cooldown is outside the allowed range")]
    InvalidCooldown,
    #[msg("Deposit cap must be greater than zero")]
    InvalidDepositCap,
    #[msg("Minimum deposit must be between 1 and the deposit cap")]
    InvalidMinDeposit,
    #[msg("Mint has a Token-2022 extension that the pool cannot account for")]
    UnsupportedMintExtension,
    #[msg("Token account mint does not match the pool mint")]
    WrongMint,
    #[msg("Vault does not belong to this pool")]
    WrongVault,
    #[msg("Token program does not match the pool's token program")]
    WrongTokenProgram,
    #[msg("Token account is not owned by the signer")]
    WrongTokenOwner,
    #[msg("This operation is paused")]
    Paused,
    #[msg("Amount must be greater than zero")]
    ZeroAmount,
    #[msg("Deposit is below the pool's minimum deposit")]
    DepositTooSmall,
    #[msg("Deposit would take the pool's capital above its deposit cap")]
    DepositCapExceeded,
    #[msg("Deposit would mint fewer shares than the minimum requested")]
    SlippageExceeded,
    #[msg("Deposit is too small to mint a single share")]
    ZeroShares,
    #[msg("Not enough free shares (shares under a withdrawal request are locked)")]
    InsufficientShares,
    #[msg("A withdrawal request is already pending; cancel or complete it first")]
    WithdrawalAlreadyPending,
    #[msg("No withdrawal request is pending")]
    NoPendingWithdrawal,
    #[msg("Withdrawal cooldown has not elapsed")]
    CooldownNotElapsed,
    #[msg("Underwriter account does not belong to the signer")]
    WrongUnderwriter,
    #[msg("Rate bounds must satisfy 1 <= min_rate <= max_rate <= 10000 bps")]
    InvalidRateBounds,
    #[msg("Base rate must lie within [min_rate, max_rate]")]
    InvalidBaseRate,
    #[msg("Kink must be between 1 and 10000 bps of utilisation")]
    InvalidKink,
    #[msg("Curve slopes must not exceed 100000 bps")]
    InvalidSlope,
    /// Retired with premium-rate smoothing (review 3, finding 4): never returned; kept
    /// so that every later code keeps its number.
    #[msg("Retired: the premium rate is no longer smoothed")]
    InvalidRateChange,
    #[msg("Coverage duration is outside the allowed range")]
    InvalidCoverageDuration,
    #[msg("Exposure cap must be between 1 and 100000 bps of capital")]
    InvalidExposureCap,
    #[msg("Protocol fee must not exceed 5000 bps, and a fee needs a treasury")]
    InvalidProtocolFee,
    #[msg("This cover would take the pool's exposure above its cap")]
    ExposureCapExceeded,
    #[msg("Premium is above the caller's maximum")]
    PremiumAboveMaximum,
    #[msg("A protocol fee is due: pass the treasury's token account")]
    MissingTreasuryAccount,
    #[msg("Token account is not the protocol treasury's account for this mint")]
    WrongTreasuryAccount,
    #[msg("Member account does not belong to this pool")]
    WrongMember,
    #[msg("Per-event cap must be > 0 and at most the per-epoch cap")]
    InvalidExchangeCaps,
    #[msg("Epoch length is outside the allowed range")]
    InvalidEpochLength,
    #[msg("Exchange registration does not belong to this pool")]
    WrongExchangeRegistration,
    #[msg("Signer is not the registered exchange authority")]
    WrongExchangeAuthority,
    #[msg("Exchange registration is deactivated")]
    ExchangeInactive,
    #[msg("Nonce must equal the registration's next nonce")]
    InvalidNonce,
    #[msg("Destination is not the exchange's registered token account")]
    WrongDestination,
    #[msg("Voting period must be between 1 hour and 30 days")]
    InvalidVotingPeriod,
    #[msg("Hold-up window must be between 1 hour and 30 days")]
    InvalidHoldup,
    #[msg("Quorum, approval and fraud thresholds must be between 1 and 10000 bps")]
    InvalidThreshold,
    #[msg("Bond share must not exceed 10000 bps, and the minimum bond must be at least 1")]
    InvalidBond,
    #[msg("The member has no active coverage")]
    NotCovered,
    #[msg("Claimed amount exceeds the member's coverage")]
    ClaimAboveCoverage,
    #[msg("The member already has an open claim")]
    ClaimAlreadyOpen,
    #[msg("Evidence URI is too long")]
    UriTooLong,
    #[msg("The claim is not in its voting period")]
    ClaimNotVoting,
    #[msg("The voting period is over")]
    VotingClosed,
    #[msg("The voting period is not over yet")]
    VotingNotOver,
    #[msg("This underwriter already voted on this claim")]
    AlreadyVoted,
    #[msg("The voter holds no shares")]
    NoVotingWeight,
    #[msg("Shares deposited at or after the claim's filing time cannot vote on it")]
    VoteWeightTooNew,
    /// Retired with the voter's own withdrawal lock (issue 31's fifth attacker review:
    /// a vote binds through `ClaimsVoting` and `HoldupExitsClosed`): never returned;
    /// kept so that every later code keeps its number.
    #[msg("Retired: a vote binds through the pool's claims voting and hold-ups")]
    VoteLocked,
    #[msg("The claim is not approved")]
    ClaimNotApproved,
    #[msg("The hold-up window has not ended")]
    HoldupActive,
    #[msg("The hold-up window is over")]
    HoldupOver,
    #[msg("Votes were cast: the claim can no longer be cancelled")]
    ClaimHasVotes,
    #[msg("The bond was already returned or slashed")]
    BondAlreadySettled,
    #[msg("The claim is still open")]
    ClaimStillOpen,
    #[msg("Account does not belong to the claimant")]
    WrongClaimant,
    #[msg("Signer is not the guardian")]
    NotGuardian,
    #[msg("This withdrawal would take capital below what approved claims reserve")]
    ReservedForClaims,
    #[msg("Claim account does not belong to this pool")]
    WrongClaim,
    #[msg("Exposure account does not belong to this pool")]
    WrongExposure,
    #[msg("Withdrawal window must be between 1 hour and 30 days")]
    InvalidWithdrawalWindow,
    #[msg(
        "Deposit lock must be at least the coverage term and twice the stake age, at most 365 days"
    )]
    InvalidDepositLock,
    #[msg("Claim waiting period must be at least 1 hour and shorter than the coverage term")]
    InvalidClaimWaitingPeriod,
    #[msg("Minimum stake age must be between 1 day and 30 days")]
    InvalidStakeAge,
    #[msg("Maximum claim share must be between 1 and 10000 bps of free capital")]
    InvalidMaxClaim,
    #[msg("The minimum stake age is fixed at pool creation")]
    StakeAgeImmutable,
    #[msg("Capital cannot start a withdrawal before its deposit lock has passed and its shares are seasoned")]
    DepositLocked,
    #[msg("The withdrawal request lapsed: its window closed; cancel and request again")]
    WithdrawalLapsed,
    #[msg("This withdrawal would leave exposure above the pool's cap on free capital")]
    WithdrawalBreachesExposureCap,
    #[msg("Payments may not go into a pool's vault or bond escrow")]
    ForbiddenDestination,
    #[msg("Claim exceeds the pool's maximum share of free capital per claim")]
    ClaimTooLarge,
    #[msg("The claimant cannot vote on its own claim")]
    ClaimantCannotVote,
    #[msg("This top-up could not mature before the cover expires")]
    CoverCannotMature,
    #[msg("The cover would end before the caller's minimum expiry")]
    CoverageEndsTooSoon,
    #[msg("A claim can only be cancelled within its cancel window after filing")]
    CancelWindowOver,
    #[msg("The exchange authority must be a program-derived address (off the ed25519 curve)")]
    ExchangeAuthorityNotPda,
    #[msg(
        "Exchange caps in bps of free capital must satisfy 1 <= per-event <= per-epoch <= 10000"
    )]
    InvalidExchangeBps,
    #[msg("Signer is not the program's upgrade authority (ProgramData)")]
    NotUpgradeAuthority,
    #[msg("Claim payouts and bond returns go only to the claimant's associated token account")]
    NotAssociatedTokenAccount,
    #[msg("Deposits are closed while an approved claim is in its hold-up")]
    HoldupDepositsClosed,
    #[msg("Volume rates must satisfy min_rate <= base_rate <= max_rate <= 1000 bps")]
    InvalidVolumeRates,
    #[msg("Volume loss slope must not exceed 100000 bps")]
    InvalidVolumeSlope,
    #[msg("The exchange registration is not active yet (its activation delay is running)")]
    ExchangeNotYetActive,
    #[msg("The volume rate is above the caller's maximum")]
    VolumeRateAboveMaximum,
    #[msg("Volume loss decay must be between 1 and 10000 bps per day")]
    InvalidVolumeDecay,
    #[msg("Withdrawals complete once the claims voting are settled (the window waits for them)")]
    ClaimsVoting,
    #[msg("The withdrawal request has not lapsed: only its owner may cancel it")]
    WithdrawalNotLapsed,
    #[msg("The withdrawal request has expired: its owner may only cancel it")]
    WithdrawalExpiredAlready,
    #[msg("Withdrawals complete once the hold-up of an approved claim is over (the window waits for it)")]
    HoldupExitsClosed,
}
