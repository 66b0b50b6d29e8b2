import { describe, expect, it } from 'vitest';
import { loadWebhooksConfig } from './webhook-config.js';

describe('webhook settings', () => {
  it('defaults as documented: 5 s, 8 attempts from 30 s capped at 20 min, 4 at once, 64 KiB, 5 per owner, no private addresses', () => {
    expect(loadWebhooksConfig({})).toEqual({
      timeoutMs: 5_000,
      attempts: 8,
      backoffBaseMs: 30_000,
      backoffCapMs: 1_200_000,
      concurrency: 4,
      responseMaxBytes: 65_536,
      perOwnerMax: 5,
      allowPrivate: false,
      pollMs: 200,
    });
  });

  it('reads the variables, and a bad value stops with its name', () => {
    const c = loadWebhooksConfig({ TICKDESK_WEBHOOKS_ALLOW_PRIVATE: 'true', TICKDESK_WEBHOOKS_ATTEMPTS: '3' });
    expect(c).toMatchObject({ allowPrivate: true, attempts: 3 });
    expect(() => loadWebhooksConfig({ TICKDESK_WEBHOOKS_CONCURRENCY: '0' })).toThrow(/TICKDESK_WEBHOOKS_CONCURRENCY/);
    expect(() => loadWebhooksConfig({ TICKDESK_WEBHOOKS_ALLOW_PRIVATE: 'yes' })).toThrow(
      /TICKDESK_WEBHOOKS_ALLOW_PRIVATE/,
    );
  });
});
