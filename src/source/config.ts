/**
 * `sources:` in setpoint.yaml: named local folders and Git repositories.
 * `manifests:` is the shorthand for one local source named "local".
 */
import * as z from 'zod';
import { NAME_PATTERN } from '../manifest/key.js';
import { NodeSelectorSchema } from '../manifest/node-selector.js';
import { SecretRefSchema } from '../secrets/index.js';
import { DurationSchema } from '../util/duration.js';

export const VerifySchema = z
  .strictObject({
    allowedSigners: z
      .string()
      .optional()
      .describe("Git sources: SSH-signed commits, checked with this allowed-signers file (git's format)."),
    keyring: z
      .string()
      .optional()
      .describe('Git sources: GPG-signed commits, checked against this exported public keyring.'),
    publicKey: z
      .string()
      .optional()
      .describe(
        'Folder sources: an ed25519 public key (PEM) made by `setpoint keygen`; the folder must carry a signature made by `setpoint sign`.',
      ),
  })
  .refine((v) => [v.allowedSigners, v.keyring, v.publicKey].filter(Boolean).length === 1, {
    message: 'verify names exactly one of allowedSigners, keyring or publicKey',
  })
  .describe('Only signed desired state is admitted.');

export const GitSchema = z
  .strictObject({
    url: z.string().min(1).describe('Remote URL, file:// URL or local path of the repository.'),
    ref: z.string().min(1).default('main').describe('Branch or tag to follow. Defaults to main.'),
    path: z
      .string()
      .optional()
      .describe('Folder inside the repository holding the manifests. Defaults to the root.'),
    interval: DurationSchema.optional().describe('How often serve fetches (jittered ±10%). Defaults to 1m.'),
    sshKey: z
      .string()
      .optional()
      .describe('Private key file for SSH remotes (by reference: never copied or logged).'),
    token: z
      .strictObject({ secretRef: SecretRefSchema })
      .optional()
      .describe('HTTPS token, sent as a bearer header; resolved at fetch time, never stored or logged.'),
  })
  .describe('A Git repository, fetched with the system git.');

export const SourceSchema = z
  .strictObject({
    name: z.string().regex(NAME_PATTERN, 'a name of letters, digits, ".", "_" or "-"'),
    path: z.string().optional().describe('A local folder, relative to the project.'),
    git: GitSchema.optional(),
    verify: VerifySchema.optional(),
    nodeSelector: NodeSelectorSchema.optional().describe(
      "The enrolled nodes every resource of this source goes to (with each resource's own nodeSelector).",
    ),
  })
  .superRefine((s, ctx) => {
    if ((s.path === undefined) === (s.git === undefined))
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: 'a source has exactly one of path (a folder) or git (a repository)',
      });
    if (s.verify?.publicKey && s.git)
      ctx.addIssue({
        code: 'custom',
        path: ['verify', 'publicKey'],
        message: 'publicKey signatures are for folder sources; Git sources use allowedSigners or keyring',
      });
    if ((s.verify?.allowedSigners || s.verify?.keyring) && s.path !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['verify'],
        message: 'allowedSigners and keyring check Git commits; folder sources use publicKey',
      });
  })
  .describe('A named source of desired state.');

export type SourceConfig = z.infer<typeof SourceSchema>;
export type GitConfig = z.infer<typeof GitSchema>;
export type VerifyConfig = z.infer<typeof VerifySchema>;

export const SourcesSchema = z
  .array(SourceSchema)
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((s, i) => {
      if (seen.has(s.name))
        ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `source name "${s.name}" is used twice` });
      seen.add(s.name);
    });
  })
  .describe('Named sources of desired state, in order: when two declare one id, the later one is refused.');
