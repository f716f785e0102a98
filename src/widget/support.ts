/** Browser features the widget cannot work without. */

/**
 * Returns a sentence naming what this browser lacks to run models, or null when it has it all.
 * The worker needs module workers and the runtime needs WebAssembly.
 */
export function missingBrowserFeatures(): string | null {
  const missing: string[] = [];
  if (typeof Worker === 'undefined') missing.push('Web Workers');
  if (typeof WebAssembly === 'undefined') missing.push('WebAssembly');
  if (missing.length === 0) return null;
  return `This browser cannot run the prediction model because it has no ${missing.join(' and no ')}. Open the page in a current version of Chrome, Edge, Firefox or Safari.`;
}
