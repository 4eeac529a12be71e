import '../lib/testing/jsdom-stubs.ts';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { tick } from 'svelte';
import { expect, test } from 'vitest';
import { consoleEvent, sessionInfo, testLab } from '../lib/testing/lab.ts';
import Console from './Console.svelte';

const text = (): string | null => window.__hvlab!.terminalText('s1', 0);

async function setup() {
  const textAtCredit: (string | null)[] = [];
  const lab = await testLab([sessionInfo('s1')], {
    credit: () => {
      textAtCredit.push(text());
      return null;
    },
  });
  render(Console, { props: { session: 's1', vm: 0, visible: true }, context: lab.context });
  return { ...lab, textAtCredit };
}

test('console bytes reach the terminal and are credited once it has parsed them', async () => {
  const { client, textAtCredit } = await setup();
  client.push(consoleEvent('s1', 0, 'labos 0.1\r\nlabos> '));
  // xterm parses asynchronously: nothing may be credited yet.
  expect(client.callsOf('credit')).toEqual([]);
  await waitFor(() => expect(client.callsOf('credit')).toHaveLength(1));
  expect(client.callsOf('credit')[0]).toEqual({ session: 's1', vm: 0, bytes: 18 });
  expect(textAtCredit[0]).toMatch(/^labos 0\.1\nlabos>/);
  expect(screen.getByTestId('console-0').querySelector('.xterm')).not.toBeNull();
});

test('every chunk is credited with its own size; other VMs and sessions are not shown', async () => {
  const { client } = await setup();
  client.push(consoleEvent('s1', 1, 'not mine'));
  client.push(consoleEvent('s1', 0, 'héllo'));
  client.push(consoleEvent('s1', 0, ' world\r\n'));
  await waitFor(() => expect(client.callsOf('credit')).toHaveLength(2));
  expect(client.callsOf('credit').map((c) => c.bytes)).toEqual([6, 8]);
  expect(text()).toMatch(/^héllo world\n/);
  expect(text()).not.toContain('not mine');
});

test('bytes that came before the terminal are shown when it attaches', async () => {
  const lab = await testLab([sessionInfo('s1')]);
  lab.client.push(consoleEvent('s1', 0, 'early\r\n'));
  render(Console, { props: { session: 's1', vm: 0, visible: true }, context: lab.context });
  await waitFor(() =>
    expect(lab.client.callsOf('credit')).toEqual([{ session: 's1', vm: 0, bytes: 7 }]),
  );
  expect(text()).toMatch(/^early\n/);
});

test('keys typed go to the guest as input', async () => {
  const { client } = await setup();
  const keys = screen.getByTestId('console-0').querySelector('textarea')!;
  await fireEvent.keyPress(keys, { key: 'l', charCode: 108 });
  await fireEvent.keyPress(keys, { key: 's', charCode: 115 });
  await fireEvent.keyDown(keys, { key: 'Enter', keyCode: 13 });
  expect(client.callsOf('input')).toEqual([
    { session: 's1', vm: 0, data: 'l' },
    { session: 's1', vm: 0, data: 's' },
    { session: 's1', vm: 0, data: '\r' },
  ]);
});

test('Ctrl+Shift+C is not a key for the guest', async () => {
  const { client } = await setup();
  const keys = screen.getByTestId('console-0').querySelector('textarea')!;
  await fireEvent.keyDown(keys, {
    key: 'C',
    code: 'KeyC',
    keyCode: 67,
    ctrlKey: true,
    shiftKey: true,
  });
  await fireEvent.keyDown(keys, { key: 'c', code: 'KeyC', keyCode: 67, ctrlKey: true });
  expect(client.callsOf('input')).toEqual([{ session: 's1', vm: 0, data: '\x03' }]);
});

test('once the session has ended, typing sends nothing and a refused credit is no error', async () => {
  const { client } = await setup();
  client.handlers.credit = () => {
    throw new Error("no session 's1'");
  };
  client.push(consoleEvent('s1', 0, 'bye\r\n'));
  client.push({ event: 'ended', data: { session: 's1', outcome: 'completed', reasons: ['done'] } });
  await tick();
  const keys = screen.getByTestId('console-0').querySelector('textarea')!;
  await fireEvent.keyPress(keys, { key: 'x', charCode: 120 });
  expect(client.callsOf('input')).toEqual([]);
  await waitFor(() => expect(client.callsOf('credit')).toHaveLength(1));
  await tick();
  expect(screen.queryByRole('alert')).toBeNull();
});

test('a refused input shows one line', async () => {
  const { client } = await setup();
  client.handlers.input = () => {
    throw new Error("no session 's1'");
  };
  const keys = screen.getByTestId('console-0').querySelector('textarea')!;
  await fireEvent.keyPress(keys, { key: 'x', charCode: 120 });
  expect((await screen.findByRole('alert')).textContent).toBe("typing: no session 's1'");
});

test('the test hook answers null for a terminal that is not there', async () => {
  await setup();
  expect(window.__hvlab!.terminalText('s1', 3)).toBeNull();
});

test('hidden, the terminal takes and credits output; it opens when first shown', async () => {
  const lab = await testLab([sessionInfo('s1')]);
  const { rerender } = render(Console, {
    props: { session: 's1', vm: 0, visible: false },
    context: lab.context,
  });
  lab.client.push(consoleEvent('s1', 0, 'unseen\r\n'));
  await waitFor(() => expect(lab.client.callsOf('credit')).toHaveLength(1));
  expect(text()).toMatch(/^unseen\n/);
  expect(screen.getByTestId('console-0').querySelector('.xterm')).toBeNull();
  await rerender({ visible: true });
  expect(screen.getByTestId('console-0').querySelector('.xterm')).not.toBeNull();
});
