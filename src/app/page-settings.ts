/**
 * The page address's settings: which model to load (`?model=`) and on which backend
 * (`?backend=`). Read by the page's entry point, which starts the model load before the app's
 * elements are defined, and by `<tandem-app>`.
 */
import type { BackendPreference } from '../shared/protocol';

export const defaultManifestUrl = 'models/churn/manifest.json';
const backendPreferences: readonly BackendPreference[] = ['auto', 'webgpu', 'wasm'];

/** The settings from the page URL, or an error message that names the invalid parameter. */
export type PageSettings = { manifestUrl: string; backend: BackendPreference } | { error: string };

/** Reads `?model=` (a manifest URL, relative to the page) and `?backend=` (auto, webgpu or wasm). */
export function readPageSettings(search: string): PageSettings {
  const params = new URLSearchParams(search);
  const backend = params.get('backend') ?? 'auto';
  if (!backendPreferences.includes(backend as BackendPreference)) {
    return {
      error: `The backend "${backend}" in the page address is not valid. Use ${backendPreferences.slice(0, -1).join(', ')} or ${backendPreferences.at(-1)}, for example ?backend=wasm.`,
    };
  }

  const manifestUrl = new URL(params.get('model') || defaultManifestUrl, location.href).href;
  return { manifestUrl, backend: backend as BackendPreference };
}

