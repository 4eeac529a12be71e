/**
 * Views by URL hash (#/launch, #/session/ID, #/history, #/run/ID, #/compare/A/B), so the
 * back button, reloads and links between views work the same in a browser and in Electron.
 */
export type Route =
  | { view: 'launch' }
  | { view: 'session'; id: string }
  | { view: 'history' }
  | { view: 'run'; id: number }
  | { view: 'compare'; a: number; b: number };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/');
  const n = (s: string | undefined): number =>
    s !== undefined && /^\d+$/.test(s) ? Number(s) : NaN;
  switch (parts[0]) {
    case 'session':
      if (parts[1]) return { view: 'session', id: decodeURIComponent(parts[1]) };
      break;
    case 'history':
      return { view: 'history' };
    case 'run':
      if (!Number.isNaN(n(parts[1]))) return { view: 'run', id: n(parts[1]) };
      break;
    case 'compare':
      if (!Number.isNaN(n(parts[1])) && !Number.isNaN(n(parts[2])))
        return { view: 'compare', a: n(parts[1]), b: n(parts[2]) };
      break;
  }
  return { view: 'launch' };
}

export function href(r: Route): string {
  switch (r.view) {
    case 'launch':
      return '#/launch';
    case 'session':
      return `#/session/${encodeURIComponent(r.id)}`;
    case 'history':
      return '#/history';
    case 'run':
      return `#/run/${r.id}`;
    case 'compare':
      return `#/compare/${r.a}/${r.b}`;
  }
}

export class Router {
  route = $state<Route>(parseRoute(location.hash));

  constructor() {
    window.addEventListener('hashchange', () => (this.route = parseRoute(location.hash)));
  }

  go(r: Route): void {
    location.hash = href(r);
  }
}
