import WebSocket, { type RawData } from 'ws';

export interface SessionOptions {
  WebSocketImpl: typeof WebSocket;
  url: string;
  signal: AbortSignal;
  /** Close a connection that has carried no message and no ping for this long. */
  idleTimeoutMs: number;
  onOpen(): void;
  /** May throw; the session then ends and the error is returned as `fatal`. */
  onMessage(text: string): void;
}

export interface SessionEnd {
  /** How long the connection was open, 0 if it never opened. */
  openMs: number;
  code?: number;
  error?: Error;
  fatal?: Error;
}

function text(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

/**
 * One WebSocket connection, from connect to close. Resolves (never rejects) when the
 * socket has closed, whatever the cause, so nothing of it outlives the promise. ws
 * answers the venue's pings itself (RFC 6455 §5.5.2), which Binance requires.
 */
export function runSession(opts: SessionOptions): Promise<SessionEnd> {
  const { WebSocketImpl, url, signal, idleTimeoutMs } = opts;
  return new Promise<SessionEnd>((resolve) => {
    const ws = new WebSocketImpl(url);
    const end: SessionEnd = { openMs: 0 };
    let openedAt: number | undefined;
    let lastActivity = performance.now();
    let idleTimer: NodeJS.Timeout | undefined;
    const touch = (): void => {
      lastActivity = performance.now();
    };
    const onAbort = (): void => ws.terminate();
    signal.addEventListener('abort', onAbort, { once: true });

    ws.on('open', () => {
      openedAt = performance.now();
      touch();
      idleTimer = setInterval(
        () => {
          if (performance.now() - lastActivity > idleTimeoutMs) {
            end.error = new Error(`no data for ${idleTimeoutMs} ms`);
            ws.terminate();
          }
        },
        Math.max(10, idleTimeoutMs / 4),
      );
      opts.onOpen();
    });
    ws.on('message', (data: RawData) => {
      touch();
      if (end.fatal !== undefined) return;
      try {
        opts.onMessage(text(data));
      } catch (err) {
        end.fatal = err instanceof Error ? err : new Error(String(err), { cause: err });
        ws.terminate();
      }
    });
    ws.on('ping', touch);
    ws.on('error', (err: Error) => {
      end.error ??= err;
    });
    ws.on('close', (code: number) => {
      clearInterval(idleTimer);
      signal.removeEventListener('abort', onAbort);
      end.code = code;
      if (openedAt !== undefined) end.openMs = performance.now() - openedAt;
      resolve(end);
    });
  });
}
