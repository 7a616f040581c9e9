/**
 * The client without a node: a builder for every instruction of both IDLs, every
 * program error decodable by code and from logs (named by the program that raised it:
 * both programs' codes start at 6000), PDAs that match the IDL's seeds, amounts that
 * refuse to lose precision.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { AnchorProvider, BN, Wallet } from "@anchor-lang/core";
import { Connection, Keypair, PublicKey } from "@solana/web3.js";

import {
  acceptsVolume,
  activationDelay,
  BPF_LOADER_UPGRADEABLE_PROGRAM_ID,
  claimAddress,
  claimantTokenAddress,
  dayOf,
  decayedLoss,
  decodeError,
  errorByCode,
  exchangeKeys,
  exchangeRegistrationAddress,
  exitClock,
  activeExposure,
  formatAmount,
  parseAmount,
  valueOfShares,
  seasonedFrom,
  votesFrom,
  VIRTUAL_SHARES,
  withdrawalPayout,
  EXAMPLE_EXCHANGE_IDL,
  EXAMPLE_EXCHANGE_PROGRAM_ID,
  ExampleExchangeClient,
  INSURANCE_POOL_IDL,
  InsurancePoolClient,
  INSURANCE_POOL_PROGRAM_ID,
  PAUSE,
  BPS,
  SEEDS,
  EXCHANGE_SEEDS,
  poolAddress,
  poolKeys,
  positionAddress,
  programDataAddress,
  protocolAddress,
  requiredCollateral,
  toBigInt,
  toI64,
  toSafeNumber,
  toU128,
  toU64,
  underwriterAddress,
  volumeFee,
  volumeLossAt,
  volumeRate,
  type VolumeQuote,
} from "../src/index.js";
import { defaultParams, defaultVolumeCurve } from "./fixtures.js";

// Never contacted: builders and decoders are offline.
const provider = new AnchorProvider(new Connection("http://127.0.0.1:1"), new Wallet(Keypair.generate()), {});
const camel = (s: string) => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
type IdlField = { name: string; type: unknown };
type Raw = {
  instructions: { name: string; accounts: { name: string; writable?: boolean; signer?: boolean; optional?: boolean }[] }[];
  errors?: { code: number; name: string; msg?: string }[];
  types?: { name: string; type: { kind: string; fields?: IdlField[] } }[];
  address: string;
};
const idlInstruction = (idl: unknown, name: string) => (idl as Raw).instructions.find((i) => i.name === name)!;

describe("client (offline)", () => {
  it("reads seeds, pause bits, BPS and program ids from the IDLs' constants", () => {
    assert.deepEqual(
      [SEEDS.protocol, SEEDS.pool, SEEDS.underwriter, SEEDS.bondVault, SEEDS.vote],
      ["protocol", "pool", "underwriter", "bonds", "vote"],
    );
    assert.deepEqual([EXCHANGE_SEEDS.market, EXCHANGE_SEEDS.price], ["market", "price"]);
    assert.deepEqual(
      [PAUSE.deposit, PAUSE.withdraw, PAUSE.premium, PAUSE.shortfall, PAUSE.claims, PAUSE.all],
      [1, 2, 4, 8, 16, 31],
    );
    assert.equal(BPS, 10_000);
    assert.equal(INSURANCE_POOL_PROGRAM_ID.toBase58(), INSURANCE_POOL_IDL.address);
    assert.equal(EXAMPLE_EXCHANGE_PROGRAM_ID.toBase58(), EXAMPLE_EXCHANGE_IDL.address);
  });

  it("has a builder for every instruction of both programs", () => {
    const clients: [Raw, object][] = [
      [INSURANCE_POOL_IDL as unknown as Raw, new InsurancePoolClient(provider)],
      [EXAMPLE_EXCHANGE_IDL as unknown as Raw, new ExampleExchangeClient(provider)],
    ];
    for (const [idl, client] of clients) {
      for (const ix of idl.instructions) {
        const name = camel(ix.name);
        assert.equal(typeof (client as Record<string, unknown>)[name], "function", `no builder for ${ix.name}`);
      }
    }
    assert.equal((INSURANCE_POOL_IDL as unknown as Raw).instructions.length, 27);
  });

  it("builds instructions with the program id and the derived accounts", async () => {
    const client = new InsurancePoolClient(provider);
    const owner = Keypair.generate().publicKey;
    const keys = poolKeys(Keypair.generate().publicKey, Keypair.generate().publicKey, Keypair.generate().publicKey);
    const ix = await client.deposit(owner, keys, Keypair.generate().publicKey, 100, 0);
    assert.ok(ix.programId.equals(INSURANCE_POOL_PROGRAM_ID));
    assert.ok(ix.keys[1].pubkey.equals(protocolAddress()) && ix.keys[2].pubkey.equals(keys.pool));
    assert.ok(ix.keys.some((k) => k.pubkey.equals(keys.vault) && k.isWritable));
    assert.equal(ix.keys.filter((k) => k.isSigner).length, 1);
    assert.equal(new PublicKey((INSURANCE_POOL_IDL as unknown as Raw).address).toBase58(), INSURANCE_POOL_PROGRAM_ID.toBase58());
  });

  it("parses and formats token units exactly, as the Rust SDK does", () => {
    assert.equal(parseAmount("1500.25", 6).toString(), "1500250000");
    assert.equal(parseAmount(".5", 2).toString(), "50");
    assert.equal(parseAmount("1.10", 1).toString(), "11");
    assert.equal(parseAmount("18446744073709.551615", 6).toString(), "18446744073709551615");
    for (const bad of ["", ".", "1,5", "-1", "1e6", "1.2.3", " 1"]) assert.throws(() => parseAmount(bad, 6), RangeError, bad);
    assert.throws(() => parseAmount("0.0000001", 6), /more than the mint's 6 decimals/);
    assert.throws(() => parseAmount("18446744073709.551616", 6), RangeError);
    assert.equal(formatAmount(1_500_250_000, 6), "1500.25");
    assert.equal(formatAmount(1, 6), "0.000001");
    assert.equal(formatAmount(0, 6), "0");
    assert.equal(formatAmount(42, 0), "42");
    assert.equal(formatAmount(parseAmount("123.456", 9), 9), "123.456");
  });

  it("values shares with the virtual offset and pays a withdrawal its value now", () => {
    // An empty pool: 1 unit buys VIRTUAL_SHARES shares.
    assert.equal(valueOfShares(VIRTUAL_SHARES, 0, 0).toString(), "0");
    assert.equal(valueOfShares(1_000_000 * VIRTUAL_SHARES, 1_000_000, 1_000_000 * VIRTUAL_SHARES).toString(), "1000000");
    assert.equal(valueOfShares(10, 5, 0).toString(), "0", "never more than the capital's share");
    const view = { account: { totalShares: new BN(2_000_000 * VIRTUAL_SHARES) }, exitCapital: new BN(2_400_000) } as never;
    // The share price rose after the request: the leaver takes its part of the gain
    // (its shares were full holders until it left), rounded down.
    assert.equal(withdrawalPayout(view, 1_000_000 * VIRTUAL_SHARES).toString(), "1199999");
    // A loss after it: it bears its part.
    const lower = { account: { totalShares: new BN(2_000_000 * VIRTUAL_SHARES) }, exitCapital: new BN(1_600_000) } as never;
    assert.equal(withdrawalPayout(lower, 1_000_000 * VIRTUAL_SHARES).toString(), "800000");
    assert.throws(() => formatAmount(-5, 6), RangeError);
    // The exposure book: buckets of days that ended are no longer active.
    const day = 20_000;
    // 20 expiring on each of three days; buckets are indexed by day modulo the ring.
    const ring = Array.from({ length: 63 }, () => new BN(0));
    for (let k = 0; k < 3; k++) ring[(day + k) % 63] = new BN(20);
    const book = { total: new BN(60), day: new BN(day), buckets: ring };
    assert.equal(activeExposure(book, day * 86_400 + 5).toString(), "60");
    assert.equal(activeExposure(book, (day + 1) * 86_400).toString(), "40");
    assert.equal(activeExposure(book, (day + 3) * 86_400).toString(), "0");
    assert.equal(activeExposure(book, (day + 500) * 86_400).toString(), "0");
  });

  it("takes a program id override: instructions and every PDA follow it", async () => {
    const programId = Keypair.generate().publicKey;
    const client = new InsurancePoolClient(provider, { programId });
    assert.ok(client.programId.equals(programId));
    assert.ok(client.protocol.equals(protocolAddress(programId)));
    assert.ok(!client.protocol.equals(protocolAddress()));
    const owner = Keypair.generate().publicKey;
    const keys = client.poolKeys(Keypair.generate().publicKey, Keypair.generate().publicKey, Keypair.generate().publicKey);
    assert.ok(keys.pool.equals(poolAddress(keys.market, programId)));
    const ix = await client.deposit(owner, keys, Keypair.generate().publicKey, 100, 0);
    assert.ok(ix.programId.equals(programId));
    assert.ok(ix.keys.some((k) => k.pubkey.equals(underwriterAddress(keys.pool, owner, programId))));
    assert.ok(ix.keys[1].pubkey.equals(protocolAddress(programId)));
  });

  it("decodes every program error by code, from logs and from a raw instruction error", () => {
    const errors = (INSURANCE_POOL_IDL as unknown as Raw).errors ?? [];
    assert.ok(errors.length > 70);
    for (const e of errors) {
      assert.deepEqual(errorByCode(e.code), { code: e.code, name: e.name, message: e.msg ?? e.name, program: "insurancePool" });
    }
    const first = errors[0];
    assert.equal(decodeError({ InstructionError: [0, { Custom: first.code }] })?.name, first.name);
    const logs = [
      `Program ${INSURANCE_POOL_PROGRAM_ID.toBase58()} invoke [1]`,
      `Program log: AnchorError thrown in programs/insurance_pool/src/x.rs:1. Error Code: ${first.name}. Error Number: ${first.code}. Error Message: ${first.msg}.`,
      `Program ${INSURANCE_POOL_PROGRAM_ID.toBase58()} failed: custom program error: 0x${first.code.toString(16)}`,
    ];
    assert.equal(decodeError({ logs })?.name, first.name);
    assert.equal(decodeError({ transactionMessage: `custom program error: 0x${first.code.toString(16)}` })?.code, first.code);
    // Anchor's own account-check errors decode too; anything else is not a program error.
    assert.match(errorByCode(2001)?.message ?? "", /has one/i);
    assert.equal(errorByCode(2001)?.name, "ConstraintHasOne");
    assert.equal(errorByCode(3012, "exampleExchange")?.name, "AccountNotInitialized");
    assert.equal(decodeError(new Error("network down")), null);
  });

  it("names an error by the program that raised it (both number from 6000)", () => {
    const pool = new Map(((INSURANCE_POOL_IDL as unknown as Raw).errors ?? []).map((e) => [e.code, e.name]));
    const ex = (EXAMPLE_EXCHANGE_IDL as unknown as Raw).errors ?? [];
    assert.ok(ex.length > 0);
    const overlap = ex.find((e) => pool.has(e.code) && pool.get(e.code) !== e.name);
    assert.ok(overlap, "the two programs' codes overlap");
    const code = overlap.code;
    const hex = `0x${code.toString(16)}`;
    const P = INSURANCE_POOL_PROGRAM_ID.toBase58();
    const X = EXAMPLE_EXCHANGE_PROGRAM_ID.toBase58();
    // By code, for either program.
    assert.equal(errorByCode(code, "exampleExchange")?.name, overlap.name);
    assert.equal(errorByCode(code, EXAMPLE_EXCHANGE_PROGRAM_ID)?.name, overlap.name);
    assert.equal(errorByCode(code, "insurancePool")?.name, pool.get(code));
    // From the logs: the failing program.
    const exchangeFails = [`Program ${X} invoke [1]`, `Program log: Instruction: Liquidate`, `Program ${X} failed: custom program error: ${hex}`];
    const fromExchange = decodeError({ logs: exchangeFails });
    assert.deepEqual([fromExchange?.name, fromExchange?.program], [overlap.name, "exampleExchange"]);
    // A CPI: the callee (the pool) fails first, then its caller: the callee raised it.
    const cpiFails = [
      `Program ${X} invoke [1]`,
      `Program ${P} invoke [2]`,
      `Program ${P} failed: custom program error: ${hex}`,
      `Program ${X} failed: custom program error: ${hex}`,
    ];
    const fromPool = decodeError({ logs: cpiFails });
    assert.deepEqual([fromPool?.name, fromPool?.program], [pool.get(code), "insurancePool"]);
    // Anchor's own error line, raised by the exchange.
    const anchorLine = [
      `Program ${X} invoke [1]`,
      `Program log: AnchorError thrown in programs/example_exchange/src/x.rs:1. Error Code: ${overlap.name}. Error Number: ${code}. Error Message: ${overlap.msg}.`,
      `Program ${X} failed: custom program error: ${hex}`,
    ];
    assert.deepEqual(decodeError({ logs: anchorLine })?.program, "exampleExchange");
    // Without logs: the failing instruction's index names the program.
    const instructions = [{ programId: INSURANCE_POOL_PROGRAM_ID }, { programId: EXAMPLE_EXCHANGE_PROGRAM_ID }];
    assert.equal(decodeError({ InstructionError: [1, { Custom: code }] }, { instructions })?.name, overlap.name);
    assert.equal(decodeError({ InstructionError: [0, { Custom: code }] }, { instructions })?.name, pool.get(code));
    const message = `Transaction simulation failed: Error processing Instruction 1: custom program error: ${hex}`;
    assert.equal(decodeError(new Error(message), { instructions })?.program, "exampleExchange");
    // Nothing tells: decoded as the pool's, but the program is unknown.
    assert.equal(decodeError({ InstructionError: [0, { Custom: code }] })?.program, null);
  });

  it("builds the new interface: upgrade-authority initialisation, claims per claimant, bounded premiums, exposure on exit", async () => {
    const client = new InsurancePoolClient(provider);
    const [payer, upgrade, owner, other] = [0, 1, 2, 3].map(() => Keypair.generate().publicKey);
    const keys = poolKeys(Keypair.generate().publicKey, Keypair.generate().publicKey, Keypair.generate().publicKey);
    const init = await client.initializeProtocol(payer, upgrade, owner, other);
    const programData = PublicKey.findProgramAddressSync([INSURANCE_POOL_PROGRAM_ID.toBuffer()], BPF_LOADER_UPGRADEABLE_PROGRAM_ID)[0];
    assert.ok(programDataAddress().equals(programData));
    assert.ok(init.keys.some((k) => k.pubkey.equals(upgrade) && k.isSigner));
    assert.ok(init.keys.some((k) => k.pubkey.equals(programData) && !k.isWritable));
    // A claim's address depends on its claimant and the claimant's own index.
    assert.ok(!claimAddress(keys.pool, owner, 0).equals(claimAddress(keys.pool, other, 0)));
    assert.ok(!claimAddress(keys.pool, owner, 0).equals(claimAddress(keys.pool, owner, 1)));
    const file = await client.fileClaim(owner, keys, 1, other, 10, new Uint8Array(32), "");
    assert.ok(file.keys.some((k) => k.pubkey.equals(claimAddress(keys.pool, owner, 1))));
    const exit = await client.completeWithdrawal(owner, keys, other);
    assert.ok(exit.keys.some((k) => k.pubkey.equals(keys.exposure)));
    // min_expiry travels as the premium's third argument (i64 after two u64).
    const premium = await client.contributePremium(owner, keys, other, 1_000, 50, 1_234_567);
    assert.equal(premium.data.readBigInt64LE(8 + 16), 1_234_567n);
    const params = defaultParams();
    assert.equal(params.minDepositLock.toNumber(), 30 * 86_400);
    assert.equal(params.governance.minStakeAge.toNumber(), 3 * 86_400);
  });

  it("builds the changed accounts and u128 share arguments", async () => {
    const client = new InsurancePoolClient(provider);
    const [owner, token] = [0, 1].map(() => Keypair.generate().publicKey);
    const keys = poolKeys(Keypair.generate().publicKey, Keypair.generate().publicKey, Keypair.generate().publicKey);
    const writable = (ix: { keys: { pubkey: PublicKey; isWritable: boolean }[] }, k: PublicKey) =>
      ix.keys.find((m) => m.pubkey.equals(k))?.isWritable;
    // Deposits and withdrawal requests take the exposure account (mut) after the underwriter.
    const big = (1n << 100n) + 7n;
    const dep = await client.deposit(owner, keys, token, 1_000, big);
    assert.ok(dep.keys[4].pubkey.equals(keys.exposure) && dep.keys[4].isWritable);
    assert.equal(dep.data.length, 8 + 8 + 16);
    assert.equal(dep.data.readBigUInt64LE(8), 1_000n);
    const lo = dep.data.readBigUInt64LE(16), hi = dep.data.readBigUInt64LE(24);
    assert.equal((hi << 64n) | lo, big);
    const req = await client.requestWithdrawal(owner, keys, big);
    assert.ok(req.keys[4].pubkey.equals(keys.exposure) && req.keys[4].isWritable);
    assert.equal(req.data.length, 8 + 16);
    assert.equal((req.data.readBigUInt64LE(16) << 64n) | req.data.readBigUInt64LE(8), big);
    assert.equal(writable(await client.completeWithdrawal(owner, keys, token), keys.exposure), true);
    // quote_premium and finalize_claim take the protocol first.
    const quote = await client.quotePremium(keys, 1_000);
    assert.ok(quote.keys[0].pubkey.equals(protocolAddress()) && !quote.keys[0].isWritable);
    const finalize = await client.finalizeClaim(keys, claimAddress(keys.pool, owner, 0), owner);
    assert.ok(finalize.keys[0].pubkey.equals(protocolAddress()));
    // Payouts default to the claimant's associated token account.
    const pay = await client.payClaim(keys, claimAddress(keys.pool, owner, 0), owner);
    assert.ok(pay.keys.some((k) => k.pubkey.equals(claimantTokenAddress(keys, owner)) && k.isWritable));
    // u128 range.
    assert.equal(toU128((1n << 128n) - 1n).toString(), "340282366920938463463374607431768211455");
    assert.throws(() => toU128(1n << 128n), RangeError);
    assert.throws(() => toU128(-1), RangeError);
    await assert.rejects(async () => client.requestWithdrawal(owner, keys, 1n << 128n), RangeError);
    await assert.rejects(async () => client.deposit(owner, keys, token, 1n << 64n), RangeError);
  });

  it("computes the exit horizon and the exit clock", () => {
    const params = defaultParams();
    // Deposit lock 30 days + a request waiting for 30-day cover and its expiry day + 1.
    assert.equal(activationDelay(params).toNumber(), 62 * 86_400);
    // A voter's lock (voting + hold-up) longer than the deposit lock sets the horizon.
    const long = { ...params, minDepositLock: new BN(86_400), governance: { ...params.governance, votingPeriod: new BN(40 * 86_400) } };
    assert.equal(activationDelay(long).toNumber(), (40 + 2 + 31 + 1) * 86_400);
    const still = { pausedSince: new BN(0), pausedSecs: new BN(0) };
    const none = { withdrawPause: still, votingPause: still, exitClockHigh: new BN(0) };
    assert.equal(exitClock(none, none, 1_000_000).toNumber(), 1_000_000);
    // Overlapping stops never run it below the highest reading recorded.
    assert.equal(exitClock({ ...none, exitClockHigh: new BN(1_000_005) }, none, 1_000_000).toNumber(), 1_000_005);
    // Ended pauses (pool) and the current one (protocol) both stop the clock, and so
    // does a vote of the pool's claims (exits cannot complete meanwhile).
    const pool = {
      withdrawPause: { pausedSince: new BN(0), pausedSecs: new BN(100) },
      votingPause: { pausedSince: new BN(999_900), pausedSecs: new BN(7) },
      exitClockHigh: new BN(0),
    };
    const protocol = { withdrawPause: { pausedSince: new BN(999_000), pausedSecs: new BN(5) } };
    assert.equal(exitClock(pool, protocol, 1_000_000).toNumber(), 1_000_000 - 100 - 1_000 - 5 - 100 - 7);
  });

  it("tells when stake votes, as the program's stake-age rule does (math::stake's vectors)", () => {
    const age = 3 * 86_400;
    // At the first second of a period: two periods; at its last second: one period and a second.
    assert.equal(seasonedFrom(10 * age, age).toNumber(), 12 * age);
    assert.equal(seasonedFrom(11 * age - 1, age).toNumber(), 12 * age);
    const position = (stakedAt: number, shares: number, pending = 0) => ({
      shares: new BN(shares),
      pendingShares: new BN(pending),
      lastStakeAt: new BN(stakedAt),
      lastDepositAt: new BN(stakedAt),
      youngShares: { period: new BN(Math.floor(stakedAt / age)), current: new BN(shares), previous: new BN(0) },
    });
    for (const staked of [10 * age, 10 * age + 1, 10 * age + age / 2, 11 * age - 1]) {
      assert.equal(votesFrom(position(staked, 5), age)?.toNumber(), 12 * age);
    }
    // Only the previous lot young: it seasons one period after the record's.
    const older = { ...position(10 * age, 5), youngShares: { period: new BN(11), current: new BN(0), previous: new BN(5) } };
    assert.equal(votesFrom(older, age)?.toNumber(), 12 * age);
    // Nothing young: strictly after the last stake.
    const seasoned = { ...position(20 * age, 5), youngShares: { period: new BN(20), current: new BN(0), previous: new BN(0) } };
    assert.equal(votesFrom(seasoned, age)?.toNumber(), 20 * age + 1);
    // Shares pending withdrawal vote too; a position without shares has no vote.
    assert.equal(votesFrom(position(10 * age, 5, 5), age)?.toNumber(), 12 * age);
    assert.equal(votesFrom(position(10 * age, 0), age), null);
  });

  it("knows the new errors", () => {
    assert.equal(errorByCode(6091)?.name, "NotAssociatedTokenAccount");
    assert.equal(errorByCode(6092)?.name, "HoldupDepositsClosed");
    assert.match(errorByCode(6092)?.message ?? "", /hold-up/);
    const forbidden = ((INSURANCE_POOL_IDL as unknown as Raw).errors ?? []).find((e) => e.name === "ForbiddenDestination");
    assert.ok(forbidden && errorByCode(forbidden.code)?.message === "Payments may not go into a pool's vault or bond escrow");
  });

  it("refuses amounts that would lose precision, and takes bigint, BN and strings", async () => {
    const unsafe = Number.MAX_SAFE_INTEGER + 1;
    assert.throws(() => toU64(unsafe), RangeError);
    assert.throws(() => toU64(1.5), RangeError);
    assert.throws(() => toU64(-1), RangeError);
    assert.throws(() => toU64(1n << 64n), RangeError);
    assert.throws(() => toU64("12e3"), RangeError);
    assert.throws(() => toI64(1n << 63n), RangeError);
    assert.equal(toU64((1n << 64n) - 1n).toString(), "18446744073709551615");
    assert.equal(toU64("9007199254740993").toString(), "9007199254740993");
    assert.equal(toU64(new BN("9007199254740993")).toString(), "9007199254740993");
    assert.equal(toI64(-5).toString(), "-5");
    assert.equal(toBigInt(Number.MAX_SAFE_INTEGER), 9007199254740991n);
    assert.throws(() => toSafeNumber(new BN("9007199254740993")), RangeError);
    const client = new InsurancePoolClient(provider);
    const keys = poolKeys(Keypair.generate().publicKey, Keypair.generate().publicKey, Keypair.generate().publicKey);
    const owner = Keypair.generate().publicKey;
    await assert.rejects(async () => client.deposit(owner, keys, owner, unsafe), RangeError);
    const big = await client.deposit(owner, keys, owner, 9_007_199_254_740_993n);
    assert.equal(big.data.readBigUInt64LE(8), 9_007_199_254_740_993n);
  });

  it("defaultParams has every field of the IDL's PoolParams, the volume curve included", () => {
    // The IDL's types are the reference (the client's TypeScript types do not check them: see `types` below).
    const types = new Map(((INSURANCE_POOL_IDL as unknown as Raw).types ?? []).map((t) => [t.name, t]));
    const check = (value: Record<string, unknown>, typeName: string) => {
      const fields = types.get(typeName)?.type.fields ?? [];
      assert.ok(fields.length > 0, `no IDL type ${typeName}`);
      assert.deepEqual(Object.keys(value).sort(), fields.map((f) => camel(f.name)).sort(), `fields of ${typeName}`);
      for (const f of fields) {
        const defined = (f.type as { defined?: { name: string } }).defined;
        const v = value[camel(f.name)];
        if (defined) check(v as Record<string, unknown>, defined.name);
        else assert.ok(BN.isBN(v), `${typeName}.${f.name} is a BN`);
      }
    };
    const params = defaultParams();
    check(params as unknown as Record<string, unknown>, "PoolParams");
    // sdk/src/ix.rs::DEFAULT_VOLUME.
    const v = params.volume;
    assert.deepEqual(
      [v.baseRate, v.lossSlope, v.minRate, v.maxRate, v.lossDecayPerDay].map((x: BN) => x.toNumber()),
      [2, 500, 1, 50, 500],
    );
  });

  it("decodes the volume rate's new shapes: a decayed loss index, no stored rate", () => {
    const types = new Map(((INSURANCE_POOL_IDL as unknown as Raw).types ?? []).map((t) => [t.name, t]));
    const fields = (name: string) => (types.get(name)?.type.fields ?? []).map((f) => f.name);
    assert.deepEqual(fields("VolumeCurve"), ["base_rate", "loss_slope", "min_rate", "max_rate", "loss_decay_per_day"]);
    assert.deepEqual(fields("VolumeQuote"), ["fee", "protocol_fee", "rate_bps", "loss_index", "free_capital"]);
    assert.deepEqual(fields("VolumeContributed"), [
      "pool",
      "registration",
      "volume",
      "rate_bps",
      "fee",
      "protocol_fee",
      "loss_index",
      "free_capital",
      "pool_capital",
    ]);
    const pool = fields("Pool");
    for (const f of ["volume_rate_bps", "volume_loss", "volume_loss_day"]) assert.ok(pool.includes(f), `Pool.${f}`);
    const gone = [
      "volume_rate_updated_at",
      "max_change_per_day",
      "max_rate_change_per_day",
      "target_rate_bps",
      "loss_ewma",
    ];
    for (const name of ["Pool", "PoolParams", "PremiumQuote", "VolumeCurve", "VolumeQuote", "VolumeContributed"]) {
      for (const f of gone) assert.ok(!fields(name).includes(f), `${name}.${f} is gone`);
    }
    // The exchange's IDL carries the same Pool (it reads it for accepts_volume).
    const exTypes = new Map(((EXAMPLE_EXCHANGE_IDL as unknown as Raw).types ?? []).map((t) => [t.name, t]));
    assert.deepEqual(exTypes.get("Pool")?.type.fields?.map((f) => f.name), pool);
    // The client's coder decodes a VolumeQuote (return data of quote_volume) into these names.
    const coder = new InsurancePoolClient(provider).program.coder.types;
    const data = Buffer.alloc(40);
    [7n, 1n, 12n, 20_000n, 1_000_000n].forEach((x, i) => data.writeBigUInt64LE(x, 8 * i));
    const q = coder.decode("volumeQuote", data) as VolumeQuote;
    assert.deepEqual(
      [q.fee, q.protocolFee, q.rateBps, q.lossIndex, q.freeCapital].map((x) => x.toNumber()),
      [7, 1, 12, 20_000, 1_000_000],
    );
  });

  it("computes the loss index's decay and the volume rate, as the program does", () => {
    // math::volume::tests::losses_decay_by_day_rounding_down.
    assert.equal(decayedLoss(1_002, 500, 0).toNumber(), 1_002);
    assert.equal(decayedLoss(1_002, 500, 1).toNumber(), 951, "1 002 · 0.95 = 951.9, rounded down");
    assert.equal(decayedLoss(1_002, 500, 10).toNumber(), 599, "· 0.95^10 = 599.97, rounded down");
    assert.equal(decayedLoss(1_000_000, 500, 14).toNumber(), 487_674, "a half-life of about 13.5 days");
    const U64_MAX = (1n << 64n) - 1n;
    assert.equal(decayedLoss(U64_MAX, 500, 1).toString(), ((U64_MAX * 95n) / 100n).toString());
    assert.equal(decayedLoss(1_000, 10_000, 1).toNumber(), 0, "full decay forgets everything after a day");
    assert.equal(decayedLoss(1, 500, 1).toNumber(), 0, "a last unit goes at once");
    assert.equal(decayedLoss(U64_MAX, 500, 1n << 40n).toNumber(), 0);
    assert.equal(decayedLoss(0, 500, 30).toNumber(), 0);
    assert.equal(decayedLoss(1_000, 20_000, 1).toNumber(), 0, "decay clamped to 10 000 bps");
    // Monotone in the days, never above the index, and within one unit of the exact value.
    for (const [index, decay] of [[1_000_003, 500], [987_654_321, 1], [5_000, 9_999], [123_456_789_012, 333]] as const) {
      let previous = index;
      for (let days = 0; days <= 40; days++) {
        const got = decayedLoss(index, decay, days).toNumber();
        assert.ok(got <= previous, `${index} ${decay} ${days}: ${got} > ${previous}`);
        const exact = index * (1 - decay / 10_000) ** days;
        assert.ok(got >= Math.floor(exact) - 1 && got <= Math.ceil(exact) + 1, `${index} ${decay} ${days}: ${got} vs ${exact}`);
        previous = got;
      }
    }
    assert.throws(() => decayedLoss(-1, 500, 1), RangeError);

    // math::volume::tests::worked_example, on the default curve.
    const c = defaultVolumeCurve();
    const rate = (loss: number, free: number) => volumeRate(c, loss, free).toNumber();
    assert.equal(rate(0, 1_000_000), 2, "no losses: the base rate");
    assert.equal(rate(20_000, 1_000_000), 12, "a loss index of 2 % of free capital: 2 + ceil(500 · 0.02)");
    assert.equal(rate(1, 1_000_000), 3, "one unit of loss still adds a whole bps (rounded up)");
    assert.equal(rate(1_000_000, 1_000_000), 50, "clamped to the ceiling");
    assert.equal(rate(1, 0), 50, "no free capital: the ceiling, however small the loss");
    assert.equal(rate(0, 0), 2);
    // The floor, a zero slope, an inverted curve (the ceiling never below the floor), saturation.
    const bn = (x: number | bigint) => new BN(x.toString());
    assert.equal(volumeRate({ ...c, baseRate: bn(0) }, 0, 1).toNumber(), 1);
    assert.equal(volumeRate({ ...c, lossSlope: bn(0) }, 1_000, 0).toNumber(), 2);
    assert.equal(volumeRate({ ...c, minRate: bn(60) }, 0, 1).toNumber(), 60);
    const wide = { ...c, baseRate: bn(U64_MAX - 1n), maxRate: bn(U64_MAX) };
    assert.equal(volumeRate(wide, U64_MAX, 1).toString(), U64_MAX.toString());

    // The pool's index at a time: decayed by whole days since volumeLossDay (day_of).
    assert.equal(dayOf(86_399).toNumber(), 0);
    assert.equal(dayOf(86_400).toNumber(), 1);
    assert.equal(dayOf(-5).toNumber(), 0);
    const day = 20_000;
    const pool = { volumeLoss: bn(1_002), volumeLossDay: bn(day), params: { volume: c } };
    assert.equal(volumeLossAt(pool, day * 86_400 + 86_399).toNumber(), 1_002, "the same day: undecayed");
    assert.equal(volumeLossAt(pool, (day + 1) * 86_400).toNumber(), 951);
    assert.equal(volumeLossAt(pool, (day + 10) * 86_400 + 5).toNumber(), 599);
    assert.equal(volumeLossAt(pool, (day - 3) * 86_400).toNumber(), 1_002, "a clock behind the index's day does not grow it");
  });

  it("computes the collateral open_position needs: leverage before the fee, maintenance after it", () => {
    const market = { maintenanceMarginBps: new BN(500), maxLeverage: new BN(10) };
    // 10 000 notional: leverage needs 1 000, maintenance 500 + fee.
    assert.equal(requiredCollateral(market, 10_000, 0).toNumber(), 1_000);
    assert.equal(requiredCollateral(market, 10_000, 2).toNumber(), 1_000);
    assert.equal(requiredCollateral(market, 10_001, 0).toNumber(), 1_001, "leverage rounds up");
    // Where maintenance is as large as the leverage margin, the fee is on top of it.
    const tight = { maintenanceMarginBps: new BN(1_000), maxLeverage: new BN(10) };
    assert.equal(requiredCollateral(tight, 10_000, 0).toNumber(), 1_000);
    assert.equal(requiredCollateral(tight, 10_000, 2).toNumber(), 1_002);
    assert.equal(requiredCollateral(tight, 10_009, 0).toNumber(), 1_001, "maintenance rounds down, leverage up");
  });

  it("builds contribute_volume, quote_volume and open_position with the insurance accounts", async () => {
    const client = new InsurancePoolClient(provider);
    const ex = new ExampleExchangeClient(provider);
    const [mint, tokenProgram, source, treasury, owner] = [0, 1, 2, 3, 4].map(() => Keypair.generate().publicKey);
    const x = exchangeKeys(7, mint, tokenProgram);
    const keys = x.pool;
    const registration = exchangeRegistrationAddress(keys.pool, x.authority);
    const names = (idl: unknown, ix: string) => idlInstruction(idl, ix).accounts;

    // contribute_volume: the IDL's account order, signer = exchange authority, args (u64, u64).
    const cv = await client.contributeVolume(x.authority, keys, registration, source, 1_000_000, 12, treasury);
    const cvAccounts = names(INSURANCE_POOL_IDL, "contribute_volume");
    const expected = [x.authority, protocolAddress(), keys.pool, registration, keys.exposure, source, keys.vault, treasury, mint, tokenProgram];
    assert.equal(cv.keys.length, cvAccounts.length);
    cv.keys.forEach((k, i) => {
      assert.ok(k.pubkey.equals(expected[i]), `contribute_volume account ${cvAccounts[i].name}`);
      assert.equal(k.isWritable, cvAccounts[i].writable ?? false, `${cvAccounts[i].name} writable`);
    });
    assert.deepEqual(cv.keys.filter((k) => k.isSigner).map((k) => k.pubkey.toBase58()), [x.authority.toBase58()]);
    assert.equal(cv.data.length, 8 + 8 + 8);
    assert.equal(cv.data.readBigUInt64LE(8), 1_000_000n);
    assert.equal(cv.data.readBigUInt64LE(16), 12n);
    // Without a treasury account, the optional slot is the program id (Anchor's None).
    const noTreasury = await client.contributeVolume(x.authority, keys, registration, source, 1, 1);
    assert.ok(noTreasury.keys[7].pubkey.equals(INSURANCE_POOL_PROGRAM_ID));
    await assert.rejects(async () => client.contributeVolume(x.authority, keys, registration, source, 1n << 64n, 1), RangeError);

    // quote_volume: protocol, pool, exposure, all read-only (a view).
    const qv = await client.quoteVolume(keys, 5_000);
    assert.deepEqual(qv.keys.map((k) => k.pubkey.toBase58()), [protocolAddress(), keys.pool, keys.exposure].map((k) => k.toBase58()));
    assert.ok(qv.keys.every((k) => !k.isWritable && !k.isSigner));
    assert.equal(qv.data.readBigUInt64LE(8), 5_000n);

    // open_position: the insurance accounts derived from the market's keys, as the Rust SDK does.
    const op = await ex.openPosition(owner, x, -10, 25);
    const opAccounts = names(EXAMPLE_EXCHANGE_IDL, "open_position");
    const opExpected = [
      owner,
      x.market,
      positionAddress(x.market, owner),
      x.priceFeed,
      x.authority,
      x.collateralVault,
      INSURANCE_POOL_PROGRAM_ID,
      protocolAddress(),
      keys.pool,
      registration,
      keys.exposure,
      keys.vault,
      EXAMPLE_EXCHANGE_PROGRAM_ID, // no treasury account: None
      mint,
      tokenProgram,
    ];
    assert.equal(op.keys.length, opAccounts.length);
    op.keys.forEach((k, i) => {
      assert.ok(k.pubkey.equals(opExpected[i]), `open_position account ${opAccounts[i].name}`);
      // (an omitted optional account is passed read-only)
      if (!opAccounts[i].optional) assert.equal(k.isWritable, opAccounts[i].writable ?? false, `${opAccounts[i].name} writable`);
    });
    assert.deepEqual(op.keys.filter((k) => k.isSigner).map((k) => k.pubkey.toBase58()), [owner.toBase58()]);
    assert.equal(op.data.length, 8 + 8 + 8);
    assert.equal(op.data.readBigInt64LE(8), -10n);
    assert.equal(op.data.readBigUInt64LE(16), 25n);
    const withTreasury = await ex.openPosition(owner, x, 1, 1, treasury);
    assert.ok(withTreasury.keys[12].pubkey.equals(treasury) && withTreasury.keys[12].isWritable);
  });

  it("computes the volume fee and whether the pool accepts volume, as the program does", () => {
    // ceil(volume · rate / 10 000): any volume at a non-zero rate pays at least 1.
    assert.equal(volumeFee(1_000_000, 12).toNumber(), 1_200);
    assert.equal(volumeFee(1, 1).toNumber(), 1);
    assert.equal(volumeFee(1, 0).toNumber(), 0);
    assert.equal(volumeFee(15_001, 48).toNumber(), 73);
    assert.equal(volumeFee((1n << 64n) - 1n, 1_000).toString(), (((1n << 64n) - 1n) * 1_000n + 9_999n) / 10_000n + "");
    const clock = { pausedSince: new BN(0), pausedSecs: new BN(0) };
    const protocol = { paused: 0, withdrawPause: clock };
    const pool = { paused: 0, withdrawPause: clock, votingPause: clock, exitClockHigh: new BN(0) };
    const reg = { active: true, activeFrom: new BN(1_000), pendingAt: new BN(0) };
    assert.equal(acceptsVolume(protocol, pool, reg, 999), false, "not yet active");
    assert.equal(acceptsVolume(protocol, pool, reg, 1_000), true);
    assert.equal(acceptsVolume(protocol, pool, { ...reg, active: false }, 2_000), false, "deactivated");
    assert.equal(acceptsVolume(protocol, pool, { ...reg, active: false, pendingAt: new BN(1_500) }, 1_500), true, "a pending change applies first");
    assert.equal(acceptsVolume({ ...protocol, paused: PAUSE.premium }, pool, reg, 2_000), false, "premiums paused (protocol)");
    assert.equal(acceptsVolume(protocol, { ...pool, paused: PAUSE.premium }, reg, 2_000), false, "premiums paused (pool)");
    assert.equal(acceptsVolume(protocol, { ...pool, paused: PAUSE.shortfall }, reg, 2_000), true, "other pauses do not stop it");
    // On the exit clock: time withdrawals were paused does not count.
    const paused = { ...pool, withdrawPause: { pausedSince: new BN(0), pausedSecs: new BN(100) } };
    assert.equal(acceptsVolume(protocol, paused, reg, 1_050), false);
    assert.equal(acceptsVolume(protocol, paused, reg, 1_100), true);
  });

  it("decodes the volume errors of both programs", () => {
    for (const name of ["InvalidVolumeRates", "InvalidVolumeSlope", "ExchangeNotYetActive", "VolumeRateAboveMaximum", "InvalidVolumeDecay"]) {
      const e = ((INSURANCE_POOL_IDL as unknown as Raw).errors ?? []).find((x) => x.name === name);
      assert.ok(e, `${name} in the IDL`);
      assert.equal(errorByCode(e.code)?.name, name);
    }
    assert.equal(errorByCode(6096)?.name, "VolumeRateAboveMaximum");
    assert.match(errorByCode(6096)?.message ?? "", /above the caller's maximum/);
    assert.equal(errorByCode(6097)?.name, "InvalidVolumeDecay");
    assert.match(errorByCode(6097)?.message ?? "", /between 1 and 10000 bps per day/);
    assert.equal(errorByCode(6014, "exampleExchange")?.name, "InsufficientCollateral");
    assert.match(errorByCode(6014, "exampleExchange")?.message ?? "", /after the insurance fee does not cover the maintenance margin/);
    // open_position binds the market's own registration and the protocol address.
    assert.equal(errorByCode(6015, "exampleExchange")?.name, "WrongRegistration");
    // Refused inside the exchange's CPI: named as the pool's error.
    const P = INSURANCE_POOL_PROGRAM_ID.toBase58();
    const X = EXAMPLE_EXCHANGE_PROGRAM_ID.toBase58();
    const logs = [
      `Program ${X} invoke [1]`,
      `Program log: Instruction: OpenPosition`,
      `Program ${P} invoke [2]`,
      `Program ${P} failed: custom program error: 0x${(6096).toString(16)}`,
      `Program ${X} failed: custom program error: 0x${(6096).toString(16)}`,
    ];
    assert.deepEqual([decodeError({ logs })?.name, decodeError({ logs })?.program], ["VolumeRateAboveMaximum", "insurancePool"]);
  });
});
