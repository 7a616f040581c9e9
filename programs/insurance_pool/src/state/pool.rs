use anchor_lang::prelude::*;

use crate::constants::*;
use crate::errors::InsuranceError;
use crate::math::{
    curve_rate, decayed_loss, exposure_cap, premium_for, shares_for_deposit, stake_period,
    utilisation_bps, value_of_shares, volume_fee, volume_target_rate, Curve, EarningBook,
    ExposureBook, PodShares, SafeMath, Shares, VolumeCurve, YoungShares, BPS,
};
use crate::state::{Member, Underwriter};

/// Governance-set parameters of one pool. Every field is range-checked by
/// [`PoolParams::validate`] on `create_pool` and `update_pool_params`.
///
/// Plain old data (`repr(C)`, no padding, every field a little-endian integer), so its
/// Borsh encoding is its bytes: on chain it is encoded and decoded by one copy
/// (`pod_borsh!`) instead of field by field; the IDL build derives the same encoding.
#[derive(InitSpace, Clone, Copy, Debug, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
// After the `Pod` derive, so that the IDL calls the type Borsh (which its bytes are).
#[cfg_attr(feature = "idl-build", derive(AnchorSerialize, AnchorDeserialize))]
#[repr(C)]
pub struct PoolParams {
    /// Seconds between `request_withdrawal` and the earliest `complete_withdrawal`,
    /// in `[MIN_WITHDRAWAL_COOLDOWN, MAX_WITHDRAWAL_COOLDOWN]`.
    pub withdrawal_cooldown: i64,
    /// Largest accounted capital a deposit may bring the pool to (base units, > 0).
    pub deposit_cap: u64,
    /// Smallest accepted deposit (base units, in `[1, deposit_cap]`).
    pub min_deposit: u64,
    /// Premium curve (bps of notional for a full coverage term).
    pub curve: Curve,
    /// Length of a cover, in seconds (`[MIN_COVERAGE_DURATION, MAX_COVERAGE_DURATION]`).
    pub coverage_duration: i64,
    /// Cap on exposure, in bps of capital (`[1, MAX_EXPOSURE_BPS]`).
    pub max_exposure_bps: u64,
    /// Capital shortfall payouts never touch (base units, any value; with claims
    /// reserved, it forms the solvency floor).
    pub min_reserve: u64,
    /// How claims are judged.
    pub governance: GovernanceParams,
    /// Seconds after its cooldown during which a withdrawal request can be completed;
    /// after that it lapses (`[MIN_WITHDRAWAL_WINDOW, MAX_WITHDRAWAL_WINDOW]`).
    pub withdrawal_window: i64,
    /// Seconds after an underwriter's last deposit before it may request a withdrawal
    /// (`>= coverage_duration`, `>= 2 · min_stake_age`, `<= MAX_DEPOSIT_LOCK`): capital
    /// stays for at least one coverage term of the covers its presence made cheaper.
    pub min_deposit_lock: i64,
    /// Seconds after the purchase or top-up that added it before cover can be claimed
    /// (`[MIN_CLAIM_WAITING_PERIOD, coverage_duration)`).
    pub claim_waiting_period: i64,
    /// Volume rate of `contribute_volume` (bps of traded volume).
    pub volume: VolumeCurve,
}

crate::pod_borsh!(PoolParams);

/// Claim governance of a pool.
#[derive(
    AnchorSerialize,
    AnchorDeserialize,
    InitSpace,
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    bytemuck::Pod,
    bytemuck::Zeroable,
)]
#[repr(C)]
pub struct GovernanceParams {
    /// Seconds underwriters may vote after filing.
    pub voting_period: i64,
    /// Turnout needed, bps of the eligible weight (total shares at filing).
    pub quorum_bps: u64,
    /// Yes-votes needed, bps of the cast weight.
    pub approval_threshold_bps: u64,
    /// Seconds between approval and payability, during which the guardian may veto.
    pub holdup_period: i64,
    /// Smallest bond (base units).
    pub bond_min: u64,
    /// Bond as bps of the claimed amount (the larger of the two applies).
    pub bond_bps: u64,
    /// No-votes at or above this share (bps of cast weight), with the quorum reached,
    /// mark a rejected claim as fraudulent: its bond is slashed into the pool.
    pub fraud_threshold_bps: u64,
    /// Only shares staked at least this long before a claim's filing vote on it
    /// (`[MIN_STAKE_AGE, MAX_STAKE_AGE]` seconds; fixed at pool creation).
    pub min_stake_age: i64,
    /// Largest single claim, bps of free capital at filing (`[1, 10 000]`).
    pub max_claim_bps: u64,
}

impl GovernanceParams {
    /// Refuses parameters outside their documented ranges.
    pub fn validate(&self) -> Result<()> {
        let window = MIN_GOVERNANCE_WINDOW..=MAX_GOVERNANCE_WINDOW;
        require!(
            window.contains(&self.voting_period),
            InsuranceError::InvalidVotingPeriod
        );
        require!(
            window.contains(&self.holdup_period),
            InsuranceError::InvalidHoldup
        );
        for bps in [
            self.quorum_bps,
            self.approval_threshold_bps,
            self.fraud_threshold_bps,
        ] {
            require!((1..=BPS).contains(&bps), InsuranceError::InvalidThreshold);
        }
        require!(
            self.bond_bps <= BPS && self.bond_min >= 1,
            InsuranceError::InvalidBond
        );
        require!(
            (MIN_STAKE_AGE..=MAX_STAKE_AGE).contains(&self.min_stake_age),
            InsuranceError::InvalidStakeAge
        );
        require!(
            (1..=BPS).contains(&self.max_claim_bps),
            InsuranceError::InvalidMaxClaim
        );
        Ok(())
    }
}

impl PoolParams {
    /// Refuses any parameter outside its documented range, each with its own error.
    pub fn validate(&self) -> Result<()> {
        require!(
            (MIN_WITHDRAWAL_COOLDOWN..=MAX_WITHDRAWAL_COOLDOWN).contains(&self.withdrawal_cooldown),
            InsuranceError::InvalidCooldown
        );
        require!(self.deposit_cap > 0, InsuranceError::InvalidDepositCap);
        require!(
            self.min_deposit >= 1 && self.min_deposit <= self.deposit_cap,
            InsuranceError::InvalidMinDeposit
        );
        let c = &self.curve;
        require!(
            c.min_rate >= 1 && c.min_rate <= c.max_rate && c.max_rate <= MAX_RATE_BPS,
            InsuranceError::InvalidRateBounds
        );
        require!(
            (c.min_rate..=c.max_rate).contains(&c.base_rate),
            InsuranceError::InvalidBaseRate
        );
        require!((1..=BPS).contains(&c.kink), InsuranceError::InvalidKink);
        require!(
            c.slope1 <= MAX_SLOPE_BPS && c.slope2 <= MAX_SLOPE_BPS,
            InsuranceError::InvalidSlope
        );
        require!(
            (MIN_COVERAGE_DURATION..=MAX_COVERAGE_DURATION).contains(&self.coverage_duration),
            InsuranceError::InvalidCoverageDuration
        );
        require!(
            (1..=MAX_EXPOSURE_BPS).contains(&self.max_exposure_bps),
            InsuranceError::InvalidExposureCap
        );
        self.governance.validate()?;
        require!(
            (MIN_WITHDRAWAL_WINDOW..=MAX_WITHDRAWAL_WINDOW).contains(&self.withdrawal_window),
            InsuranceError::InvalidWithdrawalWindow
        );
        require!(
            self.min_deposit_lock >= self.coverage_duration
                && self.min_deposit_lock >= self.governance.min_stake_age.saturating_mul(2)
                && self.min_deposit_lock <= MAX_DEPOSIT_LOCK,
            InsuranceError::InvalidDepositLock
        );
        require!(
            self.claim_waiting_period >= MIN_CLAIM_WAITING_PERIOD
                && self.claim_waiting_period < self.coverage_duration,
            InsuranceError::InvalidClaimWaitingPeriod
        );
        let v = &self.volume;
        require!(
            v.min_rate <= v.base_rate
                && v.base_rate <= v.max_rate
                && v.max_rate <= MAX_VOLUME_RATE_BPS,
            InsuranceError::InvalidVolumeRates
        );
        require!(
            v.loss_slope <= MAX_VOLUME_SLOPE_BPS,
            InsuranceError::InvalidVolumeSlope
        );
        require!(
            (1..=BPS).contains(&v.loss_decay_per_day),
            InsuranceError::InvalidVolumeDecay
        );
        Ok(())
    }

    /// The longest an underwriter can need to get out after seeing a change coming
    /// (the longer of the deposit lock and a voter's lock, plus the longest wait of a
    /// request: the cooldown, or the cover in force when it was made, at most a term and
    /// its expiry day), plus [`ACTIVATION_MARGIN`]: how long new draw rights and
    /// parameter changes wait before they apply, counted on the exit clock (time with
    /// withdrawals open).
    pub fn exit_horizon(&self) -> i64 {
        // A vote binds its voter through the claim's vote and hold-up (no withdrawal
        // completes then; the exit clock stands still too): counted, conservatively.
        let vote_lock = self
            .governance
            .voting_period
            .saturating_add(self.governance.holdup_period);
        self.min_deposit_lock
            .max(vote_lock)
            .saturating_add(self.longest_request_wait())
            .saturating_add(ACTIVATION_MARGIN)
    }

    /// The longest a withdrawal request can wait under these parameters: its cooldown,
    /// or the cover in force when it was made (see `request_withdrawal`), which ends
    /// within a term and leaves the book at the end of its expiry day. (Cover sold under
    /// a longer term before a change is counted by [`Pool::activation_delay`].)
    pub fn longest_request_wait(&self) -> i64 {
        self.withdrawal_cooldown
            .max(self.coverage_duration.saturating_add(crate::math::DAY))
    }
}

/// A pool's outstanding coverage by expiry day, PDA `["exposure", pool]` (zero-copy;
/// read only by the premium instructions).
#[account(zero_copy)]
#[derive(Debug)]
pub struct PoolExposure {
    pub pool: Pubkey,
    pub book: ExposureBook,
    /// The pool's unearned premium by the day it is earned.
    pub earnings: EarningBook,
}

/// Loss statistics of a pool (exchange shortfalls).
#[derive(
    AnchorSerialize,
    AnchorDeserialize,
    InitSpace,
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    bytemuck::Pod,
    bytemuck::Zeroable,
)]
#[repr(C)]
pub struct LossStats {
    /// Number of shortfalls reported.
    pub count: u64,
    /// Sum of shortfalls reported.
    pub total_reported: u64,
    /// Sum paid out for them.
    pub total_covered: u64,
    /// Largest single shortfall reported.
    pub largest: u64,
    /// EWMA of reported shortfalls (weight `LOSS_EWMA_WEIGHT_BPS` on the newest).
    pub ewma: u64,
}

/// A premium quote: what `contribute_premium` charges for the same notional, member
/// and time. Returned by `quote_premium` as return data.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct PremiumQuote {
    /// Total the member pays (protocol fee included).
    pub premium: u64,
    /// Rate charged, bps of notional for a full term: the curve at the utilisation this
    /// cover creates on the capital that stays.
    pub rate_bps: u64,
    /// Utilisation after this cover (bps of free capital).
    pub utilisation_bps: u64,
    /// Seconds of cover paid for (the full term, or all that remains of an active cover,
    /// which may exceed a term shortened since it was bought).
    pub covered_secs: i64,
    /// When the cover ends.
    pub coverage_expiry: i64,
}

/// A volume-fee quote: what `contribute_volume` charges for the same volume and time.
/// Returned by `quote_volume` as return data.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct VolumeQuote {
    /// Total the exchange pays (protocol fee included).
    pub fee: u64,
    /// Part of `fee` that goes to the protocol treasury.
    pub protocol_fee: u64,
    /// Rate charged, bps of volume.
    pub rate_bps: u64,
    /// The rate's inputs: the loss index decayed to now, and free capital.
    pub loss_index: u64,
    pub free_capital: u64,
}

/// One market's isolated insurance pool, PDA `["pool", market]`.
///
/// Invariant (conservation): the vault's token balance equals `capital +
/// unearned_premiums`. Tokens sent to the vault outside the program are not capital and
/// do not change the share price.
///
/// Prices: deposits are priced on *free* capital (`capital - reserved_for_claims`: an
/// approved claim is a realised loss); exits on free capital net of the claims still
/// voting ([`Pool::exit_capital`]); utilisation, quotes and the exposure cap use free
/// capital. Unearned premium counts in none of them.
#[account(zero_copy)]
#[derive(InitSpace, Debug)]
pub struct Pool {
    /// The market this pool insures (any identifier the venue chooses, usually its
    /// market account).
    pub market: Pubkey,
    /// The token the pool is denominated in.
    pub mint: Pubkey,
    /// The pool's vault token account, PDA `["vault", pool]`, owned by this pool.
    pub vault: Pubkey,
    /// SPL Token or Token-2022, whichever owns `mint`.
    pub token_program: Pubkey,
    /// The bond escrow, PDA `["bonds", pool]`, owned by this pool. Bonds are not
    /// capital: its balance equals `bonds_held`.
    pub bond_vault: Pubkey,
    /// Sequential pool number (`Protocol::pool_count` at creation).
    pub index: u64,
    /// Accounted (earned) capital: deposits + earned premiums + slashed bonds -
    /// withdrawals - payouts.
    pub capital: u64,
    /// Shares outstanding, including shares under a withdrawal request.
    pub total_shares: PodShares,
    /// Shares currently under a withdrawal request.
    pub pending_withdrawal_shares: PodShares,
    /// The part of them under requests not expired (`expire_withdrawal`): what counts
    /// as leaving in [`Pool::staying_capital`].
    pub leaving_shares: PodShares,
    /// Lifetime sum of deposits (statistics).
    pub total_deposited: u64,
    /// Lifetime sum of withdrawals paid (statistics).
    pub total_withdrawn: u64,
    /// Rate charged by the last purchase of cover (bps; statistics: no price depends on
    /// it, see [`Pool::quote`]).
    pub rate_bps: u64,
    /// Unix time of the last purchase of cover (statistics).
    pub rate_updated_at: i64,
    /// Lifetime premiums added to capital (statistics).
    pub total_premiums: u64,
    /// Lifetime protocol fees routed to the treasury (statistics).
    pub total_protocol_fees: u64,
    /// Capital reserved for approved, unpaid claims (part of the solvency floor).
    pub reserved_for_claims: u64,
    /// Loss statistics of exchange shortfalls: the amounts *reported* (before caps),
    /// so the actuarial model sees the true losses, and what the pool covered.
    pub loss_stats: LossStats,
    /// Governance-set parameters.
    pub params: PoolParams,
    /// Unix time of creation.
    pub created_at: i64,
    pub bonds_held: u64,
    /// Number of claims filed; the next claim's id.
    pub claim_count: u64,
    /// Lifetime claim payouts (statistics).
    pub total_claims_paid: u64,
    /// Sum of the amounts of claims still voting (exits are priced net of them).
    pub voting_claims: u64,
    /// Premiums paid but not yet earned (held in the vault, not capital; by day in
    /// the exposure account's [`EarningBook`]).
    pub unearned_premiums: u64,
    /// Shares staked in the last two stake periods (not yet able to vote).
    pub young_shares: YoungShares,
    /// Parameters waiting to replace `params` at `pending_params_at` (0: none).
    pub pending_params: PoolParams,
    pub pending_params_at: i64,
    /// Time withdrawals of this pool were paused (stops its exit clock).
    pub withdraw_pause: crate::math::PauseClock,
    /// Time claims of this pool were voting (`voting_claims > 0`): withdrawals cannot
    /// complete then, so this stops its exit clock too (review 3, findings 1 and 2).
    pub voting_pause: crate::math::PauseClock,
    /// The latest exit-clock time at which a pending withdrawal's window closes (0 with
    /// none pending; each request's close is fixed when it is made, see
    /// [`Underwriter::window_closes_at`]). Once the exit clock is past it, every pending
    /// request has lapsed and the shares under them no longer count as leaving
    /// ([`Pool::staying_capital`]). A lapsed request among live ones still counts:
    /// anyone may `expire_withdrawal` it (review 3's attacker review, B).
    pub pending_closes_until: i64,
    /// The highest exit clock any instruction has read (see [`Pool::exit_clock`]).
    pub exit_clock_high: i64,
    /// Deposits and withdrawals are refused until this time: the end of the latest
    /// hold-up of an approved claim (a veto would hand the released reservation to
    /// whoever bought shares at the discounted price, or to those who stayed if a
    /// leaver exited at it: issue 31's fifth attacker review).
    pub holdup_until: i64,
    /// Volume rate charged by the last `contribute_volume` (bps; statistics).
    pub volume_rate_bps: u64,
    /// The volume rate's loss index (see [`crate::math::volume`]) as of the start of day
    /// `volume_loss_day`: decayed shortfalls of registrations that can draw, each
    /// capped at its per-event limit.
    pub volume_loss: u64,
    pub volume_loss_day: i64,
    /// Lifetime volume reported by exchanges and the fees it paid (protocol fee
    /// included; statistics).
    pub total_volume: u64,
    pub total_volume_fees: u64,
    /// Decimals of `mint`, used for `transfer_checked`.
    pub mint_decimals: u8,
    /// Pause bits for this pool only (see [`crate::constants::pause`]).
    pub paused: u8,
    /// Bump of this PDA.
    pub bump: u8,
    /// Bump of the vault PDA.
    pub vault_bump: u8,
    /// 1 if the mint has a freeze authority (it could freeze the vault: a trust
    /// assumption on the mint's issuer, shown by the CLI and the TypeScript client),
    /// else 0.
    pub mint_has_freeze_authority: u8,
    /// Keeps the account a multiple of 8 bytes (zero).
    pub reserved: [u8; 3],
    /// Start of the current run of overlapping hold-ups (it ends at `holdup_until`):
    /// withdrawals cannot complete then, so it stops the exit clock.
    pub holdup_from: i64,
    /// Seconds of hold-up runs that have ended (see [`Pool::holdup_secs_at`]).
    pub holdup_secs: i64,
    /// The latest cover expiry sold (0: none). A withdrawal request waits for the
    /// cover in force ([`Pool::cover_wait_at`]), and new draw rights and parameter
    /// changes wait at least that long too ([`Pool::activation_delay`]).
    pub cover_ends_at: i64,
}

// Zero-copy: the Borsh size the IDL and clients compute is the in-memory size (no
// padding anywhere, enforced by `Pod`), and the account data stays 8-byte aligned.
const _: () = assert!(Pool::INIT_SPACE == std::mem::size_of::<Pool>());
const _: () = assert!(std::mem::align_of::<Pool>() <= 8);

impl Pool {
    /// Whether `flag` is paused for this pool, at pool or protocol level.
    pub fn is_paused(&self, protocol_paused: u8, flag: u8) -> bool {
        (self.paused | protocol_paused) & flag != 0
    }

    /// The pool's exit clock at `now` (see [`crate::math::exit_clock`]): wall time
    /// minus every second withdrawals could not complete, paused (pool or protocol) or
    /// refused while claims voted. Activation times of parameter changes and draw
    /// rights, and withdrawal windows, are on it: no delay runs out, and no window
    /// lapses, while underwriters cannot leave.
    ///
    /// Never runs backwards: each stop (this pool's withdrawal pause, the protocol's,
    /// claims voting) is counted on its own, so while two overlap the sum would fall;
    /// the clock then stands at the highest value an instruction has read
    /// ([`Pool::mark_exit_clock`]) until the sum catches up (review 3's attacker review,
    /// D: a dust claim during a guardian pause rewound it and reopened a lapsed window).
    /// Every change that can start an overlap marks it first: a pool pause, a claim
    /// filed (both refresh the pool); a protocol pause starting second finds the clock
    /// already stopped since the mark.
    pub fn exit_clock(&self, protocol: &crate::state::Protocol, now: i64) -> i64 {
        crate::math::exit_clock(now, &self.withdraw_pause, &protocol.withdraw_pause)
            .saturating_sub(self.voting_pause.total(now))
            .saturating_sub(self.holdup_secs_at(now))
            .max(self.exit_clock_high)
    }

    /// Seconds withdrawals were held by hold-ups up to `now` (overlapping hold-ups
    /// counted once).
    pub fn holdup_secs_at(&self, now: i64) -> i64 {
        let running = now
            .min(self.holdup_until)
            .saturating_sub(self.holdup_from)
            .max(0);
        self.holdup_secs.saturating_add(running)
    }

    /// An approved claim's hold-up from `now` to `ends_at`: deposits and withdrawals
    /// wait for it, and the exit clock stands still meanwhile. Mark the exit clock
    /// first ([`Pool::refresh_at`]): a hold-up overlapping another stop must not run it
    /// backwards.
    pub fn start_holdup(&mut self, now: i64, ends_at: i64) {
        if now >= self.holdup_until {
            // The previous run is over: bank it and start a new one.
            self.holdup_secs = self.holdup_secs_at(now);
            self.holdup_from = now;
        }
        self.holdup_until = self.holdup_until.max(ends_at);
    }

    /// Records the exit clock read at `now` as the floor of every later reading.
    pub fn mark_exit_clock(&mut self, protocol: &crate::state::Protocol, now: i64) -> i64 {
        let clock = self.exit_clock(protocol, now);
        self.exit_clock_high = clock;
        clock
    }

    /// Sets the amount of claims still voting at `now`, keeping the voting clock (and so
    /// the exit clock) in step: every change of `voting_claims` goes through here.
    pub fn set_voting_claims(&mut self, amount: u64, now: i64) {
        let was = self.voting_claims > 0;
        self.voting_claims = amount;
        self.voting_pause.update(was, amount > 0, now);
    }

    /// [`Pool::refresh`] at `now` for this pool under `protocol`; returns the exit clock
    /// it used (activation times are compared with it).
    pub fn refresh_at(&mut self, protocol: &crate::state::Protocol, now: i64) -> i64 {
        let clock = self.mark_exit_clock(protocol, now);
        self.refresh(clock);
        clock
    }

    /// Applies pending parameters whose time has come on the exit `clock`. Every
    /// instruction that reads the parameters calls it first.
    pub fn refresh(&mut self, clock: i64) {
        if self.pending_params_at != 0 && clock >= self.pending_params_at {
            self.params = self.pending_params;
            self.pending_params_at = 0;
        }
    }

    /// Moves the premium earned by `now` from the unearned reserve into capital (see
    /// [`EarningBook`]). Instructions that price shares (deposits, exits) and premiums
    /// call it first; the others see slightly less free capital, which only makes
    /// their limits stricter.
    pub fn earn(&mut self, earnings: &mut EarningBook, now: i64) -> Result<()> {
        let earned = earnings.release(now).min(self.unearned_premiums);
        self.unearned_premiums = self.unearned_premiums.safe_sub(earned)?;
        self.capital = self.capital.safe_add(earned)?;
        Ok(())
    }

    /// The pool as the next instruction at `now` will see it, without changing
    /// anything: pending parameters due on the exit clock applied and the income earned
    /// by `now` (from a copy of `earnings`) moved into capital. Quotes and off-chain
    /// readers price on it.
    pub fn projected(
        &self,
        protocol: &crate::state::Protocol,
        earnings: &EarningBook,
        now: i64,
    ) -> Result<Box<Pool>> {
        let mut pool = Box::new(*self);
        pool.refresh_at(protocol, now);
        let mut earnings = *earnings;
        pool.earn(&mut earnings, now)?;
        Ok(pool)
    }

    /// How long new draw rights and parameter changes made at unix time `now` wait:
    /// the longer exit horizon of the current and the pending parameters, and never
    /// less than an underwriter seeing them now needs to get out past the cover
    /// already in force (its locks, then a request waiting for that cover, plus the
    /// margin): cover sold under a longer term before a change of `coverage_duration`
    /// must not outlast the delay (the fourth and fifth attacker reviews of issue 31).
    pub fn activation_delay(&self, now: i64) -> i64 {
        let pending = if self.pending_params_at != 0 {
            self.pending_params.exit_horizon()
        } else {
            0
        };
        self.params
            .exit_horizon()
            .max(pending)
            .max(self.past_cover_delay(now))
    }

    /// The locks of the current parameters, then a request made at `now` waiting for
    /// the cover in force, plus the margin.
    pub fn past_cover_delay(&self, now: i64) -> i64 {
        let p = &self.params;
        let vote_lock = p
            .governance
            .voting_period
            .saturating_add(p.governance.holdup_period);
        p.min_deposit_lock
            .max(vote_lock)
            .saturating_add(p.withdrawal_cooldown.max(self.cover_wait_at(now)))
            .saturating_add(ACTIVATION_MARGIN)
    }

    /// How long a withdrawal requested at `now` waits for the cover in force: until the
    /// end of the day of the latest expiry sold (when the exposure book drops it), or 0
    /// once that day is over.
    pub fn cover_wait_at(&self, now: i64) -> i64 {
        let day = crate::math::day_of(self.cover_ends_at);
        if self.cover_ends_at == 0 || day < crate::math::day_of(now) {
            return 0;
        }
        day.saturating_add(1)
            .saturating_mul(crate::math::DAY)
            .saturating_sub(now)
    }

    /// `owner`'s associated token account of the pool's mint (where claim payouts and
    /// bond returns must go).
    pub fn associated_token(&self, owner: &Pubkey) -> Pubkey {
        crate::pda::associated_token(owner, &self.mint, &self.token_program)
    }

    /// Capital not reserved for approved claims.
    pub fn free_capital(&self) -> u64 {
        self.capital.saturating_sub(self.reserved_for_claims)
    }

    /// Free capital net of every claim still voting: what exits are priced on, so no
    /// one leaves at the pre-loss price while a claim is decided.
    pub fn exit_capital(&self) -> u64 {
        self.free_capital().saturating_sub(self.voting_claims)
    }

    /// Free capital less what the shares pending withdrawal are worth on it (rounded
    /// down): the capital that stays, at exit clock `clock`. New cover is priced and
    /// capped on it: capital on its way out must not make cover cheap, nor back cover
    /// bought in the same transaction as its exit (review 3, finding 3). Equal to free
    /// capital while no withdrawal is pending, or once every pending request has lapsed
    /// ([`Pool::pending_lapses_at`]: a request kept past its window must not keep cover
    /// dear, review 3, P4).
    pub fn staying_capital(&self, clock: i64) -> Result<u64> {
        let free = self.free_capital();
        if clock > self.pending_lapses_at() {
            return Ok(free);
        }
        let leaving = value_of_shares(self.leaving_shares.get(), free, self.total_shares.get())?;
        Ok(free.saturating_sub(leaving))
    }

    /// The exit-clock time past which every pending request has lapsed.
    pub fn pending_lapses_at(&self) -> i64 {
        self.pending_closes_until
    }

    /// Shares minted for a deposit of `amount` at the current price, on free capital
    /// (rounded down).
    pub fn shares_for(&self, amount: u64) -> Result<Shares> {
        shares_for_deposit(amount, self.free_capital(), self.total_shares.get())
    }

    /// What `shares` may take out now (rounded down): their pro-rata part of
    /// [`Pool::exit_capital`] (free capital net of the claims still voting).
    pub fn value_of(&self, shares: Shares) -> Result<u64> {
        value_of_shares(shares, self.exit_capital(), self.total_shares.get())
    }

    /// Value of `shares` on free capital (approved claims netted out, claims still
    /// voting not): the value a withdrawal request records, so that filing a claim
    /// around someone's request cannot lower it.
    pub fn value_on_free_capital(&self, shares: Shares) -> Result<u64> {
        value_of_shares(shares, self.free_capital(), self.total_shares.get())
    }

    /// Takes `underwriter`'s pending request off the pool's books (a cancel or a
    /// completion): its shares are no longer pending, nor leaving unless it had expired.
    /// Returns the shares.
    pub fn end_request(&mut self, underwriter: &mut Underwriter) -> Result<Shares> {
        let shares = underwriter.pending_shares.get();
        let pending = self.pending_withdrawal_shares.get().safe_sub(shares)?;
        self.pending_withdrawal_shares.set(pending);
        if underwriter.expired == 0 {
            let leaving = self.leaving_shares.get().safe_sub(shares)?;
            self.leaving_shares.set(leaving);
        }
        if pending == 0 {
            self.pending_closes_until = 0;
        }
        underwriter.pending_shares = PodShares::default();
        underwriter.pending_value = 0;
        underwriter.requested_at = 0;
        underwriter.unlock_at = 0;
        underwriter.window_closes_at = 0;
        underwriter.expired = 0;
        Ok(shares)
    }

    /// The parameters in force at exit clock `clock`: the pending ones once due (what the
    /// next [`Pool::refresh`] applies). Checks made before a refresh read these.
    pub fn params_at(&self, clock: i64) -> &PoolParams {
        if self.pending_params_at != 0 && clock >= self.pending_params_at {
            &self.pending_params
        } else {
            &self.params
        }
    }

    /// Stake period of `now` (see [`crate::math::stake`]).
    pub fn stake_period(&self, now: i64) -> i64 {
        stake_period(now, self.params.governance.min_stake_age)
    }

    /// Records `shares` staked by `underwriter` at `now` (a deposit or a cancelled
    /// withdrawal): young in the pool's and the position's records alike, and the
    /// position's last stake time.
    pub fn stake(
        &mut self,
        underwriter: &mut crate::state::Underwriter,
        shares: Shares,
        now: i64,
    ) -> Result<()> {
        let period = self.stake_period(now);
        self.young_shares.add(period, shares)?;
        underwriter.young_shares.add(period, shares)?;
        underwriter.last_stake_at = now;
        Ok(())
    }

    /// Shares that may vote on a claim filed at `now`: all but the young (shares under
    /// a withdrawal request vote too, see [`Underwriter::vote_weight`]).
    pub fn seasoned_shares(&self, now: i64) -> Shares {
        self.total_shares
            .get()
            .saturating_sub(self.young_shares.young_at(self.stake_period(now)))
    }

    /// Checks `exposure` against the cap on `capital` (bps).
    pub fn exposure_within_cap(&self, exposure: u64, capital: u64) -> bool {
        exposure <= exposure_cap(capital, self.params.max_exposure_bps)
    }

    /// Quotes cover of `notional` at `now` for `member` (its active cover, if any, fixes
    /// the expiry and the premium is pro-rata to all the time left). Reads the exposure
    /// as of `now` without modifying anything; prices on the capital that stays
    /// ([`Pool::staying_capital`]) and refuses a cover above the exposure cap on it, and
    /// a top-up that could not mature before its expiry. The pool must be
    /// [`Pool::refresh`]ed to `now` (quotes refresh a copy); `clock` is its exit clock.
    pub fn quote(
        &self,
        exposure: &ExposureBook,
        member: Option<&Member>,
        notional: u64,
        clock: i64,
        now: i64,
    ) -> Result<PremiumQuote> {
        let p = &self.params;
        let exposure = exposure.active_at(now).safe_add(notional)?;
        let staying = self.staying_capital(clock)?;
        require!(
            self.exposure_within_cap(exposure, staying),
            InsuranceError::ExposureCapExceeded
        );
        let utilisation = utilisation_bps(exposure, staying);
        // No memory of earlier prices (review 3, finding 4): a stored rate could be
        // pinned high by a momentary dip in capital around a dust purchase.
        let rate = curve_rate(&p.curve, utilisation);
        let (covered_secs, coverage_expiry) = match member {
            Some(m) if m.is_covered(now) => {
                // A top-up must be able to mature before the cover it adds to ends.
                require!(
                    now.safe_add(p.claim_waiting_period)? < m.coverage_expiry,
                    InsuranceError::CoverCannotMature
                );
                (m.coverage_expiry.saturating_sub(now), m.coverage_expiry)
            }
            _ => (p.coverage_duration, now.safe_add(p.coverage_duration)?),
        };
        Ok(PremiumQuote {
            premium: premium_for(notional, rate, covered_secs, p.coverage_duration)?,
            rate_bps: rate,
            utilisation_bps: utilisation,
            covered_secs,
            coverage_expiry,
        })
    }

    /// The volume rate's loss index decayed to the day of `now`.
    pub fn volume_loss_at(&self, now: i64) -> u64 {
        let days = crate::math::day_of(now).saturating_sub(self.volume_loss_day);
        decayed_loss(
            self.volume_loss,
            self.params.volume.loss_decay_per_day,
            days.max(0) as u64,
        )
    }

    /// Adds a shortfall of `sample` (already capped) to the loss index at `now`.
    pub fn record_volume_loss(&mut self, sample: u64, now: i64) {
        self.volume_loss = self.volume_loss_at(now).saturating_add(sample);
        self.volume_loss_day = crate::math::day_of(now);
    }

    /// Quotes the volume fee of `volume` at `now` (see [`crate::math::volume`]) with the
    /// protocol's `protocol_fee_bps` split out. Reads only; the pool must be refreshed
    /// and earned to `now`, as for [`Pool::quote`].
    pub fn volume_quote(
        &self,
        volume: u64,
        protocol_fee_bps: u16,
        now: i64,
    ) -> Result<VolumeQuote> {
        let loss_index = self.volume_loss_at(now);
        let free_capital = self.free_capital();
        let rate = volume_target_rate(&self.params.volume, loss_index, free_capital);
        let fee = volume_fee(volume, rate)?;
        Ok(VolumeQuote {
            fee,
            protocol_fee: crate::math::bps_of_floor(fee, protocol_fee_bps as u64)?,
            rate_bps: rate,
            loss_index,
            free_capital,
        })
    }
}

#[cfg(test)]
mod params_encoding_tests {
    use super::*;

    /// The exit horizon: the longer lock, then the longest a request can wait (the
    /// cooldown, or a whole term of cover in force plus its expiry day), then the margin.
    #[test]
    fn exit_horizon_counts_the_longest_request_wait() {
        const D: i64 = crate::math::DAY;
        let mut p = <PoolParams as bytemuck::Zeroable>::zeroed();
        p.min_deposit_lock = 30 * D;
        p.governance.voting_period = 3 * D;
        p.governance.holdup_period = 2 * D;
        p.withdrawal_cooldown = D;
        p.coverage_duration = 30 * D;
        assert_eq!(p.longest_request_wait(), 31 * D);
        assert_eq!(p.exit_horizon(), (30 + 31) * D + ACTIVATION_MARGIN);
        p.withdrawal_cooldown = 40 * D;
        assert_eq!(p.exit_horizon(), (30 + 40) * D + ACTIVATION_MARGIN);
        p.governance.voting_period = 40 * D;
        assert_eq!(p.exit_horizon(), (42 + 40) * D + ACTIVATION_MARGIN);
    }

    /// A request waits for the cover sold until the end of its expiry day; the
    /// activation delay never ends before an underwriter seeing it could get past that
    /// cover, whatever the current term.
    #[test]
    fn the_cover_in_force_sets_the_wait_and_bounds_the_activation_delay() {
        const D: i64 = crate::math::DAY;
        let mut pool = <Pool as bytemuck::Zeroable>::zeroed();
        let p = &mut pool.params;
        p.min_deposit_lock = 6 * D;
        p.governance.voting_period = 3 * D;
        p.governance.holdup_period = 2 * D;
        p.withdrawal_cooldown = 3_600;
        p.coverage_duration = D;
        let now = 100 * D + 10;
        assert_eq!(pool.cover_wait_at(now), 0, "no cover sold");
        assert_eq!(pool.activation_delay(now), (6 + 2) * D + ACTIVATION_MARGIN);
        // 30-day cover sold under an older, longer term.
        pool.cover_ends_at = now + 30 * D;
        assert_eq!(pool.cover_wait_at(now), 31 * D - 10);
        assert_eq!(
            pool.activation_delay(now),
            6 * D + 31 * D - 10 + ACTIVATION_MARGIN
        );
        // Once its expiry day is over, nothing.
        assert_eq!(pool.cover_wait_at(131 * D), 0);
    }

    /// The one-copy encoding is field-by-field Borsh: every field in declaration order,
    /// little endian, nothing between them (checked against a hand-written encoder of
    /// the same fields, so a reordering or a new field of another width fails here).
    #[test]
    fn params_encode_as_their_borsh_fields() {
        let mut p = <PoolParams as bytemuck::Zeroable>::zeroed();
        p.withdrawal_cooldown = -2;
        p.deposit_cap = 3;
        p.curve.base_rate = 5;
        p.curve.max_rate = 7;
        p.governance.voting_period = 11;
        p.governance.max_claim_bps = 13;
        p.volume.loss_decay_per_day = 17;
        let mut expected = Vec::new();
        let c = &p.curve;
        let g = &p.governance;
        let v = &p.volume;
        for word in [
            p.withdrawal_cooldown as u64,
            p.deposit_cap,
            p.min_deposit,
            c.base_rate,
            c.slope1,
            c.kink,
            c.slope2,
            c.min_rate,
            c.max_rate,
            p.coverage_duration as u64,
            p.max_exposure_bps,
            p.min_reserve,
            g.voting_period as u64,
            g.quorum_bps,
            g.approval_threshold_bps,
            g.holdup_period as u64,
            g.bond_min,
            g.bond_bps,
            g.fraud_threshold_bps,
            g.min_stake_age as u64,
            g.max_claim_bps,
            p.withdrawal_window as u64,
            p.min_deposit_lock as u64,
            p.claim_waiting_period as u64,
            v.base_rate,
            v.loss_slope,
            v.min_rate,
            v.max_rate,
            v.loss_decay_per_day,
        ] {
            expected.extend_from_slice(&word.to_le_bytes());
        }
        let mut bytes = Vec::new();
        p.serialize(&mut bytes).unwrap();
        assert_eq!(bytes, expected);
        assert_eq!(PoolParams::try_from_slice(&bytes).unwrap(), p);
        assert!(
            PoolParams::try_from_slice(&bytes[1..]).is_err(),
            "short input refused"
        );
    }
}
