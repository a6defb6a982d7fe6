#!/usr/bin/env node
import { fileURLToPath } from 'node:url';
import { runWithCodeCache } from '../dist/cli/code-cache.js';

runWithCodeCache(fileURLToPath(new URL('../dist/bundle/setpoint.cjs', import.meta.url)));
