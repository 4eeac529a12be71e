/**
 * The `hvlab` command line (started by hvlab.ts): run guest images headless, keep and
 * serve their runs. Every failure is one line on stderr and a non-zero status; no stack
 * traces for users.
 */
import { ImageError } from '../../../engine/src/machine/elf-loader.ts';
import { ProfileError } from '../../../engine/src/hv/profile.ts';
import { restoreCommand, runCommand, RESTORE_USAGE, RUN_USAGE } from './run-command.ts';
import { runsCommand, RUNS_USAGE } from './runs-command.ts';
import { serveCommand, SERVE_USAGE } from './serve-command.ts';
import { StoreError } from '../store/errors.ts';
import { RunFailure, UsageError } from './options.ts';

const USAGE = `hvlab — a lab for learning how hypervisors work

commands:
  ${RUN_USAGE}
  ${RESTORE_USAGE}
  ${RUNS_USAGE}
  ${SERVE_USAGE}`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'run':
      return runCommand(rest);
    case 'restore':
      return restoreCommand(rest);
    case 'runs':
      return runsCommand(rest);
    case 'serve':
      return serveCommand(rest);
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
