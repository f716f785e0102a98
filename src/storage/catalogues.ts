/** Reads and writes of catalogues for similar-product search. */
import type { CatalogueRecord, Database } from './db';

export async function putCatalogue(db: Database, catalogue: CatalogueRecord): Promise<void> {
  await db.put('catalogues', catalogue);
}

export function getCatalogue(db: Database, id: string): Promise<CatalogueRecord | undefined> {
  return db.get('catalogues', id);
}

/** Returns the catalogues of one model, newest first. */
export async function listCatalogues(db: Database, modelId: string): Promise<CatalogueRecord[]> {
  const catalogues = await db.getAllFromIndex('catalogues', 'byModel', modelId);
  return catalogues.sort((a, b) => b.createdAt - a.createdAt);
}

export async function deleteCatalogue(db: Database, id: string): Promise<void> {
  await db.delete('catalogues', id);
}
