/** The Service kind's spec. */
import * as z from 'zod';
import { AbsolutePathSchema, EnsureSchema } from '../fs/index.js';

/** systemd unit names: letters, digits, ":-_.\@", with a unit type suffix or none (".service" is added). */
export const UNIT_NAME = /^[A-Za-z0-9:_.\\@-]+$/;

const RefSchema = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9]*\/[^/\s]+(\/[^/\s]+)?$/, 'a resource id such as "File/nginx-conf"');

export const ServiceSpecSchema = z
  .strictObject({
    name: z
      .string()
      .regex(UNIT_NAME, 'a systemd unit name such as "nginx" or "web@1.service"')
      .optional()
      .describe('The unit name; ".service" is added when it has no type suffix. Defaults to metadata.name.'),
    unit: z
      .string()
      .min(1)
      .optional()
      .describe(
        'The unit file content, written to /etc/systemd/system/<name>. Unset: the unit file is not managed here.',
      ),
    unitFile: RefSchema.optional().describe(
      'A File resource that writes the unit file: applied first; a change to it reloads systemd (and restarts a running service).',
    ),
    enabled: z.boolean().optional().describe('Started at boot (systemctl enable). Unset: not managed.'),
    state: z
      .enum(['running', 'stopped'])
      .optional()
      .describe('running or stopped now; needs systemd as the init (PID 1). Unset: not managed.'),
    restartOn: z
      .array(RefSchema)
      .optional()
      .describe(
        'Resource ids (e.g. its config File): when one of them changes in a run, a running service is restarted after it. Defaults to none.',
      ),
    root: AbsolutePathSchema.optional().describe(
      'Manage the unit file and enablement in this root folder (systemctl --root), e.g. an image being built; state cannot be managed there. Defaults to the running system.',
    ),
    ensure: EnsureSchema,
  })
  .refine((s) => !(s.unit !== undefined && s.unitFile !== undefined), {
    message: 'give the unit inline (unit) or as a File resource (unitFile), not both',
    path: ['unitFile'],
  })
  .refine((s) => !(s.root !== undefined && s.state !== undefined), {
    message: 'state cannot be managed in a root folder: nothing runs there',
    path: ['state'],
  })
  .describe('A systemd service: unit file, enablement, running state, restarts on change.');

export type ServiceSpec = z.infer<typeof ServiceSpecSchema>;
