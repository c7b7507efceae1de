// Loads the strategies written by users: each builtin queue whose strategy is `{module: path}`
// gets the module's function, found relative to the config file's directory. The built-in
// strategies need nothing loaded: the router runs them itself, on its own indexes.

import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import type { RouterSettings } from './settings.js';
import type { Strategy } from './strategy.js';

export async function loadStrategies(settings: RouterSettings, baseDirectory: string): Promise<Map<string, Strategy>> {
  const strategies = new Map<string, Strategy>();
  const modules = new Map<string, Strategy>();
  for (const [queue, queueSettings] of settings.queues) {
    const strategy = queueSettings.strategy;
    if (typeof strategy !== 'object') continue;
    const path = resolve(baseDirectory, strategy.module);
    let loaded = modules.get(path);
    if (loaded === undefined) {
      const module = (await import(pathToFileURL(path).href)) as { default?: unknown; choose?: unknown };
      const choose = module.choose ?? module.default;
      if (typeof choose !== 'function') {
        throw new Error(`queues.${queue}.strategy: ${path} must export a function choose({interaction, candidates, now}) (or a default export).`);
      }
      loaded = choose as Strategy;
      modules.set(path, loaded);
    }
    strategies.set(queue, loaded);
  }
  return strategies;
}
