/**
 * Test fixtures: the Rust SDK's default pool parameters (`sdk/src/ix.rs`), used by the
 * suites to create pools. Not part of the published package: a deployer chooses its
 * own parameters.
 */
import { BN } from "@anchor-lang/core";

import type { PoolParams, VolumeCurve } from "../src/index.js";

/**
 * The SDK's default volume rate (`sdk/src/ix.rs::DEFAULT_VOLUME`): 2 bps of volume with
 * no loss history, plus 5 bps per 1 % of the loss index over free capital (`lossSlope`
 * 500), within [1, 50] bps; the loss index forgets 5 % of itself a day
 * (`lossDecayPerDay` 500, a half-life of about two weeks).
 */
export function defaultVolumeCurve(): VolumeCurve {
  return {
    baseRate: new BN(2),
    lossSlope: new BN(500),
    minRate: new BN(1),
    maxRate: new BN(50),
    lossDecayPerDay: new BN(500),
  };
}

/** The SDK's default pool parameters (`sdk/src/ix.rs::default_params`). */
export function defaultParams(): PoolParams {
  return {
    withdrawalCooldown: new BN(86_400),
    depositCap: new BN("1000000000000000"),
    minDeposit: new BN(1),
    curve: {
      baseRate: new BN(50),
      slope1: new BN(400),
      kink: new BN(8_000),
      slope2: new BN(6_000),
      minRate: new BN(50),
      maxRate: new BN(2_000),
    },
    coverageDuration: new BN(30 * 86_400),
    maxExposureBps: new BN(50_000),
    minReserve: new BN(0),
    governance: {
      votingPeriod: new BN(3 * 86_400),
      quorumBps: new BN(2_000),
      approvalThresholdBps: new BN(6_000),
      holdupPeriod: new BN(2 * 86_400),
      bondMin: new BN(50),
      bondBps: new BN(100),
      fraudThresholdBps: new BN(8_000),
      minStakeAge: new BN(3 * 86_400),
      maxClaimBps: new BN(5_000),
    },
    withdrawalWindow: new BN(7 * 86_400),
    minDepositLock: new BN(30 * 86_400),
    claimWaitingPeriod: new BN(86_400),
    volume: defaultVolumeCurve(),
  };
}

