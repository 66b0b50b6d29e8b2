import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { svelteTesting } from '@testing-library/svelte/vite';

// Workspace packages resolve to their TypeScript sources in tests (the
// `tickdesk-source` export condition), so tests never run against a stale build.
// Since Vite 6, `resolve.conditions` applies to the browser-like environment only; tests
// in `environment: 'node'` resolve through `ssr.resolve.conditions`, which replaces
// Vite's server defaults (`module`, `node`, `development|production`), so they are
// listed again.
const resolve = { conditions: ['tickdesk-source'] };
const ssr = { resolve: { conditions: ['tickdesk-source', 'module', 'node', 'development|production'] } };

// The integration and e2e files share one private Prosody and Redis (one desk), so each
// project runs its files one after the other in a single fork. `fileParallelism: false`
// is a root-only option in Vitest 3.2 (the forks pool reads the root config), so inside
// a project it was silently ignored; `poolOptions.forks.singleFork` is read per project
// by the pool (and `singleThread` if someone runs `--pool threads`). The pool runs such
// files after the parallel ones of the same group.
// Every file still gets fresh copies of our own modules (only node_modules stay loaded).
// test/support/serial-guard.ts fails the run if two of these files ever overlap.
const serial = {
  pool: 'forks' as const,
  poolOptions: { forks: { singleFork: true }, threads: { singleThread: true } },
  setupFiles: ['test/support/serial-guard.ts'],
};

export default defineConfig({
  resolve,
  test: {
    projects: [
      {
        resolve,
        ssr,
        test: {
          name: 'unit',
          include: [
            'schemas/src/**/*.test.ts',
            'infra/src/**/*.test.ts',
            'services/*/src/**/*.test.ts',
            'feeds/*/src/**/*.test.ts',
          ],
          environment: 'node',
        },
      },
      {
        resolve,
        ssr,
        test: {
          ...serial,
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/integration/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        // The same files against ejabberd: the global setup starts ejabberd for a project
        // named `*-ejabberd`. A group of its own, after Prosody's run: the two desks'
        // files never run at once (the serial guard's lock is per run and would say so).
        resolve,
        ssr,
        test: {
          ...serial,
          name: 'integration-ejabberd',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/integration/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          sequence: { groupOrder: 1 },
        },
      },
      {
        resolve,
        ssr,
        test: {
          ...serial,
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          // A real desk (`tickdesk up` from the build, serving the built dashboard) on its
          // own free ports and folder, driven by Debian's headless Chromium. The global
          // setup (run for every project before the first test) only makes the folder:
          // the project's first file starts the desk (desk-ready.ts), so it does not idle
          // through the unit, ui and integration groups (0 and 1; 0.15 of a core each), and
          // it stops after the last file.
          globalSetup: ['test/e2e/global-setup.ts'],
          setupFiles: [...serial.setupFiles, 'test/e2e/desk-ready.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          sequence: { groupOrder: 2 },
        },
      },
      {
        // The same files against a desk on ejabberd (the global setup reads `*-ejabberd`
        // from the project name): a group of its own after Prosody's, so the two desks'
        // browsers never run at once.
        resolve,
        ssr,
        test: {
          ...serial,
          name: 'e2e-ejabberd',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/e2e/global-setup.ts'],
          setupFiles: [...serial.setupFiles, 'test/e2e/desk-ready.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          sequence: { groupOrder: 3 },
        },
      },
      {
        // Three ejabberd nodes joined into one cluster on 127.0.0.1 (their own folder and
        // free ports), after every other server-backed group.
        resolve,
        ssr,
        test: {
          ...serial,
          name: 'cluster',
          include: ['test/cluster/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 180_000,
          sequence: { groupOrder: 4 },
        },
      },
      {
        // Redis Sentinel: a primary, a replica and three sentinels on free loopback ports
        // (their own folder), killed and failed over; after every other server-backed group.
        resolve,
        ssr,
        test: {
          ...serial,
          name: 'sentinel',
          include: ['test/sentinel/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 120_000,
          sequence: { groupOrder: 5 },
        },
      },
      {
        // The chaos suite: a whole desk from the build (Prosody, Redis in Sentinel mode) with
        // a part killed during each burst of alerts (test/chaos/); last, alone.
        resolve,
        ssr,
        test: {
          ...serial,
          name: 'chaos',
          include: ['test/chaos/**/*.test.ts'],
          environment: 'node',
          testTimeout: 240_000,
          hookTimeout: 240_000,
          sequence: { groupOrder: 6 },
        },
      },
      {
        // Two desks (`tickdesk up` from the build, Prosody) peered over XMPP server-to-server,
        // each in its own folder on free ports (test/federation/peered-desks.ts); alone, last.
        resolve,
        ssr,
        test: {
          ...serial,
          name: 'federation',
          include: ['test/federation/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 300_000,
          sequence: { groupOrder: 7 },
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
