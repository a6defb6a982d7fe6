// The direction of dependencies, enforced (STYLE.md 2 and 25). Each layer may
// import from the layers below it, never from the layers above: a folder of
// src/ that reaches upwards fails lint. The work queue imports nothing from
// the project at all. Type-only imports count too: a type that a lower layer
// needs belongs in that layer.
//
// Layers, lowest first (one concept per folder of src/):
const LAYERS = [
  ['util', 'errors', 'version'],
  ['manifest', 'diff', 'auth', 'secrets', 'facts'],
  ['plan', 'policy', 'health', 'render', 'windows'],
  ['provider', 'providers', 'builders'],
  ['project', 'source', 'desired', 'store', 'telemetry', 'rollout'],
  ['engine', 'fleet'],
  ['api'],
  ['client', 'server'],
  ['cli', 'index'],
];

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A relative import that climbs out to src/<name> (a folder, or a top-level file such as errors.ts). */
const reaching = (names) => `^(\\.\\./)+(${names.map(escape).join('|')})(/|\\.js$)`;

function rulesFor(layerIndex, folder) {
  const above = LAYERS.slice(layerIndex + 1).flat();
  // Within one layer, folders stay independent of the CLI-facing ones only through the list above.
  if (above.length === 0) return undefined;
  return {
    files: [folder.endsWith('.ts') ? `src/${folder}` : `src/${folder}/**/*.ts`],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: reaching(above),
              message: `src/${folder} sits below ${above.join(', ')} (eslint.layers.js): move the shared piece down, or pass it in.`,
            },
          ],
        },
      ],
    },
  };
}

export const layerRules = [
  ...LAYERS.flatMap((layer, i) =>
    layer.map((name) => rulesFor(i, ['errors', 'version', 'index'].includes(name) ? `${name}.ts` : name)),
  ).filter(Boolean),
  {
    // The work queue is a library: nothing from the project.
    files: ['src/queue/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^\\.\\./',
              message: 'src/queue imports nothing from the project (its README says why).',
            },
          ],
        },
      ],
    },
  },
];
