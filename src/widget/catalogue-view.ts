/** The image view's catalogue: its products, and the products most similar to the one chosen. */
import { html, nothing, type TemplateResult } from 'lit';
import type { CatalogueEntry, SimilarItem } from './catalogue';

const score = new Intl.NumberFormat('en', { minimumFractionDigits: 3, maximumFractionDigits: 3 });

export interface CatalogueHandlers {
  /** Called when the user points at, focuses or clicks product `index`. */
  onChoose(index: number): void;
}

function productLabel(entry: CatalogueEntry, index: number): string {
  return entry.title ?? entry.file.split('/').pop() ?? `Product ${index + 1}`;
}

export function renderCatalogue(entries: readonly CatalogueEntry[], chosen: number | null, handlers: CatalogueHandlers): TemplateResult {
  return html`<ul class="products" part="catalogue" aria-label="Catalogue">
    ${entries.map(
      (entry, index) => html`<li>
        <button
          type="button"
          part="product"
          data-index=${index}
          aria-pressed=${String(index === chosen)}
          @mouseenter=${() => handlers.onChoose(index)}
          @focus=${() => handlers.onChoose(index)}
          @click=${() => handlers.onChoose(index)}
        >
          <img src=${entry.url} alt="" />
          <span>${productLabel(entry, index)}</span>
        </button>
      </li>`,
    )}
  </ul>`;
}

/** Renders the similar products as a polite live region, with `query` naming what they are similar to. */
export function renderSimilar(items: readonly SimilarItem[] | null, query: string | null): TemplateResult | typeof nothing {
  if (!items || query === null) return nothing;
  return html`<div class="similar" part="similar" role="status" aria-live="polite">
    <p class="caption">Similar to ${query}</p>
    <ol class="products">
      ${items.map(
        (item) => html`<li part="similar-item" data-index=${item.index} data-score=${item.score}>
          <img src=${item.url} alt="" />
          <span>${productLabel(item, item.index)}</span>
          <span class="score">${score.format(item.score)}</span>
        </li>`,
      )}
    </ol>
  </div>`;
}
