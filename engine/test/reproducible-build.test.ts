import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ASSETS, needTool } from './tools.ts';

/**
 * The committed ELF files are what the lab runs; rebuilding them from their sources
 * with Debian's toolchain must give the same bytes (DESIGN: reproducible guests).
 */
const FOLDERS = ['tests/isa', 'bench', 'firmware', 'guests'];
const sha = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('guest images rebuild byte-identically', () => {
  const haveGcc = needTool('riscv64-unknown-elf-gcc', 'the reproducible-build check');
  for (const folder of FOLDERS) {
    it.runIf(haveGcc)(folder, () => {
      const src = join(ASSETS, folder);
      const work = join(mkdtempSync(join(tmpdir(), 'hvlab-build-')), 'x');
      cpSync(src, work, { recursive: true });
      const elfs = readdirSync(src).filter((f) => f.endsWith('.elf'));
      expect(elfs.length).toBeGreaterThan(0);
      const clean = spawnSync('make', ['-C', work, 'clean'], { encoding: 'utf8' });
      expect(clean.status, clean.stderr).toBe(0);
      const build = spawnSync('make', ['-C', work], { encoding: 'utf8' });
      expect(build.status, build.stderr).toBe(0);
      for (const f of elfs)
        expect({ f, sha: sha(join(work, f)) }).toEqual({ f, sha: sha(join(src, f)) });
    });
  }
});
