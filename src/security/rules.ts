import { ENV_VAR_NAME_PROBLEM, isEnvVarName } from '../config/env-vars.js';
import { hasLoadBalancer } from '../config/services.js';
import type { Config, RuleProblem } from '../config/schema.js';
import { contextProblem, dockerfileProblem, regionProblem } from './input.js';
import { parseSecretRef } from './refs.js';
import { cidrProblem, cidrsOverlap } from './schema.js';

const ACTION_RE = /^([a-z0-9-]+:[A-Za-z0-9*?]+|\*)$/;

const asList = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Cross-field rules for secrets, task-role policies and load balancer exposure. Pure. */
export function checkSecurityRules(config: Config): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const add = (path: (string | number)[], message: string) => problems.push({ path, message });

  const netProblem = cidrProblem(config.network.cidr);
  if (netProblem) add(['network', 'cidr'], netProblem);
  if (config.region) {
    const problem = regionProblem(config.region);
    if (problem) add(['region'], problem);
  }

  for (const [name, svc] of Object.entries(config.services)) {
    const at = ['services', name];
    const secrets = svc.secrets ?? {};
    for (const [variable, ref] of Object.entries(secrets)) {
      const p = [...at, 'secrets', variable];
      if (!isEnvVarName(variable)) add(p, ENV_VAR_NAME_PROBLEM);
      else if (variable.startsWith('ECS_') || variable.startsWith('AWS_'))
        add(p, 'names starting with AWS_ or ECS_ are reserved by the ECS agent; rename the variable');
      if (variable in svc.environment)
        add(p, `is also set in environment; a variable comes either from environment or from secrets, so remove one`);
      const parsed = parseSecretRef(ref);
      if ('problem' in parsed) add(p, parsed.problem);
    }
    if (svc.kmsKeyArn && Object.keys(secrets).length === 0) {
      add([...at, 'kmsKeyArn'], 'is only used to decrypt secrets, and this service has none; remove it or add secrets');
    }

    const statements = svc.taskRole?.statements ?? [];
    statements.forEach((st, i) => {
      const p = [...at, 'taskRole', 'statements', i];
      if ((st.Action === undefined) === (st.NotAction === undefined)) add(p, 'needs exactly one of Action or NotAction');
      if ((st.Resource === undefined) === (st.NotResource === undefined))
        add(p, 'needs exactly one of Resource or NotResource (an ARN, or a list of ARNs)');
      for (const action of [...asList(st.Action), ...asList(st.NotAction)]) {
        if (!ACTION_RE.test(action)) add([...p, 'Action'], `"${action}" is not an IAM action; write service:Action, e.g. s3:GetObject`);
      }
      if (st.Effect === 'Allow' && asList(st.Action).includes('*')) {
        add([...p, 'Action'], '"*" would let the task do anything in your account; list the actions the app needs');
      }
      if (st.Effect === 'Allow' && st.NotAction !== undefined) {
        add([...p, 'NotAction'], 'Allow with NotAction grants almost everything; list the allowed actions under Action instead');
      }
      for (const r of [...asList(st.Resource), ...asList(st.NotResource)]) {
        if (r !== '*' && !r.startsWith('arn:'))
          add([...p, 'Resource'], `"${r}" is not an ARN; write arn:aws:SERVICE:REGION:ACCOUNT:RESOURCE, or "*"`);
      }
    });
  }

  const lb = config.loadBalancer;
  if (lb) {
    const hasPublic = hasLoadBalancer(config);
    if (!hasPublic)
      add(
        ['loadBalancer'],
        'no service has a port, so there is no load balancer to configure; remove loadBalancer or give a service a port',
      );
    const cidrs = lb.allowedCidrs ?? [];
    cidrs.forEach((c, i) => {
      const problem = cidrProblem(c);
      if (problem) return add(['loadBalancer', 'allowedCidrs', i], problem);
      for (let j = 0; j < i; j++) {
        if (!cidrProblem(cidrs[j]!) && cidrsOverlap(c, cidrs[j]!))
          add(['loadBalancer', 'allowedCidrs', i], `"${c}" overlaps "${cidrs[j]}"; keep only the wider block`);
      }
    });
  }
  return problems;
}

/**
 * Path rules for a config loaded from a file (build paths are relative to it). Run by
 * loadConfig, so a deploy refuses them before any AWS call; the image step re-checks
 * against the real file system (symlinks) when it builds.
 */
export function checkPathRules(config: Config): RuleProblem[] {
  const problems: RuleProblem[] = [];
  for (const [name, svc] of Object.entries(config.services)) {
    if (!svc.build) continue;
    const df = dockerfileProblem(svc.build.dockerfile);
    if (df) problems.push({ path: ['services', name, 'build', 'dockerfile'], message: df });
    const cx = contextProblem(svc.build.context);
    if (cx) problems.push({ path: ['services', name, 'build', 'context'], message: cx });
  }
  return problems;
}
