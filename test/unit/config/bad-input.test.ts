import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/load.js';
import { EcsKitError, ExitCode } from '../../../src/errors.js';

/**
 * Hostile and mistaken config input. Each case must be refused with exit code 2 and a
 * message that names the field (the `field` column) and says what to do (the `fix` column).
 * The CLI-level subset (zero AWS calls, flags) is in test/unit/cli/bad-input-cli.test.ts.
 */

/** A valid config with `web` overridden by `svc` (YAML lines under the service). */
function withService(svc: string, top = ''): string {
  const indented = svc
    .trim()
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
  const port = /^port:/m.test(svc) ? '' : '    port: 80\n';
  return `app: shop\n${top}services:\n  web:\n    image: nginx:1.27\n${port}${indented}\n`;
}

interface Case {
  name: string;
  text: string;
  file?: string;
  field: string | RegExp;
  fix: string | RegExp;
}

const cases: Case[] = [
  // --- names
  { name: 'app name too short', text: 'app: a\nservices: { web: { image: x, port: 80 } }', field: 'app', fix: 'at least 2 characters' },
  { name: 'app name too long', text: `app: ${'a'.repeat(25)}\nservices: { web: { image: x, port: 80 } }`, field: 'app', fix: 'at most 24' },
  { name: 'app name uppercase', text: 'app: Shop\nservices: { web: { image: x, port: 80 } }', field: 'app', fix: 'lowercase letters' },
  {
    name: 'app name with space',
    text: 'app: "my shop"\nservices: { web: { image: x, port: 80 } }',
    field: 'app',
    fix: 'lowercase letters',
  },
  {
    name: 'app name ends with hyphen',
    text: 'app: shop-\nservices: { web: { image: x, port: 80 } }',
    field: 'app',
    fix: 'not end with a hyphen',
  },
  {
    name: 'app name starts with digit',
    text: 'app: 1shop\nservices: { web: { image: x, port: 80 } }',
    field: 'app',
    fix: 'start with a letter',
  },
  { name: 'app name double hyphen', text: 'app: my--shop\nservices: { web: { image: x, port: 80 } }', field: 'app', fix: '"--"' },
  {
    name: 'app name path traversal',
    text: 'app: ../etc\nservices: { web: { image: x, port: 80 } }',
    field: 'app',
    fix: 'lowercase letters',
  },
  { name: 'app name is a number', text: 'app: 42\nservices: { web: { image: x, port: 80 } }', field: 'app', fix: 'string' },
  { name: 'app missing', text: 'services: { web: { image: x, port: 80 } }', field: 'app', fix: 'is required' },
  {
    name: 'service name uppercase',
    text: 'app: shop\nservices: { Web: { image: x, port: 80 } }',
    field: 'services.Web',
    fix: 'lowercase letters',
  },
  {
    name: 'service name too long',
    text: `app: shop\nservices: { ${'w'.repeat(25)}: { image: x, port: 80 } }`,
    field: /services\.w+/,
    fix: 'at most 24',
  },
  {
    name: 'service name with slash',
    text: 'app: shop\nservices: { "a/b": { image: x, port: 80 } }',
    field: 'services.a/b',
    fix: 'lowercase letters',
  },
  // --- ports
  { name: 'port 0', text: withService('port: 0'), field: 'services.web.port', fix: 'between 1 and 65535' },
  { name: 'port 70000', text: withService('port: 70000'), field: 'services.web.port', fix: 'between 1 and 65535' },
  { name: 'port negative', text: withService('port: -1'), field: 'services.web.port', fix: 'between 1 and 65535' },
  { name: 'port fractional', text: withService('port: 80.5'), field: 'services.web.port', fix: 'whole number' },
  { name: 'port as word', text: withService('port: http'), field: 'services.web.port', fix: 'number' },
  // --- cpu / memory
  { name: 'cpu 300', text: withService('cpu: 300'), field: 'services.web.cpu', fix: 'use 256, 512' },
  { name: 'cpu as string', text: withService('cpu: "1 vCPU"'), field: 'services.web.cpu', fix: 'expected a number' },
  {
    name: 'memory too small for cpu',
    text: withService('cpu: 1024\nmemory: 512'),
    field: 'services.web.memory',
    fix: 'not valid with cpu 1024',
  },
  {
    name: 'memory too large for 256',
    text: withService('cpu: 256\nmemory: 4096'),
    field: 'services.web.memory',
    fix: 'not valid with cpu 256',
  },
  { name: 'memory in GB string', text: withService('memory: 2GB'), field: 'services.web.memory', fix: 'expected a number' },
  // --- counts and scaling
  { name: 'desiredCount negative', text: withService('desiredCount: -1'), field: 'services.web.desiredCount', fix: '>=0' },
  {
    name: 'autoscaling min > max',
    text: withService('autoscaling: { min: 5, max: 2 }\ndesiredCount: 2'),
    field: 'services.web.autoscaling.min',
    fix: 'make min ≤ max',
  },
  {
    name: 'desired outside autoscaling',
    text: withService('autoscaling: { min: 2, max: 4 }\ndesiredCount: 9'),
    field: 'services.web.desiredCount',
    fix: 'within that range',
  },
  { name: 'log retention 31', text: withService('logRetentionDays: 31'), field: 'services.web.logRetentionDays', fix: 'use one of 1, 3' },
  // --- CIDRs
  { name: 'network cidr /8', text: withService('', 'network: { cidr: 10.0.0.0/8 }\n'), field: 'network.cidr', fix: '/16 to /24' },
  {
    name: 'network cidr host bits',
    text: withService('', 'network: { cidr: 10.0.0.1/16 }\n'),
    field: 'network.cidr',
    fix: 'use 10.0.0.0/16',
  },
  { name: 'network cidr octet 300', text: withService('', 'network: { cidr: 10.300.0.0/16 }\n'), field: 'network.cidr', fix: 'above 255' },
  {
    name: 'allowedCidrs not a CIDR',
    text: withService('', 'loadBalancer: { allowedCidrs: [office] }\n'),
    field: 'loadBalancer.allowedCidrs[0]',
    fix: '203.0.113.0/24',
  },
  {
    name: 'allowedCidrs prefix /33',
    text: withService('', 'loadBalancer: { allowedCidrs: [203.0.113.0/33] }\n'),
    field: 'loadBalancer.allowedCidrs[0]',
    fix: 'above /32',
  },
  {
    name: 'allowedCidrs host bits',
    text: withService('', 'loadBalancer: { allowedCidrs: [203.0.113.7/24] }\n'),
    field: 'loadBalancer.allowedCidrs[0]',
    fix: 'use 203.0.113.0/24',
  },
  {
    name: 'allowedCidrs overlap',
    text: withService('', 'loadBalancer: { allowedCidrs: [10.0.0.0/8, 10.1.0.0/16] }\n'),
    field: 'loadBalancer.allowedCidrs[1]',
    fix: 'keep only the wider block',
  },
  {
    name: 'allowedCidrs empty list',
    text: withService('', 'loadBalancer: { allowedCidrs: [] }\n'),
    field: 'loadBalancer.allowedCidrs',
    fix: 'remove the field',
  },
  {
    name: 'ecr tag mutability lowercase',
    text: withService('', 'ecr: { imageTagMutability: immutable }\n'),
    field: 'ecr.imageTagMutability',
    fix: 'MUTABLE or IMMUTABLE',
  },
  {
    name: 'typo ecr tag mutability',
    text: withService('', 'ecr: { imageTagMutabilty: IMMUTABLE }\n'),
    field: 'ecr.imageTagMutabilty',
    fix: 'did you mean "imageTagMutability"',
  },
  {
    name: 'certificate not an ARN',
    text: withService('', 'loadBalancer: { certificateArn: my-cert }\n'),
    field: 'loadBalancer.certificateArn',
    fix: 'arn:aws:acm:',
  },
  // --- unknown fields (did you mean)
  { name: 'typo prot', text: withService('prot: 8080'), field: 'services.web.prot', fix: 'did you mean "port"' },
  { name: 'typo secret', text: withService('secret: { A: "ssm:/a" }'), field: 'services.web.secret', fix: 'did you mean "secrets"' },
  { name: 'typo top-level servics', text: 'app: shop\nservics: { web: { image: x } }', field: 'servics', fix: 'did you mean "services"' },
  {
    name: 'typo taskrole key',
    text: withService('taskRole: { managedPolicy: [] }'),
    field: 'services.web.taskRole.managedPolicy',
    fix: 'did you mean "managedPolicies"',
  },
  {
    name: 'typo statement key',
    text: withService('taskRole: { statements: [{ Effect: Allow, Actions: "s3:GetObject", Resource: "*" }] }'),
    field: 'services.web.taskRole.statements[0].Actions',
    fix: 'did you mean "Action"',
  },
  {
    name: 'typo loadBalancer key',
    text: withService('', 'loadBalancer: { certificate: x }\n'),
    field: 'loadBalancer.certificate',
    fix: 'did you mean "certificateArn"',
  },
  // --- wrong types
  { name: 'services is a list', text: 'app: shop\nservices: [web]', field: 'services', fix: 'expected a mapping' },
  {
    name: 'environment value number',
    text: withService('environment: { PORT: 8080 }'),
    field: 'services.web.environment.PORT',
    fix: 'quote numbers',
  },
  { name: 'command is a string', text: withService('command: npm start'), field: 'services.web.command', fix: 'expected a array' },
  { name: 'secrets is a list', text: withService('secrets: ["ssm:/a"]'), field: 'services.web.secrets', fix: 'expected a mapping' },
  { name: 'top level is a list', text: '- app: shop', field: 'top level', fix: 'mapping with app' },
  { name: 'no services', text: 'app: shop\nservices: {}', field: 'services', fix: 'define at least one service' },
  { name: 'image and build both', text: withService('build: { context: . }'), field: 'services.web', fix: 'not both' },
  // --- empty / syntax
  { name: 'empty file', text: '', field: 'ecs-kit.yml', fix: 'ecs-kit init' },
  { name: 'only a comment', text: '# nothing here\n', field: 'ecs-kit.yml', fix: 'ecs-kit init' },
  {
    name: 'YAML bad indentation',
    text: 'app: shop\nservices:\n  web:\n    image: x\n   port: 80\n',
    field: /line \d+/,
    fix: 'YAML syntax error',
  },
  {
    name: 'YAML duplicate key',
    text: 'app: shop\napp: other\nservices: { web: { image: x } }',
    field: /line \d+/,
    fix: 'YAML syntax error',
  },
  { name: 'YAML unclosed flow', text: 'app: shop\nservices: { web: { image: x }\n', field: /line \d+/, fix: 'YAML syntax error' },
  { name: 'JSON syntax error', text: '{"app": "shop",', file: 'ecs-kit.json', field: 'ecs-kit.json', fix: 'JSON syntax error' },
  // --- secrets with bad references
  {
    name: 'secret ref without scheme',
    text: withService('secrets: { DB: "/shop/db" }'),
    field: 'services.web.secrets.DB',
    fix: 'does not say where the secret lives',
  },
  { name: 'secret ref empty', text: withService('secrets: { DB: "" }'), field: 'services.web.secrets.DB', fix: 'is empty' },
  {
    name: 'secret ref ssm traversal',
    text: withService('secrets: { DB: "ssm:/shop/../admin/key" }'),
    field: 'services.web.secrets.DB',
    fix: 'relative path segment',
  },
  {
    name: 'secret ref ssm bad chars',
    text: withService('secrets: { DB: "ssm:/shop/db password" }'),
    field: 'services.web.secrets.DB',
    fix: 'not a valid SSM parameter name',
  },
  {
    name: 'secret ref ssm reserved prefix',
    text: withService('secrets: { DB: "ssm:/aws/reference/x" }'),
    field: 'services.web.secrets.DB',
    fix: 'reserves',
  },
  {
    name: 'secret ref secretsmanager too many parts',
    text: withService('secrets: { DB: "secretsmanager:a:b:c" }'),
    field: 'services.web.secrets.DB',
    fix: 'too many ":" parts',
  },
  {
    name: 'secret ref secretsmanager empty json key',
    text: withService('secrets: { DB: "secretsmanager:shop/db:" }'),
    field: 'services.web.secrets.DB',
    fix: 'JSON key',
  },
  {
    name: 'secret ref wrong ARN service',
    text: withService('secrets: { DB: "arn:aws:s3:::bucket/key" }'),
    field: 'services.web.secrets.DB',
    fix: 'not an SSM parameter or Secrets Manager secret ARN',
  },
  {
    name: 'secret ref ssm ARN wrong resource',
    text: withService('secrets: { DB: "arn:aws:ssm:us-east-1:123456789012:document/x" }'),
    field: 'services.web.secrets.DB',
    fix: 'parameter/NAME',
  },
  {
    name: 'secret ref value is a number',
    text: withService('secrets: { DB: 42 }'),
    field: 'services.web.secrets.DB',
    fix: 'references must be strings',
  },
  {
    name: 'secret variable invalid name',
    text: withService('secrets: { "DB-PASS": "ssm:/a/b" }'),
    field: 'services.web.secrets.DB-PASS',
    fix: 'not a valid variable name',
  },
  {
    name: 'secret variable reserved',
    text: withService('secrets: { AWS_SECRET: "ssm:/a/b" }'),
    field: 'services.web.secrets.AWS_SECRET',
    fix: 'reserved',
  },
  {
    name: 'secret also in environment',
    text: withService('environment: { DB: x }\nsecrets: { DB: "ssm:/a/b" }'),
    field: 'services.web.secrets.DB',
    fix: 'remove one',
  },
  {
    name: 'kmsKeyArn not an ARN',
    text: withService('secrets: { DB: "ssm:/a/b" }\nkmsKeyArn: my-key'),
    field: 'services.web.kmsKeyArn',
    fix: 'KMS key ARN',
  },
  {
    name: 'kmsKeyArn alias ARN',
    text: withService('secrets: { DB: "ssm:/a/b" }\nkmsKeyArn: arn:aws:kms:us-east-1:123456789012:alias/shop'),
    field: 'services.web.kmsKeyArn',
    fix: 'aws kms describe-key --key-id arn:aws:kms:us-east-1:123456789012:alias/shop --query KeyMetadata.Arn',
  },
  {
    name: 'kmsKeyArn bare alias',
    text: withService('secrets: { DB: "ssm:/a/b" }\nkmsKeyArn: alias/shop'),
    field: 'services.web.kmsKeyArn',
    fix: /KMS alias.*aws kms describe-key --key-id alias\/shop --query KeyMetadata\.Arn/,
  },
  {
    name: 'kmsKeyArn bare key id',
    text: withService('secrets: { DB: "ssm:/a/b" }\nkmsKeyArn: 1234abcd-12ab-34cd-56ef-1234567890ab'),
    field: 'services.web.kmsKeyArn',
    fix: 'full KMS key ARN',
  },
  {
    name: 'kmsKeyArn without secrets',
    text: withService('kmsKeyArn: arn:aws:kms:us-east-1:123456789012:key/abcd-1234'),
    field: 'services.web.kmsKeyArn',
    fix: 'add secrets',
  },
  // --- task role
  {
    name: 'task role Action *',
    text: withService('taskRole: { statements: [{ Effect: Allow, Action: "*", Resource: "*" }] }'),
    field: 'services.web.taskRole.statements[0].Action',
    fix: 'list the actions',
  },
  {
    name: 'task role bad action',
    text: withService('taskRole: { statements: [{ Effect: Allow, Action: "read everything", Resource: "*" }] }'),
    field: 'services.web.taskRole.statements[0].Action',
    fix: 's3:GetObject',
  },
  {
    name: 'task role missing Resource',
    text: withService('taskRole: { statements: [{ Effect: Allow, Action: "s3:GetObject" }] }'),
    field: 'services.web.taskRole.statements[0]',
    fix: 'Resource or NotResource',
  },
  {
    name: 'task role bad Effect',
    text: withService('taskRole: { statements: [{ Effect: allow, Action: "s3:GetObject", Resource: "*" }] }'),
    field: 'services.web.taskRole.statements[0].Effect',
    fix: '"Allow" or "Deny"',
  },
  {
    name: 'task role resource not ARN',
    text: withService('taskRole: { statements: [{ Effect: Allow, Action: "s3:GetObject", Resource: "my-bucket" }] }'),
    field: 'services.web.taskRole.statements[0].Resource',
    fix: 'arn:aws:SERVICE',
  },
  {
    name: 'task role Allow NotAction',
    text: withService('taskRole: { statements: [{ Effect: Allow, NotAction: "iam:*", Resource: "*" }] }'),
    field: 'services.web.taskRole.statements[0].NotAction',
    fix: 'list the allowed actions',
  },
  {
    name: 'task role managed policy not ARN',
    text: withService('taskRole: { managedPolicies: [AmazonS3ReadOnlyAccess] }'),
    field: 'services.web.taskRole.managedPolicies[0]',
    fix: 'arn:aws:iam::aws:policy/',
  },
  // --- paths, region
  { name: 'path not a URL path', text: withService('path: api'), field: 'services.web.path', fix: 'such as / or /api' },
  {
    name: 'path longer than a rule allows',
    text: withService(`path: /${'a'.repeat(126)}`),
    field: 'services.web.path',
    fix: 'at most 126 characters',
  },
  {
    name: 'service named lb next to the load balancer',
    text: 'app: shop\nservices: { lb: { image: x, port: 80 } }',
    field: 'services.lb',
    fix: 'rename the service',
  },
  {
    name: 'service named instances with EC2 capacity',
    text: 'app: shop\nservices: { instances: { image: x, capacity: ec2 } }',
    field: 'services.instances',
    fix: 'rename the service',
  },
  { name: 'region malformed', text: withService('', 'region: virginia\n'), field: 'region', fix: 'such as us-east-1' },
  {
    name: 'region unknown',
    text: withService('', 'region: us-east-7\n'),
    field: 'region',
    fix: /did you mean us-east-1|such as us-east-1/,
  },
  { name: 'region typo', text: withService('', 'region: eu-wst-1\n'), field: 'region', fix: 'did you mean eu-west-1' },
  // --- safe rollouts (services.<name>.deployment)
  {
    name: 'deployment strategy unknown',
    text: withService('deployment: { strategy: red-black }'),
    field: 'services.web.deployment.strategy',
    fix: 'rolling, blue-green, linear, canary',
  },
  {
    name: 'canary settings with strategy linear',
    text: withService('deployment: { strategy: linear, canary: { percent: 10 } }'),
    field: 'services.web.deployment.canary',
    fix: 'set strategy: canary',
  },
  {
    name: 'linear settings with strategy canary',
    text: withService('deployment: { strategy: canary, linear: { stepPercent: 20 } }'),
    field: 'services.web.deployment.linear',
    fix: 'set strategy: linear',
  },
  {
    name: 'canary percent above 100',
    text: withService('deployment: { strategy: canary, canary: { percent: 150 } }'),
    field: 'services.web.deployment.canary.percent',
    fix: 'between 0.1 and 100',
  },
  {
    name: 'canary percent with two decimals',
    text: withService('deployment: { strategy: canary, canary: { percent: 2.55 } }'),
    field: 'services.web.deployment.canary.percent',
    fix: 'multiple of 0.1',
  },
  {
    name: 'linear step below ECS minimum of 3%',
    text: withService('deployment: { strategy: linear, linear: { stepPercent: 1 } }'),
    field: 'services.web.deployment.linear.stepPercent',
    fix: 'between 3 and 100',
  },
  {
    name: 'bake time over 24 hours',
    text: withService('deployment: { strategy: blue-green, bakeMinutes: 2000 }'),
    field: 'services.web.deployment.bakeMinutes',
    fix: 'between 0 and 1440',
  },
  {
    name: 'bake time on a rolling deployment',
    text: withService('deployment: { bakeMinutes: 5 }'),
    field: 'services.web.deployment.bakeMinutes',
    fix: 'rolling deployment has no bake time',
  },
  {
    name: 'blue-green on a worker without a load balancer',
    text: 'app: shop\nservices:\n  worker:\n    image: busybox\n    deployment: { strategy: blue-green }\n',
    field: 'services.worker.deployment.strategy',
    fix: 'use rolling, or give it a port',
  },
  {
    name: 'pause hook on a rolling deployment',
    text: withService('deployment: { pauseBefore: [production-traffic-shift] }'),
    field: 'services.web.deployment.pauseBefore',
    fix: 'blue-green, linear or canary',
  },
  {
    name: 'minHealthyPercent with canary',
    text: withService('deployment: { strategy: canary, minHealthyPercent: 50 }'),
    field: 'services.web.deployment.minHealthyPercent',
    fix: 'is for rolling deployments',
  },
  {
    name: 'maxPercent below 100',
    text: withService('deployment: { maxPercent: 50 }'),
    field: 'services.web.deployment.maxPercent',
    fix: 'between 100 and 200',
  },
  {
    name: 'testPort on a rolling deployment',
    text: withService('deployment: { testPort: 8080 }'),
    field: 'services.web.deployment.testPort',
    fix: 'a rolling deployment has no test traffic',
  },
  {
    name: 'testPort out of range',
    text: withService('deployment: { strategy: blue-green, testPort: 70000 }'),
    field: 'services.web.deployment.testPort',
    fix: 'between 1 and 65535',
  },
  {
    name: 'testPort on a production listener port',
    text: withService('deployment: { strategy: canary, testPort: 443 }'),
    field: 'services.web.deployment.testPort',
    fix: 'must not be 80 or 443',
  },
  {
    name: 'testPort shared by two services',
    text:
      'app: shop\nservices:\n  web:\n    image: nginx:1.27\n    port: 80\n    deployment: { strategy: blue-green, testPort: 8080 }\n' +
      '  api:\n    image: nginx:1.27\n    port: 80\n    path: /api\n    deployment: { strategy: linear, testPort: 8080 }\n',
    field: /services\.(web|api)\.deployment\.testPort/,
    fix: 'is already the testPort of service',
  },
  { name: 'exec not a boolean', text: withService('exec: yes please'), field: 'services.web.exec', fix: 'true or false' },
];

describe('hostile and mistaken config input', () => {
  it('covers at least 50 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(50);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s → exit 2 naming the field and the fix', (_name, c) => {
    let error: unknown;
    try {
      parseConfigText(c.text, c.file);
    } catch (err) {
      error = err;
    }
    expect(error, 'must be refused').toBeInstanceOf(EcsKitError);
    const e = error as EcsKitError;
    expect(e.exitCode).toBe(ExitCode.Usage);
    const text = `${e.message}\n${e.fix ?? ''}`;
    if (typeof c.field === 'string') expect(text).toContain(c.field);
    else expect(text).toMatch(c.field);
    if (typeof c.fix === 'string') expect(text).toContain(c.fix);
    else expect(text).toMatch(c.fix);
  });

  it('accepts the good forms of the same fields (the table is not refusing everything)', () => {
    const cfg = parseConfigText(
      withService(
        [
          'secrets:',
          '  DB_PASSWORD: "ssm:/shop/db-password"',
          '  API_KEY: "secretsmanager:shop/api-key"',
          '  K: "secretsmanager:shop/api-key:password"',
          '  FULL: "arn:aws:secretsmanager:us-east-1:123456789012:secret:shop/x-AbCdEf:user::"',
          '  P: "arn:aws:ssm:us-east-1:123456789012:parameter/shop/p"',
          'kmsKeyArn: arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
          'taskRole:',
          '  managedPolicies: [arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess]',
          '  statements:',
          '    - { Effect: Allow, Action: [s3:GetObject, "s3:List*"], Resource: "arn:aws:s3:::shop-assets/*" }',
        ].join('\n'),
        'region: eu-west-1\necr: { imageTagMutability: IMMUTABLE }\n' +
          'loadBalancer: { certificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/abc", allowedCidrs: [203.0.113.0/24, 198.51.100.7/32] }\n',
      ),
    );
    expect(Object.keys(cfg.services.web!.secrets)).toEqual(['DB_PASSWORD', 'API_KEY', 'K', 'FULL', 'P']);
    expect(cfg.loadBalancer?.allowedCidrs).toHaveLength(2);
    // HTTPS is implemented: a certificate is accepted, not refused.
    expect(cfg.loadBalancer?.certificateArn).toBe('arn:aws:acm:eu-west-1:123456789012:certificate/abc');
    expect(cfg.ecr.imageTagMutability).toBe('IMMUTABLE');
  });
});

// --- CLI level: flags and files, through main() in-process; every client is a strict mock.
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ECSClient } from '@aws-sdk/client-ecs';
import { IAMClient } from '@aws-sdk/client-iam';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach } from 'vitest';
import { main } from '../../../src/cli/main.js';
import type { Io } from '../../../src/cli/options.js';
import { strict } from '../../helpers/aws-mock.js';
import { Capture } from '../ui/streams.js';

const mocks = [
  mockClient(STSClient),
  mockClient(ECSClient),
  mockClient(EC2Client),
  mockClient(IAMClient),
  mockClient(SSMClient),
  mockClient(SecretsManagerClient),
];

const GOOD = 'app: shop\nservices:\n  web: { image: nginx:1.27, port: 80 }\n';

async function cli(args: string[], files: Record<string, string> = { 'ecs-kit.yml': GOOD }) {
  const cwd = await mkdtemp(path.join(tmpdir(), 'ecs-kit-bad-'));
  await mkdir(path.join(cwd, 'app'));
  for (const [name, text] of Object.entries(files)) {
    if (text === '<dir>') await mkdir(path.join(cwd, name));
    else await writeFile(path.join(cwd, name), text);
  }
  const stdout = new Capture();
  const stderr = new Capture();
  const io: Io = { stdout, stderr, stdin: Readable.from([]), env: { CI: 'true' }, cwd };
  const code = await main(['node', 'ecs-kit', ...args], io);
  return { code, out: stdout.text + stderr.text };
}

const cliCases: [string, string[], Record<string, string> | undefined, string | RegExp][] = [
  [
    '--config pointing outside the project at a non-config file',
    ['deploy', '--config', '../../../etc/passwd'],
    undefined,
    /--config: .*not a \.yml/,
  ],
  ['--config at an absolute system file', ['deploy', '--config', '/etc/hostname'], undefined, '--config'],
  ['--config that does not exist', ['deploy', '--config', 'nope.yml'], undefined, 'No config file'],
  ['--config that is a directory', ['deploy', '--config', 'dir.yml'], { 'dir.yml': '<dir>' }, 'is a directory'],
  ['--region unknown', ['deploy', '--region', 'us-east-7'], undefined, /--region.*did you mean us-east-1/],
  ['--region malformed', ['teardown', '--region', 'Virginia'], undefined, '--region'],
  ['--env with capitals and punctuation', ['deploy', '--env', 'Prod!'], undefined, '--env'],
  ['--env path traversal', ['deploy', '--env', '../x'], undefined, '--env'],
  ['--timeout not a duration', ['deploy', '--timeout', 'forever'], undefined, '--timeout'],
  ['--max-attempts zero', ['deploy', '--max-attempts', '0'], undefined, '--max-attempts'],
  [
    'init with both --image and --dockerfile',
    ['init', '--yes', '--name', 'shop', '--image', 'x', '--dockerfile', 'Dockerfile', '--config', 'new.yml'],
    undefined,
    'not both',
  ],
  [
    'Dockerfile path escaping the context',
    ['deploy', '--yes'],
    { 'ecs-kit.yml': 'app: shop\nservices:\n  web: { build: { context: app, dockerfile: ../../../etc/passwd }, port: 80 }\n' },
    /services\.web\.build\.dockerfile: .*outside the build context/,
  ],
  [
    'absolute Dockerfile path',
    ['deploy', '--yes'],
    { 'ecs-kit.yml': 'app: shop\nservices:\n  web: { build: { context: app, dockerfile: /etc/passwd }, port: 80 }\n' },
    /services\.web\.build\.dockerfile: .*relative to build\.context/,
  ],
  [
    'bad cpu in the config',
    ['deploy', '--yes'],
    { 'ecs-kit.yml': 'app: shop\nservices:\n  web: { image: x, port: 80, cpu: 300 }\n' },
    'services.web.cpu',
  ],
  ['empty config file', ['deploy', '--yes'], { 'ecs-kit.yml': '' }, 'the file is empty'],
  [
    'bad secret reference',
    ['deploy', '--yes'],
    { 'ecs-kit.yml': 'app: shop\nservices:\n  web: { image: x, port: 80, secrets: { DB: "vault:/db" } }\n' },
    'services.web.secrets.DB',
  ],
  [
    'unknown region in the config',
    ['deploy', '--yes'],
    { 'ecs-kit.yml': 'app: shop\nregion: eu-west-9\nservices:\n  web: { image: x, port: 80 }\n' },
    'region',
  ],
  [
    'iam-policy with a config typo',
    ['iam-policy', '--account', '123456789012', '--region', 'us-east-1'],
    { 'ecs-kit.yml': 'app: shop\nservices:\n  web: { image: x, prot: 80 }\n' },
    'did you mean "port"',
  ],
  ['secret list with an invalid config', ['secret', 'list'], { 'ecs-kit.yml': 'app: Shop\nservices: {}\n' }, 'app'],
  ['unknown command', ['deploi'], undefined, /unknown command|deploy/],
];

describe('hostile and mistaken input through the CLI', () => {
  beforeEach(() => {
    for (const m of mocks) {
      m.reset();
      strict(m);
    }
  });

  it.each(cliCases)('%s → exit 2 and zero AWS calls', async (_name, args, files, expected) => {
    const r = await cli(args, files);
    expect(r.code, r.out).toBe(2);
    if (typeof expected === 'string') expect(r.out).toContain(expected);
    else expect(r.out).toMatch(expected);
    expect(mocks.reduce((n, m) => n + m.calls().length, 0)).toBe(0);
  });
});
