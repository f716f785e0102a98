import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { TandemClient, type RealtimeResult } from '../client/tandem-client';
import { describeError } from '../shared/errors';
import { createLogger } from '../shared/logger';
import { markStart } from '../shared/start-marks';
import { describeRangeWarnings } from '../shared/tabular';
import type { ModelInfo } from '../shared/protocol';
import '../ui/class-bars';
import '../ui/probability-meter';
import { RecordChangeEvent, type FormRecord } from '../ui/record-form';
import '../ui/record-form';
import { base } from '../ui/theme';

const log = createLogger('realtime');

/** Errors from the worker cross Comlink as plain `Error`s that keep their `name`, so match on it. */
function isAbortError(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}

/**
 * Real-time scoring: a form generated from the model's features and a meter that shows the
 * probability for the record in the form. Every edit sends a prediction on the `form` channel,
 * where a newer request supersedes an older one still waiting, so the latest input wins.
 */
@customElement('tandem-realtime-panel')
export class RealtimePanel extends LitElement {
  static override styles = [
    base,
    css`
      :host {
        display: block;
      }

      h2 {
        font-size: 1.25rem;
        margin: 0 0 0.25rem;
      }

      .meaning {
        margin: 0 0 1rem;
        font-size: 0.9375rem;
      }

      .result {
        position: sticky;
        top: 0;
        z-index: 1;
        padding: 0.75rem 0 0.25rem;
        margin-bottom: 1rem;
        background: var(--tandem-surface);
        border-bottom: 1px solid var(--tandem-border);
      }

      .result.stale tandem-probability-meter {
        opacity: 0.45;
      }

      .value {
        display: flex;
        flex-wrap: wrap;
        align-items: baseline;
        gap: 0.25rem 0.75rem;
        margin: 0 0 0.5rem;
      }

      .value strong {
        font-size: 1.5rem;
        font-family: var(--tandem-mono);
      }

      .range-warning {
        margin: 0.5rem 0 0;
        padding: 0.5rem 0.75rem;
        border-radius: var(--tandem-radius);
        background: var(--tandem-warning-soft);
        color: var(--tandem-warning);
        font-size: 0.875rem;
      }

      .problem {
        margin: 0.5rem 0 0;
        padding: 0.5rem 0.75rem;
        border-radius: var(--tandem-radius);
        background: var(--tandem-danger-soft);
        color: var(--tandem-danger);
        font-size: 0.875rem;
      }
    `,
  ];

  /** The loaded model. Its manifest supplies the features, the sample and the threshold. */
  @property({ attribute: false }) model: ModelInfo | null = null;

  @state() private record: FormRecord = {};
  @state() private result: RealtimeResult | null = null;
  @state() private problem: string | null = null;

  /** Sequence numbers of requests, so a slow result never replaces the result of a later request. */
  private requestCount = 0;
  private shownRequest = 0;
  /** Whether the first result (or error) for the current model has been announced. */
  private announced = false;

  override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('model') && this.model) {
      this.record = { ...(this.model.manifest.sample ?? {}) };
      this.result = null;
      this.problem = null;
      this.announced = false;
      void this.predict(this.record);
    }
  }

  override render() {
    const manifest = this.model?.manifest;
    if (!manifest) return nothing;
    if (!manifest.tabular) {
      return html`<h2>Single prediction</h2>
        <p class="muted">This model reads images, and the form handles record models only.</p>`;
    }

    return html`
      <h2>Single prediction</h2>
      <p class="meaning muted">${manifest.output.meaning ?? 'Change any field to score the record again.'}</p>
      <div class="result ${this.problem ? 'stale' : ''}">
        ${this.renderResult(manifest.output)}
        ${this.result?.rangeWarnings.length
          ? html`<p class="range-warning" role="status" data-testid="range-warning">${describeRangeWarnings(this.result.rangeWarnings)}</p>`
          : nothing}
        ${this.problem ? html`<p class="problem" role="alert" data-testid="predict-error">${this.problem}</p>` : nothing}
      </div>
      <tandem-record-form
        .features=${manifest.tabular.features}
        .value=${this.record}
        @record-change=${this.onRecordChange}
      ></tandem-record-form>
    `;
  }

  /** Shows a probability on the meter, class probabilities as bars, or a regression value. */
  private renderResult(output: ModelInfo['manifest']['output']) {
    const result = this.result;
    if (output.kind === 'value') {
      return html`<p class="value">
        <span class="muted">${output.name}</span>
        <strong data-testid="predicted-value" data-value=${result ? String(result.probability) : ''}>${result?.label ?? '…'}</strong>
        ${result ? html`<small class="muted">${result.roundTripMs.toFixed(1)} ms</small>` : nothing}
      </p>`;
    }
    if (result?.classes) {
      const sorted = [...result.classes].sort((a, b) => b.probability - a.probability);
      return html`<p class="value">
          <span class="muted">Predicted class</span> <strong data-testid="predicted-class">${result.label}</strong>
          <small class="muted">${result.roundTripMs.toFixed(1)} ms</small>
        </p>
        <tandem-class-bars .classes=${sorted}></tandem-class-bars>`;
    }
    return html`<tandem-probability-meter
      .probability=${result?.probability ?? null}
      .label=${result?.label ?? ''}
      .threshold=${output.threshold ?? 0.5}
      .latencyMs=${result?.roundTripMs ?? null}
    ></tandem-probability-meter>`;
  }

  private onRecordChange(event: RecordChangeEvent): void {
    this.record = event.record;
    void this.predict(event.record);
  }

  private async predict(record: FormRecord): Promise<void> {
    const model = this.model;
    if (!model) return;
    const request = ++this.requestCount;

    try {
      const result = await TandemClient.shared().predict(model.id, record, 'form');
      if (request < this.shownRequest || model !== this.model) return;
      this.shownRequest = request;
      this.result = result;
      this.problem = null;
      void this.announceFirstResult();
    } catch (error) {
      if (isAbortError(error)) return;
      if (request < this.shownRequest || model !== this.model) return;
      this.shownRequest = request;
      log.warn(`Prediction failed for model ${model.id}`, error);
      this.problem = `This record could not be scored: ${describeError(error)}`;
      void this.announceFirstResult();
    }
  }

  /**
   * Fires `first-result` once per model, after the first result or error is rendered. The app
   * renders its other panels after it, so that they do not hold up the first prediction.
   */
  private async announceFirstResult(): Promise<void> {
    if (this.announced) return;
    this.announced = true;
    await this.updateComplete;
    markStart('first-result');
    this.dispatchEvent(new Event('first-result', { bubbles: true, composed: true }));
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'tandem-realtime-panel': RealtimePanel;
  }
}
