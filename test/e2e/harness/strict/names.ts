import { formValues, list, refuse, str, type AwsRequest, type Rule, type Verdict } from './types.js';

/**
 * Names and request shapes that AWS validates and moto does not (../shared/notes/moto-emulator.md,
 * "Validation fidelity"; ../shared/notes/real-aws.md). Each rule refuses the call with the error
 * AWS sends; where the exact text is not on record the comment says so.
 */

const is = (req: AwsRequest, service: string, ...operations: string[]) => req.service === service && operations.includes(req.operation);

/** ELBv2's documented name rule, shared by load balancers and target groups. */
function elbNameProblem(name: string): string | undefined {
  if (name.length > 32) return "cannot be longer than '32' characters";
  if (!/^[A-Za-z0-9-]+$/.test(name)) return 'can contain only alphanumeric characters and hyphens';
  if (name.startsWith('-') || name.endsWith('-')) return 'cannot begin or end with a hyphen';
  return undefined;
}

const loadBalancerName: Rule = {
  id: 'elbv2.load-balancer-name',
  description: 'ALB name: ≤32 alphanumerics/hyphens, no leading/trailing hyphen, not "internal-…"',
  // ELBv2 API, CreateLoadBalancer `Name`; error text from aws-cloudformation/cfn-lint#3259 (other texts in the same form, unconfirmed).
  source: 'https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateLoadBalancer.html',
  check(req) {
    if (!is(req, 'elasticloadbalancing', 'CreateLoadBalancer')) return undefined;
    const name = req.form.Name ?? '';
    const problem = elbNameProblem(name) ?? (name.startsWith('internal-') ? "cannot begin with 'internal-'" : undefined);
    return problem ? refuse('ValidationError', `The load balancer name '${name}' ${problem}`) : undefined;
  },
};

const targetGroupName: Rule = {
  id: 'elbv2.target-group-name',
  description: 'Target group name: ≤32 alphanumerics/hyphens, no leading/trailing hyphen',
  source: 'https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateTargetGroup.html',
  check(req) {
    if (!is(req, 'elasticloadbalancing', 'CreateTargetGroup')) return undefined;
    const name = req.form.Name ?? '';
    const problem = elbNameProblem(name);
    return problem ? refuse('ValidationError', `The target group name '${name}' ${problem}`) : undefined;
  },
};

const securityGroupName: Rule = {
  id: 'ec2.security-group-name',
  description: 'Security group GroupName: ≤255 characters, must not start with "sg-"',
  // EC2 API, CreateSecurityGroup `GroupName`: "Up to 255 characters in length. Cannot start with sg-"; text from pulumi/pulumi-awsx#477.
  source: 'https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html',
  check(req) {
    if (!is(req, 'ec2', 'CreateSecurityGroup')) return undefined;
    const name = req.form.GroupName ?? '';
    const invalid = `Value (${name}) for parameter GroupName is invalid.`;
    if (/^sg-/i.test(name)) return refuse('InvalidParameterValue', `${invalid} Group names may not be in the format sg-*.`);
    if (name.length > 255) return refuse('InvalidParameterValue', `${invalid} Length exceeds maximum of 255.`);
    return undefined;
  },
};

/** The message AWS's generated validation gives (IAM, CloudWatch Logs): field, value and the constraint. */
function constraint(field: string, value: string, rule: string): string {
  return `1 validation error detected: Value '${value}' at '${field}' failed to satisfy constraint: Member must ${rule}`;
}

function iamNameProblem(field: string, value: string, max: number): Verdict | undefined {
  if (value.length > max) return refuse('ValidationError', constraint(field, value, `have length less than or equal to ${max}`));
  if (!/^[\w+=,.@-]+$/.test(value))
    return refuse('ValidationError', constraint(field, value, 'satisfy regular expression pattern: [\\w+=,.@-]+'));
  return undefined;
}

function iamPathProblem(path: string | undefined): Verdict | undefined {
  if (path === undefined) return undefined;
  if (path.length > 512 || !/^(\/|\/[\u0021-\u007E]+\/)$/.test(path)) {
    return refuse(
      'ValidationError',
      constraint('path', path, 'satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)'),
    );
  }
  return undefined;
}

const roleName: Rule = {
  id: 'iam.role-name',
  description: 'IAM role name ≤64 of [\\w+=,.@-]; path /…/ ≤512',
  // IAM API, CreateRole `RoleName` (1–64, pattern [\w+=,.@-]+) and `Path`.
  source: 'https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html',
  check(req) {
    if (!is(req, 'iam', 'CreateRole')) return undefined;
    return iamNameProblem('roleName', req.form.RoleName ?? '', 64) ?? iamPathProblem(req.form.Path);
  },
};

const instanceProfileName: Rule = {
  id: 'iam.instance-profile-name',
  description: 'IAM instance profile name ≤128 of [\\w+=,.@-]; path /…/ ≤512',
  source: 'https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateInstanceProfile.html',
  check(req) {
    if (!is(req, 'iam', 'CreateInstanceProfile')) return undefined;
    return iamNameProblem('instanceProfileName', req.form.InstanceProfileName ?? '', 128) ?? iamPathProblem(req.form.Path);
  },
};

const capacityProviderName: Rule = {
  id: 'ecs.capacity-provider-name',
  description: 'Capacity provider name ≤255 of [A-Za-z0-9_-], not prefixed aws/ecs/fargate (any case)',
  // ECS API, CreateCapacityProvider `name`; text from aws/aws-cdk#29151 and #36584 ("Ecs…"/"AWS…" fail too). Error code unconfirmed.
  source: 'https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateCapacityProvider.html',
  check(req) {
    if (!is(req, 'ecs', 'CreateCapacityProvider')) return undefined;
    const name = str(req.json.name) ?? '';
    if (name.length <= 255 && /^[A-Za-z0-9_-]+$/.test(name) && !/^(aws|ecs|fargate)/i.test(name)) return undefined;
    return refuse(
      'ClientException',
      'The specified capacity provider name is invalid. Up to 255 characters are allowed, including letters (upper and lowercase), ' +
        'numbers, underscores, and hyphens. The name cannot be prefixed with "aws", "ecs", or "fargate". Specify a valid name and try again.',
    );
  },
};

const parameterName: Rule = {
  id: 'ssm.parameter-name',
  description: 'SSM parameter name (first path segment) not prefixed aws/ssm (any case); ≤1011 of [A-Za-z0-9_.\\-/]',
  // SSM API, PutParameter `Name`. Whether AWS applies the prefix rule to `/awsfoo/…` is unconfirmed (real-aws.md #10): applied here.
  source: 'https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html',
  check(req) {
    if (!is(req, 'ssm', 'PutParameter')) return undefined;
    const name = str(req.json.Name) ?? '';
    const first = name.replace(/^\//, '').split('/')[0] ?? '';
    if (/^(aws|ssm)/i.test(first)) {
      return refuse('ValidationException', `Parameter name: can't be prefixed with "aws" or "ssm" (case-insensitive). Name: ${name}`);
    }
    if (name.length > 1011 || !/^[A-Za-z0-9_.\-/]+$/.test(name)) {
      return refuse('ValidationException', `Parameter name ${name} is invalid: up to 1011 characters of a-z, A-Z, 0-9, _ . - and /.`);
    }
    return undefined;
  },
};

const pathPatternLength: Rule = {
  id: 'elbv2.path-pattern-length',
  description: 'Listener rule path-pattern values ≤128 characters each',
  // ELBv2 PathPatternConditionConfig: "The maximum size of each string is 128 characters". Error text unconfirmed.
  source: 'https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_PathPatternConditionConfig.html',
  check(req) {
    if (!is(req, 'elasticloadbalancing', 'CreateRule', 'ModifyRule')) return undefined;
    const values = formValues(req.form, /^Conditions\.member\.\d+\.(PathPatternConfig\.Values|Values)\.member\.\d+$/);
    const long = values.find((v) => v.length > 128);
    return long ? refuse('ValidationError', `Condition value '${long}' cannot be longer than 128 characters`) : undefined;
  },
};

// CloudWatch Logs API, PutRetentionPolicy `retentionInDays`.
const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

const logRetention: Rule = {
  id: 'logs.retention',
  description: 'Log retention days in the allowed set (1, 3, 5, 7, 14, 30, … 3653)',
  source: 'https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html',
  check(req) {
    if (!is(req, 'logs', 'PutRetentionPolicy')) return undefined;
    const days = req.json.retentionInDays;
    if (typeof days === 'number' && RETENTION_DAYS.includes(days)) return undefined;
    return refuse(
      'InvalidParameterException',
      constraint('retentionInDays', String(days), `satisfy enum value set: [${RETENTION_DAYS.join(', ')}]`),
    );
  },
};

const logGroupName: Rule = {
  id: 'logs.group-name',
  description: 'Log group name ≤512 of [.\\-_/#A-Za-z0-9]',
  // CloudWatch Logs API, CreateLogGroup `logGroupName` (1–512, pattern [\.\-_/#A-Za-z0-9]+).
  source: 'https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html',
  check(req) {
    if (!is(req, 'logs', 'CreateLogGroup')) return undefined;
    const name = str(req.json.logGroupName) ?? '';
    if (name.length >= 1 && name.length <= 512 && /^[.\-_/#A-Za-z0-9]+$/.test(name)) return undefined;
    return refuse(
      'InvalidParameterException',
      constraint('logGroupName', name, 'satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+'),
    );
  },
};

const startedBy: Rule = {
  id: 'ecs.run-task-started-by',
  description: 'RunTask startedBy ≤128 of letters, digits, "-", "/", "_"',
  // ECS API, RunTask `startedBy`. Length is enforced (convox/rack#1727); enforcement of the character set is unconfirmed (real-aws.md #11).
  source: 'https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RunTask.html',
  check(req) {
    if (!is(req, 'ecs', 'RunTask', 'StartTask') || req.json.startedBy === undefined) return undefined;
    const value = typeof req.json.startedBy === 'string' ? req.json.startedBy : JSON.stringify(req.json.startedBy);
    if (value.length <= 128 && /^[A-Za-z0-9_/-]+$/.test(value)) return undefined;
    const allowed =
      'up to 128 letters (uppercase and lowercase), numbers, hyphens (-), forward slash (/), and underscores (_) are allowed.';
    return refuse('InvalidParameterException', `startedBy '${value}' is invalid: ${allowed}`);
  },
};

const clientToken: Rule = {
  id: 'ecs.client-token',
  description: 'clientToken: CreateService ≤36, RunTask ≤64 ASCII characters 33–126',
  // ECS API: CreateService `clientToken` "Up to 36 ASCII characters in the range of 33-126"; RunTask `clientToken` "Up to 64 characters". Text unconfirmed.
  source: 'https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html',
  check(req) {
    if (!is(req, 'ecs', 'CreateService', 'RunTask') || req.json.clientToken === undefined) return undefined;
    const token = typeof req.json.clientToken === 'string' ? req.json.clientToken : JSON.stringify(req.json.clientToken);
    const max = req.operation === 'CreateService' ? 36 : 64;
    if (token.length >= 1 && token.length <= max && /^[\x21-\x7e]+$/.test(token)) return undefined;
    return refuse(
      'InvalidParameterException',
      `The client token '${token}' is invalid: up to ${max} ASCII characters in the range 33-126 are allowed.`,
    );
  },
};

/** Fargate task sizes: cpu units → allowed memory MiB (ECS Developer Guide, "Task CPU and memory"). */
export function fargateMemoryFor(cpu: number): number[] {
  const range = (from: number, to: number, step: number) => Array.from({ length: (to - from) / step + 1 }, (_, i) => from + i * step);
  switch (cpu) {
    case 256:
      return [512, 1024, 2048];
    case 512:
      return range(1024, 4096, 1024);
    case 1024:
      return range(2048, 8192, 1024);
    case 2048:
      return range(4096, 16384, 1024);
    case 4096:
      return range(8192, 30720, 1024);
    case 8192:
      return range(16384, 61440, 4096);
    case 16384:
      return range(32768, 122880, 8192);
    default:
      return [];
  }
}

/** "1024", "1 vCPU", "2 GB" → units / MiB. */
function units(v: unknown, suffix: RegExp): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return undefined;
  const m = new RegExp(`^\\s*(\\d+(?:\\.\\d+)?)\\s*(${suffix.source})?\\s*$`, 'i').exec(v);
  if (!m) return undefined;
  return m[2] ? Math.round(Number(m[1]) * 1024) : Number(m[1]);
}

const fargateTaskSize: Rule = {
  id: 'ecs.fargate-task-definition',
  description: 'Fargate task definitions: task-level cpu and memory in a valid pair, awsvpc network mode',
  // ECS Developer Guide, "Amazon ECS task definition differences for Fargate" + "Task CPU and memory"; texts from
  // aws-games/cloud-game-development-toolkit#737 (size) and hackoregon/civic-devops#246 (missing cpu). awsvpc text unconfirmed.
  source: 'https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html',
  check(req) {
    if (!is(req, 'ecs', 'RegisterTaskDefinition') || !list<string>(req.json.requiresCompatibilities).includes('FARGATE')) return undefined;
    const mode = str(req.json.networkMode) ?? 'bridge';
    if (mode !== 'awsvpc')
      return refuse('ClientException', `Tasks using the Fargate launch type must use the awsvpc network mode (networkMode was ${mode}).`);
    const cpu = units(req.json.cpu, /vcpu/);
    const memory = units(req.json.memory, /gb/);
    if (cpu === undefined) return refuse('ClientException', "Fargate requires that 'cpu' be defined at the task level.");
    if (memory === undefined) return refuse('ClientException', "Fargate requires that 'memory' be defined at the task level.");
    if (fargateMemoryFor(cpu).includes(memory)) return undefined;
    const given = `${cpu} CPU, ${memory} memory`;
    return refuse(
      'ClientException',
      `No Fargate configuration exists for given values: ${given}. See the Amazon ECS documentation for the valid values.`,
    );
  },
};

const launchTypeAndStrategy: Rule = {
  id: 'ecs.launch-type-and-strategy',
  description: 'CreateService/RunTask: launchType and capacityProviderStrategy together are refused',
  // ECS API, CreateService `capacityProviderStrategy` ("the launchType parameter must be omitted"); text from pulumi/pulumi-awsx#599.
  source: 'https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html',
  check(req) {
    if (!is(req, 'ecs', 'CreateService', 'RunTask')) return undefined;
    if (req.json.launchType === undefined || !list(req.json.capacityProviderStrategy).length) return undefined;
    return refuse(
      'InvalidParameterException',
      'Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.',
    );
  },
};

export const NAME_RULES: Rule[] = [
  loadBalancerName,
  targetGroupName,
  securityGroupName,
  roleName,
  instanceProfileName,
  capacityProviderName,
  parameterName,
  pathPatternLength,
  logRetention,
  logGroupName,
  startedBy,
  clientToken,
  fargateTaskSize,
  launchTypeAndStrategy,
];
