/**
 * The `hvlab` command line (started by hvlab.ts): run guest images headless, keep and
 * serve their runs. Every failure is one line on stderr and a non-zero status; no stack
 * traces for users.
 */
import { ImageError } from '../../../engine/src/machine/elf-loader.ts';
import { ProfileError } from '../../../engine/src/hv/profile.ts';
import { StoreError } from '../store/errors.ts';
import { RunFailure, UsageError } from './options.ts';
import { USAGE } from './usage.ts';

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    // Each command is loaded when asked for (`serve` brings the HTTP stack, `run` the
    // engine host), so no command pays to load the others.
    case 'run':
      return (await import('./run-command.ts')).runCommand(rest);
    case 'restore':
      return (await import('./run-command.ts')).restoreCommand(rest);
    case 'runs':
      return (await import('./runs-command.ts')).runsCommand(rest);
    case 'serve':
      return (await import('./serve-command.ts')).serveCommand(rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE + '\n');
      return command === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown command '${command}'\n${USAGE}`);
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (e) {
  const parseError = (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
  if (
    e instanceof UsageError ||
    e instanceof ImageError ||
    e instanceof ProfileError ||
    e instanceof StoreError ||
    parseError
  ) {
    process.stderr.write(`hvlab: ${(e as Error).message}\n`);
    process.exitCode = 2;
  } else if (e instanceof RunFailure) {
    process.stderr.write(`hvlab: run failed: ${e.message}\n`);
    process.exitCode = 1;
  } else throw e;
}
