import xml, { type Element } from '@xmpp/xml';
import { NS } from './namespaces.js';

// XEP-0333: Displayed Markers (chat markers, namespace urn:xmpp:chat-markers:0).
export const NS_MARKERS = NS.markers;
export type Marker = 'received' | 'displayed' | 'acknowledged';
const MARKERS: readonly Marker[] = ['received', 'displayed', 'acknowledged'];

export const markable = (): Element => xml('markable', { xmlns: NS_MARKERS });
export const isMarkable = (message: Element): boolean => Boolean(message.getChild('markable', NS_MARKERS));

/** §4 a marker for message `id`, sent as a chat message to its sender. */
export function markerFor(to: string, id: string, marker: Marker): Element {
  return xml('message', { to, type: 'chat', id: `${marker}-${id}` }, xml(marker, { xmlns: NS_MARKERS, id }));
}

export function parseMarker(message: Element): { from: string; id: string; marker: Marker } | undefined {
  if (message.name !== 'message' || message.attrs.type === 'error') return undefined;
  for (const marker of MARKERS) {
    const el = message.getChild(marker, NS_MARKERS);
    const id = el?.attrs.id as string | undefined;
    const from = message.attrs.from as string | undefined;
    if (el && id && from) return { from, id, marker };
  }
  return undefined;
}
