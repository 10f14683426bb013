/**
 * The lifecycle stages `deploy --wait-until` can return at: ECS's service deployment stages (ECS API reference,
 * ServiceDeployment `lifecycleStage`) in kebab case. Kept free of the SDK: the command line reads it at start-up.
 */
export const WAIT_STAGES = ['scale-up', 'test-traffic-shift', 'production-traffic-shift', 'bake-time', 'clean-up'] as const;
export type WaitStage = (typeof WAIT_STAGES)[number];

/** "production-traffic-shift" → "PRODUCTION_TRAFFIC_SHIFT". */
export const ecsStage = (s: WaitStage) => s.toUpperCase().replace(/-/g, '_');
