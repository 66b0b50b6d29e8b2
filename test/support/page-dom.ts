/**
 * The DOM as the functions handed to playwright (page.evaluate, waitForFunction, $eval,
 * evaluateAll, addInitScript) use it. They run in Chromium, but are type-checked in a program
 * whose lib is Node's; `/// <reference lib="dom" />` is not an option for a few files, as it
 * applies to the whole program (the DOM's BufferSource then rejects services/xmpp's
 * crypto.subtle arguments). So each shape here is the subset of its DOM interface these tests
 * use, and a browser-driving file declares the globals it uses at module scope, visible to that
 * file only: `declare const document: PageDocument;`.
 */

/** Element (DOM §4.9) with HTMLElement's `dataset` (HTML §3.2.6.6). */
export interface PageElement {
  readonly tagName: string;
  readonly dataset: Readonly<Record<string, string | undefined>>;
  getAttribute(name: string): string | null;
}

export interface PageDocument {
  readonly body: PageElement;
  querySelector(selectors: string): PageElement | null;
  querySelectorAll(selectors: string): Iterable<PageElement>;
}

/** MutationObserver (DOM §4.3.1), with the options these tests use. */
export type PageMutationObserver = new (callback: () => void) => {
  observe(
    target: PageElement,
    options: { subtree?: boolean; childList?: boolean; attributes?: boolean; attributeFilter?: string[] },
  ): void;
};

/** The page's WebSocket class (WHATWG WebSockets §3.1), as the init scripts wrap it. */
export type PageWebSocketClass = new (url: string | URL, protocols?: string | string[]) => PageWebSocket;

export interface PageWebSocket {
  addEventListener(type: 'message', listener: () => void): void;
  dispatchEvent(event: object): boolean;
}

/** MessageChannel (HTML §9.4.3): a port's `onmessage` runs as a task of its own. */
export type PageMessageChannel = new () => {
  port1: { onmessage: (() => void) | null };
  port2: { postMessage(message: unknown): void };
};

/** MessageEvent (HTML §9.2.1): what a socket dispatches for each frame it receives. */
export type PageMessageEventClass = new (type: 'message', init: { data: unknown }) => object;

/** PerformanceObserver (Performance Timeline §3) for Event Timing entries, which Node's does not know. */
export type PagePerformanceObserver = new (
  callback: (list: { getEntries(): Array<{ name: string; duration: number }> }) => void,
) => { observe(options: { type: 'event'; durationThreshold: number; buffered: boolean }): void };
