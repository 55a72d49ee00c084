import { defineConfig } from "vite";

// `npm run dev` serves the console on http://localhost:5173 and forwards gRPC-Web calls (paths
// like /uwallet.auth.v1.AuthService/Login) to the gateway's HTTP listener, so the page and its API
// share an origin just as when the gateway serves dist/ with --web-root.
// UWALLET_GATEWAY_HTTP overrides the gateway address (default http://127.0.0.1:8080).
const gateway = process.env.UWALLET_GATEWAY_HTTP ?? "http://127.0.0.1:8080";

export default defineConfig({
  base: "/",
  build: { outDir: "dist", emptyOutDir: true, target: "es2022", sourcemap: false },
  server: {
    port: 5173,
    strictPort: true,
    proxy: {
      "^/(uwallet|grpc)\\.[^/]+/[^/]+$": { target: gateway, changeOrigin: false },
    },
  },
});
