/**
 * The inference worker's entry point. Everything heavy runs here: parsing, preprocessing,
 * inference and storage. It must not import from src/ui, src/app or src/client.
 */
import { exposeApi } from './api';

exposeApi();
