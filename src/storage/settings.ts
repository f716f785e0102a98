/** Per-device settings the worker remembers between visits. */
import { createLogger } from '../shared/logger';
import { openDatabase, type BackendChoiceRecord } from './db';

const log = createLogger('settings');

/** Identifies this browser and device: a timing made on another one is not reused. */
function deviceKey(): string {
  return `${navigator.userAgent} | ${navigator.hardwareConcurrency} cores`;
}

/** Returns the backend `auto` chose earlier for this model on this device, if any. */
export async function recallBackendChoice(modelSha256: string): Promise<BackendChoiceRecord | null> {
  try {
    const db = await openDatabase();
    const record = await db.get('backendChoices', modelSha256);
    return record && record.device === deviceKey() ? record : null;
  } catch (error) {
    log.warn(`reading the remembered backend of model ${modelSha256} failed; timing again`, error);
    return null;
  }
}

export async function rememberBackendChoice(modelSha256: string, backend: BackendChoiceRecord['backend'], reason: string): Promise<void> {
  try {
    const db = await openDatabase();
    await db.put('backendChoices', { modelSha256, backend, reason, decidedAt: Date.now(), device: deviceKey() });
  } catch (error) {
    // Not remembering only costs a timing on the next visit.
    log.warn(`storing the backend choice of model ${modelSha256} failed`, error);
  }
}
