import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // Generated from core/exposition/protobuf/metrics.proto (npm run protobuf:generate).
  { ignores: ['dist/**', 'node_modules/**', 'test/bench/node_modules/**', 'coverage/**', 'test/support/protobuf/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': ['error', { patterns: [{ group: ['../core/*', '../../core/*'], message: 'Adapters import the core public entry (../core/index.js).' }] }],
    },
  },
  {
    files: ['adapters/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^\\.\\./core/(?!adapter/index\\.js$)', message: 'Adapters are written against the adapter kit (../core/adapter/index.js, published as promhttp/adapter), never the core internals.' }] }],
    },
  },
  {
    files: ['core/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^(koa|hono|express|fastify|@hono/.*|@koa/.*|@nestjs/.*|koa-router)$', message: 'The core knows no framework.' }] }],
    },
  },
  {
    // The generator is bundled into promhttp-ops without prom-client: it reads the names from the
    // core's dependency-free modules only.
    files: ['ops/generator/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^(\\.\\./)+core/(?!(metric-names|names|errors|buckets|labels|exposition/format)\\.js$)', message: 'promhttp-ops is bundled without prom-client: import only the dependency-free core modules (metric-names, names, errors, buckets, labels, exposition/format).' }, { regex: '^prom-client$', message: 'promhttp-ops is bundled without prom-client.' }] }],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly', fetch: 'readonly' } },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly', __dirname: 'readonly' } },
    // CommonJS loads modules with require(): a .cjs file has no other way.
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
