// Builds the SPA into ../web-dist, which the daemon embeds and serves with a strict CSP
// (no inline scripts or styles), so everything must end up in hashed files under assets/.
import { defineConfig } from "vitest/config";
import react from "@vitejs/plugin-react";
import tailwindcss from "@tailwindcss/vite";

// The debug daemon the dev server forwards to; see README "Developing" in web/.
const daemon = process.env.OMEGACHAT_DEV_DAEMON ?? "http://127.0.0.1:18300";

// The daemon's header, repeated for `vite preview` so a production build is tried under the same rules.
const csp =
  "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data: https:; style-src 'self'; " +
  "script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

const proxy = {
  "/api": { target: daemon },
  "/socket.io": { target: daemon, ws: true },
};

export default defineConfig({
  plugins: [react(), tailwindcss()],
  build: {
    outDir: "../web-dist",
    // The output folder sits outside web/, so Vite would otherwise refuse to clean it; stale hashed
    // files must not linger in the embedded bundle.
    emptyOutDir: true,
    // Every browser we target has native modulepreload; the polyfill is dead weight.
    modulePreload: { polyfill: false },
    target: "es2022",
    sourcemap: false,
    reportCompressedSize: false,
  },
  server: { host: "127.0.0.1", port: 5173, strictPort: true, proxy },
  preview: { host: "127.0.0.1", port: 4173, strictPort: true, proxy, headers: { "Content-Security-Policy": csp } },
  test: {
    environment: "happy-dom",
    include: ["src/**/*.test.{ts,tsx}"],
    setupFiles: ["src/test/setup.ts"],
    restoreMocks: true,
  },
});
