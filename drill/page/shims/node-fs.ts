/**
 * `node:fs` in the drill page's bundle. The page hands the scenario to the loader as text, so
 * no file is ever read; a call here would be a bug in the page, and says so.
 */
function noFiles(): never {
  throw new Error('the drill page has no file system: scenarios are given as text');
}

export function existsSync(): boolean {
  return false;
}

export const readFileSync = noFiles;
export const statSync = noFiles;
export const openSync = noFiles;
export const writeSync = noFiles;
export const closeSync = noFiles;
