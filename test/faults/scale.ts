/** The fault suite runs in `npm test` at a size that fits CI's time; `npm run test:faults` runs the same
 *  files again with ILLBRIDGE_FAULTS_LONG=1: larger runs and more faults per run. */
export const FAULTS_LONG = process.env.ILLBRIDGE_FAULTS_LONG === '1';

/** `short` in `npm test`, `long` in `npm run test:faults`. */
export const faultScale = <T>(short: T, long: T): T => (FAULTS_LONG ? long : short);
