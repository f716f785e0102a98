import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { TandemClient } from '../client/tandem-client';
import { formatShape } from '../shared/derive-manifest';
import { describeError } from '../shared/errors';
import type { ModelManifest, OutputSpec } from '../shared/manifest';
import type { ModelInfo } from '../shared/protocol';
import { saveFile } from '../ui/save-file';
import { base } from '../ui/theme';

/** Fired after the user changed an opened model's manifest; the page loads the model again. */
export class ManifestChangedEvent extends Event {
  static readonly eventName = 'manifest-changed';

  constructor(readonly manifestUrl: string) {
    super(ManifestChangedEvent.eventName, { bubbles: true, composed: true });
  }
}

const outputKinds: { kind: OutputSpec['kind']; text: string }[] = [
  { kind: 'probabilities', text: 'class probabilities' },
  { kind: 'logits', text: 'logits (apply softmax)' },
  { kind: 'value', text: 'regression values' },
  { kind: 'probability', text: 'probability of a positive class' },
];

function formatBytes(bytes: number): string {
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  if (bytes >= 1e3) return `${(bytes / 1e3).toFixed(1)} kB`;
  return `${bytes} bytes`;
}

/**
 * The model info panel: opset, IR version, producer, file size, inputs and outputs, operators,
 * and which backend runs the model and why. For a model the user opened, it also edits the
 * column mapping and the reading of the output, and downloads the manifest to reuse.
 */
@customElement('tandem-model-info')
export class ModelInfoPanel extends LitElement {
  static override styles = [
    base,
    css`
      :host {
        display: block;
      }

      h2 {
        font-size: 1.25rem;
        margin: 0 0 0.75rem;
      }

      h3 {
        font-size: 1rem;
        margin: 1rem 0 0.375rem;
      }

      dl {
        display: grid;
        grid-template-columns: max-content minmax(0, 1fr);
        gap: 0.25rem 1rem;
        margin: 0;
      }

      dt {
        font-weight: 600;
      }

      dd {
        margin: 0;
        overflow-wrap: anywhere;
      }

      table {
        border-collapse: collapse;
        font-size: 0.875rem;
      }

      th,
      td {
        text-align: left;
        padding: 0.125rem 0.75rem 0.125rem 0;
      }

      code {
        font-family: var(--tandem-mono);
      }

      ul {
        margin: 0;
        padding-left: 1.25rem;
      }

      .operators {
        display: flex;
        flex-wrap: wrap;
        gap: 0.25rem 0.5rem;
        list-style: none;
        padding: 0;
      }

      .operators li[data-webgpu='false'] {
        color: var(--tandem-danger);
      }

      .mapping {
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(10rem, 1fr));
        gap: 0.375rem 0.75rem;
      }

      .mapping label,
      .output label {
        display: flex;
        flex-direction: column;
        font-size: 0.8125rem;
      }

      .actions {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem;
        margin-top: 0.75rem;
      }

      .problem {
        color: var(--tandem-danger);
      }
    `,
  ];

  @property({ attribute: false }) model: ModelInfo | null = null;

  @state() private problem: string | null = null;
  @state() private saving = false;

  override render() {
    const model = this.model;
    if (!model) return nothing;
    const details = model.details;
    const manifest = model.manifest;
    const opened = model.manifestUrl.startsWith('stored:');
    return html`
      <h2>Model info</h2>
      <dl data-testid="model-info">
        <dt>File</dt>
        <dd>${manifest.model.file}${details ? html`, <span data-testid="info-size">${formatBytes(details.sizeBytes)}</span>` : nothing}</dd>
        ${details
          ? html`<dt>Opset</dt>
              <dd data-testid="info-opset">${Object.entries(details.opsets).map(([domain, version]) => `${domain} ${version}`).join(', ')}</dd>
              <dt>IR version</dt>
              <dd data-testid="info-ir">${details.irVersion}</dd>
              <dt>Producer</dt>
              <dd data-testid="info-producer">${details.producer || 'not recorded'}</dd>`
          : nothing}
        <dt>Manifest</dt>
        <dd data-testid="info-manifest-source">${details?.manifestSource === 'derived' ? 'derived from the model file' : 'given with the model'}</dd>
        <dt>Backend</dt>
        <dd data-testid="info-backend">${model.backend}: ${model.backendReason}</dd>
        ${details?.docString ? html`<dt>Description</dt><dd>${details.docString}</dd>` : nothing}
        ${details && Object.keys(details.metadata).length > 0
          ? html`<dt>Metadata</dt>
              <dd>${Object.entries(details.metadata).map(([key, value]) => html`<code>${key}</code> = ${value}<br />`)}</dd>`
          : nothing}
      </dl>
      ${details ? this.renderSignature(details) : nothing}
      ${details && details.notes.length > 0
        ? html`<h3>Notes</h3>
            <ul data-testid="info-notes">
              ${details.notes.map((note) => html`<li>${note}</li>`)}
            </ul>`
        : nothing}
      ${opened ? this.renderMapping(manifest) : nothing}
      <div class="actions">
        <button type="button" data-testid="download-manifest" @click=${this.downloadManifest}>Download manifest</button>
      </div>
      ${this.problem ? html`<p class="problem" role="alert" data-testid="mapping-error">${this.problem}</p>` : nothing}
    `;
  }

  private renderSignature(details: NonNullable<ModelInfo['details']>) {
    const row = (info: (typeof details.inputs)[number]) =>
      html`<tr>
        <td><code>${info.name}</code></td>
        <td>${info.kind === 'tensor' ? info.elementType : info.kind}</td>
        <td><code>${info.kind === 'tensor' ? formatShape(info) : ''}</code></td>
      </tr>`;
    return html`
      <h3>Inputs and outputs</h3>
      <table data-testid="info-signature">
        <thead>
          <tr><th>name</th><th>type</th><th>shape</th></tr>
        </thead>
        <tbody>
          ${details.inputs.map(row)}
          <tr><th colspan="3">outputs</th></tr>
          ${details.outputs.map(row)}
        </tbody>
      </table>
      <h3>Operators</h3>
      <ul class="operators" data-testid="info-operators">
        ${details.operators.map(
          (use) => html`<li data-op=${use.opType} data-webgpu=${String(use.webgpu)} title=${use.webgpu === false ? 'not implemented on WebGPU: runs on WASM' : use.domain}>
            ${use.opType}${use.count > 1 ? ` ×${use.count}` : ''}
          </li>`,
        )}
      </ul>
    `;
  }

  private renderMapping(manifest: ModelManifest) {
    const output = manifest.output;
    return html`
      <h3>Mapping</h3>
      <form @submit=${this.applyMapping} data-testid="mapping-form">
        ${manifest.tabular
          ? html`<p class="muted">Each feature takes the column of that name; rename a feature to match your file's header.</p>
              <div class="mapping">
                ${manifest.tabular.features.map(
                  (feature, i) => html`<label>
                    Value ${i + 1}
                    <input name="feature" data-testid="mapping-feature" .value=${feature.name} required />
                  </label>`,
                )}
              </div>`
          : nothing}
        ${manifest.image ? this.renderNormalization(manifest.image) : nothing}
        <div class="output mapping">
          <label>
            Output "${output.name}" holds
            <select name="kind" data-testid="mapping-kind">
              ${outputKinds.map((option) => html`<option value=${option.kind} ?selected=${option.kind === output.kind}>${option.text}</option>`)}
            </select>
          </label>
          <label>
            Class labels, comma-separated
            <input name="labels" data-testid="mapping-labels" .value=${(output.labels ?? []).join(', ')} />
          </label>
        </div>
        <div class="actions">
          <button type="submit" ?disabled=${this.saving} data-testid="mapping-apply">Apply</button>
        </div>
      </form>
    `;
  }

  private renderNormalization(image: NonNullable<ModelManifest['image']>) {
    const channels = image.num_channels === 3 ? 3 : 1;
    const normalized = image.do_normalize === true;
    const values = (key: 'image_mean' | 'image_std') => (normalized && Array.isArray(image[key]) ? (image[key] as number[]).join(', ') : '');
    return html`<p class="muted">
        After rescaling (to 0-1 in derived manifests), pixels are normalized as (value - mean) / std per channel${channels === 3 ? ' (red, green, blue)' : ''}. Leave both empty for no normalization.
      </p>
      <div class="mapping">
        <label>
          image_mean, comma-separated
          <input name="image_mean" data-testid="mapping-image-mean" .value=${values('image_mean')} placeholder=${channels === 3 ? '0.485, 0.456, 0.406' : '0.5'} />
        </label>
        <label>
          image_std, comma-separated
          <input name="image_std" data-testid="mapping-image-std" .value=${values('image_std')} placeholder=${channels === 3 ? '0.229, 0.224, 0.225' : '0.5'} />
        </label>
      </div>`;
  }

  /**
   * Reads the image_mean and image_std fields into the manifest's image section. Returns a
   * message naming the bad value, or null when they were applied.
   */
  private applyNormalization(image: NonNullable<ModelManifest['image']>, form: FormData): string | null {
    const channels = image.num_channels === 3 ? 3 : 1;
    const parsed: Record<'image_mean' | 'image_std', number[]> = { image_mean: [], image_std: [] };
    for (const key of ['image_mean', 'image_std'] as const) {
      const text = String(form.get(key) ?? '').trim();
      if (text === '') continue;
      const values = text.split(',').map((item) => Number(item.trim()));
      const bad = text.split(',').find((item, i) => item.trim() === '' || !Number.isFinite(values[i]));
      if (bad !== undefined) return `The ${key} value "${bad.trim()}" is not a number. Give ${channels === 3 ? 'three numbers such as 0.485, 0.456, 0.406' : 'a number such as 0.5'}.`;
      if (values.length !== 1 && values.length !== channels) {
        return `The ${key} "${text}" has ${values.length} values, but the model takes ${channels} channel${channels === 3 ? 's' : ''}. Give 1 or ${channels} values.`;
      }
      if (key === 'image_std' && values.some((value) => value === 0)) return `The image_std "${text}" contains 0, which would divide by zero. Give standard deviations other than 0.`;
      parsed[key] = values;
    }
    const given = [parsed.image_mean.length > 0, parsed.image_std.length > 0];
    if (given[0] !== given[1]) return 'Give both image_mean and image_std to normalize, or leave both empty for no normalization.';
    image.do_normalize = given[0];
    image.image_mean = given[0] ? parsed.image_mean : Array<number>(channels).fill(0);
    image.image_std = given[0] ? parsed.image_std : Array<number>(channels).fill(1);
    return null;
  }

  private async applyMapping(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const model = this.model;
    if (!model) return;
    const form = new FormData(event.target as HTMLFormElement);
    const manifest: ModelManifest = structuredClone(model.manifest);
    const names = form.getAll('feature').map((value) => String(value).trim());
    if (manifest.tabular) {
      const duplicate = names.find((name, i) => names.indexOf(name) !== i);
      if (duplicate) {
        this.problem = `The feature name "${duplicate}" is used twice. Give each feature its own column name.`;
        return;
      }
      const sample: Record<string, number | string> = {};
      manifest.tabular.features.forEach((feature, i) => {
        sample[names[i]!] = manifest.sample?.[feature.name] ?? 0;
        feature.name = names[i]!;
      });
      manifest.sample = sample;
    }
    if (manifest.image) {
      const problem = this.applyNormalization(manifest.image, form);
      if (problem) {
        this.problem = problem;
        return;
      }
    }
    const kind = String(form.get('kind')) as OutputSpec['kind'];
    const labels = String(form.get('labels') ?? '')
      .split(',')
      .map((label) => label.trim())
      .filter((label) => label !== '');
    manifest.output = { ...manifest.output, kind, labels };
    if (kind === 'probability') manifest.output.positive_label = labels.at(-1) ?? '1';
    if (kind === 'value') manifest.task = 'regression';
    else if (labels.length === 2 || kind === 'probability') manifest.task = 'binary-classification';
    else manifest.task = 'multiclass-classification';

    this.saving = true;
    this.problem = null;
    try {
      const manifestUrl = await TandemClient.shared().updateModelManifest(model.sha256, manifest);
      this.dispatchEvent(new ManifestChangedEvent(manifestUrl));
    } catch (error) {
      this.problem = `The mapping could not be applied: ${describeError(error)}`;
    } finally {
      this.saving = false;
    }
  }

  private downloadManifest(): void {
    const manifest = this.model?.manifest;
    if (!manifest) return;
    const blob = new Blob([JSON.stringify(manifest, null, 2) + '\n'], { type: 'application/json' });
    saveFile(blob, 'manifest.json', this.renderRoot);
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'tandem-model-info': ModelInfoPanel;
  }
}
