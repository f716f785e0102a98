import { describe, expect, it } from 'vitest';
import { isAbortError } from '../../src/shared/errors';
import { Scheduler } from '../../src/worker/scheduler';

/** Creates a promise and returns it with its resolve function, so a test decides when a task's work finishes. */
function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

/** Settles a promise into a value or an error, so a rejection can be checked without a try block. */
async function settle<T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  try {
    return { value: await promise };
  } catch (error) {
    return { error };
  }
}

describe('Scheduler', () => {
  it('starts first task at once', () => {
    const scheduler = new Scheduler();
    const gate = deferred();
    let started = false;

    void scheduler.schedule('batch', async () => {
      started = true;
      await gate.promise;
    });

    expect(started).toBe(true);
    expect(scheduler.pending('batch')).toBe(0);
    gate.resolve();
  });

  it('runs realtime before queued batch', async () => {
    const scheduler = new Scheduler();
    const order: string[] = [];
    const gate = deferred();

    const tasks = [
      scheduler.schedule('batch', async () => {
        order.push('batch 1');
        await gate.promise;
      }),
      scheduler.schedule('batch', async () => {
        order.push('batch 2');
      }),
      scheduler.schedule('realtime', async () => {
        order.push('realtime 1');
      }),
      scheduler.schedule('realtime', async () => {
        order.push('realtime 2');
      }),
    ];

    expect(scheduler.pending('batch')).toBe(1);
    expect(scheduler.pending('realtime')).toBe(2);

    gate.resolve();
    await Promise.all(tasks);

    expect(order).toEqual(['batch 1', 'realtime 1', 'realtime 2', 'batch 2']);
  });

  it('resolves with work result', async () => {
    const scheduler = new Scheduler();

    expect(await scheduler.schedule('realtime', async () => 42)).toBe(42);
  });

  it('supersedes queued task on channel', async () => {
    const scheduler = new Scheduler();
    const gate = deferred();
    let firstRan = false;

    const batch = scheduler.schedule('batch', () => gate.promise);
    const first = settle(
      scheduler.schedule(
        'realtime',
        async () => {
          firstRan = true;
          return 'first';
        },
        { channel: 'form' },
      ),
    );
    const second = scheduler.schedule('realtime', async () => 'second', { channel: 'form' });

    expect(scheduler.pending('realtime')).toBe(1);

    gate.resolve();
    const firstOutcome = await first;

    expect(isAbortError(firstOutcome.error)).toBe(true);
    expect((firstOutcome.error as DOMException).message).toContain('"form"');
    expect(await second).toBe('second');
    expect(firstRan).toBe(false);
    await batch;
  });

  it('keeps other channels queued', async () => {
    const scheduler = new Scheduler();
    const gate = deferred();

    const batch = scheduler.schedule('batch', () => gate.promise);
    const form = scheduler.schedule('realtime', async () => 'form', { channel: 'form' });
    const preview = scheduler.schedule('realtime', async () => 'preview', { channel: 'preview' });
    const untagged = scheduler.schedule('realtime', async () => 'untagged');

    gate.resolve();

    expect(await form).toBe('form');
    expect(await preview).toBe('preview');
    expect(await untagged).toBe('untagged');
    await batch;
  });

  it('never supersedes running task', async () => {
    const scheduler = new Scheduler();
    const gate = deferred();
    const order: string[] = [];

    const first = scheduler.schedule(
      'realtime',
      async () => {
        order.push('first started');
        await gate.promise;
        order.push('first finished');
        return 'first';
      },
      { channel: 'form' },
    );
    const second = scheduler.schedule(
      'realtime',
      async () => {
        order.push('second');
        return 'second';
      },
      { channel: 'form' },
    );

    gate.resolve();

    expect(await first).toBe('first');
    expect(await second).toBe('second');
    expect(order).toEqual(['first started', 'first finished', 'second']);
  });

  it('continues after failed task', async () => {
    const scheduler = new Scheduler();
    const failure = new Error('model run failed');

    const failed = settle(
      scheduler.schedule('batch', async () => {
        throw failure;
      }),
    );
    const next = scheduler.schedule('batch', async () => 'next');

    expect((await failed).error).toBe(failure);
    expect(await next).toBe('next');
  });

  it('counts requests and rows per lane', async () => {
    const scheduler = new Scheduler();
    const gate = deferred();

    const batch = [
      scheduler.schedule('batch', () => gate.promise, { rows: 256 }),
      scheduler.schedule('batch', async () => undefined, { rows: 100 }),
    ];
    const realtime = [
      scheduler.schedule('realtime', async () => undefined),
      scheduler.schedule('realtime', async () => undefined, { rows: 3 }),
    ];
    gate.resolve();
    await Promise.all([...batch, ...realtime]);

    const batchMetrics = scheduler.metrics('batch');
    const realtimeMetrics = scheduler.metrics('realtime');

    expect(batchMetrics.requests).toBe(2);
    expect(batchMetrics.rows).toBe(356);
    expect(batchMetrics.averageBatchSize).toBe(178);
    expect(realtimeMetrics.requests).toBe(2);
    expect(realtimeMetrics.rows).toBe(4);
  });

  it('leaves superseded tasks out of metrics', async () => {
    const scheduler = new Scheduler();
    const gate = deferred();

    const batch = scheduler.schedule('batch', () => gate.promise);
    const superseded = settle(scheduler.schedule('realtime', async () => undefined, { channel: 'form' }));
    const latest = scheduler.schedule('realtime', async () => undefined, { channel: 'form' });
    gate.resolve();
    await Promise.all([batch, superseded, latest]);

    expect(scheduler.metrics('realtime').requests).toBe(1);
  });

  it('measures queue and compute time', async () => {
    let clock = 0;
    const scheduler = new Scheduler(() => clock);
    const gate = deferred();

    // The batch task starts at 0 and finishes at 10, so the realtime task queued at 0 waits
    // 10 ms and then runs from 10 to 13.
    const batch = scheduler.schedule('batch', () => gate.promise);
    const realtime = scheduler.schedule('realtime', async () => {
      clock = 13;
    });
    clock = 10;
    gate.resolve();
    await Promise.all([batch, realtime]);

    const metrics = scheduler.metrics('realtime');
    expect(metrics.queueMs.p50).toBe(10);
    expect(metrics.computeMs.p50).toBe(3);
    expect(scheduler.metrics('batch').queueMs.p50).toBe(0);
    expect(scheduler.metrics('batch').computeMs.p50).toBe(10);
  });

  it('computes rate over sample span', async () => {
    let clock = 0;
    const scheduler = new Scheduler(() => clock);

    // Three tasks of 10 rows finish at 1,000, 1,500 and 2,000 ms, so the rate is 3 requests over 1 second.
    for (const finish of [1000, 1500, 2000]) {
      await scheduler.schedule(
        'batch',
        async () => {
          clock = finish;
        },
        { rows: 10 },
      );
    }

    expect(scheduler.metrics('batch').requestsPerSecond).toBe(3);
    expect(scheduler.metrics('batch').rowsPerSecond).toBe(30);
  });

  it('reports zero rates without samples', () => {
    const metrics = new Scheduler().metrics('realtime');

    expect(metrics.requests).toBe(0);
    expect(metrics.requestsPerSecond).toBe(0);
    expect(metrics.averageBatchSize).toBe(0);
    expect(metrics.queueMs.p50).toBeNaN();
  });
});

describe('Scheduler interaction hold', () => {
  it('delays batch work after realtime', async () => {
    const scheduler = new Scheduler(() => performance.now(), { interactionHoldMs: 40 });
    const order: string[] = [];

    const realtime = scheduler.schedule('realtime', async () => {
      order.push('realtime');
    });
    const batchQueuedAt = performance.now();
    let batchStartedAt = 0;
    const batch = scheduler.schedule('batch', async () => {
      batchStartedAt = performance.now();
      order.push('batch');
    });
    await Promise.all([realtime, batch]);

    expect(order).toEqual(['realtime', 'batch']);
    // Timers may fire a little early or late; 30 ms leaves room for that.
    expect(batchStartedAt - batchQueuedAt).toBeGreaterThanOrEqual(30);
  });

  it('runs realtime arriving during hold', async () => {
    const scheduler = new Scheduler(() => performance.now(), { interactionHoldMs: 200 });
    const order: string[] = [];

    await scheduler.schedule('realtime', async () => {
      order.push('realtime 1');
    });
    const batch = scheduler.schedule('batch', async () => {
      order.push('batch');
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const startedAt = performance.now();
    await scheduler.schedule('realtime', async () => {
      order.push('realtime 2');
    });

    expect(performance.now() - startedAt).toBeLessThan(100);
    expect(order).toEqual(['realtime 1', 'realtime 2']);
    await batch;
    expect(order).toEqual(['realtime 1', 'realtime 2', 'batch']);
  });

  it('starts batch at once without interaction', async () => {
    const scheduler = new Scheduler(() => performance.now(), { interactionHoldMs: 1000 });
    const startedAt = performance.now();
    await scheduler.schedule('batch', async () => undefined);
    expect(performance.now() - startedAt).toBeLessThan(100);
  });
});
