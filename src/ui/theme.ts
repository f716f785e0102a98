/**
 * Shared styles for Tandem's components. `tokens` defines the `--tandem-*` custom properties and
 * belongs on the outermost element only, so that a page can override them there. Every component
 * includes `base`, which reads them.
 */
import { css } from 'lit';

/** The design tokens, light and dark, set on `<tandem-app>` and inherited by its children. */
export const tokens = css`
  :host {
    --tandem-font: system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', sans-serif;
    --tandem-mono: ui-monospace, 'SF Mono', Menlo, Consolas, 'Liberation Mono', monospace;
    --tandem-text: #1c2330;
    --tandem-muted: #5b6475;
    --tandem-surface: #ffffff;
    --tandem-background: #f4f6f9;
    --tandem-border: #d5dae2;
    --tandem-accent: #1f5fbf;
    --tandem-accent-text: #ffffff;
    --tandem-accent-soft: #e5eefb;
    --tandem-danger: #b42318;
    --tandem-danger-soft: #fdecea;
    /* Warnings: a result was given, but with a caveat (such as a value outside the model's range). */
    --tandem-warning: #6b4e00;
    --tandem-warning-soft: #fff4d6;
    --tandem-success: #1e7a45;
    /* The two classes in charts: positives (for churn: customers who left) and negatives. */
    --tandem-positive: #d9622b;
    --tandem-negative: #5b87c7;
    --tandem-radius: 8px;
    --tandem-space: 1rem;
  }

  @media (prefers-color-scheme: dark) {
    :host {
      --tandem-text: #e7eaf0;
      --tandem-muted: #a3abb9;
      --tandem-surface: #1b2029;
      --tandem-background: #12161d;
      --tandem-border: #343b48;
      --tandem-accent: #6ea2f2;
      --tandem-accent-text: #0d1420;
      --tandem-accent-soft: #1f2d44;
      --tandem-danger: #f28b82;
      --tandem-danger-soft: #3a1f1e;
      --tandem-warning: #f2c46d;
      --tandem-warning-soft: #3a3018;
      --tandem-success: #6fcf97;
      --tandem-positive: #f0945f;
      --tandem-negative: #7ea7e0;
    }
  }
`;

/** Element defaults every component shares: type, buttons, form controls and focus outlines. */
export const base = css`
  :host {
    font-family: var(--tandem-font);
    color: var(--tandem-text);
    line-height: 1.5;
    box-sizing: border-box;
  }

  *,
  *::before,
  *::after {
    box-sizing: inherit;
  }

  :focus-visible {
    outline: 3px solid var(--tandem-accent);
    outline-offset: 2px;
  }

  button {
    font: inherit;
    font-size: 0.9375rem;
    min-height: 2.25rem;
    padding: 0.375rem 0.875rem;
    border: 1px solid var(--tandem-border);
    border-radius: var(--tandem-radius);
    background: var(--tandem-surface);
    color: var(--tandem-text);
    cursor: pointer;
  }

  button:hover:not(:disabled) {
    border-color: var(--tandem-accent);
  }

  button:disabled {
    cursor: not-allowed;
    opacity: 0.55;
  }

  button.primary {
    background: var(--tandem-accent);
    border-color: var(--tandem-accent);
    color: var(--tandem-accent-text);
  }

  button.danger {
    color: var(--tandem-danger);
  }

  button.link {
    border: none;
    background: none;
    padding: 0;
    min-height: auto;
    color: var(--tandem-accent);
    text-decoration: underline;
  }

  input,
  select {
    font: inherit;
    font-size: 1rem;
    color: var(--tandem-text);
    background: var(--tandem-surface);
    border: 1px solid var(--tandem-border);
    border-radius: var(--tandem-radius);
    min-height: 2.5rem;
    padding: 0.375rem 0.625rem;
  }

  input[type='range'] {
    min-height: auto;
    padding: 0;
    border: none;
    background: transparent;
    accent-color: var(--tandem-accent);
  }

  .muted {
    color: var(--tandem-muted);
  }

  .visually-hidden {
    position: absolute;
    width: 1px;
    height: 1px;
    margin: -1px;
    padding: 0;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
    border: 0;
  }
`;
