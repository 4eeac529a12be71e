import '../lib/testing/jsdom-stubs.ts';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { tick } from 'svelte';
import { beforeEach, expect, test, vi } from 'vitest';
import type { SessionConfig } from '../../../main/src/api/lab-api.ts';
import { FakeUPlot } from '../lib/testing/fake-uplot.ts';
import { consoleEvent, sessionInfo, testLab, vmConfig } from '../lib/testing/lab.ts';
import { sample } from '../lib/testing/samples.ts';
import SessionView from './SessionView.svelte';

vi.mock('uplot', async () => ({
  default: (await import('../lib/testing/fake-uplot.ts')).FakeUPlot,
}));

beforeEach(() => {
  FakeUPlot.live = [];
  location.hash = '#/session/s1';
});

const vm = (devices: string[] = []) => vmConfig({ devices });

async function setup(config: Partial<SessionConfig> = {}) {
  const lab = await testLab([sessionInfo('s1', config)], {
    snapshot: () => ({ file: '/data/snapshots/labos.elf-1.hvsnap', bytes: 70_000_000 }),
  });
  render(SessionView, { props: { id: 's1', visible: true }, context: lab.context });
  return lab;
}

const button = (testid: string) => screen.getByTestId(testid) as HTMLButtonElement;

test('controls call the host for this session and follow its state', async () => {
  const { client } = await setup();
  expect(screen.getByTestId('session').dataset.sessionId).toBe('s1');
  expect(screen.getByTestId('session-state').textContent).toBe('running');
  expect(button('session-resume').disabled).toBe(true);
  expect(button('session-snapshot').disabled).toBe(true);

  await fireEvent.click(button('session-pause'));
  expect(client.callsOf('pause')).toEqual([{ session: 's1' }]);
  client.push({ event: 'state', data: { session: 's1', state: 'paused' } });
  await tick();
  expect(screen.getByTestId('session-state').textContent).toBe('paused');
  expect(button('session-pause').disabled).toBe(true);

  await fireEvent.click(button('session-snapshot'));
  expect(client.callsOf('snapshot')).toEqual([{ session: 's1' }]);
  expect((await screen.findByTestId('snapshot-result')).textContent).toBe(
    '/data/snapshots/labos.elf-1.hvsnap',
  );

  await fireEvent.click(button('session-resume'));
  expect(client.callsOf('resume')).toEqual([{ session: 's1' }]);
  await waitFor(() => expect(button('session-stop').disabled).toBe(false));
  await fireEvent.click(button('session-stop'));
  expect(client.callsOf('stop')).toEqual([{ session: 's1' }]);
});

test('a refused control shows its one-line reason', async () => {
  const { client } = await setup();
  client.handlers.pause = () => {
    throw new Error('the session has ended');
  };
  await fireEvent.click(button('session-pause'));
  expect((await screen.findByRole('alert')).textContent).toBe('pause: the session has ended');
});

test('ended: outcome and reasons, controls gone, dismiss lets it go', async () => {
  const { client, sessions } = await setup({ vms: [vm(), vm()] });
  client.push({
    event: 'ended',
    data: {
      session: 's1',
      outcome: 'completed',
      reasons: ['guest shut down (status 0)', 'stopped by the user'],
    },
  });
  await tick();
  const ended = screen.getByTestId('session-ended');
  expect(ended.textContent).toContain('completed');
  expect(
    within(ended)
      .getAllByRole('listitem')
      .map((li) => li.textContent!.trim()),
  ).toEqual(['VM 0: guest shut down (status 0)', 'VM 1: stopped by the user']);
  expect(screen.getByTestId('session-state').textContent).toBe('ended');
  expect(screen.queryByTestId('session-pause')).toBeNull();

  await fireEvent.click(button('session-dismiss'));
  expect(sessions.list).toEqual([]);
  expect(location.hash).toBe('#/history');
});

test('a console tab per VM, each terminal fed its own VM', async () => {
  const { client } = await setup({ vms: [vm(), vm()] });
  expect(button('console-tab-0').getAttribute('aria-selected')).toBe('true');
  expect(screen.getByTestId('console-1').closest('[role="tabpanel"]')!.hasAttribute('hidden')).toBe(
    true,
  );
  await fireEvent.click(button('console-tab-1'));
  expect(button('console-tab-1').getAttribute('aria-selected')).toBe('true');
  expect(screen.getByTestId('console-0').closest('[role="tabpanel"]')!.hasAttribute('hidden')).toBe(
    true,
  );
  client.push(consoleEvent('s1', 1, 'second\r\n'));
  client.push(consoleEvent('s1', 0, 'first\r\n'));
  await waitFor(() => expect(client.callsOf('credit')).toHaveLength(2));
  expect(window.__hvlab!.terminalText('s1', 0)).toMatch(/^first\n/);
  expect(window.__hvlab!.terminalText('s1', 1)).toMatch(/^second\n/);
});

test('arrow keys move between console tabs', async () => {
  await setup({ vms: [vm(), vm(), vm()] });
  await fireEvent.keyDown(button('console-tab-0'), { key: 'ArrowLeft' });
  expect(button('console-tab-2').getAttribute('aria-selected')).toBe('true');
  expect(document.activeElement).toBe(button('console-tab-2'));
});

test('live panels: exits always, network and balloon only with their devices', async () => {
  await setup();
  expect(screen.getByTestId('chart-exits')).toBeTruthy();
  expect(screen.queryByTestId('net-panel')).toBeNull();
  expect(screen.queryByTestId('balloon-panel')).toBeNull();
  expect(screen.queryByRole('combobox', { name: 'Figures of' })).toBeNull();
});

test('several VMs: a selector picks whose figures are shown', async () => {
  const { client } = await setup({ vms: [vm(['nic', 'balloon']), vm(['nic', 'balloon'])] });
  expect(screen.getByTestId('net-panel')).toBeTruthy();
  expect(screen.getByTestId('balloon-panel')).toBeTruthy();
  const push = (hostMs: number, a: number, b: number) =>
    client.push({
      event: 'stats',
      data: {
        session: 's1',
        ...sample(hostMs, { byReason: { sbi: a } }, { byReason: { sbi: b } }),
      },
    });
  push(0, 0, 0);
  push(1000, 10, 300);
  await tick();
  expect(screen.getByTestId('exits-total').dataset.value).toBe('10');
  await fireEvent.change(screen.getByRole('combobox', { name: 'Figures of' }), {
    target: { value: '1' },
  });
  expect(screen.getByTestId('exits-total').dataset.value).toBe('300');
  expect(screen.getByTestId('exits-rate').dataset.value).toBe('300');
});
