import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { ClassProbability } from '../shared/protocol';
import { percent } from './format';
import { base } from './theme';

/**
 * The most probable classes of one prediction as a list of labelled bars, most probable first.
 * Each item carries `data-label` (the class) and `data-value` (its probability, 0 to 1).
 *
 * @csspart fill - the filled part of a bar.
 */
@customElement('tandem-class-bars')
export class ClassBars extends LitElement {
  static override styles = [
    base,
    css`
      :host {
        display: block;
      }

      ol {
        list-style: none;
        margin: 0;
        padding: 0;
        display: flex;
        flex-direction: column;
        gap: 0.5rem;
      }

      li {
        display: grid;
        grid-template-columns: minmax(0, 1fr) auto;
        gap: 0.125rem 0.75rem;
        align-items: baseline;
      }

      .label {
        font-weight: 600;
        overflow-wrap: anywhere;
      }

      li:first-child .label {
        font-size: 1.25rem;
      }

      .value {
        font-variant-numeric: tabular-nums;
      }

      li:first-child .value {
        font-size: 1.25rem;
        font-weight: 700;
      }

      .bar {
        grid-column: 1 / -1;
        height: 0.625rem;
        border-radius: 999px;
        background: var(--tandem-accent-soft);
        border: 1px solid var(--tandem-border);
        overflow: hidden;
      }

      .fill {
        height: 100%;
        background: var(--tandem-negative);
        transition: width 120ms ease-out;
      }

      li:first-child .fill {
        background: var(--tandem-accent);
      }

      @media (prefers-reduced-motion: reduce) {
        .fill {
          transition: none;
        }
      }
    `,
  ];

  /** The classes to show, most probable first. */
  @property({ attribute: false }) classes: ClassProbability[] = [];

  override render() {
    if (this.classes.length === 0) return nothing;
    return html`<ol aria-label="Most likely categories">
      ${this.classes.map((item) => {
        const width = Math.min(100, Math.max(0, item.probability * 100));
        return html`<li data-testid="top-class" data-label=${item.label} data-value=${String(item.probability)}>
          <span class="label">${item.label}</span>
          <span class="value">${percent.format(item.probability)}</span>
          <div class="bar" aria-hidden="true"><div class="fill" part="fill" style="width: ${width}%"></div></div>
        </li>`;
      })}
    </ol>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'tandem-class-bars': ClassBars;
  }
}
