import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseProfile, type HostProfile } from '../../../engine/src/hv/profile.ts';
import { UsageError } from './options.ts';

/** The host profiles the lab ships. */
export const PROFILE_DIR = fileURLToPath(
  new URL('../../../native-free-assets/profiles/', import.meta.url),
);

/** A profile by name (native-free-assets/profiles/NAME.json) or by path to a JSON file. */
export function loadProfile(nameOrPath: string): HostProfile {
  const path = nameOrPath.endsWith('.json') ? nameOrPath : `${PROFILE_DIR}${nameOrPath}.json`;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new UsageError(`--profile ${nameOrPath}: no such profile (${path})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`--profile ${nameOrPath}: not valid JSON (${(e as Error).message})`);
  }
  return parseProfile(json, nameOrPath);
}
