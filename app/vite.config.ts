import { fileURLToPath } from "node:url";

import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The client is used from its TypeScript source (one build, no dist/ step); its
// Solana and Anchor imports resolve to this app's copies (one PublicKey class).
export default defineConfig({
  plugins: [react()],
  resolve: {
    alias: { "@insurance-pool/client": fileURLToPath(new URL("../clients/ts/src/index.ts", import.meta.url)) },
    dedupe: ["@solana/web3.js", "@anchor-lang/core", "@solana/spl-token", "buffer"],
  },
  define: { "process.env": {}, global: "globalThis" },
  server: { port: 5173, strictPort: false, fs: { allow: [".."] } },
  build: { chunkSizeWarningLimit: 4000 },
});
