// web3.js and Anchor use Node's Buffer; browsers do not have it.
import { Buffer } from "buffer";

(globalThis as unknown as { Buffer: typeof Buffer }).Buffer ??= Buffer;
