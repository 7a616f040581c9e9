/** TypeScript client of the segregated insurance pool. */
export * from "./constants.js";
export * from "./amount.js";
export * from "./pda.js";
export * from "./errors.js";
export * from "./client.js";
export { INSURANCE_POOL_IDL, type InsurancePool } from "./idl/insurance_pool.js";
export { EXAMPLE_EXCHANGE_IDL, type ExampleExchange } from "./idl/example_exchange.js";
