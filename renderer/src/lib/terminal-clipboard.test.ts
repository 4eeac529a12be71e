import { expect, test, vi } from 'vitest';
import { clipboardKeys } from './terminal-clipboard.ts';

const key = (init: KeyboardEventInit & { type?: string }) =>
  new KeyboardEvent(init.type ?? 'keydown', { cancelable: true, ...init });

function setup(selection = 'labos> info') {
  const copied: string[] = [];
  const errors: string[] = [];
  const handler = clipboardKeys(
    { getSelection: () => selection },
    async (t) => {
      copied.push(t);
    },
    (m) => errors.push(m),
  );
  return { handler, copied, errors };
}

test('Ctrl+Shift+C and Cmd+Shift+C copy the selection and keep the key from the guest', () => {
  const { handler, copied } = setup();
  const ctrl = key({ code: 'KeyC', ctrlKey: true, shiftKey: true });
  expect(handler(ctrl)).toBe(false);
  expect(ctrl.defaultPrevented).toBe(true);
  expect(handler(key({ code: 'KeyC', metaKey: true, shiftKey: true }))).toBe(false);
  expect(handler(key({ type: 'keyup', code: 'KeyC', ctrlKey: true, shiftKey: true }))).toBe(false);
  expect(copied).toEqual(['labos> info', 'labos> info']);
});

test('Ctrl+Shift+V is left to the browser’s paste', () => {
  const { handler } = setup();
  const paste = key({ code: 'KeyV', ctrlKey: true, shiftKey: true });
  expect(handler(paste)).toBe(false);
  expect(paste.defaultPrevented).toBe(false);
});

test('Ctrl+C, Ctrl+V and plain keys are the guest’s', () => {
  const { handler, copied } = setup();
  expect(handler(key({ code: 'KeyC', ctrlKey: true }))).toBe(true);
  expect(handler(key({ code: 'KeyV', ctrlKey: true }))).toBe(true);
  expect(handler(key({ code: 'KeyA', ctrlKey: true, shiftKey: true }))).toBe(true);
  expect(handler(key({ code: 'KeyC' }))).toBe(true);
  expect(copied).toEqual([]);
});

test('nothing selected: nothing copied; a failed copy is reported', async () => {
  expect(setup('').copied).toEqual([]);
  const errors: string[] = [];
  const handler = clipboardKeys(
    { getSelection: () => 'x' },
    () => Promise.reject(new Error('denied')),
    (m) => errors.push(m),
  );
  handler(key({ code: 'KeyC', ctrlKey: true, shiftKey: true }));
  await vi.waitFor(() => expect(errors).toEqual(['copy failed: denied']));
});
