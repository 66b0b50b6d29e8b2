import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadDeskConfig } from './config.js';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

describe('desk configuration', () => {
  it('has working defaults', () => {
    const c = loadDeskConfig({});
    expect(c).toMatchObject({ TICKDESK_DOMAIN: 'desk.localhost', TICKDESK_XMPP_PORT: 5222, TICKDESK_REDIS_PORT: 6380, TICKDESK_FEED: 'synthetic' });
  });

  it('replays a file inside the repository by default, so a clone needs nothing beside it', () => {
    const file = loadDeskConfig({}).TICKDESK_REPLAY_FILE;
    expect(file.startsWith(REPO_ROOT) && !file.slice(REPO_ROOT.length).split('/').includes('..')).toBe(true);
    expect(file).toMatch(/feeds\/replay\/data\/binance-futures-btcusdt-trades\.csv$/);
    expect(existsSync(file)).toBe(true);
  });

  it('reads numbers and choices', () => {
    expect(loadDeskConfig({ TICKDESK_XMPP_PORT: '15222', TICKDESK_FEED: 'replay', TICKDESK_REPLAY_SPEED: 'max' })).toMatchObject({ TICKDESK_XMPP_PORT: 15222, TICKDESK_FEED: 'replay', TICKDESK_REPLAY_SPEED: 'max' });
  });

  it.each([
    ['TICKDESK_XMPP_PORT', '70000', /TICKDESK_XMPP_PORT="70000".*integer from 1 to 65535/],
    ['TICKDESK_REDIS_PORT', 'six', /TICKDESK_REDIS_PORT="six"/],
    ['TICKDESK_FEED', 'bloomberg', /TICKDESK_FEED=.*one of synthetic, replay, binance/],
    ['TICKDESK_FEED_RATE', '0', /TICKDESK_FEED_RATE/],
    ['TICKDESK_REPLAY_SPEED', 'fast', /TICKDESK_REPLAY_SPEED/],
    ['TICKDESK_DOMAIN', 'Desk Local', /TICKDESK_DOMAIN/],
  ])('refuses %s=%s with a message naming the variable', (name, value, message) => {
    expect(() => loadDeskConfig({ [name]: value })).toThrow(message);
  });
});
