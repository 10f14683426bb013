import type { Config } from '../../../config/schema.js';
import type { Reporter } from '../../../engine/events.js';
import type { Manifest } from '../../../engine/manifest.js';
import { UsageError } from '../../../errors.js';
import type { WaitStage } from '../../../rollout/stages.js';
import type { ServiceState } from '../../../steps/service/index.js';
import { shiftsTraffic } from '../../../steps/service/deployment-config.js';

/** --wait-until is about the stages of blue/green, linear and canary rollouts; a config with none of those has no stage to reach. */
export function checkWaitUntil(config: Config, waitUntil: WaitStage | undefined): void {
  if (!waitUntil) return;
  const staged = Object.values(config.services).some((s) => shiftsTraffic(s));
  if (!staged) {
    throw new UsageError(
      `--wait-until ${waitUntil}: no service in the config rolls out in stages (every one uses strategy: rolling).`,
      'Drop --wait-until, or set services.<name>.deployment.strategy to blue-green, linear or canary.',
      'usage.wait-until',
    );
  }
}

/**
 * After the steps: services whose blue/green, linear or canary rollout was left going (paused at a hook, or at the
 * --wait-until stage) are said as such, and the run's outcome says it too (exit 0 either way).
 */
export function reportUnfinishedRollouts(manifest: Manifest, reporter: Reporter): 'paused' | 'stage-reached' | undefined {
  let outcome: 'paused' | 'stage-reached' | undefined;
  for (const entry of Object.values(manifest.steps)) {
    if (entry.kind !== 'service' || !entry.scope) continue;
    const rollout = (entry.state as Partial<ServiceState>).rollout;
    if (!rollout) continue;
    if (rollout.outcome === 'paused') {
      outcome = 'paused';
      reporter.emit({
        type: 'info',
        code: 'rollout.paused',
        message:
          `${entry.scope}: the rollout is paused at ${rollout.stage}. Run \`ecs-kit continue ${entry.scope}\` to go on, ` +
          `or \`ecs-kit abort ${entry.scope}\` to roll back.`,
      });
    } else {
      outcome ??= 'stage-reached';
      reporter.emit({
        type: 'info',
        code: 'rollout.stage-reached',
        message: `${entry.scope}: the rollout reached ${rollout.stage}; ECS finishes it without ecs-kit waiting (\`ecs-kit status\` shows it).`,
      });
    }
  }
  return outcome;
}
