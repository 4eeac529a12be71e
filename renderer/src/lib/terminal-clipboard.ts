/**
 * Copy and paste in a terminal, where Ctrl+C and Ctrl+V belong to the guest: Ctrl+Shift+C
 * (Cmd+Shift+C) copies the selection, Ctrl+Shift+V (Cmd+Shift+V) pastes. Paste is left
 * to the browser's own paste (it needs no clipboard permission): xterm takes the paste
 * event and sends the text as input.
 */

interface SelectionSource {
  getSelection(): string;
}

/**
 * A key handler for xterm's attachCustomKeyEventHandler: false means "not for the guest".
 * `copy` writes text to the clipboard.
 */
export function clipboardKeys(
  term: SelectionSource,
  copy: (text: string) => Promise<void>,
  onError: (message: string) => void,
): (e: KeyboardEvent) => boolean {
  return (e) => {
    if (!(e.ctrlKey || e.metaKey) || !e.shiftKey) return true;
    if (e.code === 'KeyC') {
      if (e.type === 'keydown') {
        // The browser's own Ctrl+Shift+C opens the element inspector.
        e.preventDefault();
        const text = term.getSelection();
        if (text) copy(text).catch((err: Error) => onError(`copy failed: ${err.message}`));
      }
      return false;
    }
    return e.code !== 'KeyV';
  };
}
