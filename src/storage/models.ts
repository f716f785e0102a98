/** The models a user opened from a file or URL, stored by SHA-256 so that a reload keeps them. */
import type { Database, StoredModelRecord } from './db';

export function putStoredModel(db: Database, record: StoredModelRecord): Promise<string> {
  return db.put('models', record);
}

export function getStoredModel(db: Database, sha256: string): Promise<StoredModelRecord | undefined> {
  return db.get('models', sha256);
}

export async function listStoredModels(db: Database): Promise<Omit<StoredModelRecord, 'bytes'>[]> {
  const records = await db.getAll('models');
  return records.map(({ bytes: _bytes, ...rest }) => rest).sort((a, b) => b.savedAt - a.savedAt);
}

export function deleteStoredModel(db: Database, sha256: string): Promise<void> {
  return db.delete('models', sha256);
}
