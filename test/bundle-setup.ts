// vitest global setup: the API's bundles, which the end-to-end tests start as `npm start` does
// (api-process.ts), built once before any test file runs.
import { buildApiBundles } from './api-process.ts';

export default function setup() {
  buildApiBundles();
}
