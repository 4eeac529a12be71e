#!/usr/bin/env node
/**
 * The `hvlab` command line: run guest images headless.
 * Every failure is one line on stderr and a non-zero status; no stack traces for users.
 */
import { ImageError } from '../../../engine/src/machine/elf-loader.ts';
import { runCommand, RUN_USAGE } from './run-command.ts';
import { UsageError } from './options.ts';

const USAGE = `hvlab — a lab for learning how hypervisors work

commands:
  ${RUN_USAGE}`;

function main(argv: string[]): number {
  const [command, ...rest] = argv;
  switch (command) {
    case 'run':
      return runCommand(rest);
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
  process.exitCode = main(process.argv.slice(2));
} catch (e) {
  if (
    e instanceof UsageError ||
    e instanceof ImageError ||
    (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
  ) {
    process.stderr.write(`hvlab: ${(e as Error).message}\n`);
    process.exitCode = 2;
  } else throw e;
}
