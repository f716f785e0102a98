/**
 * The inference worker's entry point. Everything heavy runs here: parsing, preprocessing,
 * inference and storage. It must not import from src/ui, src/app or src/client.
 */
import { installErrorTransfer } from '../shared/error-transfer';
import { markStart } from '../shared/start-marks';
import { exposeApi } from './api';

markStart('worker-started');
installErrorTransfer();
exposeApi();
