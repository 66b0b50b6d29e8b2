import { readonly, writable } from 'svelte/store';
import type { AlertView } from './alert-view.js';

const KEY = 'tickdesk.alert-sound';

export interface NotifierDeps {
  /** A preference, not a secret: whether critical alerts make a sound. */
  storage?: Pick<Storage, 'getItem' | 'setItem'>;
  beep?: () => void;
  notify?: (title: string, body: string, tag: string) => void;
  askPermission?: () => void;
}

/** Sound and a browser notification for critical alerts, when the trader turned them on. */
export function createNotifier(deps: NotifierDeps = {}) {
  const enabled = writable(deps.storage?.getItem(KEY) === 'on');
  let on = deps.storage?.getItem(KEY) === 'on';
  return {
    enabled: readonly(enabled),
    setEnabled(value: boolean): void {
      on = value;
      enabled.set(value);
      deps.storage?.setItem(KEY, value ? 'on' : 'off');
      if (value) deps.askPermission?.();
    },
    critical(alert: AlertView): void {
      if (!on || alert.priority !== 'critical') return;
      deps.beep?.();
      deps.notify?.(
        `${alert.symbol} ${alert.conditionText}`,
        `price ${alert.price}${alert.message ? ` · ${alert.message}` : ''}`,
        alert.id,
      );
    },
  };
}

export type Notifier = ReturnType<typeof createNotifier>;

/** The browser's side: a short WebAudio tone and the Notification API, both optional. */
export const browserNotifierDeps = (): NotifierDeps => ({
  storage: globalThis.localStorage,
  beep() {
    const Ctx = globalThis.AudioContext;
    if (!Ctx) return;
    const ctx = new Ctx();
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.frequency.value = 880;
    gain.gain.setValueAtTime(0.15, ctx.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, ctx.currentTime + 0.4);
    osc.connect(gain).connect(ctx.destination);
    osc.start();
    osc.stop(ctx.currentTime + 0.4);
    osc.onended = () => void ctx.close();
  },
  notify(title, body, tag) {
    if (globalThis.Notification?.permission === 'granted') new Notification(title, { body, tag });
  },
  askPermission() {
    if (globalThis.Notification?.permission === 'default') void Notification.requestPermission();
  },
});
