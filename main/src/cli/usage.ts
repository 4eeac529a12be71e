/**
 * What each command takes, in one small module: the command line shows it without
 * loading the commands themselves (they are loaded when run; see cli.ts).
 */
export const RUN_USAGE = `usage: hvlab run IMAGE [--machine virt|bare [--kernel K]] [--smp N] [--mem 64M] [--profile NAME]
                 [--clock deterministic|realtime] [--bootargs "..."] [--input TEXT]
                 [--device console|net|balloon|nic]... [--balloon-target MB] [--vms N]
                 [--timeout S] [--max-insns N]
                 [--ready TEXT] [--json]
                 [--no-record] [--data-dir DIR] [--save-at N --save FILE]`;

export const RESTORE_USAGE = `usage: hvlab restore FILE [--input TEXT] [--timeout S] [--max-insns N] [--json]
                 [--no-record] [--data-dir DIR]`;

export const RUNS_USAGE = `usage: hvlab runs list [--image NAME] [--outcome O] [--limit N] [--json]
       hvlab runs show ID [--json]
       hvlab runs compare A B [--json]
       hvlab runs export [ID...] [--csv] [--out FILE]
       hvlab runs import FILE
       hvlab runs delete ID
  (each takes --data-dir DIR; default $HVLAB_DATA_DIR or the user's data folder)`;

export const SERVE_USAGE = 'usage: hvlab serve [--port N] [--host ADDR] [--data-dir DIR] [--open]';

export const USAGE = `hvlab — a lab for learning how hypervisors work

commands:
  ${RUN_USAGE}
  ${RESTORE_USAGE}
  ${RUNS_USAGE}
  ${SERVE_USAGE}`;
