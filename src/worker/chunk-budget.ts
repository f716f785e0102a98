/**
 * Sizes batch chunks by time rather than by row count: each chunk should take about `budgetMs` on
 * this device, so a real-time request queued behind it waits at most that long.
 */
export class ChunkBudget {
  private msPerRow: number | null = null;

  constructor(
    readonly budgetMs = 12,
    readonly minRows = 16,
    readonly maxRows = 16_384,
    /** Rows in the first chunk, before any timing is known. */
    readonly firstRows = 256,
  ) {}

  /** Rows the next chunk should have. */
  nextRows(): number {
    if (this.msPerRow === null) return this.firstRows;
    const rows = Math.floor(this.budgetMs / Math.max(this.msPerRow, 1e-6));
    return Math.min(this.maxRows, Math.max(this.minRows, rows));
  }

  /** Records that `rows` rows took `elapsedMs`; an exponential moving average smooths the noise. */
  record(rows: number, elapsedMs: number): void {
    if (rows <= 0) return;
    const sample = elapsedMs / rows;
    this.msPerRow = this.msPerRow === null ? sample : 0.7 * this.msPerRow + 0.3 * sample;
  }
}

/**
 * Yields to the worker's event loop so queued messages (real-time requests) are handled. A
 * MessageChannel round trip is used because nested setTimeout calls are clamped to 4 ms.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}
