// Resolves each builtin queue's strategy: the built-in ones, or a user's module loaded from the
// config file's directory. A queue whose strategy is plain longest idle needs none: the router
// takes its fast path.

import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import type { RouterSettings } from './settings.js';
import { skilledLongestIdle, skillsStrategy, type Strategy } from './strategy.js';

export async function loadStrategies(settings: RouterSettings, baseDirectory: string): Promise<Map<string, Strategy>> {
  const strategies = new Map<string, Strategy>();
  const modules = new Map<string, Strategy>();
  for (const [queue, queueSettings] of settings.queues) {
    const strategy = queueSettings.strategy;
    if (strategy === 'skills') {
      strategies.set(queue, skillsStrategy(queueSettings.requiredSkills, queueSettings.relaxAfterMs));
    } else if (typeof strategy === 'object') {
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
    } else if (Object.keys(queueSettings.requiredSkills).length > 0) {
      // Longest idle or priority and age, but only among agents with the queue's skills.
      strategies.set(queue, skilledLongestIdle(queueSettings.requiredSkills, queueSettings.relaxAfterMs));
    }
  }
  return strategies;
}
