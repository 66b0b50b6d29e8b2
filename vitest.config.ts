import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { svelteTesting } from '@testing-library/svelte/vite';

// Workspace packages resolve to their TypeScript sources in tests (the
// `tickdesk-source` export condition), so tests never run against a stale build.
const resolve = { conditions: ['tickdesk-source'] };

export default defineConfig({
  resolve,
  test: {
    projects: [
      {
        resolve,
        test: {
          name: 'unit',
          include: ['schemas/src/**/*.test.ts', 'infra/src/**/*.test.ts', 'services/*/src/**/*.test.ts', 'feeds/*/src/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        resolve,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/integration/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        resolve,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          // A real desk (`tickdesk up` from the build, serving the built dashboard) on its
          // own free ports and folder, driven by Debian's headless Chromium.
          globalSetup: ['test/e2e/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
          // Every project's global setup runs before the first test, so the e2e desk is up
          // (20 ticks/s, about a tenth of a core) while the others run; its browsers start
          // only after every other project has finished (group 0 runs first).
          sequence: { groupOrder: 1 },
        },
      },
      {
        // The dashboard: Svelte components and stores in happy-dom, browser builds of
        // dependencies, workspace packages from source.
        plugins: [svelte({ configFile: './ui/svelte.config.js' }), svelteTesting()],
        resolve: { conditions: ['browser', 'tickdesk-source'] },
        test: {
          name: 'ui',
          include: ['ui/src/**/*.test.ts'],
          environment: 'happy-dom',
        },
      },
    ],
  },
});
