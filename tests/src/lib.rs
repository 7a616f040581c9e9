//! Integration tests of the insurance pool: the scenarios are `tests/*.rs`, the harness
//! is the `insurance-pool-testkit` crate.
