//! Distributions of the loss model: special functions, lognormal, generalized Pareto,
//! and the spliced severity (lognormal body below a threshold, GPD tail above it).
//!
//! Off-chain code: floats are fine here. Amounts are in the pool token's base units.

use rand::Rng;
use rand_distr::{Distribution, Exp1};
use serde::Serialize;

/// Standard normal CDF.
pub fn norm_cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x / std::f64::consts::SQRT_2)
}

/// Standard normal quantile (Acklam's rational approximation refined by one Halley
/// step; relative error below 1e-13 on (0, 1)). Returns ±∞ at 0 and 1.
pub fn norm_quantile(p: f64) -> f64 {
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    let x = if p < 0.02425 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.02425 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    };
    // One Halley step on Φ(x) − p.
    let e = norm_cdf(x) - p;
    let u = e * (2.0 * std::f64::consts::PI).sqrt() * (x * x / 2.0).exp();
    x - u / (1.0 + x * u / 2.0)
}

/// `e^x` for the lognormal draws, within 2 ulp of the correctly rounded value on
/// `[-700, 700]` (arguments outside are clamped there, NaN to 700: the draws never
/// make one): `x = (64m + j)·ln2/64 + r`
/// with `|r| <= ln2/128`, then `2^m · 2^(j/64) · e^r`, `e^r` by its degree-5 Taylor
/// polynomial (truncation below 4e-17) and `2^(j/64)` from a table rounded from 50-digit
/// values. About 20 inlined instructions, against the libm call's 45 and its wrapper:
/// one per loss on the simulation's hottest path. Tested against `f64::exp`.
#[inline(always)]
pub fn exp_fast(x: f64) -> f64 {
    /// `1.5 · 2^52`: adding it rounds to an integer held in the low mantissa bits.
    const SHIFT: f64 = 6_755_399_441_055_744.0;
    const N_OVER_LN2: f64 = 92.332_482_616_893_66;
    /// `ln2/64` split so that `k · HI` is exact for `|k| < 2^20`.
    const LN2_N_HI: f64 = 0.010_830_424_695_086_549;
    const LN2_N_LO: f64 = 1.162_596_423_439_437e-12;
    // Two single-instruction clamps (`minsd`, `maxsd`; NaN becomes 700).
    let x = if x < 700.0 { x } else { 700.0 };
    let x = if x > -700.0 { x } else { -700.0 };
    let shifted = x * N_OVER_LN2 + SHIFT;
    let k = (shifted.to_bits() as i64).wrapping_sub(SHIFT.to_bits() as i64);
    let kf = shifted - SHIFT;
    let r = (x - kf * LN2_N_HI) - kf * LN2_N_LO;
    let p = r + r * r * (0.5 + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0))));
    let t = EXP2_64[(k & 63) as usize];
    // `m = k >> 6` is in [-1011, 1010]: a normal power of two.
    let scale = f64::from_bits((((k >> 6) + 1023) as u64) << 52);
    scale * (t + t * p)
}

/// `2^(j/64)`, `j = 0..64`, correctly rounded.
#[allow(clippy::excessive_precision, clippy::approx_constant)]
const EXP2_64: [f64; 64] = [
    1.0,
    1.0108892860517005,
    1.0218971486541166,
    1.0330248790212284,
    1.0442737824274138,
    1.0556451783605572,
    1.0671404006768237,
    1.0787607977571199,
    1.0905077326652577,
    1.102382583307841,
    1.1143867425958924,
    1.1265216186082418,
    1.1387886347566916,
    1.1511892299529827,
    1.1637248587775775,
    1.1763969916502812,
    1.189207115002721,
    1.202156731452703,
    1.215247359980469,
    1.22848053610687,
    1.241857812073484,
    1.255380757024691,
    1.2690509571917332,
    1.2828700160787783,
    1.2968395546510096,
    1.3109612115247644,
    1.3252366431597413,
    1.339667524053303,
    1.3542555469368927,
    1.3690024229745905,
    1.383909881963832,
    1.3989796725383112,
    1.4142135623730951,
    1.42961333839197,
    1.4451808069770467,
    1.460917794180647,
    1.4768261459394993,
    1.4929077282912648,
    1.5091644275934228,
    1.5255981507445384,
    1.5422108254079407,
    1.559004400237837,
    1.5759808451078865,
    1.593142151342267,
    1.6104903319492543,
    1.6280274218573478,
    1.645755478153965,
    1.6636765803267364,
    1.681792830507429,
    1.7001063537185235,
    1.718619298122478,
    1.7373338352737062,
    1.7562521603732995,
    1.7753764925265212,
    1.7947090750031072,
    1.8142521755003989,
    1.8340080864093424,
    1.8539791250833855,
    1.8741676341103,
    1.8945759815869656,
    1.9152065613971474,
    1.9360617934922943,
    1.9571441241754002,
    1.978456026387951,
];

/// ln Γ(x) for x > 0.
pub fn ln_gamma(x: f64) -> f64 {
    libm::lgamma(x)
}

/// Lognormal distribution: `ln X ~ N(mu, sigma²)`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct LogNormal {
    /// Mean of `ln X`.
    pub mu: f64,
    /// Standard deviation of `ln X` (> 0).
    pub sigma: f64,
}

impl LogNormal {
    /// `P(X <= x)`.
    pub fn cdf(&self, x: f64) -> f64 {
        if x <= 0.0 {
            return 0.0;
        }
        norm_cdf((x.ln() - self.mu) / self.sigma)
    }
    /// The `q` quantile.
    pub fn quantile(&self, q: f64) -> f64 {
        (self.mu + self.sigma * norm_quantile(q)).exp()
    }
    /// ln of the density at `x > 0`.
    pub fn ln_pdf(&self, x: f64) -> f64 {
        let z = (x.ln() - self.mu) / self.sigma;
        -0.5 * z * z - self.sigma.ln() - x.ln() - 0.5 * (2.0 * std::f64::consts::PI).ln()
    }
    /// `E[X]`.
    pub fn mean(&self) -> f64 {
        (self.mu + self.sigma * self.sigma / 2.0).exp()
    }
    /// A draw (ziggurat normal, no quantile call).
    #[inline(always)]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        exp_fast(self.mu + self.sigma * standard_normal(rng))
    }
}

/// A standard normal draw by Marsaglia and Tsang's ziggurat (128 layers of 32-bit
/// integers: "The Ziggurat Method for Generating Random Variables", J. Stat. Softw.
/// 5(8), 2000): one 64-bit draw, a table lookup, a compare and a multiply for 98.8 %
/// of the draws; the wedges and the tail beyond 3.44 by exact rejection. A third of
/// the instructions of `rand_distr`'s 256-layer `f64` ziggurat, on the simulation's
/// hottest path (every lognormal loss); quantised to 2^-31 of the layer's width.
#[inline(always)]
pub fn standard_normal<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    let u = rng.next_u64();
    standard_normal_from(u, rng)
}

/// [`standard_normal`] from a 64-bit draw `u` already taken, of which it reads the low
/// 39 bits (the rare slow path draws more from `rng`): bits 39..64 are free for an
/// independent choice (the spliced severity's body or tail).
#[inline(always)]
pub fn standard_normal_from<R: Rng + ?Sized>(u: u64, rng: &mut R) -> f64 {
    let z = ziggurat();
    // The layer from bits 32..39, the point from the low 32 (independent bits, not
    // the original's shared ones).
    let (hz, iz) = (u as u32 as i32, ((u >> 32) & 127) as usize);
    if hz.unsigned_abs() < z.k[iz] {
        return hz as f64 * z.w[iz];
    }
    normal_fix(rng, hz, iz)
}

/// A ziggurat's tables, `N` layers: the fast path's integer bounds `k`, the widths
/// `w` (per unit of the integer point) and the density at each layer's edge `f`.
#[derive(Debug)]
struct Ziggurat<const N: usize> {
    k: [u32; N],
    w: [f64; N],
    f: [f64; N],
}

/// Marsaglia and Tsang's 256-layer exponential ziggurat (the same paper as
/// [`standard_normal`]'s), 32-bit: the layer from 8 bits, the point from 32 others.
type ExpZiggurat = Ziggurat<256>;

/// The ziggurat's tables (Marsaglia and Tsang's `zigset`), built once.
fn ziggurat() -> &'static Ziggurat<128> {
    static TABLES: std::sync::OnceLock<Ziggurat<128>> = std::sync::OnceLock::new();
    TABLES.get_or_init(|| {
        const M1: f64 = 2_147_483_648.0; // 2^31
        let mut dn = 3.442_619_855_899_f64;
        let vn = 9.912_563_035_262_17e-3_f64;
        let mut tn = dn;
        let q = vn / (-0.5 * dn * dn).exp();
        let mut z = Ziggurat {
            k: [0; 128],
            w: [0.0; 128],
            f: [0.0; 128],
        };
        z.k[0] = ((dn / q) * M1) as u32;
        z.k[1] = 0;
        z.w[0] = q / M1;
        z.w[127] = dn / M1;
        z.f[0] = 1.0;
        z.f[127] = (-0.5 * dn * dn).exp();
        for i in (1..=126).rev() {
            dn = (-2.0 * (vn / dn + (-0.5 * dn * dn).exp()).ln()).sqrt();
            z.k[i + 1] = ((dn / tn) * M1) as u32;
            tn = dn;
            z.f[i] = (-0.5 * dn * dn).exp();
            z.w[i] = dn / M1;
        }
        z
    })
}

/// The ziggurat's slow path (`nfix`): the base strip's tail, or a wedge.
#[cold]
fn normal_fix<R: Rng + ?Sized>(rng: &mut R, mut hz: i32, mut iz: usize) -> f64 {
    const R_TAIL: f64 = 3.442_620;
    let z = ziggurat();
    loop {
        let x = hz as f64 * z.w[iz];
        if iz == 0 {
            // The tail beyond R: Marsaglia's exponential rejection.
            loop {
                let a = -(1.0 - rng.random::<f64>()).ln() / R_TAIL;
                let b = -(1.0 - rng.random::<f64>()).ln();
                if b + b >= a * a {
                    return if hz > 0 { R_TAIL + a } else { -R_TAIL - a };
                }
            }
        }
        if z.f[iz] + rng.random::<f64>() * (z.f[iz - 1] - z.f[iz]) < (-0.5 * x * x).exp() {
            return x;
        }
        let u = rng.next_u64();
        (hz, iz) = (u as u32 as i32, ((u >> 32) & 127) as usize);
        if hz.unsigned_abs() < z.k[iz] {
            return hz as f64 * z.w[iz];
        }
    }
}

/// A severity prepared for many draws (the simulation's hottest path draws one loss
/// per event): the spliced model's constants computed once and its ziggurat tables
/// held by reference.
#[derive(Clone, Copy, Debug)]
pub enum SeveritySampler {
    /// [`Severity::Exponential`]: `mean` times an `Exp1` draw.
    Exponential { mean: f64 },
    /// [`Severity::LogNormal`]: a ziggurat normal through [`exp_fast`].
    LogNormal(LogNormal),
    /// [`Severity::Spliced`], prepared: see [`SplicedDraw`].
    Spliced(SplicedDraw),
}

/// The spliced severity's draw, prepared ([`SeveritySampler::sample`]).
#[derive(Clone, Copy, Debug)]
pub struct SplicedDraw {
    /// `round(tail_prob · 2^24)`: a draw's top 24 bits below it choose the tail.
    tail_cut: i64,
    mu: f64,
    sigma: f64,
    /// The body's bound on the normal, `(ln threshold − mu) / sigma` (`∞` if undefined).
    z_cut: f64,
    threshold: f64,
    /// The tail's excess from an exponential draw `E`: `scale · (exp(xi · E) − 1) +
    /// linear · E`, i.e. `sigma/xi · (exp(xi·E) − 1)`, or `sigma · E` when `xi` is 0.
    xi: f64,
    scale: f64,
    linear: f64,
    normal: &'static Ziggurat<128>,
    exponential: &'static ExpZiggurat,
}

impl SeveritySampler {
    /// `severity`, prepared for many draws.
    pub fn new(severity: Severity) -> Self {
        match severity {
            Severity::Exponential { mean } => SeveritySampler::Exponential { mean },
            Severity::LogNormal(ln) => SeveritySampler::LogNormal(ln),
            Severity::Spliced {
                body,
                threshold,
                tail_prob,
                tail,
            } => {
                let z_cut = (threshold.ln() - body.mu) / body.sigma;
                // The tail's excess from an exponential `E`: `sigma/xi · (exp(xi·E) − 1)`,
                // or `sigma · E` when `xi` is 0.
                let zero = tail.xi.abs() < XI_ZERO;
                let (xi, scale, linear) = if zero {
                    (0.0, 0.0, tail.sigma)
                } else {
                    (tail.xi, tail.sigma / tail.xi, 0.0)
                };
                SeveritySampler::Spliced(SplicedDraw {
                    tail_cut: (tail_prob * TAIL_CHOICE_SCALE + 0.5) as i64,
                    mu: body.mu,
                    sigma: body.sigma,
                    z_cut: if z_cut.is_nan() { f64::INFINITY } else { z_cut },
                    threshold,
                    xi,
                    scale,
                    linear,
                    normal: ziggurat(),
                    exponential: exp_ziggurat(),
                })
            }
        }
    }

    /// One draw. No draw calls a logarithm or a quantile on its common path.
    #[inline(always)]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self {
            SeveritySampler::Exponential { mean } => {
                let e: f64 = Exp1.sample(rng);
                mean * e
            }
            SeveritySampler::LogNormal(ln) => ln.sample(rng),
            SeveritySampler::Spliced(d) => d.sample(rng),
        }
    }
}

impl SplicedDraw {
    /// One 64-bit draw: its top 24 bits choose the part (`tail_prob` to the nearest
    /// 2^-24), its low 40 are both a normal's (the body: 32 bits and a 7-bit layer)
    /// and an exponential's (the tail: 32 bits and an 8-bit layer), of which the
    /// choice keeps one. Both are computed and the choice selects, so a random choice
    /// costs no mispredicted branch; and one `exp_fast` serves both: the body is
    /// `exp(mu + sigma·Z)` for `Z` below `z_cut` (rejection, checked before the
    /// exponential), the tail `threshold + sigma/xi · (exp(xi·E) − 1)` (the GPD's
    /// inversion with `E = −ln U`). The ziggurats' slow paths and the body's
    /// rejections (~1 % and ~5 % of draws for the sample history) go out of line.
    #[inline(always)]
    fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        let u = rng.next_u64();
        let tail = ((u >> 40) as i64) < self.tail_cut;
        let (hz, iz) = (u as u32 as i32, ((u >> 32) & 127) as usize);
        let (jz, je) = (u as u32, ((u >> 32) & 255) as usize);
        let z = hz as f64 * self.normal.w[iz];
        let e = jz as f64 * self.exponential.w[je];
        let body_ok = (hz.unsigned_abs() < self.normal.k[iz]) & (z <= self.z_cut);
        let tail_ok = jz < self.exponential.k[je];
        if !(if tail { tail_ok } else { body_ok }) {
            return self.slow(tail, u, rng);
        }
        self.finish(tail, z, e)
    }

    /// The amount from the chosen part's variate (`z` for the body, `e` for the tail):
    /// the body's `min(exp(mu + sigma·z), threshold)` (`z <= z_cut` puts it at the
    /// threshold at most, up to rounding), the tail's `threshold + sigma/xi ·
    /// (exp(xi·e) − 1)`. (Measured: computing both with the choice's coefficients read
    /// by index, no branch, costs more than the branch's mispredictions.)
    #[inline(always)]
    fn finish(&self, tail: bool, z: f64, e: f64) -> f64 {
        let v = exp_fast(if tail {
            self.xi * e
        } else {
            self.mu + self.sigma * z
        });
        if tail {
            self.threshold + (self.scale * (v - 1.0) + self.linear * e)
        } else {
            fmin(v, self.threshold)
        }
    }

    /// The draw's rare cases: an exponential beyond the fast path, or a body normal
    /// beyond its fast path or above `z_cut` (redrawn: bounded tries, then inversion,
    /// so a pathological fit cannot spin).
    #[cold]
    #[inline(never)]
    fn slow<R: Rng + ?Sized>(&self, tail: bool, u: u64, rng: &mut R) -> f64 {
        if tail {
            let e = exp_fix(rng, u as u32, ((u >> 32) & 255) as usize, self.exponential);
            return self.finish(true, 0.0, e);
        }
        let mut u = u;
        for _ in 0..64 {
            let z = standard_normal_from(u, rng);
            if z <= self.z_cut {
                return self.finish(false, z, 0.0);
            }
            u = rng.next_u64();
        }
        let body = LogNormal {
            mu: self.mu,
            sigma: self.sigma,
        };
        body.quantile(rng.random::<f64>() * body.cdf(self.threshold))
    }
}

/// `min(a, b)` as one instruction (`f64::min` also handles NaN, which the callers'
/// arithmetic never produces): the engine's too.
#[inline(always)]
pub(crate) fn fmin(a: f64, b: f64) -> f64 {
    if a < b {
        a
    } else {
        b
    }
}

/// The exponential ziggurat's tables (`zigset`), built once.
fn exp_ziggurat() -> &'static ExpZiggurat {
    static TABLES: std::sync::OnceLock<ExpZiggurat> = std::sync::OnceLock::new();
    TABLES.get_or_init(|| {
        const M2: f64 = 4_294_967_296.0; // 2^32
        let mut de = EXP_ZIG_R;
        let ve = 3.949_659_822_581_572e-3_f64;
        let mut te = de;
        let q = ve / (-de).exp();
        let mut z = ExpZiggurat {
            k: [0; 256],
            w: [0.0; 256],
            f: [0.0; 256],
        };
        z.k[0] = ((de / q) * M2) as u32;
        z.k[1] = 0;
        z.w[0] = q / M2;
        z.w[255] = de / M2;
        z.f[0] = 1.0;
        z.f[255] = (-de).exp();
        for i in (1..=254).rev() {
            de = -(ve / de + (-de).exp()).ln();
            z.k[i + 1] = ((de / te) * M2) as u32;
            te = de;
            z.f[i] = (-de).exp();
            z.w[i] = de / M2;
        }
        z
    })
}

/// Where the exponential ziggurat's base strip ends and its tail begins.
const EXP_ZIG_R: f64 = 7.697_117_470_131_487;

/// The exponential ziggurat's slow path (`efix`): the tail beyond [`EXP_ZIG_R`]
/// (memoryless: `R` plus a fresh exponential by inversion), or a wedge.
fn exp_fix<R: Rng + ?Sized>(rng: &mut R, mut jz: u32, mut iz: usize, z: &ExpZiggurat) -> f64 {
    loop {
        if iz == 0 {
            return EXP_ZIG_R - (1.0 - rng.random::<f64>()).ln();
        }
        let x = jz as f64 * z.w[iz];
        if z.f[iz] + rng.random::<f64>() * (z.f[iz - 1] - z.f[iz]) < (-x).exp() {
            return x;
        }
        let u = rng.next_u64();
        (jz, iz) = (u as u32, ((u >> 32) & 255) as usize);
        if jz < z.k[iz] {
            return jz as f64 * z.w[iz];
        }
    }
}

/// One Exp(1) draw by [`ExpZiggurat`].
pub fn standard_exponential<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    let z = exp_ziggurat();
    let u = rng.next_u64();
    let (jz, iz) = (u as u32, ((u >> 32) & 255) as usize);
    if jz < z.k[iz] {
        return jz as f64 * z.w[iz];
    }
    exp_fix(rng, jz, iz, z)
}

/// `2^24`: the spliced severity's tail probability is applied to the nearest
/// `2^-24` (6·10^-8, far below any fit's error).
const TAIL_CHOICE_SCALE: f64 = 16_777_216.0;

/// Generalized Pareto distribution of an excess `y >= 0` over a threshold:
/// `G(y) = 1 − (1 + xi·y/sigma)^(−1/xi)` (`1 − exp(−y/sigma)` when `xi == 0`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Gpd {
    /// Shape: > 0 heavy (Pareto-like) tail, 0 exponential, < 0 bounded.
    pub xi: f64,
    /// Scale (> 0), in base units.
    pub sigma: f64,
}

const XI_ZERO: f64 = 1e-9;

impl Gpd {
    /// `P(Y <= y)` of the excess.
    pub fn cdf(&self, y: f64) -> f64 {
        if y <= 0.0 {
            return 0.0;
        }
        if self.xi.abs() < XI_ZERO {
            return 1.0 - (-y / self.sigma).exp();
        }
        let t = 1.0 + self.xi * y / self.sigma;
        if t <= 0.0 {
            return 1.0; // beyond the finite upper end (xi < 0)
        }
        1.0 - t.powf(-1.0 / self.xi)
    }
    /// The `q` quantile of the excess.
    pub fn quantile(&self, q: f64) -> f64 {
        let s = 1.0 - q;
        if self.xi.abs() < XI_ZERO {
            return -self.sigma * s.ln();
        }
        self.sigma * (s.powf(-self.xi) - 1.0) / self.xi
    }
    /// A draw of the excess at uniform `q` in `[0, 1)`: [`Gpd::quantile`] with
    /// `(1 − q)^(−xi)` as `exp_fast(−xi · ln(1 − q))` (a logarithm and the inlined
    /// exponential instead of a `pow` call, within a few ulp of it).
    #[inline(always)]
    pub fn sample_at(&self, q: f64) -> f64 {
        let s = 1.0 - q;
        if self.xi.abs() < XI_ZERO {
            return -self.sigma * s.ln();
        }
        self.sigma * (exp_fast(-self.xi * s.ln()) - 1.0) / self.xi
    }
    /// ln of the density, `-inf` outside the support.
    pub fn ln_pdf(&self, y: f64) -> f64 {
        if y < 0.0 {
            return f64::NEG_INFINITY;
        }
        if self.xi.abs() < XI_ZERO {
            return -self.sigma.ln() - y / self.sigma;
        }
        let t = 1.0 + self.xi * y / self.sigma;
        if t <= 0.0 {
            return f64::NEG_INFINITY;
        }
        -self.sigma.ln() - (1.0 / self.xi + 1.0) * t.ln()
    }
}

/// Severity (size of one loss) distribution.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Severity {
    /// Exponential with the given mean (the Cramér–Lundberg validation model).
    Exponential { mean: f64 },
    /// Lognormal on the whole range.
    LogNormal(LogNormal),
    /// Lognormal body truncated to `(0, threshold]` with probability `1 − tail_prob`,
    /// `threshold + GPD` excess with probability `tail_prob`.
    Spliced {
        body: LogNormal,
        threshold: f64,
        tail_prob: f64,
        tail: Gpd,
    },
}

impl Severity {
    /// The sample history's generating severity (`actuary/examples/sample-history.rs`,
    /// in base units of a 6-decimal token): a lognormal body with median 8 000 tokens
    /// and `sigma = 1`, and 10 % of losses in a GPD tail above 40 000 tokens
    /// (`xi = 0.3`, scale 25 000 tokens). The benchmark's, the backtest's spliced
    /// model and the tests' common severity.
    pub fn sample_history() -> Severity {
        const TOKEN: f64 = 1e6;
        Severity::Spliced {
            body: LogNormal {
                mu: (8_000.0 * TOKEN).ln(),
                sigma: 1.0,
            },
            threshold: 40_000.0 * TOKEN,
            tail_prob: 0.1,
            tail: Gpd {
                xi: 0.3,
                sigma: 25_000.0 * TOKEN,
            },
        }
    }

    /// Whether the parameters define a distribution of positive amounts (finite; scales,
    /// the mean and the threshold positive; the tail's probability in [0, 1]): the
    /// sampler's shortcuts assume it, and the simulation refuses anything else.
    pub fn check(&self) -> Result<(), String> {
        let positive = |x: f64| x > 0.0 && x.is_finite();
        let ok = match *self {
            Severity::Exponential { mean } => positive(mean),
            Severity::LogNormal(b) => b.mu.is_finite() && positive(b.sigma),
            Severity::Spliced {
                body,
                threshold,
                tail_prob,
                tail,
            } => {
                body.mu.is_finite()
                    && positive(body.sigma)
                    && positive(threshold)
                    && (0.0..=1.0).contains(&tail_prob)
                    && tail.xi.is_finite()
                    && positive(tail.sigma)
            }
        };
        if ok {
            Ok(())
        } else {
            Err(format!("invalid severity parameters: {self:?}"))
        }
    }

    /// `P(X <= x)`.
    pub fn cdf(&self, x: f64) -> f64 {
        match *self {
            Severity::Exponential { mean } => {
                if x <= 0.0 {
                    0.0
                } else {
                    1.0 - (-x / mean).exp()
                }
            }
            Severity::LogNormal(ln) => ln.cdf(x),
            Severity::Spliced {
                body,
                threshold,
                tail_prob,
                tail,
            } => {
                if x <= threshold {
                    (1.0 - tail_prob) * body.cdf(x) / body.cdf(threshold)
                } else {
                    (1.0 - tail_prob) + tail_prob * tail.cdf(x - threshold)
                }
            }
        }
    }

    /// The `q` quantile.
    pub fn quantile(&self, q: f64) -> f64 {
        match *self {
            Severity::Exponential { mean } => -mean * (1.0 - q).ln(),
            Severity::LogNormal(ln) => ln.quantile(q),
            Severity::Spliced {
                body,
                threshold,
                tail_prob,
                tail,
            } => {
                if q <= 1.0 - tail_prob {
                    body.quantile(q / (1.0 - tail_prob) * body.cdf(threshold))
                } else {
                    threshold + tail.quantile((q - (1.0 - tail_prob)) / tail_prob)
                }
            }
        }
    }

    /// Mean of the distribution (infinite for a GPD tail with `xi >= 1`).
    pub fn mean(&self) -> f64 {
        match *self {
            Severity::Exponential { mean } => mean,
            Severity::LogNormal(ln) => ln.mean(),
            Severity::Spliced {
                body,
                threshold,
                tail_prob,
                tail,
            } => {
                if tail.xi >= 1.0 {
                    return f64::INFINITY;
                }
                // E[X | X <= u] for the lognormal body.
                let z = (threshold.ln() - body.mu) / body.sigma;
                let body_mean = body.mean() * norm_cdf(z - body.sigma) / norm_cdf(z);
                (1.0 - tail_prob) * body_mean
                    + tail_prob * (threshold + tail.sigma / (1.0 - tail.xi))
            }
        }
    }

    /// One draw ([`SeveritySampler::sample`]).
    #[inline(always)]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        SeveritySampler::new(*self).sample(rng)
    }

    /// Log-density at `x` (used by fits and reports).
    pub fn ln_pdf(&self, x: f64) -> f64 {
        match *self {
            Severity::Exponential { mean } => -mean.ln() - x / mean,
            Severity::LogNormal(ln) => ln.ln_pdf(x),
            Severity::Spliced {
                body,
                threshold,
                tail_prob,
                tail,
            } => {
                if x <= threshold {
                    (1.0 - tail_prob).ln() + body.ln_pdf(x) - body.cdf(threshold).ln()
                } else {
                    tail_prob.ln() + tail.ln_pdf(x - threshold)
                }
            }
        }
    }
}

/// Loss frequency: events per year.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Frequency {
    /// Poisson process with `rate` events per year.
    Poisson { rate: f64 },
    /// Negative binomial yearly counts with mean `rate` and size `r`
    /// (variance `rate + rate²/r`), simulated as a Poisson process whose rate is redrawn
    /// every 30 days from Gamma(r_p, rate/r_p), `r_p = r · 30/365`: each 30-day count is
    /// NB(`r_p`), as the fit estimates it, and a year's the sum of ~12 of them.
    NegativeBinomial { rate: f64, r: f64 },
}

impl Frequency {
    /// Whether the parameters define a process: a finite rate at least 0, and for the
    /// negative binomial a positive finite size.
    pub fn check(&self) -> Result<(), String> {
        let rate_ok = |r: f64| r >= 0.0 && r.is_finite();
        let ok = match *self {
            Frequency::Poisson { rate } => rate_ok(rate),
            Frequency::NegativeBinomial { rate, r } => rate_ok(rate) && r > 0.0 && r.is_finite(),
        };
        if ok {
            Ok(())
        } else {
            Err(format!("invalid frequency parameters: {self:?}"))
        }
    }

    /// Mean events per year.
    pub fn rate(&self) -> f64 {
        match *self {
            Frequency::Poisson { rate } | Frequency::NegativeBinomial { rate, .. } => rate,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_fast_is_within_two_ulp_of_exp() {
        use rand::SeedableRng;
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(7);
        let ulp_error = |x: f64| {
            let (got, want) = (exp_fast(x), x.exp());
            (got.to_bits() as i64 - want.to_bits() as i64).unsigned_abs()
        };
        let mut worst = 0;
        for i in 0..2_000_000 {
            // Uniform over [-700, 700], then dense around the lognormal draws' range.
            let x = if i % 2 == 0 {
                rng.random_range(-700.0..700.0)
            } else {
                rng.random_range(-5.0..40.0)
            };
            worst = worst.max(ulp_error(x));
        }
        assert!(worst <= 2, "worst error {worst} ulp");
        for x in [0.0, 1.0, -1.0, 700.0, -700.0, 1e-300, 22.8] {
            assert!(ulp_error(x) <= 2, "exp_fast({x})");
        }
        assert_eq!(exp_fast(0.0), 1.0);
        assert_eq!(exp_fast(800.0), exp_fast(700.0));
        assert_eq!(exp_fast(-800.0), exp_fast(-700.0));
        assert_eq!(exp_fast(f64::NAN), exp_fast(700.0));
    }

    #[test]
    fn gpd_draws_match_the_quantile() {
        for xi in [0.0, 1e-12, 0.1, 0.3, 0.9, -0.2] {
            let g = Gpd { xi, sigma: 2.5e10 };
            for q in [0.0, 1e-9, 0.1, 0.5, 0.9, 0.999, 1.0 - 1e-12] {
                let (a, b) = (g.sample_at(q), g.quantile(q));
                assert!(
                    (a - b).abs() <= 1e-12 * b.abs() + 1e-3,
                    "xi {xi} q {q}: {a} vs {b}"
                );
            }
        }
    }

    #[test]
    fn the_ziggurat_draws_standard_normals() {
        use rand::SeedableRng;
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(42);
        let n = 2_000_000;
        let mut xs: Vec<f64> = (0..n).map(|_| standard_normal(&mut rng)).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        let kurt = xs.iter().map(|x| (x - mean).powi(4)).sum::<f64>() / n as f64 / (var * var);
        assert!(
            mean.abs() < 0.003 && (var - 1.0).abs() < 0.004,
            "{mean} {var}"
        );
        assert!((kurt - 3.0).abs() < 0.03, "{kurt}");
        // Kolmogorov–Smirnov against Φ (critical value at 0.1 %: 1.95 / √n).
        xs.sort_by(f64::total_cmp);
        let ks = xs
            .iter()
            .enumerate()
            .map(|(i, &x)| {
                let f = norm_cdf(x);
                (f - i as f64 / n as f64)
                    .abs()
                    .max((f - (i + 1) as f64 / n as f64).abs())
            })
            .fold(0.0f64, f64::max);
        assert!(ks < 1.95 / (n as f64).sqrt(), "KS {ks}");
        // The tails beyond the base strip are drawn too, as often as they should be.
        let beyond = xs.iter().filter(|x| x.abs() > 3.5).count() as f64 / n as f64;
        let expected = 2.0 * (1.0 - norm_cdf(3.5));
        assert!(
            (beyond / expected - 1.0).abs() < 0.15,
            "{beyond} vs {expected}"
        );
    }

    /// Kolmogorov–Smirnov distance between sorted draws and a CDF.
    fn ks_distance(xs: &mut [f64], cdf: impl Fn(f64) -> f64) -> f64 {
        xs.sort_by(f64::total_cmp);
        let n = xs.len() as f64;
        xs.iter()
            .enumerate()
            .map(|(i, &x)| {
                let f = cdf(x);
                (f - i as f64 / n).abs().max((f - (i + 1) as f64 / n).abs())
            })
            .fold(0.0f64, f64::max)
    }

    #[test]
    fn the_exponential_ziggurat_draws_standard_exponentials() {
        use rand::SeedableRng;
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(5);
        let n = 2_000_000;
        let mut xs: Vec<f64> = (0..n).map(|_| standard_exponential(&mut rng)).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        assert!(
            (mean - 1.0).abs() < 0.003 && (var - 1.0).abs() < 0.01,
            "{mean} {var}"
        );
        assert!(xs.iter().all(|&x| x >= 0.0 && x.is_finite()));
        // The tail beyond the base strip (7.7: the slow path's inversion) and a wedge
        // region drawn as often as they should be.
        let n_f = n as f64;
        for (at, tol) in [(EXP_ZIG_R, 0.15), (3.0, 0.02)] {
            let beyond = xs.iter().filter(|&&x| x > at).count() as f64 / n_f;
            assert!(
                ((beyond / (-at).exp()) - 1.0).abs() < tol,
                "beyond {at}: {beyond}"
            );
        }
        let ks = ks_distance(&mut xs, |x| 1.0 - (-x).exp());
        assert!(ks < 1.95 / n_f.sqrt(), "KS {ks}");
    }

    /// The spliced draws (body by rejection below the threshold, tail through the
    /// exponential ziggurat, one `exp_fast` for both) follow the spliced CDF, for heavy,
    /// exponential and bounded tails, and the tail is chosen as often as it should be.
    #[test]
    fn spliced_draws_follow_the_spliced_cdf() {
        use rand::SeedableRng;
        let body = LogNormal {
            mu: (8_000.0f64).ln(),
            sigma: 1.0,
        };
        for xi in [0.3, 0.0, -0.2] {
            let s = Severity::Spliced {
                body,
                threshold: 40_000.0,
                tail_prob: 0.1,
                tail: Gpd {
                    xi,
                    sigma: 25_000.0,
                },
            };
            let sampler = SeveritySampler::new(s);
            let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(9);
            let n = 1_000_000;
            let mut xs: Vec<f64> = (0..n).map(|_| sampler.sample(&mut rng)).collect();
            let above = xs.iter().filter(|&&x| x > 40_000.0).count() as f64 / n as f64;
            assert!((above - 0.1).abs() < 0.002, "xi {xi}: tail share {above}");
            assert!(xs.iter().all(|&x| x > 0.0 && x.is_finite()), "xi {xi}");
            if xi < 0.0 {
                // Bounded: the GPD's upper end, threshold + sigma / |xi|.
                let top = 40_000.0 + 25_000.0 / 0.2;
                assert!(xs.iter().all(|&x| x <= top * (1.0 + 1e-12)), "xi {xi}");
            }
            let ks = ks_distance(&mut xs, |x| s.cdf(x));
            assert!(ks < 1.95 / (n as f64).sqrt(), "xi {xi}: KS {ks}");
        }
    }

    #[test]
    fn normal_quantile_inverts_the_cdf() {
        for &p in &[1e-10, 1e-4, 0.01, 0.02425, 0.3, 0.5, 0.9, 0.995, 1.0 - 1e-9] {
            let x = norm_quantile(p);
            assert!((norm_cdf(x) - p).abs() / p.min(1.0 - p) < 1e-9, "p = {p}");
        }
        assert!((norm_quantile(0.975) - 1.959_963_984_540_054).abs() < 1e-12);
    }

    #[test]
    fn quantile_and_cdf_agree_for_every_severity() {
        let body = LogNormal {
            mu: 9.0,
            sigma: 1.2,
        };
        let sev = [
            Severity::Exponential { mean: 1000.0 },
            Severity::LogNormal(body),
            Severity::Spliced {
                body,
                threshold: 40_000.0,
                tail_prob: 0.1,
                tail: Gpd {
                    xi: 0.4,
                    sigma: 20_000.0,
                },
            },
            Severity::Spliced {
                body,
                threshold: 40_000.0,
                tail_prob: 0.1,
                tail: Gpd {
                    xi: -0.2,
                    sigma: 20_000.0,
                },
            },
        ];
        for s in sev {
            for &q in &[0.001, 0.1, 0.5, 0.89, 0.9, 0.91, 0.99, 0.9999] {
                let x = s.quantile(q);
                assert!((s.cdf(x) - q).abs() < 1e-9, "{s:?} q = {q}");
            }
        }
    }

    #[test]
    fn spliced_mean_matches_a_numerical_integral() {
        let s = Severity::Spliced {
            body: LogNormal {
                mu: 9.0,
                sigma: 1.0,
            },
            threshold: 30_000.0,
            tail_prob: 0.08,
            tail: Gpd {
                xi: 0.3,
                sigma: 15_000.0,
            },
        };
        // E[X] = ∫ (1 − F(x)) dx, trapezoid on a fine grid far into the tail.
        let (mut integral, step) = (0.0, 10.0);
        let mut x = 0.0;
        while x < 5.0e7 {
            integral += (1.0 - 0.5 * (s.cdf(x) + s.cdf(x + step))) * step;
            x += step;
        }
        assert!(
            (integral - s.mean()).abs() / s.mean() < 2e-3,
            "{integral} vs {}",
            s.mean()
        );
    }
}
