/**
 * The page's entry point: defines `<tandem-app>` and, through it, every other element, and
 * registers the service worker in production builds.
 */
import { registerServiceWorker } from '../client/service-worker';
import './tandem-app';

void registerServiceWorker();
