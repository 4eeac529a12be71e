/** Light or dark: the system's choice until the user picks one, then theirs (kept). */
type Theme = 'light' | 'dark';

function initial(): Theme {
  const saved = localStorage.getItem('hvlab-theme');
  if (saved === 'light' || saved === 'dark') return saved;
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

class ThemeState {
  current = $state<Theme>(initial());

  constructor() {
    $effect.root(() => {
      $effect(() => {
        document.documentElement.dataset.theme = this.current;
      });
    });
  }

  toggle(): void {
    this.current = this.current === 'dark' ? 'light' : 'dark';
    localStorage.setItem('hvlab-theme', this.current);
  }
}

export const theme = new ThemeState();
