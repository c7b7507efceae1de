// Lint: typescript-eslint's recommended type-aware rules over the sources, tests and benchmarks.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'openixn-data/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly', Buffer: 'readonly', URL: 'readonly', performance: 'readonly', fetch: 'readonly', TextEncoder: 'readonly' } },
  },
  {
    // The core is synchronous and deterministic (STYLE.md section 1): time and chance come in as
    // arguments, and it touches no I/O. These rules keep it so.
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { regex: '^(?!\\./)', message: 'The core imports nothing from outside src/core, and does no I/O: the shell does (src/server.ts, src/store/, src/transport/).' },
        ],
      }],
      'no-restricted-globals': ['error',
        ...['setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval', 'clearImmediate', 'queueMicrotask'].map((name) => ({ name, message: 'The core has no timers: deadlines are data in state, and the shell fires them through expire(now).' })),
        ...['process', 'fetch', 'performance', 'require', 'WebSocket', 'XMLHttpRequest'].map((name) => ({ name, message: 'The core does no I/O and reads no clock.' })),
      ],
      'no-restricted-properties': ['error',
        { object: 'Date', property: 'now', message: 'The core takes `now` as input; it never reads a clock.' },
        { object: 'Math', property: 'random', message: 'The core is deterministic: chance, if any, comes in as input.' },
        { object: 'crypto', property: 'randomUUID', message: 'The core is deterministic.' },
      ],
      'no-restricted-syntax': ['error',
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'new Date() reads the clock; the core formats times it is given.' },
        { selector: "CallExpression[callee.name='Date']", message: 'Date() reads the clock; the core formats times it is given.' },
        { selector: 'AwaitExpression', message: 'The core never awaits: it is synchronous.' },
        { selector: 'FunctionDeclaration[async=true], ArrowFunctionExpression[async=true], FunctionExpression[async=true]', message: 'The core never awaits: it is synchronous.' },
      ],
    },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
);
