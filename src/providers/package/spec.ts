/** The Package kind's spec. */
import * as z from 'zod';
import { DurationSchema } from '../../util/duration.js';

/** Debian, RPM and Alpine names, with an optional `:arch` (Debian multiarch). */
export const PACKAGE_NAME = /^[A-Za-z0-9][A-Za-z0-9+._-]*(:[a-z0-9-]+)?$/;

export const PackageSpecSchema = z
  .strictObject({
    name: z
      .string()
      .regex(PACKAGE_NAME, 'a package name such as "nginx" or "libc6:i386"')
      .optional()
      .describe('The package. Defaults to metadata.name.'),
    version: z
      .string()
      .min(1)
      .regex(/^[A-Za-z0-9.+~:_-]+$/, 'a version such as "1.22.1-9" or "latest"')
      .optional()
      .describe(
        'An exact version, or "latest" (upgrade when the sources have a newer one). Defaults to any installed version.',
      ),
    ensure: z
      .enum(['present', 'absent', 'held'])
      .default('present')
      .describe(
        'present: installed and not held; held: installed and held back from upgrades (apt-mark hold); absent: removed. Defaults to present.',
      ),
    purge: z
      .boolean()
      .optional()
      .describe('On removal, delete its configuration files too. Defaults to false.'),
    updateCache: z
      .boolean()
      .optional()
      .describe(
        'Refresh the package lists before installing. Defaults to false: they are refreshed only when a package or version is not found.',
      ),
    lockTimeout: DurationSchema.optional().describe(
      'How long to wait when another package manager run holds the lock. Defaults to 60s.',
    ),
  })
  .describe('A system package (apt/dpkg).');

export type PackageSpec = z.infer<typeof PackageSpecSchema>;
