/**
 * Templates of the widget's two views: the record form with its result, and the image picker
 * with its result. They are plain functions, not elements, so the widget registers one tag only
 * and never collides with the tags of the Tandem app on the same page.
 */
import { html, nothing, type TemplateResult } from 'lit';
import type { BooleanFeature, CategoryFeature, FeatureSpec, NumberFeature } from '../shared/manifest';
import { describeRangeWarnings } from '../shared/tabular';
import type { ImageResult, RecordPrediction, WidgetModelInfo } from './types';

/** A record as the form edits it: a number feature keeps its raw text while that is not a number. */
export type FormRecord = Record<string, string | number>;

const percent = new Intl.NumberFormat('en', { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 });

/** Turns a feature name into a label: `monthly_charges` becomes "Monthly charges". */
function readableName(name: string): string {
  const words = name.replace(/[_-]+/g, ' ').replace(/([a-z])([A-Z])/g, '$1 $2').trim().toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Returns the record the form starts from: the manifest's sample, else each feature's first or lowest value. */
export function initialRecord(model: WidgetModelInfo): FormRecord {
  const record: FormRecord = { ...(model.manifest.sample ?? {}) };
  for (const feature of model.manifest.tabular?.features ?? []) {
    if (record[feature.name] !== undefined) continue;
    if (feature.type === 'number') record[feature.name] = feature.min ?? 0;
    else if (feature.type === 'boolean') record[feature.name] = feature.false_values[0] ?? 'no';
    else record[feature.name] = feature.categories[0]!;
  }
  return record;
}

export interface FormHandlers {
  /** Called with the feature name and its new value on every edit. */
  onEdit(name: string, value: string | number): void;
}

function numberControl(feature: NumberFeature, value: string | number | undefined, id: string, helpId: string | undefined, handlers: FormHandlers): TemplateResult {
  const onEdit = (event: Event) => {
    const input = event.target as HTMLInputElement;
    handlers.onEdit(feature.name, Number.isFinite(input.valueAsNumber) ? input.valueAsNumber : input.value);
  };
  return html`<input
    id=${id}
    part="control"
    type="number"
    inputmode="decimal"
    name=${feature.name}
    min=${feature.min ?? nothing}
    max=${feature.max ?? nothing}
    step=${feature.step ?? 'any'}
    aria-describedby=${helpId ?? nothing}
    .value=${String(value ?? '')}
    @input=${onEdit}
  />`;
}

function booleanControl(feature: BooleanFeature, value: string | number | undefined, id: string, helpId: string | undefined, handlers: FormHandlers): TemplateResult {
  const current = String(value ?? '').trim().toLowerCase();
  const isTrue = feature.true_values.some((candidate) => candidate.toLowerCase() === current);
  const onEdit = (event: Event) => handlers.onEdit(feature.name, (event.target as HTMLSelectElement).value);
  return html`<select id=${id} part="control" name=${feature.name} aria-describedby=${helpId ?? nothing} @change=${onEdit}>
    <option value=${feature.true_values[0] ?? 'yes'} .selected=${isTrue}>${feature.true_label ?? 'Yes'}</option>
    <option value=${feature.false_values[0] ?? 'no'} .selected=${!isTrue}>${feature.false_label ?? 'No'}</option>
  </select>`;
}

function categoryControl(feature: CategoryFeature, value: string | number | undefined, id: string, helpId: string | undefined, handlers: FormHandlers): TemplateResult {
  const current = String(value ?? feature.categories[0]);
  const onEdit = (event: Event) => handlers.onEdit(feature.name, (event.target as HTMLSelectElement).value);
  return html`<select id=${id} part="control" name=${feature.name} aria-describedby=${helpId ?? nothing} @change=${onEdit}>
    ${feature.categories.map((category) => html`<option value=${category} .selected=${category === current}>${category}</option>`)}
  </select>`;
}

function renderField(feature: FeatureSpec, record: FormRecord, handlers: FormHandlers): TemplateResult {
  const id = `feature-${feature.name}`;
  const helpId = feature.description ? `${id}-help` : undefined;
  const value = record[feature.name];
  const control =
    feature.type === 'number'
      ? numberControl(feature, value, id, helpId, handlers)
      : feature.type === 'boolean'
        ? booleanControl(feature, value, id, helpId, handlers)
        : categoryControl(feature, value, id, helpId, handlers);
  return html`<div class="field" part="field">
    <label for=${id} part="label">${readableName(feature.name)}</label>
    ${control} ${helpId ? html`<span class="help" id=${helpId}>${feature.description}</span>` : nothing}
  </div>`;
}

/** Renders the record form: one labelled control per feature, in manifest order. */
export function renderRecordForm(model: WidgetModelInfo, record: FormRecord, handlers: FormHandlers): TemplateResult {
  const features = model.manifest.tabular?.features ?? [];
  return html`<form @submit=${(event: Event) => event.preventDefault()} novalidate>
    <fieldset class="fields">
      <legend class="visually-hidden">${model.title} inputs</legend>
      ${features.map((feature) => renderField(feature, record, handlers))}
    </fieldset>
  </form>`;
}

/** Renders a record model's result: the probability as text and as a bar with the threshold marked. */
export function renderRecordResult(model: WidgetModelInfo, result: RecordPrediction | null): TemplateResult {
  const threshold = model.threshold ?? 0.5;
  const probability = result?.probability ?? null;
  const fill = probability === null ? 0 : Math.min(100, Math.max(0, probability * 100));
  return html`<div class="result" part="result" role="status" aria-live="polite" aria-atomic="true">
    <p class="headline">
      <span class="probability" part="probability" data-value=${probability ?? nothing}>${probability === null ? '—' : percent.format(probability)}</span>
      <span class="label" part="prediction-label">${result?.label ?? ''}</span>
    </p>
    <p class="meaning">${model.manifest.output.meaning ?? `Probability of ${model.manifest.output.positive_label ?? 'the positive class'}`}</p>
    ${result?.rangeWarnings.length ? html`<p class="range-warning" part="range-warning">${describeRangeWarnings(result.rangeWarnings)}</p>` : nothing}
    <div class="meter" part="meter" aria-hidden="true">
      <div class="meter-fill" part="meter-fill" style="width: ${fill}%"></div>
      <div class="threshold" style="left: ${Math.min(100, Math.max(0, threshold * 100))}%"></div>
    </div>
  </div>`;
}

export interface ImageHandlers {
  onPick(file: File): void;
}

/** Renders the image view: a file picker, the chosen photo and the model's top classes. */
export function renderImageView(result: ImageResult | null, previewUrl: string | null, handlers: ImageHandlers): TemplateResult {
  const onChange = (event: Event) => {
    const file = (event.target as HTMLInputElement).files?.[0];
    if (file) handlers.onPick(file);
  };
  return html`<label class="picker" part="picker">
      <span>Choose a photo to classify</span>
      <input type="file" accept="image/*" part="file-input" @change=${onChange} />
    </label>
    <div class="image-result" part="result" role="status" aria-live="polite" aria-atomic="true">
      ${previewUrl ? html`<img src=${previewUrl} alt="The chosen photo" part="image" />` : nothing}
      ${result
        ? html`<ol class="top-classes" part="top-classes">
            ${result.top.map((entry) => html`<li>${entry.label}: ${percent.format(entry.probability)}</li>`)}
          </ol>`
        : nothing}
    </div>`;
}
