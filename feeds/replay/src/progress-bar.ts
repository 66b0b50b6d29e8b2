/** Where the bar is drawn: process.stderr, or any stream that says whether it is a terminal. */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressBar {
  update(bytesRead: number, ticks: number): void;
  finish(bytesRead: number, ticks: number): void;
}

const NO_BAR: ProgressBar = { update: () => {}, finish: () => {} };
const REDRAW_MS = 100;

/**
 * A one-line bar (percent of bytes read, ticks/s) redrawn at most 10 times a second,
 * only on a terminal: piped or logged output stays free of control characters.
 */
export function createProgressBar(
  option: boolean | ProgressStream | undefined,
  totalBytes: number,
  clockMs: () => number = () => performance.now(),
): ProgressBar {
  const stream = option === true ? process.stderr : option || undefined;
  if (!stream?.isTTY) return NO_BAR;
  let lastDraw = -Infinity;
  let lastTicks = 0;
  let rate = 0;

  function draw(bytesRead: number, ticks: number, now: number): void {
    if (Number.isFinite(lastDraw) && now > lastDraw) rate = ((ticks - lastTicks) * 1000) / (now - lastDraw);
    lastDraw = now;
    lastTicks = ticks;
    const fraction = totalBytes > 0 ? Math.min(1, bytesRead / totalBytes) : 1;
    const tail = ` ${(fraction * 100).toFixed(1).padStart(5)}%  ${Math.round(rate).toLocaleString('en-US')} ticks/s`;
    const width = Math.max(10, Math.min(50, (stream!.columns ?? 80) - tail.length - 3));
    const filled = Math.round(fraction * width);
    // \r returns to column 0, ESC[2K clears the line (ECMA-48 EL).
    stream!.write(`\r\x1b[2K[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]${tail}`);
  }

  return {
    update(bytesRead, ticks) {
      const now = clockMs();
      if (now - lastDraw >= REDRAW_MS) draw(bytesRead, ticks, now);
    },
    finish(bytesRead, ticks) {
      draw(bytesRead, ticks, clockMs());
      stream.write('\n');
    },
  };
}
