import { defineConfig, defaultClientConditions } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// The desk's one origin in development: the API serves /v1 and proxies /xmpp-websocket to Prosody.
const DESK = 'http://localhost:8080';

export default defineConfig({
  plugins: [svelte()],
  // Workspace packages from their TypeScript sources, so the build never needs their dist.
  resolve: { conditions: ['tickdesk-source', ...defaultClientConditions] },
  server: {
    proxy: {
      '/v1': DESK,
      // The API admits WebSockets only from its own origin (TICKDESK_API_ALLOWED_ORIGINS).
      '/xmpp-websocket': { target: DESK, ws: true, headers: { origin: DESK } },
    },
  },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', sourcemap: true, chunkSizeWarningLimit: 800 },
});
