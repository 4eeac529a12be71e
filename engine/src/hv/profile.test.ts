import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseProfile, ProfileError } from './profile.ts';

const DIR = new URL('../../../native-free-assets/profiles/', import.meta.url);
const shipped = readdirSync(DIR).filter((f) => f.endsWith('.json'));
const kvm = JSON.parse(readFileSync(new URL('kvm.json', DIR), 'utf8')) as Record<string, unknown>;

describe('host profiles', () => {
  it.each(shipped)('%s is valid and cites a source for its exit costs', (file) => {
    const p = parseProfile(JSON.parse(readFileSync(new URL(file, DIR), 'utf8')), file);
    expect(p.name).toBe(file.replace('.json', ''));
    expect(p.sources.exitCycles).toMatch(/SplitX/);
  });

  it.each([
    [[], 'not a JSON object'],
    [{ ...kvm, cpuHz: 0 }, 'cpuHz must be a positive number'],
    [
      { ...kvm, exitCycles: { ...(kvm.exitCycles as object), sbi: -1 } },
      'exitCycles.sbi must be a number >= 0',
    ],
    [
      { ...kvm, exitCycles: { ...(kvm.exitCycles as object), teleport: 1 } },
      'exitCycles.teleport: unknown exit reason',
    ],
    [{ ...kvm, trapCsrs: ['satp'] }, 'trapCsrs must list CSRs from: time'],
    [{ ...kvm, sstc: 'yes' }, 'sstc must be true or false'],
  ])('rejects a bad profile with one line naming the field (%#)', (json, msg) => {
    expect(() => parseProfile(json, 'x.json')).toThrow(new ProfileError(`profile x.json: ${msg}`));
  });
});
