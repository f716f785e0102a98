/**
 * The events `<tandem-widget>` fires. Each bubbles and is composed, so a page can listen on the
 * element, on a container or on `document`, even when the widget sits inside another shadow root.
 */
import type { JobProgress } from '../shared/protocol';
import type { WidgetModelInfo, WidgetPrediction } from './types';

/** Fired when a model has loaded and the widget can predict; fired again after `model` or `backend` changes. */
export class TandemReadyEvent extends Event {
  static readonly eventName = 'tandem-ready';

  constructor(readonly model: WidgetModelInfo) {
    super(TandemReadyEvent.eventName, { bubbles: true, composed: true });
  }
}

/** The origin of a prediction request: the widget's form, its image picker, or a `predict()` call. */
export type PredictionSource = 'form' | 'image' | 'api';

/** Fired for every prediction the widget makes, from its own view or from `predict()`. */
export class TandemPredictionEvent extends Event {
  static readonly eventName = 'tandem-prediction';

  constructor(
    readonly prediction: WidgetPrediction,
    /** The scored input: the record, or the image as the Blob sent to the worker. */
    readonly input: Record<string, unknown> | Blob,
    readonly source: PredictionSource,
  ) {
    super(TandemPredictionEvent.eventName, { bubbles: true, composed: true });
  }
}

/** Fired as a `scoreFile()` job advances, after each committed chunk. */
export class TandemProgressEvent extends Event {
  static readonly eventName = 'tandem-progress';

  constructor(readonly progress: JobProgress) {
    super(TandemProgressEvent.eventName, { bubbles: true, composed: true });
  }
}

/** The operation that failed. */
export type FailedOperation = 'load' | 'predict' | 'score' | 'export' | 'similar';

/**
 * Fired when loading, predicting, scoring, exporting or finding similar products fails. The promise of the failed call
 * rejects with the same `error`. Cancellations (an `AbortError`) do not fire it.
 */
export class TandemErrorEvent extends Event {
  static readonly eventName = 'tandem-error';

  constructor(
    readonly error: Error,
    readonly operation: FailedOperation,
  ) {
    super(TandemErrorEvent.eventName, { bubbles: true, composed: true });
  }
}

/** Fired on a {@link ScoreJob} as it advances. */
export class JobProgressEvent extends Event {
  static readonly eventName = 'progress';

  constructor(readonly progress: JobProgress) {
    super(JobProgressEvent.eventName);
  }
}

declare global {
  interface HTMLElementEventMap {
    'tandem-ready': TandemReadyEvent;
    'tandem-prediction': TandemPredictionEvent;
    'tandem-progress': TandemProgressEvent;
    'tandem-error': TandemErrorEvent;
  }
}
