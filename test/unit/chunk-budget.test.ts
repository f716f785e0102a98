import { describe, expect, it } from 'vitest';
import { ChunkBudget, yieldToEventLoop } from '../../src/worker/chunk-budget';

describe('ChunkBudget', () => {
  it('uses firstRows before timings', () => {
    expect(new ChunkBudget().nextRows()).toBe(256);
    expect(new ChunkBudget(12, 16, 16_384, 100).nextRows()).toBe(100);
  });

  it('sizes chunk from one timing', () => {
    const budget = new ChunkBudget(12, 16, 16_384, 256);
    budget.record(256, 6);

    // 6 ms for 256 rows is 0.0234375 ms a row, so 12 ms fits 512 rows.
    expect(budget.nextRows()).toBe(512);
  });

  it('moves toward budget after slow then fast', () => {
    const budget = new ChunkBudget(12, 16, 16_384, 256);
    budget.record(100, 60);
    const afterSlow = budget.nextRows();
    budget.record(100, 0.6);
    const afterFast = budget.nextRows();

    // Slow: 0.6 ms a row gives 12 / 0.6 = 20 rows. Fast: 0.006 ms a row, so the target is
    // 12 / 0.006 = 2,000 rows, and the moving average takes the size part of the way there.
    expect(afterSlow).toBe(20);
    expect(afterFast).toBeGreaterThan(afterSlow);
    expect(afterFast).toBeLessThan(2000);

    const sizes = [afterFast];
    for (let i = 0; i < 30; i++) {
      budget.record(100, 0.6);
      sizes.push(budget.nextRows());
    }

    for (let i = 1; i < sizes.length; i++) {
      expect(sizes[i], `after ${i} more fast timings`).toBeGreaterThanOrEqual(sizes[i - 1]!);
      expect(sizes[i], `after ${i} more fast timings`).toBeLessThanOrEqual(2000);
    }
    // Within 1% of the target after 30 more timings.
    expect(sizes.at(-1)).toBeGreaterThanOrEqual(1980);
  });

  it('clamps slow timing to minRows', () => {
    const budget = new ChunkBudget(10, 16, 16_384, 256);
    budget.record(100, 100);

    // 1 ms a row gives 10 rows, below minRows.
    expect(budget.nextRows()).toBe(16);
  });

  it('shrinks after fast then slow', () => {
    const budget = new ChunkBudget(12, 16, 16_384, 256);
    budget.record(1000, 6);
    const afterFast = budget.nextRows();
    budget.record(100, 60);
    const afterSlow = budget.nextRows();

    // Fast: 0.006 ms a row gives 2,000 rows. Slow: 0.7 * 0.006 + 0.3 * 0.6 = 0.1842 ms a row
    // gives floor(12 / 0.1842) = 65 rows.
    expect(afterFast).toBe(2000);
    expect(afterSlow).toBe(65);
  });

  it('stays within min and max rows', () => {
    const budget = new ChunkBudget(12, 16, 4096, 256);
    const timings: [number, number][] = [[10, 1000], [10_000, 0], [1, 0.001], [500, 500], [16, 10_000], [8000, 0.5]];

    for (const [rows, elapsedMs] of timings) {
      budget.record(rows, elapsedMs);
      const next = budget.nextRows();
      expect(next, `after ${rows} rows in ${elapsedMs} ms`).toBeGreaterThanOrEqual(16);
      expect(next, `after ${rows} rows in ${elapsedMs} ms`).toBeLessThanOrEqual(4096);
      expect(Number.isInteger(next), `after ${rows} rows in ${elapsedMs} ms`).toBe(true);
    }
  });

  it('caps zero-time chunk at maxRows', () => {
    const budget = new ChunkBudget(12, 16, 16_384, 256);
    budget.record(256, 0);

    expect(budget.nextRows()).toBe(16_384);
  });

  it('ignores empty chunk timing', () => {
    const budget = new ChunkBudget(12, 16, 16_384, 256);
    budget.record(0, 50);

    expect(budget.nextRows()).toBe(256);
  });
});

describe('yieldToEventLoop', () => {
  it('resolves after queued microtasks', async () => {
    let microtaskRan = false;
    queueMicrotask(() => {
      microtaskRan = true;
    });
    await yieldToEventLoop();

    expect(microtaskRan).toBe(true);
  });
});
