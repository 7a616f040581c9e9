use anchor_lang::prelude::*;

use crate::constants::MAX_URI_LEN;
use crate::math::{PodShares, Shares};

/// Where a claim is in its lifecycle (see the README's state diagram).
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClaimStatus {
    /// Underwriters vote until `voting_ends_at`.
    Voting,
    /// Approved; the amount is reserved; payable after `holdup_ends_at` unless vetoed.
    Approved,
    /// Quorum or approval threshold not met.
    Rejected,
    /// Vetoed by the guardian during the hold-up window.
    Vetoed,
    /// Paid (`paid` of `amount`, the rest recorded as `unpaid`).
    Paid,
    /// Withdrawn by the claimant before any vote.
    Cancelled,
}

/// A [`ClaimStatus`] stored as its Borsh byte (the variant index) in the zero-copy
/// [`Claim`]; the IDL describes it as an alias of `ClaimStatus`, so clients decode the
/// enum they always did.
#[derive(Clone, Copy, Default, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(transparent)]
pub struct PodClaimStatus(u8);

impl PodClaimStatus {
    /// The status (an unknown byte, which only a corrupted account could hold, reads
    /// as `Cancelled`: closed, paying nothing).
    pub fn get(&self) -> ClaimStatus {
        match self.0 {
            0 => ClaimStatus::Voting,
            1 => ClaimStatus::Approved,
            2 => ClaimStatus::Rejected,
            3 => ClaimStatus::Vetoed,
            4 => ClaimStatus::Paid,
            _ => ClaimStatus::Cancelled,
        }
    }
}

impl From<ClaimStatus> for PodClaimStatus {
    fn from(status: ClaimStatus) -> Self {
        Self(status as u8)
    }
}

impl PartialEq<ClaimStatus> for PodClaimStatus {
    fn eq(&self, other: &ClaimStatus) -> bool {
        self.0 == *other as u8
    }
}

impl std::fmt::Debug for PodClaimStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.get().fmt(f)
    }
}

// Borsh by hand (the derive would also emit an IDL definition; this type's is an
// alias of `ClaimStatus`): the variant byte, as Borsh encodes the enum.
impl AnchorSerialize for PodClaimStatus {
    fn serialize<W: std::io::Write>(&self, writer: &mut W) -> std::io::Result<()> {
        writer.write_all(&[self.0])
    }
}

impl AnchorDeserialize for PodClaimStatus {
    fn deserialize_reader<R: std::io::Read>(reader: &mut R) -> std::io::Result<Self> {
        let mut byte = [0u8; 1];
        reader.read_exact(&mut byte)?;
        Ok(Self(byte[0]))
    }
}

impl anchor_lang::Space for PodClaimStatus {
    const INIT_SPACE: usize = 1;
}

#[cfg(feature = "idl-build")]
impl anchor_lang::idl::IdlBuild for PodClaimStatus {
    fn create_type() -> Option<anchor_lang::idl::types::IdlTypeDef> {
        use anchor_lang::idl::types::*;
        use anchor_lang::idl::IdlBuild;
        Some(IdlTypeDef {
            name: Self::get_full_path(),
            docs: vec!["A ClaimStatus (its Borsh variant byte).".into()],
            serialization: IdlSerialization::default(),
            repr: None,
            generics: vec![],
            ty: IdlTypeDefTy::Type {
                alias: IdlType::Defined {
                    name: <ClaimStatus as IdlBuild>::get_full_path(),
                    generics: vec![],
                },
            },
        })
    }

    fn insert_types(
        types: &mut std::collections::BTreeMap<String, anchor_lang::idl::types::IdlTypeDef>,
    ) {
        use anchor_lang::idl::IdlBuild;
        if let Some(ty) = <ClaimStatus as IdlBuild>::create_type() {
            types.insert(<ClaimStatus as IdlBuild>::get_full_path(), ty);
        }
    }
}

/// A claim's evidence URI in a fixed buffer (at most [`MAX_URI_LEN`] bytes of UTF-8).
#[derive(
    AnchorSerialize,
    AnchorDeserialize,
    InitSpace,
    Clone,
    Copy,
    PartialEq,
    Eq,
    bytemuck::Pod,
    bytemuck::Zeroable,
)]
#[repr(C)]
pub struct EvidenceUri {
    /// The URI's bytes, zero after `len`.
    pub bytes: [u8; MAX_URI_LEN],
    /// Bytes used.
    pub len: u8,
}

impl EvidenceUri {
    /// Stores `uri` (the caller checked `uri.len() <= MAX_URI_LEN`; a longer one is cut).
    pub fn new(uri: &str) -> Self {
        let mut bytes = [0u8; MAX_URI_LEN];
        let len = uri.len().min(MAX_URI_LEN);
        bytes[..len].copy_from_slice(&uri.as_bytes()[..len]);
        Self {
            bytes,
            len: len as u8,
        }
    }

    /// The URI (empty if the stored bytes are not UTF-8, which `file_claim` never writes).
    pub fn as_str(&self) -> &str {
        let len = (self.len as usize).min(MAX_URI_LEN);
        std::str::from_utf8(&self.bytes[..len]).unwrap_or("")
    }
}

impl std::fmt::Debug for EvidenceUri {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.as_str().fmt(f)
    }
}

const _: () = assert!(MAX_URI_LEN <= u8::MAX as usize);

/// A member's claim against one pool, PDA `["claim", pool, claimant, id]` (zero-copy).
#[account(zero_copy)]
#[derive(InitSpace, Debug)]
pub struct Claim {
    pub pool: Pubkey,
    pub claimant: Pubkey,
    pub evidence_hash: [u8; 32],
    /// Sequential per claimant (`Member::claim_count` at filing).
    pub id: u64,
    pub amount: u64,
    /// Held in the pool's bond escrow until settled by `withdraw_bond`.
    pub bond: u64,
    pub filed_at: i64,
    pub voting_ends_at: i64,
    /// Set when approved.
    pub holdup_ends_at: i64,
    /// Shares able to vote at filing (seasoned, not pending withdrawal).
    pub eligible_weight: PodShares,
    pub yes_weight: PodShares,
    pub no_weight: PodShares,
    pub voters: u64,
    pub paid: u64,
    /// `amount - paid` when the pool could not pay in full.
    pub unpaid: u64,
    /// Capital reserved at approval: `min(amount, free capital)`; what will be paid.
    pub reserved: u64,
    /// Expiry of the cover term the claim was filed under (its cover is given back
    /// to that term if the claim fails).
    pub cover_expiry: i64,
    /// Pool-wide sequence number (`Pool::claim_count` at filing; statistics).
    pub number: u64,
    pub uri: EvidenceUri,
    pub status: PodClaimStatus,
    /// 1 once `withdraw_bond` settled the bond, else 0.
    pub bond_settled: u8,
    /// 1 if rejected with the quorum reached and no-votes at or above the pool's fraud
    /// threshold (the bond is slashed), else 0.
    pub fraud: u8,
    pub bump: u8,
    /// 1 while a *cancelled* claim's amount still counts in the pool's
    /// `voting_claims` (exits wait) until its voting period ends and `finalize_claim`
    /// releases it; else 0. A cancel is free, so letting it reopen exits at once would
    /// let a claimant choose when exits open, and open them for itself alone in the
    /// transaction that cancels, exits and files again (review 3, P2).
    pub held: u8,
    /// Keeps the account a multiple of 8 bytes (zero).
    pub padding: [u8; 2],
}

// Zero-copy: no padding (enforced by `Pod`), so the Borsh size is the in-memory size.
const _: () = assert!(Claim::INIT_SPACE == std::mem::size_of::<Claim>());
const _: () = assert!(std::mem::align_of::<Claim>() <= 8);

impl Claim {
    /// Whether the claim still blocks its member from filing another.
    pub fn is_open(&self) -> bool {
        matches!(
            self.status.get(),
            ClaimStatus::Voting | ClaimStatus::Approved
        )
    }
}

/// One underwriter's vote on one claim, PDA `["vote", claim, voter]`.
#[account]
#[derive(InitSpace, Debug)]
pub struct VoteRecord {
    pub claim: Pubkey,
    pub voter: Pubkey,
    pub weight: Shares,
    pub approve: bool,
    pub bump: u8,
}
