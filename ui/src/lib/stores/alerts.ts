import { readonly, writable } from 'svelte/store';
import { parseTimestamp } from '@tickdesk/schemas';
import { markerFor, receiptFor, type Marker } from '@tickdesk/xmpp/browser';
import type { DeskApi } from '../api/desk-api.js';
import type { FrameScheduler } from '../frame-batcher.js';
import { createEmitter } from '../emitter.js';
import { warn } from '../log.js';
import { readAlertMessage } from '../xmpp/alert-message.js';
import { fromPayload, fromRecord, type AlertView } from './alert-view.js';
import type { Notifier } from './alert-notifier.js';
import type { ConnectionStore } from './connection.js';

export interface Visibility {
  visible(): boolean;
  onChange(handler: () => void): void;
}

const newestFirst = (a: AlertView, b: AlertView) => (parseTimestamp(b.firedAt) ?? 0) - (parseTimestamp(a.firedAt) ?? 0);

/**
 * Alerts, newest first, one per id. On arrival: the delivery receipt (XEP-0184 §5.2,
 * also for a resend); once painted on a visible page with the list on screen: the
 * `displayed` marker; on the trader's click: `acknowledged` (XEP-0333 §4). A marker that
 * cannot go out now goes out after the next reconnect.
 */
export function createAlerts(deps: {
  connection: ConnectionStore;
  api: DeskApi;
  frames: FrameScheduler;
  visibility: Visibility;
  notifier: Notifier;
  alertsJid: () => string;
}) {
  const { connection } = deps;
  const items = writable<AlertView[]>([]);
  let list: AlertView[] = [];
  let shown = false;
  const owed: Array<{ view: AlertView; marker: Marker }> = [];
  const events = createEmitter<{ arrived: { id: string; rule: string } }>();

  const publish = () => items.set((list = [...list]));
  const patch = (id: string, change: Partial<AlertView>) => {
    list = list.map((a) => (a.id === id ? { ...a, ...change } : a));
    items.set(list);
  };

  async function mark(view: AlertView, marker: Marker): Promise<boolean> {
    try {
      await connection.send(markerFor(view.replyTo, view.id, marker));
      return true;
    } catch {
      owed.push({ view, marker });
      return false;
    }
  }

  function showDisplayed(): void {
    if (!shown || !deps.visibility.visible()) return;
    for (const a of list) {
      if (a.displayed || !a.markable) continue;
      patch(a.id, { displayed: true });
      void mark(a, 'displayed');
    }
  }

  connection.on('message', (stanza) => {
    const m = readAlertMessage(stanza, deps.alertsJid());
    if (m.kind === 'other') return;
    if (m.kind === 'malformed') return warn('malformed alert skipped', { from: m.from, id: m.id, reason: m.reason });
    if (m.wantsReceipt)
      connection
        .send(receiptFor(m.from, m.alert.id))
        .catch((err: unknown) => warn('receipt not sent', { id: m.alert.id, err }));
    if (list.some((a) => a.id === m.alert.id)) return;
    const view = fromPayload(m.alert, m.from, m.markable);
    list = [...list, view].sort(newestFirst);
    publish();
    deps.notifier.critical(view);
    deps.frames.request(showDisplayed);
    events.emit('arrived', { id: view.id, rule: m.alert.rule });
  });

  connection.on('online', () => {
    const retry = owed.splice(0);
    for (const { view, marker } of retry) void mark(view, marker);
    showDisplayed();
  });
  deps.visibility.onChange(showDisplayed);

  return {
    items: readonly(items),
    /** A new alert (not a resend) arrived over XMPP. */
    on: events.on,

    /** History from REST, merged with what arrived over XMPP. */
    async load(): Promise<void> {
      const page = await deps.api.alerts({ limit: 100 });
      const known = new Map(list.map((a) => [a.id, a]));
      for (const r of page.alerts) {
        const rest = fromRecord(r, deps.alertsJid());
        const mine = known.get(r.id);
        known.set(
          r.id,
          mine
            ? {
                ...mine,
                acknowledged: mine.acknowledged || rest.acknowledged,
                displayed: mine.displayed || rest.displayed,
              }
            : rest,
        );
      }
      list = [...known.values()].sort(newestFirst);
      publish();
      deps.frames.request(showDisplayed);
    },

    /** Whether the list is on screen (the alerts panel is mounted). */
    setShown(value: boolean): void {
      shown = value;
      if (value) deps.frames.request(showDisplayed);
    },

    acknowledge(id: string): void {
      const view = list.find((a) => a.id === id);
      if (!view || view.acknowledged) return;
      patch(id, { acknowledged: true, displayed: true });
      if (!view.displayed && view.markable) void mark(view, 'displayed');
      void mark(view, 'acknowledged');
    },

    clear(): void {
      list = [];
      owed.length = 0;
      publish();
    },
  };
}
