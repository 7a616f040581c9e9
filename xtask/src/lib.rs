//! Repository tasks (not shipped): [`cu`], the compute-unit benchmark and budgets of the
//! SBF binaries, used by the `cu-bench` binary and `xtask/tests/cu_budgets.rs`; the `idl`
//! binary generates the IDLs and the TypeScript client's typed copies.

pub mod cu;
