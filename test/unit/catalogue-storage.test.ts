import 'fake-indexeddb/auto';
import { openDB } from 'idb';
import { describe, expect, it } from 'vitest';
import { deleteCatalogue, getCatalogue, listCatalogues, putCatalogue } from '../../src/storage/catalogues';
import { openDatabase, type CatalogueRecord } from '../../src/storage/db';
import { getImageResults } from '../../src/storage/jobs';

let databaseCount = 0;

function freshName(): string {
  databaseCount += 1;
  return `tandem-catalogue-test-${databaseCount}-${Date.now()}`;
}

function makeCatalogue(id: string, modelId: string, createdAt: number): CatalogueRecord {
  return {
    id,
    name: `${id}.zip`,
    modelId,
    preprocessingKey: 'photo-v1',
    createdAt,
    jobId: `job-${id}`,
    items: [{ name: 'bag.png', hash: 'ab12', category: 'Bag', preview: new Uint8Array([0, 128, 255]) }],
  };
}

describe('catalogue storage', () => {
  it('keeps version 3 data when upgrading to 5', async () => {
    const name = freshName();
    // The schema as version 3 left it, with one cached image result from before embeddings were kept.
    const old = await openDB(name, 3, {
      upgrade(db) {
        db.createObjectStore('jobs', { keyPath: 'id' }).createIndex('byModel', 'modelId');
        db.createObjectStore('files', { keyPath: 'jobId' });
        db.createObjectStore('chunks', { keyPath: ['jobId', 'index'] });
        db.createObjectStore('imageResults', { keyPath: 'key' });
        db.createObjectStore('backendChoices', { keyPath: 'modelSha256' });
      },
    });
    const cached = { key: ['model', 'photo-v1', 'ab12'], topIndices: [8, 0, 1], topProbabilities: [0.9, 0.05, 0.01], preview: new Uint8Array([1, 2, 3]) };
    await old.put('imageResults', cached);
    await old.put('jobs', { id: 'job-1', modelId: 'model', status: 'completed' });
    old.close();

    const db = await openDatabase(name);
    expect(db.version).toBe(5);
    expect([...db.objectStoreNames].sort()).toEqual(['backendChoices', 'catalogues', 'chunks', 'files', 'imageResults', 'jobs', 'models']);
    const [result] = await getImageResults(db, [['model', 'photo-v1', 'ab12']]);
    expect(result?.topIndices).toEqual([8, 0, 1]);
    expect(result?.embedding).toBeUndefined();
    expect((await db.get('jobs', 'job-1'))?.status).toBe('completed');
    db.close();
  });

  it('stores, lists and deletes catalogues by model', async () => {
    const db = await openDatabase(freshName());
    await putCatalogue(db, makeCatalogue('old', 'model-a', 100));
    await putCatalogue(db, makeCatalogue('new', 'model-a', 300));
    await putCatalogue(db, makeCatalogue('other', 'model-b', 200));

    expect((await listCatalogues(db, 'model-a')).map((catalogue) => catalogue.id)).toEqual(['new', 'old']);
    const stored = await getCatalogue(db, 'old');
    expect(stored?.items[0]?.preview).toEqual(new Uint8Array([0, 128, 255]));

    await deleteCatalogue(db, 'old');
    expect(await getCatalogue(db, 'old')).toBeUndefined();
    expect((await listCatalogues(db, 'model-a')).map((catalogue) => catalogue.id)).toEqual(['new']);
    db.close();
  });
});
