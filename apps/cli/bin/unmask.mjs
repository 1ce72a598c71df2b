#!/usr/bin/env node
// The `unmask` command. The project runs its TypeScript through tsx; register it, then hand over.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv.slice(2));
