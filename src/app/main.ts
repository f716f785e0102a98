/**
 * The page's entry point. It starts the model load first, then defines `<tandem-app>` and,
 * through it, every other element, and registers the service worker in production builds.
 * Modules evaluate in the order they are imported, so the first import runs first.
 */
import './start-model-load';
import { registerServiceWorker } from '../client/service-worker';
import './tandem-app';

void registerServiceWorker();
