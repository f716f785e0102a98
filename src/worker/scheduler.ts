/**
 * Orders all model runs in the worker. Real-time tasks always go ahead of batch tasks, and a batch
 * submits one small chunk at a time, so a real-time request waits for at most the chunk in flight.
 *
 * Real-time tasks on the same channel supersede each other: when a newer request arrives while an
 * older one is still queued, the older one is rejected with an AbortError and never runs. A task
 * that has already started is never superseded.
 *
 * While the user is interacting, the batch gives way: for `interactionHoldMs` after the latest
 * real-time request, no new batch task starts, so a burst of typing or dragging finds the worker
 * idle instead of behind a chunk.
 */
import { abortError } from '../shared/errors';
import type { LaneMetrics } from '../shared/protocol';
import { percentile } from '../shared/stats';

export type Lane = 'realtime' | 'batch';

interface Task {
  lane: Lane;
  channel: string | undefined;
  rows: number;
  enqueuedAt: number;
  work: () => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
}

interface Sample {
  at: number;
  queueMs: number;
  computeMs: number;
  rows: number;
}

/** How many recent samples per lane the percentiles cover. */
const sampleWindow = 2000;

export class Scheduler {
  private readonly queues: Record<Lane, Task[]> = { realtime: [], batch: [] };
  private readonly samples: Record<Lane, Sample[]> = { realtime: [], batch: [] };
  private running = false;
  private lastRealtimeAt = -Infinity;
  private wake: (() => void) | null = null;
  private readonly interactionHoldMs: number;

  constructor(
    private readonly now: () => number = () => performance.now(),
    options: { interactionHoldMs?: number } = {},
  ) {
    this.interactionHoldMs = options.interactionHoldMs ?? 0;
  }

  /** Queues `work` on a lane; resolves with its result once it has run. */
  schedule<T>(lane: Lane, work: () => Promise<T>, options: { channel?: string; rows?: number } = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const task: Task = {
        lane,
        channel: options.channel,
        rows: options.rows ?? 1,
        enqueuedAt: this.now(),
        work,
        resolve: resolve as (value: unknown) => void,
        reject,
      };
      if (task.channel !== undefined) this.supersede(lane, task.channel);
      this.queues[lane].push(task);
      if (lane === 'realtime') {
        this.lastRealtimeAt = task.enqueuedAt;
        this.wake?.();
      }
      void this.drain();
    });
  }

  /** Number of tasks waiting (not running) on a lane. */
  pending(lane: Lane): number {
    return this.queues[lane].length;
  }

  metrics(lane: Lane): LaneMetrics {
    const samples = this.samples[lane];
    const queue = samples.map((sample) => sample.queueMs);
    const compute = samples.map((sample) => sample.computeMs);
    const rows = samples.reduce((sum, sample) => sum + sample.rows, 0);
    const spanSeconds = samples.length > 1 ? (samples[samples.length - 1]!.at - samples[0]!.at) / 1000 : 0;
    const summarise = (values: number[]) => ({ p50: percentile(values, 50), p95: percentile(values, 95), p99: percentile(values, 99) });
    return {
      requests: samples.length,
      rows,
      queueMs: summarise(queue),
      computeMs: summarise(compute),
      requestsPerSecond: spanSeconds > 0 ? samples.length / spanSeconds : 0,
      rowsPerSecond: spanSeconds > 0 ? rows / spanSeconds : 0,
      averageBatchSize: samples.length > 0 ? rows / samples.length : 0,
    };
  }

  private supersede(lane: Lane, channel: string): void {
    const queue = this.queues[lane];
    for (let i = queue.length - 1; i >= 0; i--) {
      const task = queue[i]!;
      if (task.channel !== channel) continue;
      queue.splice(i, 1);
      task.reject(abortError(`Superseded by a newer request on channel "${channel}".`));
    }
  }

  /** Milliseconds until batch work may start again after the latest real-time request. */
  private holdRemaining(): number {
    return this.lastRealtimeAt + this.interactionHoldMs - this.now();
  }

  /** Waits `ms`, or less if a real-time request arrives first. */
  private pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    }).then(() => {
      this.wake = null;
    });
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (;;) {
        let task = this.queues.realtime.shift();
        if (!task && this.queues.batch.length > 0) {
          const hold = this.holdRemaining();
          if (hold > 0) {
            await this.pause(hold);
            continue;
          }
          task = this.queues.batch.shift();
        }
        if (!task) break;

        const started = this.now();
        try {
          task.resolve(await task.work());
        } catch (error) {
          task.reject(error);
        }
        this.record(task, started, this.now());
      }
    } finally {
      this.running = false;
    }
  }

  private record(task: Task, started: number, finished: number): void {
    const samples = this.samples[task.lane];
    samples.push({ at: finished, queueMs: started - task.enqueuedAt, computeMs: finished - started, rows: task.rows });
    if (samples.length > sampleWindow) samples.splice(0, samples.length - sampleWindow);
  }
}
