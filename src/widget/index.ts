/**
 * The widget build's entry, `tandem-widget.js`: registers `<tandem-widget>` and exports its types.
 * Loading the script twice, or from two URLs, keeps the first registration.
 */
import { TandemWidget } from './tandem-widget';

export { TandemWidget } from './tandem-widget';
export { ScoreJob } from './score-job';
export { JobProgressEvent, TandemErrorEvent, TandemPredictionEvent, TandemProgressEvent, TandemReadyEvent } from './events';
export type { FailedOperation, PredictionSource } from './events';
export type * from './types';

if (!customElements.get('tandem-widget')) customElements.define('tandem-widget', TandemWidget);
