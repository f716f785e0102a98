import { LitElement, css, html, nothing, type TemplateResult } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { BooleanFeature, CategoryFeature, FeatureSpec, NumberFeature } from '../shared/manifest';
import { base } from './theme';

/** A record keyed by feature name, as the form edits it and the model scores it. */
export type FormRecord = Record<string, string | number>;

/** Fired on every edit of any control. `record` is a fresh copy of the whole record. */
export class RecordChangeEvent extends Event {
  static readonly eventName = 'record-change';

  constructor(readonly record: FormRecord) {
    super(RecordChangeEvent.eventName, { bubbles: true, composed: true });
  }
}

/** Turns a feature name into a label: `monthly_charges` becomes "Monthly charges". */
function readableName(name: string): string {
  const words = name.replace(/[_-]+/g, ' ').replace(/([a-z])([A-Z])/g, '$1 $2').trim().toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/**
 * A form generated from a model manifest's features, one control per feature.
 *
 * Numbers get a number input and, when the manifest gives both `min` and `max`, a range slider
 * bound to the same value. Booleans get a select of the feature's first true and first false
 * value. Categories get a select of their categories.
 *
 * @fires record-change - {@link RecordChangeEvent} on every `input` and `change` of a control.
 * @csspart field - the wrapper of one feature's label, control and help text.
 */
@customElement('tandem-record-form')
export class RecordForm extends LitElement {
  static override styles = [
    base,
    css`
      form {
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(min(100%, 14rem), 1fr));
        gap: 1rem 1.25rem;
      }

      .field {
        display: flex;
        flex-direction: column;
        gap: 0.25rem;
        min-width: 0;
      }

      label {
        font-weight: 600;
        font-size: 0.9375rem;
      }

      .help {
        font-size: 0.8125rem;
        color: var(--tandem-muted);
        line-height: 1.4;
      }

      input,
      select {
        width: 100%;
      }
    `,
  ];

  /** The features to edit, in manifest order. */
  @property({ attribute: false }) features: FeatureSpec[] = [];

  /** The record being edited. A number feature has a `number` value, or the raw text while the input is not a number. */
  @property({ attribute: false }) value: FormRecord = {};

  override render() {
    return html`
      <form @submit=${(event: Event) => event.preventDefault()} novalidate>
        ${this.features.map((feature) => this.renderField(feature))}
      </form>
    `;
  }

  private renderField(feature: FeatureSpec): TemplateResult {
    const id = `feature-${feature.name}`;
    const helpId = `${id}-help`;
    return html`
      <div class="field" part="field">
        <label for=${id}>${readableName(feature.name)}</label>
        ${this.renderControl(feature, id, feature.description ? helpId : undefined)}
        ${feature.description ? html`<span class="help" id=${helpId}>${feature.description}</span>` : nothing}
      </div>
    `;
  }

  private renderControl(feature: FeatureSpec, id: string, helpId: string | undefined): TemplateResult {
    switch (feature.type) {
      case 'number':
        return this.renderNumber(feature, id, helpId);
      case 'boolean':
        return this.renderBoolean(feature, id, helpId);
      case 'category':
        return this.renderCategory(feature, id, helpId);
    }
  }

  private renderNumber(feature: NumberFeature, id: string, helpId: string | undefined): TemplateResult {
    const current = this.value[feature.name] ?? '';
    const hasRange = feature.min !== undefined && feature.max !== undefined;
    return html`
      <input
        id=${id}
        type="number"
        inputmode="decimal"
        name=${feature.name}
        data-feature=${feature.name}
        min=${feature.min ?? nothing}
        max=${feature.max ?? nothing}
        step=${feature.step ?? 'any'}
        aria-describedby=${helpId ?? nothing}
        .value=${String(current)}
        @input=${this.onNumberEdit}
        @change=${this.onNumberEdit}
      />
      ${hasRange
        ? html`<input
            type="range"
            tabindex="-1"
            aria-hidden="true"
            data-slider=${feature.name}
            min=${feature.min!}
            max=${feature.max!}
            step=${feature.step ?? 'any'}
            .value=${String(current === '' ? feature.min! : current)}
            @input=${this.onSliderEdit}
            @change=${this.onSliderEdit}
          />`
        : nothing}
    `;
  }

  private renderBoolean(feature: BooleanFeature, id: string, helpId: string | undefined): TemplateResult {
    const trueValue = feature.true_values[0] ?? 'yes';
    const falseValue = feature.false_values[0] ?? 'no';
    const current = String(this.value[feature.name] ?? '').trim().toLowerCase();
    const isTrue = feature.true_values.some((value) => value.toLowerCase() === current);
    return html`
      <select
        id=${id}
        name=${feature.name}
        data-feature=${feature.name}
        aria-describedby=${helpId ?? nothing}
        @input=${this.onSelectEdit}
        @change=${this.onSelectEdit}
      >
        <option value=${trueValue} .selected=${isTrue}>${feature.true_label ?? 'Yes'}</option>
        <option value=${falseValue} .selected=${!isTrue}>${feature.false_label ?? 'No'}</option>
      </select>
    `;
  }

  private renderCategory(feature: CategoryFeature, id: string, helpId: string | undefined): TemplateResult {
    const current = String(this.value[feature.name] ?? feature.categories[0]);
    return html`
      <select
        id=${id}
        name=${feature.name}
        data-feature=${feature.name}
        aria-describedby=${helpId ?? nothing}
        @input=${this.onSelectEdit}
        @change=${this.onSelectEdit}
      >
        ${feature.categories.map((category) => html`<option value=${category} .selected=${category === current}>${category}</option>`)}
      </select>
    `;
  }

  /** Keeps the number while the text parses, and the raw text otherwise, so the model can report it. */
  private onNumberEdit(event: Event): void {
    const input = event.target as HTMLInputElement;
    const parsed = input.valueAsNumber;
    this.setField(input.name, Number.isFinite(parsed) ? parsed : input.value);
  }

  private onSliderEdit(event: Event): void {
    const slider = event.target as HTMLInputElement;
    this.setField(slider.dataset['slider']!, slider.valueAsNumber);
  }

  private onSelectEdit(event: Event): void {
    const select = event.target as HTMLSelectElement;
    this.setField(select.name, select.value);
  }

  private setField(name: string, fieldValue: string | number): void {
    this.value = { ...this.value, [name]: fieldValue };
    this.dispatchEvent(new RecordChangeEvent(this.value));
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'tandem-record-form': RecordForm;
  }
  interface HTMLElementEventMap {
    'record-change': RecordChangeEvent;
  }
}
