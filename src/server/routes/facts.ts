/** Host facts of the server's host: what `${facts.*}` in its manifests and templates reads. */
import * as z from 'zod';
import type { ServerContext } from '../context.js';
import type { Routes } from '../route.js';

export function mount(routes: Routes, ctx: ServerContext): void {
  routes.add({
    method: 'GET',
    path: '/api/v1/facts',
    tag: 'facts',
    summary: 'Show host facts',
    description:
      'Hostname, FQDN, OS (family, id, name, version, codename), kernel, architecture, CPUs, memory, addresses and interfaces, init system, package manager, and the custom facts of the facts folder: what `${facts.*}` reads.',
    auth: 'viewer',
    response: {
      schema: z
        .record(z.string(), z.unknown())
        .describe('The facts; nested objects are read with dotted names, e.g. os.family.'),
    },
    handler: (c) => c.json(ctx.api.facts()),
  });
}
