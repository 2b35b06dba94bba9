/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The portal is served by the Keyhouse process itself at "/": the build goes straight into
// the Python package's static folder (never committed). In development, `npm run dev` proxies
// the API to a locally running `keyhouse serve`.
export default defineConfig({
  base: "/",
  plugins: [react()],
  build: {
    outDir: "../src/keyhouse/static/portal",
    emptyOutDir: true,
    chunkSizeWarningLimit: 2500,
    sourcemap: false,
  },
  server: {
    proxy: {
      "/api": "http://127.0.0.1:8000",
      "/healthz": "http://127.0.0.1:8000",
    },
  },
  test: {
    environment: "jsdom",
    setupFiles: ["./src/test/setup.ts"],
    css: false,
    include: ["src/**/*.test.{ts,tsx}"],
    testTimeout: 20000,
  },
});
