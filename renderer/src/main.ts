import { mount } from 'svelte';
import App from './App.svelte';
import { preloadClient, type LabClient } from './lib/api/client.ts';
import { apiUrl, connectWebSocket } from './lib/api/ws-client.ts';
import { labContext } from './lib/context.ts';
import { Router } from './lib/router.svelte.ts';
import { Sessions } from './lib/sessions.svelte.ts';
import './app.css';

const target = document.getElementById('app')!;

async function connect(): Promise<LabClient> {
  if (window.hvlab) return preloadClient(window.hvlab);
  return connectWebSocket(apiUrl(location));
}

connect().then(
  async (client) => {
    const sessions = new Sessions(client);
    await sessions.refresh();
    mount(App, { target, context: labContext({ client, sessions, router: new Router() }) });
  },
  (e: unknown) => {
    target.textContent = `hvlab: ${(e as Error).message}. Open the URL that \`hvlab serve\` printed (it carries the token).`;
    target.className = 'fatal';
  },
);
