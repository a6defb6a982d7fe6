/**
 * Third-party kinds: modules named under `plugins:` in setpoint.yaml (a path
 * relative to the project, or a package name) that export `providers`, an
 * array of providers (or a function returning one). They join the registry
 * beside the built-ins; a kind registered twice is an error.
 */
import { SetpointError } from '../errors.js';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import type { ProviderRegistry } from './registry.js';
import type { AnyProvider } from './types.js';
import { importModule } from '../util/import-module.js';

export class PluginError extends SetpointError {
  declare readonly hint: string;
  constructor(message: string, hint: string, cause?: unknown) {
    super(message, 'SETPOINT_PLUGIN_INVALID', { hint, cause });
  }
}

export async function loadPlugins(
  specifiers: readonly string[],
  root: string,
  registry: ProviderRegistry,
): Promise<void> {
  for (const spec of specifiers) {
    const isPath = spec.startsWith('.') || isAbsolute(spec);
    let url: string;
    try {
      url = isPath
        ? pathToFileURL(resolve(root, spec)).href
        : pathToFileURL(createRequire(resolve(root, 'setpoint.yaml')).resolve(spec)).href;
    } catch {
      throw new PluginError(
        `plugin ${spec} not found`,
        isPath ? `the path is relative to ${root}` : `install it: npm install ${spec}`,
      );
    }
    let mod: { providers?: unknown; default?: { providers?: unknown } };
    try {
      mod = await importModule<typeof mod>(url);
    } catch (err) {
      throw new PluginError(
        `plugin ${spec} failed to load: ${(err as Error).message}`,
        'check the module with node directly',
        err,
      );
    }
    let providers = mod.providers ?? mod.default?.providers;
    if (typeof providers === 'function') providers = await (providers as () => unknown)();
    if (!Array.isArray(providers) || providers.length === 0)
      throw new PluginError(
        `plugin ${spec} exports no providers`,
        'export `providers`: an array of objects implementing the Provider contract',
      );
    for (const p of providers as AnyProvider[]) {
      if (
        !p ||
        typeof p.kind !== 'string' ||
        typeof p.observe !== 'function' ||
        typeof p.diff !== 'function' ||
        !p.schema
      )
        throw new PluginError(
          `plugin ${spec} exports something that is not a provider`,
          'a provider needs kind, schema, observe and diff',
        );
      try {
        registry.register(p);
      } catch (err) {
        throw new PluginError(
          `plugin ${spec}: ${(err as Error).message}`,
          'rename the kind, or drop one of the plugins',
          err,
        );
      }
    }
  }
}
