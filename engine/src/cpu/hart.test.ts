import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Op, type OpName } from './decode.ts';

describe('the interpreter loop', () => {
  it('labels each literal case with the op that has that number', () => {
    // runBlock uses numeric case labels (so V8 builds a jump table); each carries a
    // `// NAME` comment. Every one must agree with the Op table.
    const src = readFileSync(new URL('./hart.ts', import.meta.url), 'utf8');
    const labels = [...src.matchAll(/case (\d+): (?:\{\s*)?\/\/ ([A-Z_]+)/g)];
    expect(labels.length).toBeGreaterThan(40);
    for (const [, num, name] of labels) {
      expect({ name, num: Number(num) }).toEqual({ name, num: Op[name as OpName] });
    }
  });
});
