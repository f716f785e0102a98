/**
 * Checks of what callers pass to the widget, so a bad value is rejected on the main thread with
 * an error that names it, before anything is sent to the worker.
 */
import { TandemError } from '../shared/errors';
import type { BackendPreference } from '../shared/protocol';
import { backendPreferences, widgetViews, type WidgetModelInfo, type WidgetView } from './types';

/** Returns a short description of any value for error messages, such as `a Blob of type "text/plain" (12 bytes)`. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return value.length > 80 ? `the string ${JSON.stringify(value.slice(0, 80))}...` : `the string ${JSON.stringify(value)}`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return `the ${typeof value} ${String(value)}`;
  if (typeof value === 'function') return 'a function';
  if (typeof File !== 'undefined' && value instanceof File) return `the file "${value.name}" of type "${value.type || 'unknown'}" (${value.size} bytes)`;
  if (value instanceof Blob) return `a Blob of type "${value.type || 'unknown'}" (${value.size} bytes)`;
  if (Array.isArray(value)) return `an array of ${value.length} items`;
  const constructorName = (value as { constructor?: { name?: string } }).constructor?.name;
  if (constructorName && constructorName !== 'Object') return `a ${constructorName}`;
  const keys = Object.keys(value as object);
  return keys.length === 0 ? 'an empty object' : `an object with the keys ${keys.slice(0, 8).join(', ')}${keys.length > 8 ? ', ...' : ''}`;
}

function invalidInput(message: string): TandemError {
  return new TandemError('invalid-input', message);
}

/** Returns the `backend` attribute as a preference, or throws naming the value and the valid ones. */
export function parseBackend(value: string | null | undefined): BackendPreference {
  const preference = (value ?? 'auto').trim().toLowerCase();
  if ((backendPreferences as readonly string[]).includes(preference)) return preference as BackendPreference;
  throw invalidInput(`The backend attribute is ${JSON.stringify(value)}, which is not a backend. Use one of: ${backendPreferences.join(', ')}.`);
}

/** Returns the `view` attribute as a view, or throws naming the value and the valid ones. */
export function parseView(value: string | null | undefined): WidgetView {
  const view = (value ?? 'form').trim().toLowerCase();
  if ((widgetViews as readonly string[]).includes(view)) return view as WidgetView;
  throw invalidInput(`The view attribute is ${JSON.stringify(value)}, which is not a view. Use one of: ${widgetViews.join(', ')}.`);
}

/** Resolves the `model` attribute against the page, or throws naming the value. */
export function resolveModelUrl(value: string, base: string): string {
  try {
    return new URL(value, base).href;
  } catch {
    throw invalidInput(`The model attribute is ${JSON.stringify(value)}, which is not a URL. Set it to the URL of a model's manifest.json.`);
  }
}

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/**
 * Checks a record for a record model: a plain object with every feature of the model, each a
 * number, string, boolean or null. Keys that are not features are ignored. The worker then checks
 * each value against its feature (range of categories, numbers) and names the first bad one.
 */
export function checkRecord(input: unknown, model: WidgetModelInfo): Record<string, unknown> {
  if (!isPlainRecord(input)) {
    throw invalidInput(
      `The model "${model.name}" scores records, but predict() received ${describeValue(input)}. ` +
        `Pass an object with the features ${model.features.join(', ')}.`,
    );
  }

  const missing = model.features.filter((feature) => !(feature in input) || input[feature] === undefined);
  if (missing.length > 0) {
    const names = missing.map((name) => `"${name}"`).join(', ');
    throw invalidInput(
      `The record is missing the feature${missing.length > 1 ? 's' : ''} ${names} that the model "${model.name}" needs. ` +
        `Add ${missing.length > 1 ? 'them' : 'it'}; the model's features are ${model.features.join(', ')}.`,
    );
  }

  for (const feature of model.features) {
    const value = input[feature];
    const type = typeof value;
    if (value !== null && type !== 'string' && type !== 'number' && type !== 'boolean') {
      throw invalidInput(`The record's feature "${feature}" is ${describeValue(value)}; use a number, a string or a boolean.`);
    }
  }
  return input;
}
