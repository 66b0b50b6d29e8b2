import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type LaunchOptions, type Page } from 'playwright-core';

/** Debian's chromium (scripts/bootstrap.mjs installs it); playwright-core never downloads a browser. */
export const CHROMIUM = process.env.TICKDESK_CHROMIUM ?? '/usr/bin/chromium';

/** Headless and quiet: no GPU, no background traffic to Google, no QUIC, no first-run UI. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-quic',
  '--disable-sync',
];

export interface BrowserSession {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/**
 * Each session is its own Chromium with a fresh user-data-dir (nothing shared between
 * two users' sessions: storage, cookies, service workers), removed on close.
 */
export async function openBrowser(
  opts: { viewport?: { width: number; height: number }; args?: string[]; launch?: LaunchOptions } = {},
): Promise<BrowserSession> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'tickdesk-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [...CHROMIUM_ARGS, ...(opts.args ?? [])],
      viewport: opts.viewport ?? { width: 1440, height: 900 },
      ...opts.launch,
    });
  } catch (err) {
    rmSync(userDataDir, { recursive: true, force: true });
    throw err;
  }
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    async close() {
      await context.close().catch(() => undefined);
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** A plain `chromium.launch` (one browser, contexts made by the caller) with the same executable and flags. */
export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_ARGS, ...extraArgs] });
}
