#!/usr/bin/env node
/**
 * The `hvlab` command. Before it loads the command line (a hundred-odd TypeScript
 * modules), it turns on Node's module compile cache: each module's type-stripped source
 * and V8 code, kept in the OS temp folder and checked against the source, so a change is
 * never run stale. That halves start-up (`hvlab --help` about 0.65 -> 0.27 s on the
 * 2-core test machine). NODE_COMPILE_CACHE=DIR moves the cache,
 * NODE_DISABLE_COMPILE_CACHE=1 turns it off. Engine workers inherit it from the
 * environment.
 */
import { enableCompileCache } from 'node:module';

const cache = enableCompileCache();
if (cache.directory !== undefined) process.env.NODE_COMPILE_CACHE = cache.directory;
await import('./cli.ts');
