/**
 * The architecture's import rules (DESIGN.md, Layout), checked by test/architecture.test.ts
 * and by `npx depcruise --config .dependency-cruiser.cjs server client shared cli bench`.
 */
module.exports = {
  forbidden: [
    { name: 'no-circular', comment: 'no import circles anywhere', severity: 'error', from: {}, to: { circular: true } },
    {
      name: 'shared-is-neutral',
      comment: 'shared/ is what both sides need: it imports neither side nor TensorFlow.js',
      severity: 'error',
      from: { path: '^shared/' },
      to: { path: '^(client|server|cli|bench)/|@tensorflow' },
    },
    {
      name: 'coordinator-without-tfjs',
      comment: 'the coordinator reads states through shared/ only and never loads TensorFlow.js',
      severity: 'error',
      from: { path: '^server/' },
      to: { path: '^(client|cli|bench)/|@tensorflow' },
    },
    {
      name: 'client-knows-no-coordinator',
      comment: 'the engine gets narrow options from its tasks, never the coordinator itself',
      severity: 'error',
      from: { path: '^client/' },
      to: { path: '^(server|cli|bench)/' },
    },
    {
      name: 'benches-stay-out-of-the-product',
      comment: 'bench/ is imported only by the CLI that runs it',
      severity: 'error',
      from: { path: '^(client|server|shared)/' },
      to: { path: '^bench/' },
    },
    {
      name: 'tests-stay-out-of-the-product',
      severity: 'error',
      from: { path: '^(client|server|shared|cli|bench)/' },
      to: { path: '^test/' },
    },
  ],
  options: {
    tsConfig: { fileName: 'tsconfig.json' },
    // Type-only imports count: a circle of types is still a knot in the design.
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: 'node_modules' },
  },
};
