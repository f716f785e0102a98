/** The worker API's similar-product methods, backed by {@link Catalogues}. */
import type { CatalogueApi } from '../shared/similar';
import { deleteCatalogue } from '../storage/catalogues';
import type { Database } from '../storage/db';
import type { JobManager } from './batch-job';
import { Catalogues } from './catalogues';
import { getModel } from './models';
import type { Scheduler } from './scheduler';

export function createCatalogueApi(db: () => Promise<Database>, jobs: () => Promise<JobManager>, scheduler: Scheduler): CatalogueApi {
  const catalogues = new Catalogues(db, scheduler);
  return {
    async createCatalogue(jobId, options) {
      return catalogues.createFromJob(await (await jobs()).get(jobId), options);
    },

    async listCatalogues(modelId) {
      return catalogues.list(getModel(modelId).info.sha256);
    },

    catalogueProducts(catalogueId, offset, limit) {
      return catalogues.page(catalogueId, offset, limit);
    },

    similarToProduct(catalogueId, productIndex, k, options = {}) {
      return catalogues.similarToProduct(catalogueId, productIndex, k, options.channel);
    },

    similarToImage(catalogueId, image, k, options = {}) {
      return catalogues.similarToImage(catalogueId, image, k, options.channel);
    },

    async deleteCatalogue(catalogueId) {
      catalogues.forget(catalogueId);
      await deleteCatalogue(await db(), catalogueId);
    },
  };
}
