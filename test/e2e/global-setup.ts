import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { CHROMIUM } from '../support/browser.js';
import { CLI, removeHome, stopDesk, type E2eSetup } from './e2e-desk.js';

const DASHBOARD = fileURLToPath(new URL('../../ui/dist/index.html', import.meta.url));

declare module 'vitest' {
  export interface ProvidedContext {
    e2e: E2eSetup;
  }
}

let home: string | undefined;

/**
 * The folder of the project's desk: `tickdesk up` from the build on ejabberd for a project
 * named `*-ejabberd`, on Prosody otherwise. The desk itself starts with the project's
 * first file (desk-ready.ts, e2e-desk.ts) and stops after its last, or here at the end
 * of the run.
 */
export async function setup(project: TestProject): Promise<void> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (npm run build)`);
  if (!existsSync(DASHBOARD))
    throw new Error(`${DASHBOARD} is missing: build the dashboard first (npm run build -w @tickdesk/ui)`);
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium (npm test installs it as root)`);
  const xmppServer = project.name.endsWith('-ejabberd') ? 'ejabberd' : 'prosody';
  home = mkdtempSync(join(tmpdir(), `tickdesk-e2e-${xmppServer}-`));
  const files = (await project.globTestFiles()).testFiles.length;
  project.provide('e2e', { home, xmppServer, runner: process.pid, files });
}

export async function teardown(): Promise<void> {
  if (!home) return;
  await stopDesk(home);
  removeHome(home);
}
