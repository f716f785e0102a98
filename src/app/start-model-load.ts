/**
 * Starts loading the page's model as soon as the page's script runs, before the app's elements
 * are defined. The worker and its runtime then start while the rest of the script evaluates and
 * the page renders. `<tandem-app>` requests the same model from the client and gets the same
 * pending load. A page address with an invalid setting starts nothing, and `<tandem-app>` shows the error.
 */
import { TandemClient } from '../client/tandem-client';
import { markStart } from '../shared/start-marks';
import { readPageSettings } from './page-settings';

const settings = readPageSettings(location.search);
// A failure is reported by `<tandem-app>`, which awaits the same load.
if (!('error' in settings)) {
  markStart('model-requested');
  TandemClient.shared().loadModel(settings.manifestUrl, settings.backend).catch(() => undefined);
}
