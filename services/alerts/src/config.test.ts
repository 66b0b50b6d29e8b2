import { describe, expect, it } from 'vitest';
import { loadAlertsConfig } from './config.js';

describe('alerts config', () => {
  it('has defaults and reads the environment', () => {
    expect(loadAlertsConfig({})).toMatchObject({ receiptTimeoutMs: 10_000, resends: 1 });
    expect(loadAlertsConfig({ TICKDESK_ALERTS_RESENDS: '3' }).resends).toBe(3);
  });

  it('limits rules, cooldowns, alert rates and chat writes by default, each settable', () => {
    expect(loadAlertsConfig({})).toMatchObject({
      maxRulesPerTrader: 500,
      remoteTradersMax: 1_000,
      minCooldownSeconds: 10,
      alertsPerRule: 10,
      alertsPerOwner: 60,
      alertRateWindowMs: 60_000,
      writeRateMax: 120,
      writeRateWindowMs: 60_000,
    });
    expect(
      loadAlertsConfig({
        TICKDESK_ALERTS_MAX_RULES_PER_TRADER: '50',
        TICKDESK_ALERTS_MIN_COOLDOWN_S: '30',
        TICKDESK_ALERTS_REMOTE_TRADERS_MAX: '20',
        TICKDESK_ALERTS_PER_RULE_MAX: '2',
        TICKDESK_ALERTS_PER_OWNER_MAX: '5',
        TICKDESK_ALERTS_RATE_WINDOW_MS: '10000',
        TICKDESK_API_WRITE_RATE_MAX: '7',
        TICKDESK_API_RATE_WINDOW_MS: '5000',
      }),
    ).toMatchObject({
      maxRulesPerTrader: 50,
      minCooldownSeconds: 30,
      remoteTradersMax: 20,
      alertsPerRule: 2,
      alertsPerOwner: 5,
      alertRateWindowMs: 10_000,
      writeRateMax: 7,
      writeRateWindowMs: 5_000,
    });
    expect(() => loadAlertsConfig({ TICKDESK_ALERTS_MIN_COOLDOWN_S: '0' })).toThrow(
      /TICKDESK_ALERTS_MIN_COOLDOWN_S="0" is invalid/,
    );
  });

  it('names the variable of a bad value', () => {
    expect(() => loadAlertsConfig({ TICKDESK_ALERTS_RECEIPT_TIMEOUT_MS: '10s' })).toThrow(
      /TICKDESK_ALERTS_RECEIPT_TIMEOUT_MS="10s" is invalid/,
    );
    expect(() => loadAlertsConfig({ TICKDESK_ALERTS_RESENDS: '11' })).toThrow(/TICKDESK_ALERTS_RESENDS/);
  });
});
