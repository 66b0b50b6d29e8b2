import { describe, expect, it } from 'vitest';
import { loadAlertsConfig } from './config.js';

describe('alerts config', () => {
  it('has defaults and reads the environment', () => {
    expect(loadAlertsConfig({})).toMatchObject({ receiptTimeoutMs: 10_000, resends: 1 });
    expect(loadAlertsConfig({ TICKDESK_ALERTS_RESENDS: '3' }).resends).toBe(3);
  });

  it('names the variable of a bad value', () => {
    expect(() => loadAlertsConfig({ TICKDESK_ALERTS_RECEIPT_TIMEOUT_MS: '10s' })).toThrow(/TICKDESK_ALERTS_RECEIPT_TIMEOUT_MS="10s" is invalid/);
    expect(() => loadAlertsConfig({ TICKDESK_ALERTS_RESENDS: '11' })).toThrow(/TICKDESK_ALERTS_RESENDS/);
  });
});
